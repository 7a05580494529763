"""Corpus-level boilerplate learning.

A line that one site prints under many of its articles ("Suivez-nous sur
Telegram", a stock caption, a newsletter prompt) is boilerplate even when no
hand-written rule knows it. The rule: a normalised line found in at least
``min_articles`` distinct articles of the same source is removed from all of
them. Counting is a keyed combine over (source, line hash) of distinct article
bodies (capped at the threshold), so it runs across workers at any corpus size
and copies of one story do not vote twice; only the lines over the threshold
travel to the workers as a side input. A line seen once is never removed by
this rule.
"""
from __future__ import annotations

import hashlib
from typing import Dict, Iterable, List, Set, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.dedup import body_fingerprint
from transforms.records import CleanedArticle, Rejected, rejected
from transforms.scrub import normalise_line

STAGE = "boilerplate"
DEFAULT_MIN_ARTICLES = 5

LineKey = Tuple[str, str]  # (source, hash of the normalised line)


def source_key(article: CleanedArticle) -> str:
    """Articles of one site share boilerplate; without a known site, one input file does."""
    return article.source or article.origin.split("#", 1)[0]


def line_hash(paragraph: str) -> str:
    # 16 bytes keep the shuffle small whatever the line length.
    return hashlib.blake2b(normalise_line(paragraph).encode("utf-8"), digest_size=16).hexdigest()


def line_keys(article: CleanedArticle) -> List[LineKey]:
    """Each distinct line of the article once, so one article counts once per line."""
    source = source_key(article)
    return sorted({(source, line_hash(p)) for p in article.paragraphs if normalise_line(p)})


def strip_lines(article: CleanedArticle, boilerplate: Dict[LineKey, int]) -> Tuple[CleanedArticle, int]:
    """The article without its learnt boilerplate lines, and how many went."""
    source = source_key(article)
    kept = [p for p in article.paragraphs if (source, line_hash(p)) not in boilerplate]
    return article._replace(paragraphs=kept), len(article.paragraphs) - len(kept)


class _StripLines(beam.DoFn):
    REJECTED = "rejected"

    def __init__(self):
        self._lines = Metrics.counter(STAGE, "lines_removed")
        self._touched = Metrics.counter(STAGE, "articles_changed")
        self._rejected = Metrics.counter(STAGE, "rejected")

    def process(self, article: CleanedArticle, boilerplate: Dict[LineKey, int]) -> Iterable:
        stripped, removed = strip_lines(article, boilerplate)
        if removed:
            self._lines.inc(removed)
            self._touched.inc()
        if stripped.paragraphs:
            yield stripped
        else:
            self._rejected.inc()
            yield beam.pvalue.TaggedOutput(
                self.REJECTED,
                rejected(article.origin, STAGE, "only corpus boilerplate lines", "\n".join(article.paragraphs)),
            )


class DistinctBodiesUpTo(beam.CombineFn):
    """How many distinct article bodies hold a line, counted up to ``limit``.

    Counting bodies rather than articles keeps copies of one story (which dedup
    drops later) from voting a real paragraph into boilerplate; the capped set
    keeps the accumulator at ``limit`` fingerprints whatever the corpus size.
    """

    def __init__(self, limit: int):
        self._limit = limit

    def create_accumulator(self) -> Set[str]:
        return set()

    def add_input(self, bodies: Set[str], body: str) -> Set[str]:
        if len(bodies) < self._limit:
            bodies.add(body)
        return bodies

    def merge_accumulators(self, accumulators: Iterable[Set[str]]) -> Set[str]:
        merged: Set[str] = set()
        for bodies in accumulators:
            merged |= bodies
        return set(sorted(merged)[: self._limit])

    def extract_output(self, bodies: Set[str]) -> int:
        return len(bodies)


def line_votes(article: CleanedArticle) -> List[Tuple[LineKey, str]]:
    """(line key, body fingerprint) for each distinct line of the article."""
    body = body_fingerprint(article.paragraphs)[:16]
    return [(key, body) for key in line_keys(article)]


class LearnBoilerplate(beam.PTransform):
    """PCollection[CleanedArticle] -> ((source, line hash), bodies) for every line
    found in at least ``min_articles`` distinct bodies of one source."""

    def __init__(self, min_articles: int = DEFAULT_MIN_ARTICLES):
        super().__init__()
        if min_articles < 2:
            raise ValueError(f"min_articles must be >= 2 (a line seen once is never boilerplate), got {min_articles}")
        self._min_articles = min_articles

    def expand(self, articles):
        threshold = self._min_articles
        return (
            articles
            | "LineVotes" >> beam.FlatMap(line_votes)
            | "DistinctBodiesPerLine" >> beam.CombinePerKey(DistinctBodiesUpTo(threshold))
            | "AtLeastK" >> beam.Filter(lambda kv: kv[1] >= threshold)
        )


class StripBoilerplate(beam.PTransform):
    """Strips learnt lines (a side input from LearnBoilerplate) from articles.

    Output: dict with ``articles`` (CleanedArticle) and ``rejected`` (an article
    left with nothing but boilerplate).
    """

    def __init__(self, learnt):
        super().__init__()
        self._learnt = learnt

    def expand(self, articles):
        stripped = articles | "StripLines" >> beam.ParDo(_StripLines(), beam.pvalue.AsDict(self._learnt)).with_outputs(
            _StripLines.REJECTED, main="articles"
        )
        return {"articles": stripped.articles, "rejected": stripped.rejected}


class StripCorpusBoilerplate(beam.PTransform):
    """Learns boilerplate lines per source over the given articles and strips them.

    Output: dict with ``articles`` (CleanedArticle), ``rejected`` (Rejected) and
    ``lines`` (((source, line_hash), distinct bodies) for every learnt line).
    The batch job uses LearnBoilerplate and StripBoilerplate apart: it learns
    before dedup and strips after it.
    """

    def __init__(self, min_articles: int = DEFAULT_MIN_ARTICLES):
        super().__init__()
        self._learn = LearnBoilerplate(min_articles)

    def expand(self, articles):
        learnt = articles | "Learn" >> self._learn
        stripped = articles | "Strip" >> StripBoilerplate(learnt)
        return {"articles": stripped["articles"], "rejected": stripped["rejected"], "lines": learnt}

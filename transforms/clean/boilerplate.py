"""Corpus-level boilerplate learning.

A line that one site prints under many of its articles ("Suivez-nous sur
Telegram", a stock caption, a newsletter prompt) is boilerplate even when no
hand-written rule knows it. The rule: a normalised line found in at least
``min_articles`` distinct articles of the same source is removed from all of
them. Counting is a keyed count over (source, line) of distinct article bodies
(16-byte votes: line hash + body hash), packed per hash bucket through Beam's
GroupByKey (grouped through sorted spill files instead with the DirectRunner's
--spill_dir), so it runs across workers at any corpus size and copies of one
story do not vote twice; only the lines over the threshold travel to the
workers as a side input. A line seen once is never removed by this rule.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from transforms.clean.dedup import body_fingerprint
from transforms.clean.scrub import normalise_line
from transforms.io.spill import GroupThroughFiles
from transforms.records import CleanedArticle, rejected

STAGE = "boilerplate"


DEFAULT_MIN_ARTICLES = 5


LineKey = bytes  # 8-byte hash of (source, normalised line)


KEY_BYTES = 8


VOTE_BYTES = 2 * KEY_BYTES  # a vote: line key + body key


DEFAULT_VOTE_BUCKETS = 256


# votes are packed per bucket and shipped when a packet reaches this size: the
# shuffle then carries a few large blobs instead of one element per article line
PACKET_BYTES = 1 << 20


def source_key(article: CleanedArticle) -> str:
    """Articles of one site share boilerplate; without a known site, one input file does."""
    return article.source or article.origin.split("#", 1)[0]


def line_key(source: str, paragraph: str) -> LineKey:
    """Hash of a line within its source. 64 bits: a collision between two lines of
    one source is about 1 in 10^7 even at 10^6 distinct lines per source."""
    text = f"{source}\x00{normalise_line(paragraph)}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_BYTES).digest()


def line_keys(article: CleanedArticle) -> List[LineKey]:
    """Each distinct line of the article once, so one article counts once per line."""
    source = source_key(article)
    return sorted({line_key(source, p) for p in article.paragraphs if normalise_line(p)})


def body_key(article: CleanedArticle) -> bytes:
    return bytes.fromhex(body_fingerprint(article.paragraphs)[: 2 * KEY_BYTES])


def strip_lines(article: CleanedArticle, boilerplate: Dict[LineKey, int]) -> Tuple[CleanedArticle, int]:
    """The article without its learnt boilerplate lines, and how many went."""
    source = source_key(article)
    kept = [p for p in article.paragraphs if line_key(source, p) not in boilerplate]
    return article._replace(paragraphs=kept), len(article.paragraphs) - len(kept)


def count_votes(packets: Iterable[bytes], min_bodies: int) -> Iterator[Tuple[LineKey, int]]:
    """(line key, distinct bodies) for lines voted by at least ``min_bodies``
    distinct bodies; ``packets`` are concatenated VOTE_BYTES votes. Counting
    bodies, not articles, keeps copies of one story (dropped later by dedup)
    from voting a real paragraph into boilerplate."""
    votes = sorted({packet[i : i + VOTE_BYTES] for packet in packets for i in range(0, len(packet), VOTE_BYTES)})
    for line, group in itertools.groupby(votes, key=lambda vote: vote[:KEY_BYTES]):
        bodies = sum(1 for _ in group)  # votes are distinct (line, body) pairs
        if bodies >= min_bodies:
            yield line, bodies


class _PackVotes(beam.DoFn):
    """One vote per distinct line of each article, packed per bucket."""

    def __init__(self, buckets: int):
        self._buckets = buckets

    def start_bundle(self):
        self._packets: Dict[int, bytearray] = {}

    def process(self, article: CleanedArticle):
        body = body_key(article)
        for line in line_keys(article):
            bucket = int.from_bytes(line[:4], "big") % self._buckets
            packet = self._packets.setdefault(bucket, bytearray())
            packet += line + body
            if len(packet) >= PACKET_BYTES:
                yield bucket, bytes(packet)
                del self._packets[bucket]

    def finish_bundle(self):
        for bucket, packet in sorted(self._packets.items()):
            yield WindowedValue((bucket, bytes(packet)), MIN_TIMESTAMP, [GlobalWindow()])
        self._packets = {}


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


def article_votes(article: CleanedArticle) -> Iterator[Tuple[str, str]]:
    """(line key, body key) in hex, once per distinct line of the article."""
    body = body_key(article).hex()
    for line in line_keys(article):
        yield line.hex(), body


def count_line_votes(line: str, bodies: Iterable[str], min_bodies: int) -> Iterator[Tuple[LineKey, int]]:
    """(line key, distinct bodies) when the line (hex) got votes from at least ``min_bodies`` bodies."""
    distinct = len(set(bodies))
    if distinct >= min_bodies:
        yield bytes.fromhex(line), distinct


class LearnBoilerplate(beam.PTransform):
    """PCollection[CleanedArticle] -> (line key, distinct bodies) for every line
    found in at least ``min_articles`` distinct bodies of one source.

    A keyed count over (source, line) in disguise. Votes are hashed into
    ``buckets`` and shipped as packed packets through a GroupByKey, so the shuffle
    holds 16 bytes per article line; each bucket is counted by sorting its votes.
    With a ``spill_dir``, one vote per distinct article line is grouped by line
    through sorted spill files instead (``GroupThroughFiles``: only file paths cross
    the runner's shuffle, each line's votes are counted as the merge streams by).
    """

    def __init__(
        self,
        min_articles: int = DEFAULT_MIN_ARTICLES,
        buckets: int = DEFAULT_VOTE_BUCKETS,
        spill_dir: Optional[str] = None,
    ):
        super().__init__()
        if min_articles < 2:
            raise ValueError(f"min_articles must be >= 2 (a line seen once is never boilerplate), got {min_articles}")
        self._min_articles = min_articles
        self._buckets = buckets
        self._spill_dir = spill_dir

    def expand(self, articles):
        threshold = self._min_articles
        if self._spill_dir is not None:
            return (
                articles
                | "Votes" >> beam.FlatMap(article_votes).with_output_types(Tuple[str, str])
                | "GroupByLine" >> GroupThroughFiles(self._spill_dir, "boilerplate-votes")
                | "CountVotes" >> beam.FlatMap(lambda kv: count_line_votes(kv[0], kv[1], threshold))
            )
        return (
            articles
            | "PackVotes" >> beam.ParDo(_PackVotes(self._buckets))
            | "GroupByBucket" >> beam.GroupByKey()
            | "CountVotes" >> beam.FlatMap(lambda kv: count_votes(kv[1], threshold))
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
    ``lines`` ((line key, distinct bodies) for every learnt line).
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

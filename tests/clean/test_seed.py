"""Acceptance test on the seed dump: read_documents + clean_document, no pipeline.

``fixtures/seed/gold_paragraphs.json`` holds, per article (origin suffix "#n"),
the body paragraphs a reader counts as the article's text, judged line by line;
the cleaned article must keep exactly those. Its ``_known_leaks`` are
boilerplate lines the code still keeps (ignored by the exact comparison; a test
checks the list stays exactly true).
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Dict, List

import pytest

from tests.support.seed import SEED, SEED_ARTICLES, SEED_DIR
from transforms.clean.cleanup import clean_document
from transforms.clean.dump import split_dump
from transforms.clean.scrub import (
    normalise_line,
    paragraphs_from_text,
    scrub_paragraphs,
)
from transforms.io.formats import read_documents
from transforms.records import DUMP, CleanedArticle, RawDocument

GOLD_FILE = SEED_DIR / "gold_paragraphs.json"

EXPECTED = SEED_ARTICLES  # (url, title, published) in dump order
SUFFIXES = [f"#{n}" for n in range(1, 11)]

# phrases that must not survive anywhere in a body
FORBIDDEN = [
    "Ilhan Omar",
    "Nancy Pelosi",
    "zone_verte_bagdad",
    "Rédaction du site",
    "Source: Divers",
    "Source : Divers",
    "Regardez et téléchargez",
]
_READ_MORE_START = re.compile(r"^(?:lire|voir)\s+(?:aussi|plus)", re.IGNORECASE)
# a photo credit or caption marker at the end of a paragraph: "©AFP", "©AFP/Archives", "(Photo d’Archives)"
_CREDIT_END = re.compile(r"(?:©\s*[\w .\-/]{0,40}|\((?:photo|illustration|archives|afp photo)[^()]*\))$", re.IGNORECASE)


def _suffix(origin: str) -> str:
    return "#" + origin.rsplit("#", 1)[1]


@pytest.fixture(scope="module")
def documents() -> List[RawDocument]:
    with open(SEED, "rb") as handle:
        items = list(read_documents(str(SEED), handle))
    assert all(isinstance(item, RawDocument) for item in items), items
    return items


@pytest.fixture(scope="module")
def articles(documents) -> List[CleanedArticle]:
    removed_rules: List[str] = []
    cleaned = [item for doc in documents for item in clean_document(doc, removed_rules)]
    assert all(isinstance(item, CleanedArticle) for item in cleaned), [
        i for i in cleaned if not isinstance(i, CleanedArticle)
    ]
    return cleaned


@pytest.fixture(scope="module")
def by_suffix(articles) -> Dict[str, CleanedArticle]:
    return {_suffix(a.origin): a for a in articles}


@pytest.fixture(scope="module")
def gold() -> dict:
    return json.loads(GOLD_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def raw_bodies() -> Dict[str, List[str]]:
    """Each article's raw body paragraphs (tidied), before any scrubbing."""
    text = SEED.read_text(encoding="utf-8")
    return {_suffix(a.origin): paragraphs_from_text("\n".join(a.lines)) for a in split_dump(text, "seed")}


# ------------------------------------------------------------------ metadata


def test_one_dump_document(documents):
    assert len(documents) == 1
    assert documents[0].kind == DUMP
    assert documents[0].origin == str(SEED)


def test_exactly_ten_articles(articles):
    assert len(articles) == 10
    assert [a.origin for a in articles] == [f"{SEED}{s}" for s in SUFFIXES]
    assert len({a.id for a in articles}) == 10


@pytest.mark.parametrize("n", range(1, 11))
def test_article_metadata(articles, n):
    url, title, published = EXPECTED[n - 1]
    article = articles[n - 1]
    assert (article.url, article.title, article.published) == (url, title, published)
    assert article.paragraphs


def test_sources_from_urls(articles):
    assert [a.source for a in articles] == ["french.presstv.com"] * 2 + ["french.almanar.com.lb"] + [
        "french.presstv.com"
    ] * 7


# ------------------------------------------------------------- boilerplate


def test_no_forbidden_phrase(articles):
    leaks = [(a.origin, p) for a in articles for p in a.paragraphs for phrase in FORBIDDEN if phrase in p]
    assert not leaks


def test_no_read_more_lines(articles):
    leaks = [(a.origin, p) for a in articles for p in a.paragraphs if _READ_MORE_START.match(p)]
    assert not leaks


def test_no_caption_credits(articles):
    leaks = [(a.origin, p) for a in articles for p in a.paragraphs if _CREDIT_END.search(p)]
    assert not leaks


def test_no_bare_counter(articles):
    leaks = [(a.origin, p) for a in articles for p in a.paragraphs if re.fullmatch(r"[\d\s.,]+", p)]
    assert not leaks


def test_no_consecutive_duplicates(articles):
    for article in articles:
        keys = [normalise_line(p) for p in article.paragraphs]
        doubled = [article.paragraphs[i] for i in range(1, len(keys)) if keys[i] == keys[i - 1]]
        assert not doubled, article.origin


def test_no_teaser_left(by_suffix, raw_bodies):
    """No kept paragraph equals a line doubled consecutively in the raw article (a teaser)."""
    for suffix, raw in raw_bodies.items():
        keys = [normalise_line(p) for p in raw]
        teasers = {keys[i] for i in range(1, len(keys)) if keys[i] == keys[i - 1]}
        assert teasers or suffix == "#4", f"{suffix}: the raw article should hold doubled lines"
        leaks = [p for p in by_suffix[suffix].paragraphs if normalise_line(p) in teasers]
        assert not leaks, suffix


def test_title_not_repeated_in_body(articles):
    for article in articles:
        title_key = normalise_line(article.title)
        assert all(normalise_line(p) != title_key for p in article.paragraphs), article.origin


# ---------------------------------------------------------------- the gold


def test_gold_covers_every_article(gold):
    assert [k for k in gold if k.startswith("#")] == SUFFIXES
    assert set(gold["_known_leaks"]) <= set(SUFFIXES)


def _diff(expected: List[str], actual: List[str]) -> str:
    lines = difflib.unified_diff(expected, actual, "gold (must keep)", "kept by clean_document", lineterm="", n=1)
    return "\n".join(line[:160] for line in lines)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_kept_paragraphs_match_gold(by_suffix, gold, suffix):
    leaks = set(gold["_known_leaks"].get(suffix, []))
    kept = [p for p in by_suffix[suffix].paragraphs if p not in leaks]
    expected = gold[suffix]
    missing = [p for p in expected if p not in kept]
    extra = [p for p in kept if p not in expected]
    message = (
        f"article {suffix}: {len(missing)} real paragraph(s) removed, {len(extra)} boilerplate line(s) kept\n"
        + "".join(f"  REMOVED real: {p[:150]}\n" for p in missing)
        + "".join(f"  KEPT boilerplate: {p[:150]}\n" for p in extra)
        + _diff(expected, kept)
    )
    assert kept == expected, message


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_removed_lines_are_not_gold(raw_bodies, gold, suffix):
    """Same check straight on scrub_paragraphs, naming the rule that removed a real line."""
    title = EXPECTED[int(suffix[1:]) - 1][1]
    _, removed = scrub_paragraphs(raw_bodies[suffix], title)
    real = set(gold[suffix])
    wrongly = [f"{rule}: {line[:150]}" for rule, line in removed if line in real]
    assert not wrongly, f"article {suffix}: real paragraphs removed:\n" + "\n".join(wrongly)


def test_known_leaks_are_exactly_the_listed_ones(by_suffix, gold):
    """Teaser leads longer than TEASER_LEAD_MAX_WORDS are kept (README "Known limits").
    The list must stay true: when a rule starts removing one, drop it from
    ``_known_leaks`` in the gold file so the exact comparison covers it again."""
    listed = [(s, p) for s, lines in gold["_known_leaks"].items() for p in lines]
    still_kept = [(s, p) for s, p in listed if p in by_suffix[s].paragraphs]
    assert still_kept == listed

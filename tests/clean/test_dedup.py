"""Article ids and de-duplication (pure functions and the DedupArticles transform)."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.clean.dedup import (
    DedupArticles,
    article_id,
    body_fingerprint,
    canonical_url,
    source_of,
    usable_url,
)
from transforms.records import CleanedArticle, Duplicate


def _article(origin: str, url, paragraphs, id_=None) -> CleanedArticle:
    return CleanedArticle(
        id=id_ or article_id(url, paragraphs),
        origin=origin,
        url=url,
        source=source_of(url),
        title="t",
        published=None,
        declared_language=None,
        paragraphs=list(paragraphs),
    )


def test_canonical_url_drops_tracking_fragment_www_and_trailing_slash() -> None:
    a = canonical_url("http://www.Example.com/news/2020/story/?utm_source=x&id=3&fbclid=y#top")
    b = canonical_url("https://example.com/news/2020/story?id=3")
    assert a == b == "https://example.com/news/2020/story?id=3"


def test_canonical_url_of_nothing_or_a_relative_path_is_none() -> None:
    assert canonical_url(None) is None
    assert canonical_url("  ") is None
    assert canonical_url("/relative/path") is None


def test_source_is_the_host_without_www() -> None:
    assert source_of("https://www.french.presstv.com/Detail/1") == "french.presstv.com"
    assert source_of(None) is None


def test_body_fingerprint_ignores_case_punctuation_spacing_and_composition() -> None:
    decomposed = "Le De\u0301but des ope\u0301rations !"
    assert body_fingerprint([decomposed]) == body_fingerprint(["le début  des opérations"])
    assert body_fingerprint(["un"]) != body_fingerprint(["deux"])


def test_article_id_prefers_the_feed_id_then_the_url_then_the_body() -> None:
    assert article_id("https://a.com/x", ["p"], "feed-42") == "feed-42"
    by_url = article_id("https://www.a.com/x/?utm_medium=m", ["p"])
    assert by_url == article_id("https://a.com/x", ["other body"])
    assert len(by_url) == 20
    assert article_id(None, ["p"]) == article_id(None, ["P !"])
    assert article_id(None, ["p"]) != by_url


@pytest.mark.parametrize("through_files", [False, True])
def test_dedup_keeps_first_origin_and_counts_each_duplicate_with_its_rule(tmp_path, through_files: bool) -> None:
    original = _article("a.html", "https://site.com/story", ["Premier paragraphe.", "Second."])
    same_url = _article("b.html", "https://www.site.com/story/?utm_source=tw", ["Autre habillage."])
    same_body = _article("c.txt#2", None, ["premier paragraphe", "second"])
    reused_id = _article("d.jsonl#1", "https://other.com/z", ["Tout autre texte."], id_=original.id)
    distinct = _article("e.html", "https://site.com/other", ["Une autre histoire."])
    with TestPipeline() as p:
        result = (
            p
            | beam.Create([distinct, same_body, reused_id, same_url, original])
            | DedupArticles(str(tmp_path) if through_files else None)
        )
        assert_that(
            result["articles"] | "Origins" >> beam.Map(lambda a: a.origin),
            equal_to(["a.html", "e.html"]),
            label="kept",
        )
        assert_that(
            result["duplicates"],
            equal_to(
                [
                    Duplicate("b.html", original.id, "url"),
                    Duplicate("c.txt#2", original.id, "body"),
                    Duplicate("d.jsonl#1", original.id, "id"),
                ]
            ),
            label="duplicates",
        )


def test_the_fullest_copy_wins_over_a_smaller_origin() -> None:
    full = _article("z-site/story.html", "https://site.com/story", ["Un long premier paragraphe.", "Et un second."])
    teaser = _article("a-aggregator.jsonl#1", "https://site.com/story?utm_source=rss", ["Un long premier…"])
    with TestPipeline() as p:
        result = p | beam.Create([teaser, full]) | DedupArticles()
        assert_that(
            result["articles"] | "Origins" >> beam.Map(lambda a: a.origin), equal_to([full.origin]), label="kept"
        )
        assert_that(result["duplicates"], equal_to([Duplicate(teaser.origin, full.id, "url")]), label="dups")


def test_urls_python_cannot_parse_name_no_story() -> None:
    assert canonical_url("http://[::1") is None and source_of("http://[::1/a") is None
    assert usable_url("http://[::1") is None and usable_url("https://e.org:99999/a") is None
    assert usable_url("https://e.org/a") == "https://e.org/a" and usable_url(None) is None

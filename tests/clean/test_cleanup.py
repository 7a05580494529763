"""Tests of the cleanup step: what reaches articles/ is printable, and a bad date or URL
costs that field (null, counted), not the article."""

from __future__ import annotations

import re
from typing import List

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.clean.cleanup import CleanArticles, _CleanDocument, clean_document
from transforms.records import HTML, TEXT, CleanedArticle, RawDocument, Rejected

BODY = (
    "The council met on Monday to vote the budget for the harbour, officials said in a statement. "
    "The vote on the piers will be repeated next week after a long debate."
)


def text_doc(**fields) -> RawDocument:
    return RawDocument(**{"origin": "feed.jsonl#1", "kind": TEXT, "body": BODY, **fields})


def test_controls_and_surrogates_never_reach_an_article() -> None:
    doc = text_doc(body="The \x1b[31mcouncil\x1b[0m met\x00 on Monday \ud800. " + BODY, title="Budget\x07 \udc80vote")
    (article,) = clean_document(doc)
    assert isinstance(article, CleanedArticle)
    assert article.paragraphs[0].startswith("The council met on Monday \ufffd. The council")
    assert article.title == "Budget \ufffdvote"
    for value in [article.title, *article.paragraphs]:
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]", value)


def test_a_page_with_escaped_controls_keeps_its_text() -> None:
    html = f"<html><body><article><p>{BODY}</p><p>Red &#27;[31malert&#0; ended.</p></article></body></html>"
    (article,) = clean_document(RawDocument(origin="p.html", kind=HTML, body=html))
    assert article.paragraphs == [BODY, "Red alert ended."]


def test_absurd_or_unparseable_dates_become_null_with_a_note() -> None:
    notes: List[str] = []
    published = [
        next(clean_document(text_doc(published=value), notes=notes)).published
        for value in ("2099-01-01", "1970-01-01", "yesterday-ish", "2020-09-15", None)
    ]
    assert published == [None, None, None, "2020-09-15", None]
    assert notes == ["published_out_of_range", "published_out_of_range", "published_unparseable"]


def test_an_unparseable_url_becomes_null_with_a_note_and_the_article_stays() -> None:
    notes: List[str] = []
    (article,) = clean_document(text_doc(url="http://[::1/story", record_id="a1"), notes=notes)
    assert isinstance(article, CleanedArticle) and article.url is None and article.id == "a1"
    assert notes == ["url_unparseable"]


def test_clean_articles_counts_its_notes() -> None:
    docs = [
        text_doc(origin="f#1", published="2099-01-01", record_id="a"),
        text_doc(origin="f#2", published="no date", record_id="b", body=BODY.replace("Monday", "Tuesday")),
        text_doc(origin="f#3", body="\x00\x1b[0m\u200b", record_id="c"),  # nothing printable left
    ]
    pipeline = TestPipeline()
    cleaned = pipeline | beam.Create(docs) | CleanArticles()
    assert_that(cleaned["articles"] | beam.Map(lambda a: (a.id, a.published)), equal_to([("a", None), ("b", None)]))
    assert_that(
        cleaned["rejected"] | beam.Map(lambda r: (r.origin, r.reason)),
        equal_to([("f#3", "no text left after boilerplate removal")]),
        label="Rejected",
    )
    result = pipeline.run()
    result.wait_until_finish()
    counts = {c.key.metric.name: c.committed for c in result.metrics().query()["counters"]}
    assert counts["published_out_of_range"] == 1 and counts["published_unparseable"] == 1
    assert counts["candidates"] == 3 and counts["rejected"] == 1


def test_rejections_are_printable_too() -> None:
    doc = RawDocument(origin="x\ud800.html", kind=HTML, body="<html><p>\udc80</p></html>")
    (output,) = _CleanDocument().process(doc)
    reject = output.value
    assert isinstance(reject, Rejected) and reject.origin == "x\ufffd.html"
    assert "\ud800" not in reject.payload and "\udc80" not in reject.payload
    "".join(reject).encode("utf-8")

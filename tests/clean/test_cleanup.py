"""Tests of transforms.clean.cleanup: documents in, clean articles or rejections out.

HTML pages get trafilatura's main text and the page rules of html_extract, not the
line rules written for text dumps (a short subheading is text there); dumps and
text feeds keep the scrub rules (the seed's acceptance test is test_seed.py);
articles in any language keep their text. What reaches articles/ is printable, and
a bad date or URL costs that field (null, counted), not the article.
"""

from __future__ import annotations

import io
import json
import re
from typing import List

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.clean.cleanup import CleanArticles, _CleanDocument, clean_document
from transforms.io.formats import read_documents
from transforms.records import HTML, TEXT, CleanedArticle, RawDocument, Rejected

ZH_SENTENCE = "北京市政府周二宣布，将在明年春天开放一座新的博物馆。官员表示，该项目耗资巨大。"

STORY = [
    "The city council voted on Tuesday to open a new public library in the old harbour district next spring.",
    "The building, a former customs warehouse, will hold 120,000 books and a reading room facing the sea.",
    "Council members said the project would cost 14 million euros, most of it paid by a regional grant.",
    "Work on the roof starts in March, and the first floor should be open to readers by the end of the year.",
]


def _feed_documents(*records: dict) -> List[RawDocument]:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    documents = list(read_documents("feed.jsonl", io.BytesIO(lines.encode("utf-8"))))
    assert all(isinstance(d, RawDocument) for d in documents), documents
    return documents  # type: ignore[return-value]


def _clean(document: RawDocument) -> list:
    return list(clean_document(document))


def test_chinese_feed_article_keeps_its_text():
    """The issue's example: a JSONL line whose text is one Chinese sentence ten times."""
    (document,) = _feed_documents({"id": "zh-1", "url": "https://example.cn/museum", "text": ZH_SENTENCE * 10})
    (article,) = _clean(document)
    assert isinstance(article, CleanedArticle), article
    assert article.paragraphs == [ZH_SENTENCE * 10]


def test_chinese_article_of_several_paragraphs_keeps_every_sentence():
    paragraphs = [
        ZH_SENTENCE,
        "这座博物馆将展出两千多件文物，其中包括许多首次公开展示的青铜器。",
        "市民可以在官方网站上预约参观，学生和老人免费入场。",
    ]
    (document,) = _feed_documents({"id": "zh-2", "title": "北京新博物馆明年开放", "text": "\n\n".join(paragraphs)})
    (article,) = _clean(document)
    assert isinstance(article, CleanedArticle), article
    assert article.paragraphs == paragraphs


def test_japanese_and_hindi_feed_articles_keep_their_text():
    ja = "政府は火曜日、来年の春に新しい博物館を開館すると発表した。総工費は大きいという。"
    hi = "सरकार ने मंगलवार को घोषणा की कि अगले वसंत में एक नया संग्रहालय खुलेगा।"
    documents = _feed_documents({"id": "ja", "text": ja}, {"id": "hi", "text": hi})
    kept = [_clean(d)[0] for d in documents]
    assert [a.paragraphs for a in kept] == [[ja], [hi]]


def test_text_feed_article_still_loses_its_dump_boilerplate():
    text = "\n".join([STORY[0], "Lire aussi : La mairie présente son budget", STORY[1], "Photo : AFP", STORY[2]])
    (document,) = _feed_documents({"id": "en-1", "text": text})
    (article,) = _clean(document)
    assert article.paragraphs == STORY[:3]


def _page(*body: str) -> str:
    return (
        "<html lang='en'><head><title>New library for the harbour district</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
        "<h1>New library for the harbour district</h1>" + "".join(body) + "</article>"
        "<footer><p>Copyright 2025 The Harbour Gazette</p></footer></body></html>"
    )


def test_html_subheading_is_kept_as_text():
    """A short line without a full stop is a teaser in a dump but a subheading on a page."""
    html = _page(
        "".join(f"<p>{p}</p>" for p in STORY[:2]),
        "<h2>A reading room facing the sea</h2>",
        "".join(f"<p>{p}</p>" for p in STORY[2:]),
    )
    (article,) = _clean(RawDocument(origin="page.html", kind=HTML, body=html))
    assert isinstance(article, CleanedArticle), article
    assert article.paragraphs == STORY[:2] + ["A reading room facing the sea"] + STORY[2:]
    assert article.title == "New library for the harbour district"


def test_html_page_loses_its_headline_repeat_and_calls_to_act():
    html = _page("".join(f"<p>{p}</p>" for p in STORY), "<p>Sign up for our newsletter</p>")
    (article,) = _clean(RawDocument(origin="page.html", kind=HTML, body=html))
    assert article.paragraphs == STORY


def test_page_without_text_is_rejected_with_its_reason():
    html = "<html><head><title>Gazette</title></head><body><script>var x = 1;</script><div></div></body></html>"
    (item,) = _clean(RawDocument(origin="empty.html", kind=HTML, body=html))
    assert isinstance(item, Rejected)
    assert (item.origin, item.stage, item.reason) == ("empty.html", "cleanup", "no main text found")


def test_text_of_only_boilerplate_is_rejected():
    (item,) = _clean(RawDocument(origin="feed.jsonl#1", kind=TEXT, body="Photo : AFP\n©AFP"))
    assert isinstance(item, Rejected)
    assert item.reason == "no text left after boilerplate removal"


def test_clean_articles_splits_articles_and_rejections():
    documents = [
        RawDocument(origin="feed.jsonl#1", kind=TEXT, body=ZH_SENTENCE * 10, record_id="zh"),
        RawDocument(origin="feed.jsonl#2", kind=TEXT, body="Photo : AFP"),
    ]
    with TestPipeline() as p:
        result = p | beam.Create(documents) | CleanArticles()
        assert_that(
            result["articles"] | "Kept" >> beam.Map(lambda a: (a.origin, a.paragraphs)),
            equal_to([("feed.jsonl#1", [ZH_SENTENCE * 10])]),
            label="articles",
        )
        assert_that(
            result["rejected"] | "Why" >> beam.Map(lambda r: (r.origin, r.reason)),
            equal_to([("feed.jsonl#2", "no text left after boilerplate removal")]),
            label="rejected",
        )


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


def test_a_reference_day_fixes_which_publication_dates_are_plausible():
    # a dated run judges dates against its run day, not the day the code happens to run:
    # the same input and run date give the same dates, today or in ten years
    page = (
        "<html><head><title>Crue de la Loire</title>"
        '<meta property="article:published_time" content="2030-03-02T08:00:00Z"></head><body><article>'
        + "<p>La Loire est sortie de son lit à Orléans dans la nuit, selon la préfecture du Loiret.</p>" * 4
        + "</article></body></html>"
    )
    html = RawDocument(origin="crue.html", kind=HTML, body=page, url="https://example.org/crue")
    (later,) = clean_document(html, reference_day="2030-03-05")
    (earlier,) = clean_document(html, reference_day="2030-02-01")
    assert later.published == "2030-03-02"
    # (htmldate then falls back on the year it reads in the markup)
    assert earlier.published is None or earlier.published <= "2030-02-01"
    text = RawDocument(origin="t.txt", kind=TEXT, body="Un texte.", published="2030-03-02")
    notes: List[str] = []
    (kept,) = clean_document(text, notes=notes, reference_day="2030-03-05")
    (dropped,) = clean_document(text, notes=notes, reference_day="2030-02-01")
    assert kept.published == "2030-03-02" and dropped.published is None
    assert notes == ["published_out_of_range"]
    # the transform passes its day down
    with TestPipeline() as p:
        result = p | beam.Create([html]) | CleanArticles("2030-02-01")
        assert_that(result["articles"] | beam.Map(lambda a: a.published), equal_to([earlier.published]))

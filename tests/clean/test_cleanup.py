"""Tests of transforms.clean.cleanup: documents in, clean articles or rejections out.

HTML pages get trafilatura's main text and the page rules of html_extract, not the
line rules written for text dumps (a short subheading is text there); dumps and
text feeds keep the scrub rules (the seed's acceptance test is test_seed.py);
articles in any language keep their text.
"""

from __future__ import annotations

import io
import json
from typing import List

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.clean.cleanup import CleanArticles, clean_document
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

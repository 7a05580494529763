"""transforms.io.archive: fetched pages → RawDocuments, and the WARC archive read back
by the ordinary WARC reader giving the same documents."""

from __future__ import annotations

import gzip

from tests.support.news_site import article_page, paragraphs_about
from transforms.io.archive import WarcArchive, page_documents
from transforms.io.feeds import FeedItem, PageRequest, feed_items_header, normalise_link
from transforms.io.fetch import Exchange, Fetched
from transforms.io.formats import read_documents
from transforms.records import RawDocument, Rejected

URL = "https://news.example.com/news/harbour-bridge.html"
PAGE = article_page("Harbour bridge repairs", paragraphs_about("harbour bridge", "Portsmouth"))


def _item(link: str, title: str = "Harbour bridge repairs") -> FeedItem:
    return FeedItem(
        link, normalise_link(link), "https://news.example.com/rss.xml", title, "2026-03-10T09:30:00+00:00", "en"
    )


PAGE_REQUEST = PageRequest(URL, [_item(URL + "?utm_source=rss"), _item(URL + "?utm_source=atom")])


def _exchange(url: str, status: int, body: bytes, headers, when: float = 1773135000.0) -> Exchange:
    return Exchange(
        url,
        [("Accept", "text/html"), ("User-Agent", "test")],
        status,
        "OK" if status == 200 else "Moved",
        "HTTP/1.1",
        list(headers),
        body,
        when,
    )


def _fetched(content_type: str = "text/html; charset=utf-8", content: bytes = PAGE) -> Fetched:
    hop = _exchange(URL + "?utm_source=rss", 301, b"", [("Location", URL)])
    final = _exchange(
        URL, 200, gzip.compress(content, mtime=0), [("Content-Type", content_type), ("Content-Encoding", "gzip")]
    )
    return Fetched(
        URL + "?utm_source=rss",
        URL,
        200,
        {"content-type": content_type, "content-encoding": "gzip"},
        content,
        None,
        [hop, final],
    )


def test_a_page_becomes_one_document_per_feed_item():
    documents = page_documents(PAGE_REQUEST, _fetched())
    assert [(d.origin, d.url, d.title, d.published, d.language, d.kind) for d in documents] == [
        (URL + "?utm_source=rss", URL, "Harbour bridge repairs", "2026-03-10T09:30:00+00:00", "en", "html"),
        (URL + "?utm_source=atom", URL, "Harbour bridge repairs", "2026-03-10T09:30:00+00:00", "en", "html"),
    ]
    assert documents[0].body == PAGE.decode("utf-8")


def test_unusable_pages_reject_every_item_with_stage_fetch():
    not_html = page_documents(PAGE_REQUEST, _fetched(content_type="application/pdf", content=b"%PDF-1.4"))
    assert [(r.origin, r.stage, r.reason) for r in not_html] == [
        (URL + "?utm_source=rss", "fetch", "not HTML (application/pdf)"),
        (URL + "?utm_source=atom", "fetch", "not HTML (application/pdf)"),
    ]
    failed = Fetched(URL, URL, 404, {}, None, "HTTP 404 Not Found", [])
    assert [(r.reason, r.payload) for r in page_documents(PAGE_REQUEST, failed)] == [("HTTP 404 Not Found", URL)] * 2
    binary = page_documents(PAGE_REQUEST, _fetched(content=bytes(range(256)) * 8))
    assert all(isinstance(r, Rejected) and r.stage == "fetch" for r in binary)


def test_the_warc_replays_the_same_documents(tmp_path):
    fetched = _fetched()
    live = page_documents(PAGE_REQUEST, fetched)
    archive = WarcArchive(str(tmp_path), "pages")
    archive.write(fetched.exchanges[0])
    archive.write(fetched.exchanges[1], feed_items_header(URL, PAGE_REQUEST.items))
    hidden = list(tmp_path.iterdir())
    assert [p.name.startswith(".") and p.name.endswith(".warc.gz.part") for p in hidden] == [True]  # not yet published
    path = archive.close()
    assert path is not None and path.endswith(".warc.gz") and archive.records == 4
    assert [p.name for p in tmp_path.iterdir()] == [path.rsplit("/", 1)[-1]]
    with open(path, "rb") as handle:
        replayed = list(read_documents(path, handle))
    documents = [r for r in replayed if isinstance(r, RawDocument)]
    assert documents == live  # origins, URL, feed title/date/language and the decoded page
    reasons = sorted(r.reason for r in replayed if isinstance(r, Rejected))
    # the redirect hop and the two request records are archived, and read back as no article
    assert reasons == [
        "WARC request record carries no article",
        "WARC request record carries no article",
        "WARC response with HTTP status 301 carries no article",
    ]


def test_an_archive_with_nothing_written_publishes_nothing(tmp_path):
    assert WarcArchive(str(tmp_path / "warc"), "pages").close() is None
    assert not (tmp_path / "warc").exists()


def test_warc_records_keep_the_http_exchange(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    fetched = _fetched()
    archive = WarcArchive(str(tmp_path), "pages")
    archive.write(fetched.exchanges[1], feed_items_header(URL, PAGE_REQUEST.items))
    path = archive.close()
    with open(path, "rb") as handle:
        records = [
            (r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read()) for r in ArchiveIterator(handle)
        ]
    (rtype, rec, http, body), (qtype, qrec, qhttp, _) = records
    assert (rtype, qtype) == ("response", "request")
    assert rec.get_header("WARC-Target-URI") == URL and rec.get_header("WARC-Date") == "2026-03-10T09:30:00Z"
    assert http.get_header("Content-Encoding") == "gzip" and body == PAGE  # stored encoded, read back decoded
    assert qrec.get_header("WARC-Concurrent-To") == rec.get_header("WARC-Record-ID")
    assert qhttp.protocol == "GET" and qhttp.get_header("User-Agent") == "test"

"""Tests of the source step: pure readers first, then ReadNewsFeeds on a TestPipeline.

Every fixture is generated in tmp_path (or in memory), so nothing outside the repo is needed.
"""

from __future__ import annotations

import codecs
import gzip
import io
import random
import time
from pathlib import Path
from typing import List

import pytest

from tests.support.documents import (
    ARTICLE,
    FRENCH,
    SPANISH,
    Item,
    avro_bytes,
    documents,
    jsonl_bytes,
    read_path,
    rejects,
    warc_bytes,
)
from transforms.io import formats
from transforms.io.formats import read_documents
from transforms.records import DUMP, HTML, PAYLOAD_LIMIT, TEXT, RawDocument, Rejected


def read_bytes(name: str, data: bytes, **kwargs) -> List[Item]:
    return list(read_documents(name, io.BytesIO(data), **kwargs))


def only_reject(items: List[Item]) -> Rejected:
    assert len(items) == 1 and isinstance(items[0], Rejected), items
    assert items[0].stage == "read"
    return items[0]


def test_html_page_becomes_one_document(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(FRENCH.encode("utf-8"))
    (doc,) = read_path(path)
    assert doc == RawDocument(origin=str(path), kind=HTML, body=FRENCH)


@pytest.mark.parametrize("name", ["page.html", "page.htm", "dump.txt"])
@pytest.mark.parametrize("text, codec", [(FRENCH, "cp1252"), (SPANISH, "latin-1")])
def test_undeclared_cp1252_and_latin1_come_out_with_right_accents(name: str, text: str, codec: str) -> None:
    (doc,) = read_bytes(name, text.encode(codec))
    assert doc.kind == (DUMP if name.endswith(".txt") else HTML)
    assert doc.body == text
    assert "Ã" not in doc.body and "\ufffd" not in doc.body


def test_gzipped_html_is_read_and_sniffed_by_content() -> None:
    (doc,) = read_bytes("page.html.gz", gzip.compress(FRENCH.encode("cp1252")))
    assert doc.kind == HTML and doc.body == FRENCH
    (doc,) = read_bytes("misnamed.html", gzip.compress(FRENCH.encode("utf-8")))  # gzip without .gz
    assert doc.body == FRENCH


@pytest.mark.parametrize(
    "name", ["empty.html", "empty.txt", "empty.jsonl", "empty.warc", "empty.avro", "empty.html.gz"]
)
def test_empty_files_are_rejected(name: str) -> None:
    data = gzip.compress(b"") if name.endswith(".gz") else b""
    assert "empty file" in only_reject(read_bytes(name, data)).reason


def test_whitespace_only_page_is_rejected_as_empty() -> None:
    assert "empty file" in only_reject(read_bytes("blank.html", b" \n\t\r\n")).reason


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("random.html", random.Random(7).randbytes(4096), "binary content"),
        ("image.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "PNG image"),
        ("nuls.txt", b"some text" + b"\x00" * 500 + b"more text", "control bytes"),
        ("doc.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
    ],
)
def test_binary_junk_is_rejected(name: str, data: bytes, reason: str) -> None:
    reject = only_reject(read_bytes(name, data))
    assert reason in reject.reason and "binary content" in reject.reason
    assert reject.origin == name and reject.payload  # the first bytes, for a human to look at


def test_truncated_and_corrupt_html_gzip_are_rejected() -> None:
    packed = gzip.compress((FRENCH * 200).encode("utf-8"))
    assert "truncated gzip" in only_reject(read_bytes("page.html.gz", packed[: len(packed) // 2])).reason
    assert "corrupt gzip" in only_reject(read_bytes("page.html.gz", b"\x1f\x8b\x08\x00" + b"junk" * 50)).reason


def test_a_50_mb_page_is_rejected_fast_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.html"
    chunk = b"<p>" + b"lorem ipsum " * 85 + b"</p>\n"  # ~1 KB
    with open(path, "wb") as out:
        out.write(b"<html><body>")
        for _ in range(50 * 1024):
            out.write(chunk)
    assert path.stat().st_size > 50 * 1024 * 1024

    class CountingReader(io.FileIO):
        read_bytes = 0

        def read(self, size: int = -1) -> bytes:
            data = super().read(size)
            CountingReader.read_bytes += len(data)
            return data

    started = time.monotonic()
    with CountingReader(path, "rb") as handle:
        items = list(read_documents(str(path), handle))
    reject = only_reject(items)
    assert reject.reason == f"page too large ({path.stat().st_size} bytes > {formats.DEFAULT_MAX_BYTES} limit)"
    assert CountingReader.read_bytes <= PAYLOAD_LIMIT  # only the head, for the payload
    assert time.monotonic() - started < 2


def test_page_limit_also_bounds_gzip_bombs_and_unseekable_streams() -> None:
    packed = gzip.compress(b"<p>" + b"a" * 3_000_000 + b"</p>")
    assert "page too large" in only_reject(read_bytes("bomb.html.gz", packed, max_bytes=1_000_000)).reason

    class Pipe(io.RawIOBase):  # a stream that cannot seek, like a socket
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            data = self._data.read(len(buffer))
            buffer[: len(data)] = data
            return len(data)

    big = b"<p>" + b"a" * 2_000_000 + b"</p>"
    assert "page too large" in only_reject(list(read_documents("big.html", Pipe(big), max_bytes=1_000_000))).reason
    (doc,) = read_documents("ok.html", Pipe(FRENCH.encode("utf-8")))
    assert doc.body == FRENCH


def test_unsupported_extension_is_rejected() -> None:
    reject = only_reject(read_bytes("slides.pdf", b"%PDF-1.4 whatever"))
    assert "unsupported input type (.pdf)" in reject.reason
    assert "unsupported input type" in only_reject(read_bytes("README", b"hello")).reason


def test_unexpected_reader_error_becomes_one_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path, stream, max_bytes, size):
        yield RawDocument(origin=f"{path}#1", kind=TEXT, body="kept")
        raise RuntimeError("bug in a reader")

    monkeypatch.setitem(formats.READERS, "jsonl", broken)
    first, reject = read_bytes("feed.jsonl", b'{"text": "x"}\n')
    assert first.body == "kept"
    assert "RuntimeError" in reject.reason and reject.payload.startswith('{"text"')


JSONL_LINES = [
    {
        "id": "a-1",
        "url": "https://e.com/a",
        "title": "A",
        "text": "Body A",
        "published": "2024-01-02",
        "language": "en",
        "source": "e.com",
    },
    "",  # blank: skipped silently
    {"html": FRENCH, "url": "https://e.com/b"},
    "{not json",
    "[1, 2, 3]",
    {"title": "no body"},
    {"text": "wrong type", "title": 42},
    {"text": "   "},
    {"id": 7, "text": "Body C"},
]


def test_jsonl_good_lines_survive_bad_lines() -> None:
    items = read_bytes("feed.jsonl", jsonl_bytes(JSONL_LINES))
    docs = documents(items)
    assert [(d.origin, d.kind, d.record_id) for d in docs] == [
        ("feed.jsonl#1", TEXT, "a-1"),
        ("feed.jsonl#3", HTML, None),
        ("feed.jsonl#9", TEXT, "7"),
    ]
    assert docs[0] == RawDocument(
        "feed.jsonl#1", TEXT, "Body A", "https://e.com/a", "A", "2024-01-02", "e.com", "en", "a-1"
    )
    assert docs[1].body == FRENCH and docs[1].url == "https://e.com/b"
    reasons = {r.origin: r.reason for r in rejects(items)}
    assert set(reasons) == {"feed.jsonl#4", "feed.jsonl#5", "feed.jsonl#6", "feed.jsonl#7", "feed.jsonl#8"}
    assert "invalid JSON" in reasons["feed.jsonl#4"]
    assert "not an object" in reasons["feed.jsonl#5"]
    assert "no text or html" in reasons["feed.jsonl#6"]
    assert "'title' must be a string" in reasons["feed.jsonl#7"]
    assert "empty text" in reasons["feed.jsonl#8"]


def test_jsonl_in_cp1252_and_only_blank_lines() -> None:
    (doc,) = read_bytes("legacy.jsonl", '{"text": "Café crème"}\r\n'.encode("cp1252"))
    assert doc.body == "Café crème"
    assert "no records" in only_reject(read_bytes("blank.jsonl", b"\n\n  \n")).reason


def test_jsonl_line_over_the_limit_is_rejected_alone() -> None:
    data = jsonl_bytes([{"text": "x" * 5000}, {"text": "small"}])
    big, small = read_bytes("feed.jsonl", data, max_bytes=1000)
    assert isinstance(big, Rejected) and "line too large" in big.reason and big.origin == "feed.jsonl#1"
    assert small.body == "small" and small.origin == "feed.jsonl#2"


def test_truncated_jsonl_gzip_keeps_lines_read_so_far(tmp_path: Path) -> None:
    lines = [{"id": str(n), "text": f"article number {n} " + "words " * 20} for n in range(2000)]
    packed = gzip.compress(jsonl_bytes(lines))
    path = tmp_path / "feed.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    items = read_path(path)
    docs, bad = documents(items), rejects(items)
    assert len(bad) == 1 and "truncated gzip" in bad[0].reason and bad[0] is items[-1]
    assert 0 < len(docs) < 2000
    assert [d.record_id for d in docs] == [str(n) for n in range(len(docs))]
    assert [d.origin for d in docs[:2]] == [f"{path}#1", f"{path}#2"]


def test_whole_jsonl_gzip() -> None:
    items = read_bytes("feed.jsonl.gz", gzip.compress(jsonl_bytes(JSONL_LINES)))
    assert len(documents(items)) == 3 and len(rejects(items)) == 5


@pytest.mark.parametrize("gz", [False, True])
def test_warc_keeps_html_responses_and_rejects_every_other_record(gz: bool) -> None:
    name = "crawl.warc.gz" if gz else "crawl.warc"
    items = read_bytes(name, warc_bytes(gz))
    docs = documents(items)
    assert [(d.kind, d.url, d.body, d.published) for d in docs] == [
        (HTML, "https://e.com/a", FRENCH, None),  # WARC-Date is crawl time, not publication
        (HTML, "https://e.com/b", SPANISH, None),
    ]
    reasons = [r.reason for r in rejects(items)]
    assert reasons[0] == "WARC warcinfo record carries no article"
    assert reasons[1] == "WARC request record carries no article"
    assert "image/png" in reasons[2] and "not HTML" in reasons[2]
    assert "404" in reasons[3]
    assert reasons[4] == "WARC metadata record carries no article"
    assert reasons[5] == "WARC revisit record carries no article"
    assert len(items) == 8  # every record is counted
    offsets = [int(item.origin.rsplit("#", 1)[1]) for item in items]
    assert offsets[0] == 0 and offsets == sorted(set(offsets))
    assert all(item.origin.startswith(f"{name}#") for item in items)
    data = warc_bytes(gz)
    assert [i.origin for i in read_bytes(name, data)] == [i.origin for i in read_bytes(name, data)]  # stable


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_warc_keeps_records_before_the_cut(gz: bool) -> None:
    items = read_bytes("crawl.warc", warc_bytes(gz, truncate_last=True))
    assert [d.url for d in documents(items)] == ["https://e.com/a"]
    assert "truncated or corrupt WARC" in items[-1].reason
    assert len(rejects(items)) == 7


def test_single_member_gzip_warc_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(gzip.compress(warc_bytes(False)))
    items = read_path(path)
    assert [d.url for d in documents(items)] == ["https://e.com/a", "https://e.com/b"]
    assert len(items) == 8


def test_file_that_is_no_warc_is_rejected() -> None:
    reject = rejects(read_bytes("notes.warc", b"just some notes\nnot a warc\n"))
    assert reject and "WARC" in reject[0].reason


def test_avro_articles_become_text_documents(tmp_path: Path) -> None:
    path = tmp_path / "articles.avro"
    path.write_bytes(avro_bytes([ARTICLE, dict(ARTICLE, id="def456", text="   ")]))
    doc, reject = read_path(path)
    assert doc == RawDocument(
        f"{path}#1", TEXT, ARTICLE["text"], "https://e.com/a", "Café", "2024-03-04T05:06:07Z", "e.com", "fr", "abc123"
    )
    assert reject.origin == f"{path}#2" and "empty text" in reject.reason


def test_not_avro_and_truncated_avro_are_rejected() -> None:
    assert "not an Avro file" in only_reject(read_bytes("a.avro", b"id,text\n1,hello\n")).reason
    data = avro_bytes([ARTICLE] * 3)
    items = read_bytes("a.avro", data[:-40])
    assert "Avro" in rejects(items)[-1].reason


def test_jsonl_lone_surrogates_and_controls_come_out_printable() -> None:
    line = (
        b'{"id":"s1\\udc80","title":"t\\ud800","text":"Paris council met \\ud800 on\\u0000 Monday \\u001b[31mnow."}\n'
    )
    (doc,) = read_bytes("s.jsonl", line)
    assert doc.body == "Paris council met \ufffd on Monday now." and doc.title == "t\ufffd"
    assert doc.record_id == "s1\ufffd"
    (reject,) = read_bytes("s.jsonl", b'{"id":"s2","text":7,"title":"\\udfff"}\n')
    reject.payload.encode("utf-8")  # the dead letter's payload too


def test_jsonl_line_that_breaks_the_json_parser_costs_that_line_only() -> None:
    lines = [b"[" * 100_000 + b"]" * 100_000, b'{"n": ' + b"9" * 5000 + b"}", b'{"id": "ok", "text": "Body."}']
    items = read_bytes("deep.jsonl", b"\n".join(lines) + b"\n")
    assert [type(i).__name__ for i in items] == ["Rejected", "Rejected", "RawDocument"]
    assert items[0].reason.startswith("invalid JSON: RecursionError") and items[0].origin == "deep.jsonl#1"
    assert items[1].reason.startswith("invalid JSON: ValueError: Exceeds the limit")


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-16-be"])
def test_jsonl_with_a_wide_byte_order_mark_is_read_in_its_encoding(codec: str) -> None:
    text = '{"id": "a", "text": "Le conseil s’est réuni."}\n{"id": "b", "text": "Deuxième."}\n'
    data = (codecs.BOM_UTF16_BE + text.encode(codec)) if codec == "utf-16-be" else text.encode(codec)
    docs = documents(read_bytes("wide.jsonl", data))
    assert [(d.record_id, d.body, d.origin) for d in docs] == [
        ("a", "Le conseil s’est réuni.", "wide.jsonl#1"),
        ("b", "Deuxième.", "wide.jsonl#2"),
    ]


def test_truncated_jsonl_gzip_keeps_the_lines_before_the_cut() -> None:
    lines = jsonl_bytes([{"id": f"t{n}", "text": f"Body number {n} of the feed."} for n in range(200)])
    items = read_bytes("feed.jsonl.gz", gzip.compress(lines)[:-200])
    assert len(documents(items)) > 150 and "truncated gzip" in rejects(items)[-1].reason


def test_document_from_fields_is_printable_for_callers_without_read_documents() -> None:
    doc = formats.document_from_fields("kafka:news/0/7", {"text": "met \ud800 on\x00 Monday", "title": "\x1b[1mT"})
    assert (doc.body, doc.title) == ("met \ufffd on Monday", "T")

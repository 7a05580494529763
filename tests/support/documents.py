"""Input files the reader tests build: pages in several encodings, JSONL and WARC bytes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import List, Union

import fastavro
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from schemas import load_schema
from transforms.io.formats import read_documents
from transforms.records import RawDocument, Rejected

Item = Union[RawDocument, Rejected]


FRENCH = "<html><head><title>Café</title></head><body><p>Crème brûlée à la française — “déjà vu” coûte 5 €.</p></body></html>"


SPANISH = "<html><body><p>Ñandú, São Paulo, Müller, señor, niño, ¿qué?</p></body></html>"


def read_path(path: Path, **kwargs) -> List[Item]:
    with open(path, "rb") as handle:
        return list(read_documents(str(path), handle, **kwargs))


def documents(items: List[Item]) -> List[RawDocument]:
    return [item for item in items if isinstance(item, RawDocument)]


def rejects(items: List[Item]) -> List[Rejected]:
    return [item for item in items if isinstance(item, Rejected)]


def jsonl_bytes(lines) -> bytes:
    return (
        "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines).encode(
            "utf-8"
        )
        + b"\n"
    )


def warc_bytes(gz: bool, truncate_last: bool = False) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz)

    def record(uri, kind, body=b"", http=None, content_type=""):
        payload = io.BytesIO(body)
        writer.write_record(
            writer.create_warc_record(
                uri, kind, payload=payload, length=len(body), http_headers=http, warc_content_type=content_type
            )
        )

    def response(status, content_type, body):
        headers = [("Content-Type", content_type)] if content_type else []
        return StatusAndHeaders(status, headers + [("Content-Length", str(len(body)))], protocol="HTTP/1.1")

    writer.write_record(writer.create_warcinfo_record("crawl.warc", {"software": "test"}))
    record("https://e.com/a", "request", b"GET /a HTTP/1.1\r\nHost: e.com\r\n\r\n")
    page = FRENCH.encode("cp1252")  # charset only in the HTTP header
    record("https://e.com/a", "response", page, response("200 OK", "text/html; charset=windows-1252", page))
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    record("https://e.com/logo.png", "response", png, response("200 OK", "image/png", png))
    record(
        "https://e.com/gone",
        "response",
        b"<html>gone</html>",
        response("404 Not Found", "text/html", b"<html>gone</html>"),
    )
    record("https://e.com/a", "metadata", b"outlink: https://e.com/b\r\n", content_type="application/warc-fields")
    record("https://e.com/a", "revisit", b"", response("200 OK", "text/html", b""))
    utf8 = SPANISH.encode("utf-8")
    record("https://e.com/b", "response", utf8, response("200 OK", "", utf8))  # no Content-Type: sniffed
    data = buffer.getvalue()
    return data[:-300] if truncate_last else data


def avro_bytes(records) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(load_schema("article")), records)
    return buffer.getvalue()


ARTICLE = {
    "id": "abc123",
    "origin": "old/input.html",
    "url": "https://e.com/a",
    "source": "e.com",
    "title": "Café",
    "published": "2024-03-04T05:06:07Z",
    "language": "fr",
    "text": "Crème brûlée.\n\nDeuxième paragraphe.",
    "paragraphs": [{"index": 0, "start": 0, "end": 13, "language": "fr", "foreign": False}],
}

"""Raw HTTP responses → WARC files (warcio), and fetched pages → RawDocuments.

Every exchange the fetcher makes is archived as a WARC request + response pair, the
body as received (still gzip-encoded when the server encoded it). The final response of
a page also carries a ``Newsfeed-Items`` header (JSON: origin, url, title, published,
language of every feed item that led to it), so reading the WARC back with
``formats.read_warc`` gives the same RawDocuments the live run gave, and so the same
articles: ``--input 'OUT/warc/*.warc.gz'`` replays a run offline.

Files are written under a hidden temporary name and renamed when the bundle ends, so
a glob never picks up half a file and a retried bundle leaves no duplicate records.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from typing import Any, List, Optional, Union
from urllib.parse import urlsplit

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from transforms.io.decoding import charset_from_content_type
from transforms.io.feeds import FEED_ITEMS_HEADER, STAGE, PageRequest, normalise_link
from transforms.io.fetch import Exchange, Fetched
from transforms.io.formats import _LOOKS_LIKE_HTML, HTML_CONTENT_TYPES, _page_text
from transforms.records import HTML, BadInput, RawDocument, Rejected, rejected

Item = Union[RawDocument, Rejected]


def warc_date(epoch_seconds: float) -> str:
    return dt.datetime.fromtimestamp(epoch_seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _media_type(content_type: Optional[str]) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def page_documents(page: PageRequest, fetched: Fetched) -> List[Item]:
    """A fetched page → one RawDocument per feed item that named it, or one Rejected
    each (stage "fetch") saying why the page cannot be used. The checks and the
    decoding are the WARC reader's, so a replay gives the same documents."""
    reason = fetched.error
    text = ""
    if reason is None and fetched.content is None:
        reason = f"HTTP {fetched.status} carries no page"
    if reason is None and fetched.content is not None:
        content_type = fetched.headers.get("content-type")
        media = _media_type(content_type)
        if content_type and media not in HTML_CONTENT_TYPES:
            reason = f"not HTML ({media or content_type})"
        elif not content_type and not _LOOKS_LIKE_HTML.match(fetched.content[:1024]):
            reason = "no Content-Type and does not look like HTML"
        else:
            try:
                text = _page_text(fetched.content, declared=charset_from_content_type(content_type))
            except BadInput as error:
                reason = str(error)
    if reason is not None:
        return [rejected(item.link, STAGE, reason, page.url) for item in page.items]
    url = normalise_link(fetched.final_url)
    return [
        RawDocument(
            origin=item.link,
            kind=HTML,
            body=text,
            url=url,
            title=item.title,
            published=item.published,
            language=item.language,
        )
        for item in page.items
    ]


def _request_line(url: str) -> str:
    parts = urlsplit(url)
    return f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1"


_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class WarcArchive:
    """One WARC file being written under ``directory``; ``close`` publishes it."""

    def __init__(self, directory: str, prefix: str):
        self._directory, self._prefix = directory, _SAFE_NAME.sub("-", prefix)
        self._handle: Any = None
        self._writer: Optional[WARCWriter] = None
        self._temporary = self._final = ""
        self.records = 0

    def _open(self) -> WARCWriter:
        if self._writer is None:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
            name = f"{self._prefix}-{stamp}-{uuid.uuid4().hex[:12]}.warc.gz"
            if not FileSystems.exists(self._directory):
                FileSystems.mkdirs(self._directory)
            self._final = FileSystems.join(self._directory, name)
            self._temporary = FileSystems.join(self._directory, f".{name}.part")
            self._handle = FileSystems.create(self._temporary, compression_type=CompressionTypes.UNCOMPRESSED)
            self._writer = WARCWriter(self._handle, gzip=True)
        return self._writer

    def write(self, exchange: Exchange, items: Optional[str] = None) -> None:
        """A request and its response; ``items``: the Newsfeed-Items header value."""
        writer = self._open()
        date = warc_date(exchange.fetched_at)
        http = StatusAndHeaders(
            f"{exchange.status} {exchange.reason}".strip(), list(exchange.headers), protocol=exchange.protocol
        )
        warc_headers = {"WARC-Date": date}
        if items is not None:
            warc_headers[FEED_ITEMS_HEADER] = items
        response = writer.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(exchange.body),
            http_headers=http,
            warc_headers_dict=warc_headers,
        )
        request = writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(
                _request_line(exchange.url), list(exchange.request_headers), is_http_request=True
            ),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        writer.write_record(response)
        writer.write_record(request)
        self.records += 2

    def close(self) -> Optional[str]:
        """Publishes the file (None if nothing was written)."""
        if self._writer is None:
            return None
        self._handle.close()
        FileSystems.rename([self._temporary], [self._final])
        self._writer = self._handle = None
        return self._final

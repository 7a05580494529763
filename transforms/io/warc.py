"""WARC files (plain, one gzip member per record, or one gzip member for the whole file)
→ HTML responses as ``RawDocument``s, every other record as a ``Rejected``.

The records are framed here, not by warcio: a record is its ``WARC/1.x`` line, its
headers, exactly ``Content-Length`` bytes and the closing blank lines. A record that
breaks that frame (garbled header, wrong length, cut short, a gzip member that does
not inflate) becomes one Rejected, and reading goes on at the next record start
(``WARC/1.x`` at the start of a line; the next gzip member), so one corrupt record
costs that record, not the ones after it. warcio then parses each whole record
(HTTP headers, chunked and compressed bodies).
"""

from __future__ import annotations

import io
import re
import zlib
from typing import Any, BinaryIO, Iterator, List, Optional, Tuple, Union

from warcio.archiveiterator import ArchiveIterator

from transforms.io.decoding import GZIP_MAGIC, binary_reason, charset_from_content_type, decode_bytes
from transforms.io.feeds import FEED_ITEMS_HEADER, documents_from_header
from transforms.records import HTML, BadInput, RawDocument, Rejected, rejected

STAGE = "read"


Item = Union[RawDocument, Rejected]


HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")


_LOOKS_LIKE_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)


_RECORD_START = re.compile(rb"WARC/[0-9]\.[0-9]{1,2}\r?\n")  # 1.0 and 1.1; 0.17/0.18 from old crawlers


_NEXT_RECORD = re.compile(rb"\nWARC/[0-9]\.[0-9]{1,2}\r?\n")


_GZIP_MEMBER = GZIP_MAGIC + b"\x08"  # magic and deflate, the only method gzip has


MAX_HEADER_BYTES = 256 * 1024  # a WARC header block; real ones are under 2 KiB


HTTP_HEADROOM = 256 * 1024  # a response record holds HTTP headers besides the page


SCAN_CHUNK = 1 << 16


# Deflate tops out near 1:1030; a real WARC inflates 3-10×. Past this ratio (and size)
# a member is a bomb, not an archive.
BOMB_RATIO = 200
BOMB_MIN_BYTES = 64 * 1024 * 1024


class _Cursor:
    """A byte stream read forward, with bytes pushed back for a resync, and its offset."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._pending = b""
        self.offset = 0  # bytes consumed from the start of the stream
        try:
            self._base: Optional[int] = stream.tell() if stream.seekable() else None
        except (AttributeError, OSError, ValueError):
            self._base = None

    def rewind(self, offset: int) -> bool:
        """Back to an earlier ``offset`` when the stream can seek; False if it cannot."""
        if self._base is None:
            return False
        self._stream.seek(self._base + offset)
        self._pending, self.offset = b"", offset
        return True

    def read(self, size: int) -> bytes:
        parts = [self._pending[:size]]
        self._pending = self._pending[size:]
        wanted = size - len(parts[0])
        while wanted > 0:
            chunk = self._stream.read(wanted)
            if not chunk:
                break
            parts.append(chunk)
            wanted -= len(chunk)
        data = b"".join(parts)
        self.offset += len(data)
        return data

    def readline(self, limit: int) -> bytes:
        if not self._pending:
            line = self._stream.readline(limit)
            self.offset += len(line)
            return line
        end = self._pending.find(b"\n", 0, limit)
        if end >= 0 or len(self._pending) >= limit:
            return self.read(end + 1 if end >= 0 else limit)
        head = self.read(len(self._pending))
        return head + self.readline(limit - len(head))

    def unread(self, data: bytes) -> None:
        self._pending = data + self._pending
        self.offset -= len(data)

    def skip(self, size: int) -> int:
        """Consumes ``size`` bytes without holding them; returns how many there were."""
        skipped = 0
        while skipped < size:
            chunk = self.read(min(SCAN_CHUNK * 16, size - skipped))
            if not chunk:
                break
            skipped += len(chunk)
        return skipped

    def scan_to(self, pattern: re.Pattern, keep: int) -> bool:
        """Consumes bytes up to the first match of ``pattern`` (then positioned at its
        byte ``keep``); False at the end of the stream."""
        tail = b""
        while True:
            chunk = self.read(SCAN_CHUNK)
            if not chunk:
                return False
            data = tail + chunk
            found = pattern.search(data)
            if found:
                self.unread(data[found.start() + keep :])
                return True
            tail = data[-16:]


class _Corrupt(Exception):
    """A WARC record that breaks its frame: reading goes on at the next record start."""

    def __init__(self, start: int, reason: str):
        super().__init__(reason)
        self.start = start


class _Bomb(Exception):
    """A gzip member that inflates past any real archive."""


def _header_value(headers: bytes, name: bytes) -> Optional[bytes]:
    for line in headers.split(b"\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _frames(cursor: _Cursor, max_bytes: int) -> Iterator[Tuple[int, Union[bytes, str]]]:
    """(offset, whole record bytes) per record, or (offset, why) for a record over the
    size limit; a frame that is broken becomes (offset, _Corrupt) handled by the caller."""
    while True:
        start = cursor.offset
        first = cursor.readline(MAX_HEADER_BYTES)
        if not first:
            return
        if not first.strip():
            continue  # blank lines between records
        if not _RECORD_START.fullmatch(first):
            cursor.unread(first[1:])
            raise _Corrupt(start, f"no WARC record starts here ({first[:40]!r})")
        lines = [first]
        size = len(first)
        while lines[-1].strip():
            line = cursor.readline(MAX_HEADER_BYTES)
            size += len(line)
            if not line or size > MAX_HEADER_BYTES:
                cursor.unread(b"".join(lines + [line])[1:])
                raise _Corrupt(start, "WARC record headers cut short" if not line else "WARC record headers too long")
            lines.append(line)
        headers = b"".join(lines)
        length_text = (_header_value(headers, b"content-length") or b"").decode("latin-1")
        if not length_text.isdigit():
            cursor.unread(headers[1:])
            raise _Corrupt(start, "WARC record has no valid Content-Length")
        length = int(length_text)
        if length > max_bytes + HTTP_HEADROOM:
            # not held but skipped; if its frame is wrong (a damaged length), back to its headers
            body_start = cursor.offset
            if cursor.skip(length) < length or not _closed(cursor, at_end_ok=True):
                if cursor.rewind(body_start):
                    cursor.unread(headers[1:])
                raise _Corrupt(start, "WARC record cut short or longer than its Content-Length")
            kind = (_header_value(headers, b"warc-type") or b"?").decode("latin-1")
            yield start, f"WARC {kind} record of {length} bytes is over the {max_bytes} byte limit"
            continue
        body = cursor.read(length)
        if len(body) < length:
            cursor.unread((headers + body)[1:])
            raise _Corrupt(start, "WARC record cut short (body shorter than its Content-Length)")
        if not _closed(cursor, at_end_ok=True):
            cursor.unread((headers + body)[1:])
            raise _Corrupt(start, "WARC record does not end where its Content-Length says")
        yield start, headers + body + b"\r\n\r\n"


def _closed(cursor: _Cursor, at_end_ok: bool) -> bool:
    """Consumes the blank lines that close a record; False (consuming nothing) when the
    bytes there are something else, as after a wrong Content-Length. The standard closes
    with two CRLF; one line break followed by the next record (or the end) is accepted."""
    closing = cursor.read(4)
    breaks = len(closing) - len(closing.lstrip(b"\r\n"))
    rest = closing[breaks:]
    if not rest and (breaks == 4 or (at_end_ok and len(closing) < 4)):
        return True
    if breaks and rest:
        ahead = rest + cursor.read(5 - len(rest))
        cursor.unread(ahead)
        if ahead.startswith(b"WARC/"):
            return True
        cursor.unread(closing[:breaks])
        return False
    cursor.unread(closing)
    return False


def _warc_response(record: Any, max_bytes: int) -> RawDocument | str:
    """The page of a WARC response record, or why it is no article."""
    http = record.http_headers
    if http is None:
        return "WARC response is not HTTP"
    status = http.get_statuscode() or ""
    if not status.startswith("2"):
        return f"WARC response with HTTP status {status or 'unknown'} carries no article"
    content_type = http.get_header("Content-Type")
    media_type = (content_type or "").split(";")[0].strip().lower()
    if content_type and media_type not in HTML_CONTENT_TYPES:
        return f"WARC response of type {media_type or content_type!r} is not HTML"
    body = record.content_stream().read(max_bytes + 1)
    if len(body) > max_bytes:
        return f"page too large (more than {max_bytes} bytes > {max_bytes} limit)"
    if not content_type and not _LOOKS_LIKE_HTML.match(body[:1024]):
        return "WARC response has no Content-Type and does not look like HTML"
    if not body.strip():
        return "WARC response: empty file"
    reason = binary_reason(body)
    if reason:
        return f"WARC response: {reason}"
    text = decode_bytes(body, declared=charset_from_content_type(content_type), sniff_meta=True)
    return RawDocument(origin="", kind=HTML, body=text, url=record.rec_headers.get_header("WARC-Target-URI"))


def _record_items(origin: str, data: bytes, max_bytes: int) -> List[Item]:
    """The documents (or the dead letter) of one whole WARC record."""
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(data))))
        rec_type = record.rec_type
        outcome = (
            _warc_response(record, max_bytes)
            if rec_type == "response"
            else f"WARC {rec_type} record carries no article"
        )
        if isinstance(outcome, str):
            return [rejected(origin, STAGE, outcome, record.rec_headers.to_str())]
        # WARC-Date is the crawl time, not the publication date: published stays None,
        # unless the feed fetcher archived the page with its feed items (origin, title, date)
        feed_items = record.rec_headers.get_header(FEED_ITEMS_HEADER)
        return list(documents_from_header(outcome._replace(origin=origin), feed_items))
    except (BadInput, StopIteration) as error:
        return [rejected(origin, STAGE, f"unreadable WARC record: {error}", data[:2000])]
    except Exception as error:  # noqa: BLE001 — warcio on a hostile record must cost that record only
        reason = f"unreadable WARC record ({type(error).__name__}: {' '.join(str(error).split())[:200]})"
        return [rejected(origin, STAGE, reason, data[:2000])]


def _plain_items(path: str, cursor: _Cursor, max_bytes: int, origin_of) -> Iterator[Item]:
    """Every record of an uncompressed WARC stream; after a corrupt one, the next record start."""
    while True:
        try:
            for offset, frame in _frames(cursor, max_bytes):
                if isinstance(frame, str):
                    yield rejected(origin_of(offset), STAGE, frame)
                else:
                    yield from _record_items(origin_of(offset), frame, max_bytes)
            return
        except _Corrupt as error:
            resumed = cursor.scan_to(_NEXT_RECORD, keep=1)
            lost = "; skipped to the next record" if resumed else "; no whole record after it"
            yield rejected(origin_of(error.start), STAGE, f"truncated or corrupt WARC record ({error}){lost}")
            if not resumed:
                return


class _Member(io.RawIOBase):
    """The inflated bytes of the one gzip member at a cursor; bytes read past its end go
    back to the cursor, and the compressed bytes are kept so a failed member can be
    rescanned."""

    def __init__(self, cursor: _Cursor, keep_limit: int):
        self._cursor = cursor
        self._inflater = zlib.decompressobj(wbits=31)
        self._out = b""
        self._keep_limit = keep_limit
        self.compressed: Optional[List[bytes]] = []  # None once over keep_limit
        self._kept = 0
        self._read_in = 0
        self._inflated = 0
        self.finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._out and not self.finished:
            data = self._inflater.unconsumed_tail
            if not data:
                data = self._cursor.read(SCAN_CHUNK)
                if not data:
                    raise EOFError("gzip member cut short")
                self._keep(data)
                self._read_in += len(data)
            self._out = self._inflater.decompress(data, 1 << 20)  # bounded: a bomb inflates lazily
            self._inflated += len(self._out)
            if self._inflated > BOMB_MIN_BYTES and self._inflated > BOMB_RATIO * self._read_in:
                raise _Bomb(f"gzip member inflates over {BOMB_RATIO} times (a gzip bomb)")
            if self._inflater.eof:
                self._cursor.unread(self._inflater.unused_data)
                self.finished = True
        data = self._out[: len(buffer)]
        self._out = self._out[len(data) :]
        buffer[: len(data)] = data
        return len(data)

    def _keep(self, chunk: bytes) -> None:
        if self.compressed is not None:
            self.compressed.append(chunk)
            self._kept += len(chunk)
            if self._kept > self._keep_limit:
                self.compressed = None


def _gzip_items(path: str, cursor: _Cursor, max_bytes: int) -> Iterator[Item]:
    """Every record of a WARC made of gzip members (one per record, as CC-NEWS, or one for
    the whole file); a member that does not inflate → one Rejected, then the next member."""
    while True:
        start = cursor.offset
        head = cursor.read(len(_GZIP_MEMBER))
        if not head.strip(b"\x00\r\n"):
            if not head:
                return
            continue  # padding between or after members
        cursor.unread(head)
        failure: Optional[str] = None
        member = _Member(cursor, keep_limit=4 * (max_bytes + HTTP_HEADROOM))
        if head != _GZIP_MEMBER:
            failure = "no gzip member starts here"
        else:
            inner = _Cursor(io.BufferedReader(member, buffer_size=SCAN_CHUNK))

            def origin_of(offset: int, member_start: int = start) -> str:
                # offsets are those of the stored file; a record deep in a member adds its inflated offset
                return f"{path}#{member_start}" if offset == 0 else f"{path}#{member_start}+{offset}"

            try:
                yield from _plain_items(path, inner, max_bytes, origin_of)
                while not member.finished:  # a member's tail after its records: gzip trailer
                    member.readinto(bytearray(SCAN_CHUNK))
                continue
            except (zlib.error, EOFError, _Bomb) as error:
                failure = f"{type(error).__name__}: {error}" if not isinstance(error, _Bomb) else str(error)
        # rescan from the member's second byte when its bytes were kept, else from here
        if member.compressed:
            cursor.unread(b"".join(member.compressed)[1:])
        elif member.compressed is not None:
            cursor.read(1)
        resumed = cursor.scan_to(re.compile(re.escape(_GZIP_MEMBER)), keep=0)
        lost = "; skipped to the next gzip member" if resumed else "; no gzip member after it"
        yield rejected(f"{path}#{start}", STAGE, f"truncated or corrupt WARC gzip member ({failure}){lost}")
        if not resumed:
            return


def read_warc(path: str, stream: BinaryIO, max_bytes: int, size: Optional[int] = None) -> Iterator[Item]:
    """HTML responses → RawDocument(kind=HTML); every other record → Rejected.

    Record by record, origin ``path#offset`` (offset in the file as stored; a record
    after the first in a gzip member is ``path#member+offset``). Gzip is told by content.
    """
    cursor = _Cursor(stream)
    head = cursor.read(len(GZIP_MAGIC))
    cursor.unread(head)
    if head == GZIP_MAGIC:
        yield from _gzip_items(path, cursor, max_bytes)
    else:
        yield from _plain_items(path, cursor, max_bytes, lambda offset: f"{path}#{offset}")

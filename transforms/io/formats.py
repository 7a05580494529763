"""One reader per input format, over an opened binary file: ``.html``/``.htm`` (one page),
``.txt`` (one text dump, split later), ``.jsonl`` (one record a line), ``.warc`` (HTML
responses), ``.avro`` (the project's article schema); all but Avro may carry ``.gz``.

``read_documents`` picks the reader by file name (and gzip magic) and never raises for
bad input: every unusable unit becomes a ``Rejected`` (stage "read").
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import zlib
from typing import Any, BinaryIO, Callable, Dict, Iterator, Mapping, Optional, Union

from transforms.io import warc
from transforms.io.avro_blocks import avro_blocks
from transforms.io.decoding import GZIP_MAGIC, binary_reason, decode_bytes, printable_text
from transforms.io.warc import _LOOKS_LIKE_HTML, HTML_CONTENT_TYPES  # noqa: F401 — archive.py takes them from here
from transforms.records import (
    DUMP,
    HTML,
    PAYLOAD_LIMIT,
    TEXT,
    BadInput,
    RawDocument,
    Rejected,
    rejected,
)

STAGE = "read"


REJECTED = "rejected"


DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # one page, one JSONL line or one WARC body


Item = Union[RawDocument, Rejected]


def input_kind(path: str) -> Optional[str]:
    """The reader for a file name: "html", "txt", "jsonl", "warc", "avro", or None."""
    name = path.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffixes, kind in (
        ((".html", ".htm"), "html"),
        ((".txt",), "txt"),
        ((".jsonl",), "jsonl"),
        ((".warc",), "warc"),
        ((".avro",), "avro"),
    ):
        if name.endswith(suffixes):
            return kind
    return None


def _remaining_size(fileobj: BinaryIO) -> Optional[int]:
    """Bytes left in a seekable file, without reading them."""
    try:
        if not fileobj.seekable():
            return None
        here = fileobj.tell()
        end = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


def read_limited(stream: BinaryIO, max_bytes: int, size: Optional[int] = None) -> bytes:
    """The whole stream, or BadInput if it holds more than ``max_bytes``.

    ``size`` (when known) rejects a large file without reading it; otherwise at
    most ``max_bytes + 1`` bytes are held (which also bounds gzip bombs).
    """
    if size is not None and size > max_bytes:
        raise BadInput(f"page too large ({size} bytes > {max_bytes} limit)")
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BadInput(f"page too large (more than {max_bytes} bytes > {max_bytes} limit)")
    return data


def _page_text(data: bytes, declared: Optional[str] = None, sniff_meta: bool = True) -> str:
    if not data.strip():
        raise BadInput("empty file" if not data else "empty file (whitespace only)")
    reason = binary_reason(data)
    if reason:
        raise BadInput(reason)
    return decode_bytes(data, declared=declared, sniff_meta=sniff_meta)


def read_html(
    path: str, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, size: Optional[int] = None
) -> Iterator[Item]:
    """One web page → one RawDocument(kind=HTML)."""
    yield RawDocument(origin=path, kind=HTML, body=_page_text(read_limited(stream, max_bytes, size)))


def read_text_dump(
    path: str, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, size: Optional[int] = None
) -> Iterator[Item]:
    """A text dump → one RawDocument(kind=DUMP); it is split into articles later."""
    yield RawDocument(origin=path, kind=DUMP, body=_page_text(read_limited(stream, max_bytes, size), sniff_meta=False))


_STRING_FIELDS = ("url", "title", "published", "language", "source", "text", "html")


def document_from_fields(origin: str, record: Mapping[str, Any]) -> RawDocument:
    """A RawDocument from a feed record (JSONL line, Avro record); BadInput if unusable.

    Needs a non-blank ``text`` (→ TEXT) or ``html`` (→ HTML); text wins when both
    are given, as it is the body the feed itself vouches for. Blank strings mean absent.
    Every text field comes out printable (no controls, no lone surrogates).
    """
    for name in _STRING_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise BadInput(f"field {name!r} must be a string, not {type(value).__name__}")
    record_id = record.get("id")
    if record_id is not None and (isinstance(record_id, bool) or not isinstance(record_id, (str, int))):
        raise BadInput(f"field 'id' must be a string or integer, not {type(record_id).__name__}")
    fields = {name: (record.get(name) or "").strip() or None for name in _STRING_FIELDS}
    if fields["text"]:
        kind, body = TEXT, record["text"]
    elif fields["html"]:
        kind, body = HTML, record["html"]
    elif "text" in record or "html" in record:
        raise BadInput("record has empty text/html")
    else:
        raise BadInput("record has no text or html field")
    # printable here too: Kafka payloads reach this function without read_documents
    document = RawDocument(
        origin=origin,
        kind=kind,
        body=body,
        url=fields["url"],
        title=fields["title"],
        published=fields["published"],
        source=fields["source"],
        language=fields["language"],
        record_id=None if record_id is None or str(record_id).strip() == "" else str(record_id),
    )
    return document._replace(**_printable_fields(document))


_WIDE_BOMS = (  # UTF-32 first: its LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_jsonl(
    path: str, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, size: Optional[int] = None
) -> Iterator[Item]:
    """One RawDocument per JSON line; a bad line → one Rejected, the others go on.

    Streams line by line; a line over ``max_bytes`` is skipped, not held. A file
    starting with a UTF-16 or UTF-32 byte order mark is read in that encoding.
    """
    head, stream = _peek(stream, 4)  # no read-ahead buffer: a cut gzip keeps its lines before the cut
    wide = next((encoding for bom, encoding in _WIDE_BOMS if head.startswith(bom)), None)
    if wide:  # lines split on b"\n" would cut UTF-16 characters in half: recode to UTF-8
        stream = codecs.EncodedFile(stream, "utf-8", wide)
    for number, line in enumerate(iter(lambda: stream.readline(max_bytes + 1), b""), start=1):
        origin = f"{path}#{number}"
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # drop the rest of the line
                line = stream.readline(1 << 20)
            yield rejected(origin, STAGE, f"JSONL line too large (more than {max_bytes} bytes)", b"")
            continue
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
        if not line.strip():
            continue  # blank lines separate nothing; they are not articles
        text = decode_bytes(line)
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            yield rejected(origin, STAGE, f"invalid JSON: {error.msg} at column {error.colno}", text)
            continue
        except (ValueError, RecursionError) as error:  # a 5,000-digit number, arrays nested 100,000 deep
            yield rejected(origin, STAGE, f"invalid JSON: {type(error).__name__}: {str(error)[:200]}", text)
            continue
        if not isinstance(record, dict):
            yield rejected(origin, STAGE, f"JSON line is a {type(record).__name__}, not an object", text)
            continue
        try:
            yield document_from_fields(origin, record)
        except BadInput as error:
            yield rejected(origin, STAGE, str(error), text)


def read_warc(
    path: str, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, size: Optional[int] = None
) -> Iterator[Item]:
    """HTML responses → RawDocument(kind=HTML); every other record → Rejected.

    Record by record (``transforms.io.warc``); origin ``path#offset``. A corrupt or
    truncated record → one Rejected, and the records after it are still read.
    """
    yield from warc.read_warc(path, stream, max_bytes, size)


def read_avro(
    path: str, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, size: Optional[int] = None
) -> Iterator[Item]:
    """Records of the article schema → RawDocument(kind=TEXT); origin ``path#n`` (1-based).

    Block by block (``transforms.io.avro_blocks``): a damaged block → one Rejected
    (origin ``path@offset``), and the blocks after it are still read.
    """

    def to_item(origin: str, record: Any) -> Item:
        if not isinstance(record, dict):
            return rejected(origin, STAGE, f"Avro record is a {type(record).__name__}, not a record", record)
        try:
            return document_from_fields(origin, record)
        except BadInput as error:
            return rejected(origin, STAGE, str(error), record)

    yield from avro_blocks(path, stream, to_item)


Reader = Callable[[str, BinaryIO, int, Optional[int]], Iterator[Item]]


READERS: Dict[str, Reader] = {
    "html": read_html,
    "txt": read_text_dump,
    "jsonl": read_jsonl,
    "warc": read_warc,
    "avro": read_avro,
}


class _Replay(io.RawIOBase):
    """Replays bytes already read from a non-seekable stream, then the rest of it."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._head[: len(buffer)] if self._head else self._rest.read(len(buffer))
        self._head = self._head[len(data) :] if self._head else b""
        buffer[: len(data)] = data
        return len(data)


def _peek(fileobj: BinaryIO, size: int) -> tuple:
    """(first bytes, a stream still positioned before them)."""
    try:
        if fileobj.seekable():
            start = fileobj.tell()
            head = fileobj.read(size)
            fileobj.seek(start)
            return head, fileobj
    except (AttributeError, OSError):
        pass
    head = fileobj.read(size)
    return head, io.BufferedReader(_Replay(head, fileobj))


def printable(item: Item) -> Item:
    """The item with every text field made printable: no control characters, ANSI escapes
    or lone surrogates (``decoding.printable_text``), so no coder or sink fails on it."""
    return item._replace(**_printable_fields(item))


def _printable_fields(item: Item) -> Dict[str, Any]:
    return {name: printable_text(value) for name, value in zip(item._fields, item) if isinstance(value, str)}


def read_documents(path: str, fileobj: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """Every RawDocument in one opened file, and a Rejected for each unusable unit.

    Never raises for bad input: an unexpected error inside a reader becomes one
    Rejected naming the exception type (records yielded before it are kept).
    A file that yields nothing at all (empty, only blank lines) gives one Rejected.
    Every text field comes out printable (see ``printable``).
    """
    for item in _read_documents(path, fileobj, max_bytes):
        yield printable(item)


def _read_documents(path: str, fileobj: BinaryIO, max_bytes: int) -> Iterator[Item]:
    head = b""
    emitted = 0
    gzipped = False
    try:
        kind = input_kind(path)
        size = _remaining_size(fileobj)
        head, stream = _peek(fileobj, PAYLOAD_LIMIT)
        if not head:
            emitted += 1
            yield rejected(path, STAGE, "empty file")
            return
        if kind is None:
            suffix = os.path.splitext(path)[1] or "no extension"
            emitted += 1
            yield rejected(path, STAGE, f"unsupported input type ({suffix})", head)
            return
        # Sniff gzip by content, not name; the WARC reader inflates its gzip members itself.
        if kind != "warc" and head.startswith(GZIP_MAGIC):
            stream, size, gzipped = gzip.GzipFile(fileobj=stream, mode="rb"), None, True
        for item in READERS[kind](path, stream, max_bytes, size):
            emitted += 1
            yield item
    except BadInput as error:
        emitted += 1
        yield rejected(path, STAGE, str(error), head)
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        emitted += 1
        state = "truncated" if isinstance(error, EOFError) else "corrupt"
        what = "gzip" if gzipped else "file"
        yield rejected(
            path, STAGE, f"{state} {what}: {type(error).__name__}: {error}; {emitted - 1} units read before", head
        )
    except Exception as error:  # noqa: BLE001 — a reader bug must not lose the whole job
        emitted += 1
        yield rejected(path, STAGE, f"unreadable input ({type(error).__name__}: {error})", head)
    if emitted == 0:
        yield rejected(path, STAGE, "no records in file", head)

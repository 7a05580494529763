"""Source step: every input format → ``RawDocument``; bad input → ``Rejected`` (stage "read").

Pure readers, one generator per format over an opened binary file, sit behind
``read_documents``, which picks one by file name (and gzip magic) and never
raises for bad input. ``ReadNewsFeeds`` matches patterns, spreads the files over
workers and calls ``read_documents`` on each.

Formats: ``.html``/``.htm`` (one page), ``.txt`` (one text dump, split later),
``.jsonl`` (one record a line), ``.warc`` (HTML responses), ``.avro`` (the
project's article schema); all but Avro may carry a ``.gz`` suffix.
"""
from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import re
import uuid
import zlib
from typing import Any, BinaryIO, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import apache_beam as beam
import fastavro
from apache_beam.io.filesystem import CompressionTypes, FileMetadata
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from transforms.records import DUMP, HTML, PAYLOAD_LIMIT, TEXT, BadInput, RawDocument, Rejected, rejected
from transforms.sinks import TEMP_DIR, read_lines_gz, write_lines_gz

STAGE = "read"
REJECTED = "rejected"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # one page, one JSONL line or one WARC body

Item = Union[RawDocument, Rejected]

# ---------------------------------------------------------------- decoding

_BOMS = (  # UTF-32 first: its LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
META_SNIFF_BYTES = 8192
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)

# cp1252 leaves five bytes undefined; browsers map them to the C1 control of the same value.
_CP1252 = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]


def _utf8_else_cp1252(error: UnicodeError) -> tuple:
    # Bytes that are not UTF-8 are read as cp1252: right for undeclared
    # cp1252/latin-1 pages and for UTF-8 pages with a few stray cp1252 bytes.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "".join(_CP1252[b] for b in error.object[error.start : error.end]), error.end


codecs.register_error("newsfeed_cp1252", _utf8_else_cp1252)


def _bom(data: bytes) -> Optional[tuple]:
    return next(((bom, enc) for bom, enc in _BOMS if data.startswith(bom)), None)


def normalise_charset(name: Optional[str]) -> Optional[str]:
    """A Python codec name for a declared charset, or None if unknown.

    As browsers do (WHATWG), latin-1 and ASCII labels mean cp1252, and a UTF-16
    label in an ASCII-readable document means UTF-8.
    """
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    if codec in ("iso8859-1", "ascii", "latin-1"):
        return "cp1252"
    if codec.startswith("utf-16") or codec.startswith("utf-32"):
        return "utf-8"
    return codec


def charset_from_content_type(content_type: Optional[str]) -> Optional[str]:
    """The charset parameter of an HTTP Content-Type header, as a codec name."""
    match = _HEADER_CHARSET.search(content_type or "")
    return normalise_charset(match.group(1)) if match else None


def declared_charset(data: bytes) -> Optional[str]:
    """The charset an HTML page declares near its start (meta charset, http-equiv, XML prolog)."""
    head = data[:META_SNIFF_BYTES]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return normalise_charset(match.group(1).decode("ascii")) if match else None


def decode_bytes(data: bytes, declared: Optional[str] = None, sniff_meta: bool = False) -> str:
    """Text of a document: BOM, else declared charset, else UTF-8, else cp1252.

    ``declared`` comes from outside (an HTTP header); ``sniff_meta`` also looks
    for a charset declared in the HTML itself. A declaration the bytes do not
    honour is ignored. The last resort reads UTF-8 and takes any byte that is not
    UTF-8 as cp1252, so it never fails and never yields U+FFFD.
    """
    found = _bom(data)
    if found:
        bom, encoding = found
        return data[len(bom) :].decode(encoding, errors="replace")
    candidates = [declared, declared_charset(data) if sniff_meta else None]
    for encoding in dict.fromkeys(c for c in candidates if c):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("utf-8", errors="newsfeed_cp1252")


# ---------------------------------------------------------------- sniffing

BINARY_SAMPLE_BYTES = 65536
MAX_CONTROL_RATIO = 0.02  # real text has ~0 C0 controls; random bytes have ~11 %
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"\x7fELF", "ELF executable"),
    (b"Obj\x01", "Avro file"),
)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
GZIP_MAGIC = b"\x1f\x8b"


def binary_reason(data: bytes) -> Optional[str]:
    """Why ``data`` is not text (magic number, too many control characters), or None."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return f"binary content ({name}), not text"
    sample = data[:BINARY_SAMPLE_BYTES]
    found = _bom(sample)
    # latin-1 maps bytes 1:1, so C0 controls count the same as in any ASCII superset.
    text = sample[len(found[0]) :].decode(found[1], errors="replace") if found else sample.decode("latin-1")
    controls = len(_CONTROL_CHARS.findall(text))
    if text and controls / len(text) > MAX_CONTROL_RATIO:
        return f"binary content ({controls} of {len(text)} sampled characters are control bytes), not text"
    return None


def input_kind(path: str) -> Optional[str]:
    """The reader for a file name: "html", "txt", "jsonl", "warc", "avro", or None."""
    name = path.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffixes, kind in (((".html", ".htm"), "html"), ((".txt",), "txt"), ((".jsonl",), "jsonl"), ((".warc",), "warc"), ((".avro",), "avro")):
        if name.endswith(suffixes):
            return kind
    return None


# ---------------------------------------------------------------- readers


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


def read_html(path: str, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, size: Optional[int] = None) -> Iterator[Item]:
    """One web page → one RawDocument(kind=HTML)."""
    yield RawDocument(origin=path, kind=HTML, body=_page_text(read_limited(stream, max_bytes, size)))


def read_text_dump(path: str, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, size: Optional[int] = None) -> Iterator[Item]:
    """A text dump → one RawDocument(kind=DUMP); it is split into articles later."""
    yield RawDocument(origin=path, kind=DUMP, body=_page_text(read_limited(stream, max_bytes, size), sniff_meta=False))


_STRING_FIELDS = ("url", "title", "published", "language", "source", "text", "html")


def document_from_fields(origin: str, record: Mapping[str, Any]) -> RawDocument:
    """A RawDocument from a feed record (JSONL line, Avro record); BadInput if unusable.

    Needs a non-blank ``text`` (→ TEXT) or ``html`` (→ HTML); text wins when both
    are given, as it is the body the feed itself vouches for. Blank strings mean absent.
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
    return RawDocument(
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


def read_jsonl(path: str, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, size: Optional[int] = None) -> Iterator[Item]:
    """One RawDocument per JSON line; a bad line → one Rejected, the others go on.

    Streams line by line; a line over ``max_bytes`` is skipped, not held.
    """
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
        if not isinstance(record, dict):
            yield rejected(origin, STAGE, f"JSON line is a {type(record).__name__}, not an object", text)
            continue
        try:
            yield document_from_fields(origin, record)
        except BadInput as error:
            yield rejected(origin, STAGE, str(error), text)


HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
_LOOKS_LIKE_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)


def _warc_response(record: Any, max_bytes: int) -> RawDocument | str:
    """The page of a WARC response record, or why it is no article. Reads the body."""
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
    try:
        text = _page_text(body, declared=charset_from_content_type(content_type))
    except BadInput as error:
        return f"WARC response: {error}"
    return RawDocument(origin="", kind=HTML, body=text, url=record.rec_headers.get_header("WARC-Target-URI"))


def _warc_items(path: str, stream: BinaryIO, max_bytes: int, skip: int) -> Iterator[Item]:
    iterator = ArchiveIterator(stream)
    for index, record in enumerate(iterator):
        if index < skip:
            continue
        rec_type = record.rec_type
        outcome = _warc_response(record, max_bytes) if rec_type == "response" else f"WARC {rec_type} record carries no article"
        offset = iterator.get_record_offset()  # reads the record to its end
        origin = f"{path}#{offset}"
        # warcio parses a record cut short without complaint: a whole one has a
        # Content-Length and a body that long.
        length = (record.rec_headers.get_header("Content-Length") or "").strip()
        if not length.isdigit() or getattr(record.raw_stream, "limit", 0) > 0:
            yield rejected(origin, STAGE, "truncated or corrupt WARC record (headers or body cut short)", record.rec_headers.to_str())
            continue
        if isinstance(outcome, RawDocument):
            # WARC-Date is the crawl time, not the publication date: published stays None.
            yield outcome._replace(origin=origin)
        else:
            yield rejected(origin, STAGE, outcome, record.rec_headers.to_str())
    # warcio ends quietly on a record cut inside its headers: bytes it read
    # past the end of the last whole record are a truncated or corrupt tail.
    tail = iterator.fh.tell() - iterator.offset
    if tail > 0:
        yield rejected(f"{path}#{iterator.offset}", STAGE, f"truncated or corrupt WARC: {tail} bytes after the last whole record")


def read_warc(path: str, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, size: Optional[int] = None) -> Iterator[Item]:
    """HTML responses → RawDocument(kind=HTML); every other record → Rejected.

    Record by record; origin ``path#offset`` (offset in the file as stored). A
    corrupt or truncated tail keeps the records before it and adds one Rejected.
    """
    emitted = 0
    start = stream.tell() if stream.seekable() else None
    try:
        for item in _warc_items(path, stream, max_bytes, skip=0):
            emitted += 1
            yield item
    except ArchiveLoadFailed as error:
        if "non-chunked gzip" not in str(error) or start is None:
            yield rejected(f"{path}#end", STAGE, f"corrupt WARC: {' '.join(str(error).split())[:300]}")
            return
        # One gzip member for the whole file: warcio stops after the first
        # record, so read the rest decompressed (offsets are then uncompressed).
        stream.seek(start)
        try:
            yield from _warc_items(path, gzip.GzipFile(fileobj=stream, mode="rb"), max_bytes, skip=emitted)
        except (ArchiveLoadFailed, EOFError, zlib.error, gzip.BadGzipFile) as error:
            yield rejected(f"{path}#end", STAGE, f"corrupt or truncated WARC ({type(error).__name__}: {error})")
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        yield rejected(f"{path}#end", STAGE, f"corrupt or truncated WARC ({type(error).__name__}: {error})")


def read_avro(path: str, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, size: Optional[int] = None) -> Iterator[Item]:
    """Records of the article schema → RawDocument(kind=TEXT); origin ``path#n`` (1-based)."""
    try:
        reader = fastavro.reader(stream)
    except (ValueError, EOFError, StopIteration, TypeError) as error:
        raise BadInput(f"not an Avro file ({type(error).__name__}: {error})") from error
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            origin = f"{path}#{number}"
            if not isinstance(record, dict):
                yield rejected(origin, STAGE, f"Avro record is a {type(record).__name__}, not a record", record)
                continue
            try:
                yield document_from_fields(origin, record)
            except BadInput as error:
                yield rejected(origin, STAGE, str(error), record)
    except (ValueError, EOFError, zlib.error, StopIteration) as error:
        yield rejected(f"{path}#{number + 1}", STAGE, f"corrupt or truncated Avro ({type(error).__name__}: {error})")


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


def read_documents(path: str, fileobj: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """Every RawDocument in one opened file, and a Rejected for each unusable unit.

    Never raises for bad input: an unexpected error inside a reader becomes one
    Rejected naming the exception type (records yielded before it are kept).
    A file that yields nothing at all (empty, only blank lines) gives one Rejected.
    """
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
        # Sniff gzip by content, not name; warcio decompresses WARCs per record itself.
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
        yield rejected(path, STAGE, f"{state} {what}: {type(error).__name__}: {error}; {emitted - 1} units read before", head)
    except Exception as error:  # noqa: BLE001 — a reader bug must not lose the whole job
        emitted += 1
        yield rejected(path, STAGE, f"unreadable input ({type(error).__name__}: {error})", head)
    if emitted == 0:
        yield rejected(path, STAGE, "no records in file", head)


# ---------------------------------------------------------------- Beam

_GLOB_CHARS = re.compile(r"[*?\[]")


def match_files(pattern: str) -> List[FileMetadata]:
    """Files matching a glob; a directory (or a pattern ending in '/') means every file below it."""
    if not _GLOB_CHARS.search(pattern):
        local_dir = FileSystems.get_scheme(pattern) is None and os.path.isdir(pattern)
        # Object stores have no directories: a plain name that is no object is a prefix.
        if pattern.endswith(("/", "\\")) or local_dir or not FileSystems.exists(pattern):
            pattern = FileSystems.join(pattern.rstrip("/\\") or "/", "**")
    metadata = FileSystems.match([pattern])[0].metadata_list
    return [m for m in metadata if not m.path.endswith(("/", "\\"))]


LISTING_PATHS = 64  # files per listing: the unit of work one reader takes


class _ListFiles(beam.DoFn):
    """All patterns at once → listings of at most LISTING_PATHS file paths, sorted,
    each path once (overlapping patterns read a file once); a pattern that matches
    nothing gives a dead letter. With a directory, each listing is written to a file
    there and only that file's path is emitted, so the runner's shuffle carries one
    small element per LISTING_PATHS files, not one per file."""

    def __init__(self, directory: Optional[str]):
        self._directory = directory
        self._rejected = Metrics.counter(STAGE, "rejected")

    def process(self, patterns: List[str]) -> Iterator[Union[str, List[str], TaggedOutput]]:
        seen = set()
        for pattern in patterns:
            files = match_files(pattern)
            if not files:
                self._rejected.inc()
                yield TaggedOutput(REJECTED, rejected(pattern, STAGE, f"no file matches pattern {pattern}"))
            seen.update(m.path for m in files)
        paths = sorted(seen)
        for start in range(0, len(paths), LISTING_PATHS):
            listing = paths[start : start + LISTING_PATHS]
            if self._directory is None:
                yield listing
            else:
                path = FileSystems.join(self._directory, f"{uuid.uuid4().hex}.jsonl.gz")
                write_lines_gz(path, (json.dumps(p, ensure_ascii=False) for p in listing))
                yield path


def read_listing(path: str) -> Iterator[str]:
    """The file paths of one listing file."""
    for line in read_lines_gz(path):
        yield json.loads(line)


class _ReadFile(beam.DoFn):
    def __init__(self, max_bytes: int):
        self._max_bytes = max_bytes
        self._files = Metrics.counter(STAGE, "files")
        self._documents = Metrics.counter(STAGE, "documents")
        self._rejected = Metrics.counter(STAGE, "rejected")

    def process(self, path: str) -> Iterator[Union[RawDocument, TaggedOutput]]:
        self._files.inc()
        # Raw bytes: read_documents sniffs gzip itself and turns bad gzip into dead letters.
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fileobj:
            for item in read_documents(path, fileobj, self._max_bytes):
                if isinstance(item, Rejected):
                    self._rejected.inc()
                    yield TaggedOutput(REJECTED, item)
                else:
                    self._documents.inc()
                    yield item


class ReadNewsFeeds(beam.PTransform):
    """Files, directories or globs → ``{"documents": RawDocument, "rejected": Rejected}``.

    Apply to the pipeline with patterns (``p | ReadNewsFeeds(["in/**"])``) or,
    without, to a PCollection of patterns (``patterns | ReadNewsFeeds()``).
    A directory means every file below it; a pattern matching nothing, an
    unreadable file or record gives a Rejected (stage "read"). Counters in
    namespace "read": files, documents, rejected.

    The patterns are matched together; the files travel to the readers in
    listings of LISTING_PATHS paths, written under ``<directory>/_spill/listings/``
    when a ``directory`` is given (then only the listings' paths cross the
    runner's shuffle), else as lists of paths.
    """

    def __init__(
        self,
        patterns: Union[str, Sequence[str], None] = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        directory: Optional[str] = None,
    ):
        super().__init__()
        self._patterns = [patterns] if isinstance(patterns, str) else (list(patterns) if patterns is not None else None)
        self._max_bytes = max_bytes
        self._listings = FileSystems.join(directory, TEMP_DIR, "listings") if directory else None

    def expand(self, pbegin_or_patterns):
        if isinstance(pbegin_or_patterns, beam.pvalue.PBegin):
            if not self._patterns:
                raise ValueError("ReadNewsFeeds applied to a pipeline needs at least one pattern")
            patterns = pbegin_or_patterns | "Patterns" >> beam.Create(self._patterns).with_output_types(str)
        elif self._patterns is not None:
            raise ValueError("give ReadNewsFeeds patterns either as argument or as input PCollection, not both")
        else:
            patterns = pbegin_or_patterns
        listed = (
            patterns
            | "AllPatterns" >> beam.combiners.ToList().with_output_types(List[str])
            | "Match"
            >> beam.ParDo(_ListFiles(self._listings)).with_output_types(Any, rejected=Rejected).with_outputs(REJECTED, main="listings")
        )
        # the shuffle spreads the listings over the workers
        spread = listed.listings | "SpreadListings" >> beam.Reshuffle()
        if self._listings is None:
            paths = spread | "Paths" >> beam.FlatMap(lambda listing: listing).with_output_types(str)
        else:
            paths = spread | "Paths" >> beam.FlatMap(read_listing).with_output_types(str)
        read = paths | "Read" >> (
            beam.ParDo(_ReadFile(self._max_bytes))
            .with_output_types(RawDocument, rejected=Rejected)
            .with_outputs(REJECTED, main="documents")
        )
        rejected_all = (listed[REJECTED], read[REJECTED]) | "AllRejected" >> beam.Flatten().with_output_types(Rejected)
        return {"documents": read.documents, "rejected": rejected_all}

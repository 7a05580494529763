"""Bytes to text: BOM, declared charset (HTTP header, <meta>, XML prolog), UTF-8, cp1252;
the sniffing that tells text from binary before any reader runs; and ``printable_text``,
which makes any decoded string safe to carry (no lone surrogates, no control characters).
"""

from __future__ import annotations

import codecs
import re
from typing import Optional

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


# Python codecs that are no web page charset: escapes ("\\ud800" → a lone surrogate), UTF-7
# (which browsers refuse: it smuggles markup), and the ones for host names.
_NOT_PAGE_CHARSETS = {"unicode-escape", "raw-unicode-escape", "utf-7", "punycode", "idna", "undefined"}


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
    if codec in _NOT_PAGE_CHARSETS:
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


# ANSI/VT100 escape sequences (colours, cursor moves, terminal titles): CSI "ESC [ … final",
# OSC "ESC ] … BEL|ESC \\" and the two-character escapes; removed whole, or "[31m" would stay.
_ANSI_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]"
)


# Vertical tab and form feed are whitespace: a space, which never cuts a sentence in two.
_LINE_BREAKS = re.compile("[\x0b\x0c]")


# Every other C0 control but tab/LF/CR, DEL and the C1 controls: no text needs them, and
# NUL or ESC reaching articles/ breaks terminals, C strings and downstream parsers.
_UNPRINTABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


# A lone UTF-16 surrogate ("\\ud800" in JSON, a file name that is not UTF-8) cannot be
# encoded as UTF-8: Beam's coders would fail the whole job on it.
_SURROGATE = re.compile("[\ud800-\udfff]")


# A check faster than a regex over the text (~3× on 40 KB pages): lone surrogates fail to
# encode, C0 controls and DEL are single bytes, C1 controls are \xc2\x80–\xc2\x9f in UTF-8.
_C0_BYTES = bytes([b for b in range(32) if b not in (9, 10, 13)] + [127])
_C1_UTF8 = re.compile(b"\xc2[\x80-\x9f]")


def _needs_work(text: str) -> bool:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return len(data.translate(None, _C0_BYTES)) != len(data) or _C1_UTF8.search(data) is not None


def printable_text(text: str) -> str:
    """``text`` without control characters or ANSI escapes, lone surrogates as U+FFFD.

    Tab, newline and carriage return stay; vertical tab and form feed become spaces.
    """
    if not _needs_work(text):
        return text  # the usual case: no change, no copy
    text = _ANSI_ESCAPE.sub("", text)
    text = _LINE_BREAKS.sub(" ", text)
    text = _UNPRINTABLE.sub("", text)
    return _SURROGATE.sub("\ufffd", text)

"""Avro container files block by block, resynchronising on the file's sync marker.

An Avro file is a header (magic, metadata with the schema and codec, a 16-byte sync
marker) and blocks (record count, byte size, data, the sync marker again). The blocks
are framed here; fastavro decodes each whole block. A block whose frame is broken
(count or size absurd, data cut short, the sync marker not where it should be) costs
the bytes up to the next sync marker; a block whose data does not decode costs that
block. Every block after it is read. A whole file goes through fastavro alone, at its speed.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, Iterator, List, Optional, Tuple, Union

import fastavro

from transforms.records import BadInput, RawDocument, Rejected, rejected

STAGE = "read"


Item = Union[RawDocument, Rejected]


MAGIC = b"Obj\x01"


SYNC_SIZE = 16


MAX_BLOCK_BYTES = 256 * 1024 * 1024  # a block bigger than this is a damaged size field


MAX_HEADER_BYTES = 16 * 1024 * 1024


SCAN_CHUNK = 1 << 16


class _Truncated(Exception):
    pass


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    parts: List[bytes] = []
    wanted = size
    while wanted > 0:
        chunk = stream.read(min(wanted, 1 << 20))
        if not chunk:
            raise _Truncated(f"file ends {wanted} bytes short")
        parts.append(chunk)
        wanted -= len(chunk)
    return b"".join(parts)


def _read_long(stream: BinaryIO, raw: bytearray) -> int:
    """An Avro long (zig-zag varint); its bytes are appended to ``raw``."""
    value = shift = 0
    while True:
        byte = stream.read(1)
        if not byte:
            raise _Truncated("file ends inside a number")
        raw += byte
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return (value >> 1) ^ -(value & 1)
        shift += 7
        if shift > 63:
            raise ValueError("number longer than 10 bytes")


def read_header(stream: BinaryIO) -> Tuple[bytes, bytes]:
    """(the header's bytes, its sync marker); BadInput if it is no Avro header."""
    raw = bytearray(stream.read(len(MAGIC)))
    if bytes(raw) != MAGIC:
        raise BadInput("not an Avro file (no Obj\\x01 magic)")
    try:
        while True:  # the metadata map: blocks of (key string, value bytes) until a 0 count
            count = _read_long(stream, raw)
            if count == 0:
                break
            if count < 0:
                _read_long(stream, raw)  # the block's byte size, which a negative count adds
                count = -count
            for _ in range(count * 2):
                size = _read_long(stream, raw)
                if not 0 <= size <= MAX_HEADER_BYTES - len(raw):
                    raise ValueError("metadata entry of impossible size")
                raw += _read_exactly(stream, size)
        sync = _read_exactly(stream, SYNC_SIZE)
    except (_Truncated, ValueError) as error:
        raise BadInput(f"not an Avro file (header unreadable: {error})") from error
    raw += sync
    try:  # the schema and codec must make sense before any block is read
        fastavro.reader(io.BytesIO(bytes(raw)))
    except Exception as error:  # noqa: BLE001 — fastavro raises many kinds on a bad schema
        raise BadInput(f"not an Avro file ({type(error).__name__}: {error})") from error
    return bytes(raw), sync


class _Frame:
    """One block as stored: its start offset, record count and bytes (count, size, data, sync)."""

    def __init__(self, start: int, count: int, raw: bytes):
        self.start, self.count, self.raw = start, count, raw


class _BrokenFrame(Exception):
    def __init__(self, start: int, reason: str):
        super().__init__(reason)
        self.start = start


def _next_frame(stream: BinaryIO, sync: bytes, offset: int) -> Optional[_Frame]:
    """The block at ``offset`` (the stream is there), None at the end of the file."""
    raw = bytearray()
    stream.seek(offset)
    if not stream.read(1):
        return None
    stream.seek(offset)
    try:
        count = _read_long(stream, raw)
        size = _read_long(stream, raw)
        if count < 0 or size < 0 or size > MAX_BLOCK_BYTES:
            raise _BrokenFrame(offset, f"block header is not one (count {count}, size {size})")
        raw += _read_exactly(stream, size)
        marker = _read_exactly(stream, SYNC_SIZE)
    except (_Truncated, ValueError) as error:
        raise _BrokenFrame(offset, f"block cut short or unreadable ({error})") from error
    if marker != sync:
        raise _BrokenFrame(offset, "sync marker not at the end of the block (size or data damaged)")
    return _Frame(offset, count, bytes(raw + marker))


def _resync(stream: BinaryIO, sync: bytes, after: int) -> Optional[int]:
    """The offset just past the first sync marker found after byte ``after``, else None."""
    stream.seek(after + 1)
    position = after + 1
    tail = b""
    while True:
        chunk = stream.read(SCAN_CHUNK)
        if not chunk:
            return None
        data = tail + chunk
        found = data.find(sync)
        if found >= 0:
            return position - len(tail) + found + SYNC_SIZE
        tail = data[-(SYNC_SIZE - 1) :]
        position += len(chunk)


def _block_records(header: bytes, frame: _Frame) -> Tuple[List[Any], Optional[str]]:
    """The records fastavro decodes from one whole block, and why it stopped early, if it did."""
    records: List[Any] = []
    try:
        for record in fastavro.reader(io.BytesIO(header + frame.raw)):
            records.append(record)
    except Exception as error:  # noqa: BLE001 — damaged data raises anything from ValueError to MemoryError-sized reads
        return records, f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"
    if len(records) != frame.count:
        return records, f"{len(records)} of {frame.count} records decoded"
    return records, None


def avro_blocks(path: str, stream: BinaryIO, to_item) -> Iterator[Item]:
    """Every record of an Avro file through ``to_item(origin, record)``, origin ``path#n``
    (1-based over the records read); a damaged stretch → one Rejected at ``path@offset``.

    fastavro reads the blocks while they are whole; from the first damaged one on, the
    blocks are framed here. Needs a seekable stream (local files, object stores and
    GzipFile are).
    """
    start = stream.tell()
    header, sync = read_header(stream)
    stream.seek(start)
    offset, number = start + len(header), 0
    blocks = fastavro.block_reader(stream)
    while True:
        try:
            block = next(blocks, None)
            if block is None:
                return
            records = list(block)
        except Exception:  # noqa: BLE001 — any damage: the careful path takes over at this block
            break
        for record in records:
            number += 1
            yield to_item(f"{path}#{number}", record)
        offset = block.offset + block.size
    yield from _framed_blocks(path, stream, header, sync, offset, number, to_item)


def _framed_blocks(
    path: str, stream: BinaryIO, header: bytes, sync: bytes, offset: int, number: int, to_item
) -> Iterator[Item]:
    """The blocks from ``offset`` on, framed here and decoded one by one, with resync."""
    while True:
        try:
            frame = _next_frame(stream, sync, offset)
        except _BrokenFrame as error:
            resumed = _resync(stream, sync, error.start)
            lost = "read on after the next sync marker" if resumed is not None else "no sync marker after it"
            yield rejected(f"{path}@{error.start}", STAGE, f"corrupt Avro block ({error}); {lost}")
            if resumed is None:
                return
            offset = resumed
            continue
        if frame is None:
            return
        offset = frame.start + len(frame.raw)
        records, failure = _block_records(header, frame)
        for record in records:
            number += 1
            yield to_item(f"{path}#{number}", record)
        if failure:
            unread = max(frame.count - len(records), 0)
            yield rejected(
                f"{path}@{frame.start}",
                STAGE,
                f"corrupt Avro block: {unread} of {frame.count} records unreadable ({failure}); read on at the next block",
            )

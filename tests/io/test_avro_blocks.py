"""Avro block framing and resync on the sync marker: a damaged block costs its records only."""

from __future__ import annotations

import io
from typing import Any, List, Tuple

import fastavro
import pytest

from tests.support.hostile import avro_articles
from transforms.io.avro_blocks import avro_blocks, read_header
from transforms.records import BadInput, Rejected


def read(data: bytes) -> List[Any]:
    return list(avro_blocks("a.avro", io.BytesIO(data), lambda origin, record: (origin, record["id"])))


def ids(items) -> List[str]:
    return [item[1] for item in items if not isinstance(item, Rejected)]


def rejects(items) -> List[Rejected]:
    return [item for item in items if isinstance(item, Rejected)]


def block_starts(data: bytes) -> Tuple[int, List[int]]:
    """(header length, the offset of every block), from the sync marker's positions."""
    header, sync = read_header(io.BytesIO(data))
    starts, at = [len(header)], len(header)
    while True:
        found = data.find(sync, at)
        if found < 0 or found + 16 >= len(data):
            return len(header), starts
        starts.append(found + 16)
        at = found + 16


def ids_by_block(data: bytes) -> List[List[str]]:
    return [[record["id"] for record in block] for block in fastavro.block_reader(io.BytesIO(data))]


def all_but_block(blocks: List[List[str]], lost: int) -> List[str]:
    return [record for number, block in enumerate(blocks) if number != lost for record in block]


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_intact_file_gives_every_record_numbered(codec: str) -> None:
    items = read(avro_articles("ok", 30, codec))
    assert ids(items) == [f"ok-{n}" for n in range(30)]
    assert [item[0] for item in items] == [f"a.avro#{n}" for n in range(1, 31)]


def test_damaged_deflate_block_costs_that_block_only() -> None:
    data = avro_articles("d", 30, "deflate")
    _, starts = block_starts(data)
    assert len(starts) > 5  # several blocks, so there is an "after"
    damaged = bytearray(data)
    damaged[starts[3] + 10 : starts[3] + 30] = b"\xff" * 20  # inside block 3's compressed data
    items = read(bytes(damaged))
    (reject,) = rejects(items)
    blocks = ids_by_block(data)
    assert reject.origin == f"a.avro@{starts[3]}"
    size = len(blocks[3])
    assert reject.reason.startswith(f"corrupt Avro block: {size} of {size} records unreadable (error: Error -3")
    assert ids(items) == all_but_block(blocks, 3)


def test_damaged_block_size_resyncs_at_the_next_sync_marker() -> None:
    data = avro_articles("s", 30, "deflate")
    _, starts = block_starts(data)
    cut = data[: starts[4] + 20] + data[starts[4] + 70 :]  # block 4 loses 50 bytes: its sync is not where its size says
    items = read(cut)
    (reject,) = rejects(items)
    assert reject.origin == f"a.avro@{starts[4]}" and "sync marker not at the end of the block" in reject.reason
    assert ids(items) == all_but_block(ids_by_block(data), 4)


def test_null_codec_block_keeps_the_records_before_the_damage() -> None:
    data = avro_articles("n", 30, "null")
    _, starts = block_starts(data)
    damaged = bytearray(data)
    damaged[starts[5] - 40 : starts[5] - 20] = b"\xff" * 20  # the end of block 4's second record
    items = read(bytes(damaged))
    blocks = ids_by_block(data)
    kept = [record for record in blocks[4] if record in ids(items)]
    assert kept == blocks[4][: len(kept)] and len(kept) < len(blocks[4])  # those before the damage
    assert ids(items) == [r for block in blocks[:4] for r in block] + kept + [r for b in blocks[5:] for r in b]
    unread = len(blocks[4]) - len(kept)
    assert rejects(items)[0].reason.startswith(f"corrupt Avro block: {unread} of {len(blocks[4])} records unreadable")


def test_truncated_file_and_damage_without_a_later_sync() -> None:
    data = avro_articles("t", 30, "deflate")
    items = read(data[:-30])
    blocks = ids_by_block(data)
    assert ids(items) == all_but_block(blocks, len(blocks) - 1)
    assert rejects(items)[0].reason.endswith("no sync marker after it")


def test_header_that_is_no_avro_header() -> None:
    with pytest.raises(BadInput, match="no Obj"):
        read(b"id,text\n1,hello\n")
    with pytest.raises(BadInput, match="header unreadable"):
        read(b"Obj\x01" + b"\xff" * 64)
    header = avro_articles("h", 0, "null")
    assert read(header) == []  # a header and no block: no record, no rejection here

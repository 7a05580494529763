"""WARC framing and resync: one corrupt record costs that record, the ones after it are read."""

from __future__ import annotations

import gzip
import io
import re
from typing import List

import pytest

from tests.support.hostile import warc_records
from transforms.io.warc import _Cursor, read_warc
from transforms.records import RawDocument, Rejected

MAX = 1 << 20


def read(data: bytes, name: str = "c.warc", max_bytes: int = MAX) -> List:
    return list(read_warc(name, io.BytesIO(data), max_bytes))


def urls(items) -> List[str]:
    return [item.url for item in items if isinstance(item, RawDocument)]


def rejects(items) -> List[Rejected]:
    return [item for item in items if isinstance(item, Rejected)]


def all_urls(case: str) -> List[str]:
    return [f"https://{case}.example.org/{n}" for n in range(5)]


def test_cursor_reads_lines_across_pushed_back_bytes_and_counts_offsets() -> None:
    cursor = _Cursor(io.BytesIO(b"first line\nsecond line\nthird"))
    assert cursor.readline(100) == b"first line\n" and cursor.offset == 11
    cursor.unread(b"line\n")  # the last bytes read go back
    assert cursor.offset == 6 and cursor.readline(100) == b"line\n"
    assert cursor.read(3) == b"sec"
    cursor.unread(b"ec")
    assert cursor.readline(100) == b"econd line\n" and cursor.offset == 23  # pushed-back bytes, then the stream
    assert cursor.readline(3) == b"thi" and cursor.read(10) == b"rd" and cursor.read(1) == b""


def test_cursor_scans_to_a_pattern_across_chunks() -> None:
    data = b"x" * 70_000 + b"\nWARC/1.0\r\nrest"
    cursor = _Cursor(io.BytesIO(data))
    assert cursor.scan_to(re.compile(rb"\nWARC/1\.[01]\r?\n"), keep=1)
    assert cursor.offset == 70_001 and cursor.read(8) == b"WARC/1.0"
    assert not _Cursor(io.BytesIO(b"no record here")).scan_to(re.compile(rb"\nWARC/"), keep=1)


@pytest.mark.parametrize("gz", [False, True])
def test_intact_warc_gives_every_page_with_its_offset(gz: bool) -> None:
    data, starts = warc_records("intact", 5, gz)
    items = read(data)
    assert urls(items) == all_urls("intact") and not rejects(items)
    assert [item.origin for item in items] == [f"c.warc#{offset}" for offset in starts[:-1]]


def test_plain_record_cut_short_costs_only_that_record() -> None:
    data, starts = warc_records("cut", 5, gz=False)
    at = starts[3] - 60  # inside record 2's body: its Content-Length now overruns into record 3
    items = read(data[:at] + data[at + 30 :])
    assert urls(items) == [u for n, u in enumerate(all_urls("cut")) if n != 2]
    (reject,) = rejects(items)
    assert reject.origin == f"c.warc#{starts[2]}"
    assert reject.reason.startswith("truncated or corrupt WARC record (WARC record does not end where")
    assert reject.reason.endswith("skipped to the next record")


def test_plain_record_with_garbled_first_line_and_junk_between_records() -> None:
    data, starts = warc_records("garbled", 5, gz=False)
    garbled = data[: starts[1]] + b"XXXXXXXX" + data[starts[1] + 8 :]
    items = read(garbled)
    assert urls(items) == [u for n, u in enumerate(all_urls("garbled")) if n != 1]
    assert "no WARC record starts here" in rejects(items)[0].reason
    junk = data[: starts[2]] + b"some junk that is no record\r\n" + data[starts[2] :]
    items = read(junk)
    assert urls(items) == all_urls("garbled") and len(rejects(items)) == 1


def test_a_damaged_length_too_large_to_hold_is_rewound_and_resynced() -> None:
    data, starts = warc_records("length", 5, gz=False)
    record = re.sub(rb"Content-Length: \d+", b"Content-Length: 99999999", data[starts[2] : starts[3]], count=1)
    items = read(data[: starts[2]] + record + data[starts[3] :])
    assert urls(items) == [u for n, u in enumerate(all_urls("length")) if n != 2]
    assert "longer than its Content-Length" in rejects(items)[0].reason


def test_record_over_the_limit_is_skipped_and_the_next_ones_read() -> None:
    data, _ = warc_records("big", 3, gz=False)
    items = read(data, max_bytes=10)  # HTTP headroom still holds these small records
    assert len(urls(items)) == 0 and all("page too large" in r.reason for r in rejects(items))


@pytest.mark.parametrize("damage", ["zeros", "cut"])
def test_gzip_member_that_does_not_inflate_costs_only_its_record(damage: str) -> None:
    data, starts = warc_records("member", 5, gz=True)
    at = (starts[2] + starts[3]) // 2
    broken = data[:at] + bytes(40) + data[at + 40 :] if damage == "zeros" else data[:at] + data[at + 25 :]
    items = read(broken, "c.warc.gz")
    assert urls(items) == [u for n, u in enumerate(all_urls("member")) if n != 2]
    (reject,) = rejects(items)
    assert reject.origin == f"c.warc.gz#{starts[2]}"
    assert reject.reason.startswith("truncated or corrupt WARC gzip member (error: Error -3")


def test_truncated_tail_keeps_every_record_before_it() -> None:
    for gz in (False, True):
        data, starts = warc_records("tail", 5, gz)
        items = read(data[:-50])
        assert urls(items) == all_urls("tail")[:4]
        assert len(rejects(items)) == 1 and rejects(items)[0].origin == f"c.warc#{starts[4]}"


def test_whole_file_gzip_and_a_corrupt_record_inside_it() -> None:
    data, starts = warc_records("whole", 5, gz=False)
    items = read(gzip.compress(data), "c.warc.gz")
    assert urls(items) == all_urls("whole")
    assert [i.origin for i in items] == ["c.warc.gz#0"] + [f"c.warc.gz#0+{s}" for s in starts[1:-1]]
    at = starts[3] - 60
    items = read(gzip.compress(data[:at] + data[at + 30 :]), "c.warc.gz")
    assert urls(items) == [u for n, u in enumerate(all_urls("whole")) if n != 2]
    assert rejects(items)[0].origin == f"c.warc.gz#0+{starts[2]}"


def test_gzip_bomb_member_is_stopped() -> None:
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9) as handle:
        for _ in range(80):
            handle.write(bytes(1 << 20))
    (reject,) = read(bomb.getvalue(), "bomb.warc.gz")
    assert "a gzip bomb" in reject.reason


def test_no_warc_at_all_is_one_rejection() -> None:
    (reject,) = read(b"just some notes\nnot a warc\n")
    assert reject.origin == "c.warc#0" and reject.reason.endswith("no whole record after it")


def test_lenient_on_record_separators_and_old_versions() -> None:
    data, _ = warc_records("lenient", 4, gz=False)
    one_line_break = data.replace(b"\r\n\r\nWARC/1.0", b"\r\nWARC/1.0")
    assert urls(read(one_line_break)) == all_urls("lenient")[:4]
    assert urls(read(data.replace(b"WARC/1.0\r\n", b"WARC/0.18\r\n"))) == all_urls("lenient")[:4]
    assert urls(read(data.replace(b"\r\n\r\nWARC/1.0", b"\r\n\r\n\r\n\r\nWARC/1.0"))) == all_urls("lenient")[:4]

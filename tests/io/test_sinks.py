"""Deterministic sharded writers (Avro and JSON Lines)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import apache_beam as beam
import fastavro
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from transforms.io.sinks import (
    WriteRecords,
    encode_shard,
    prepare_output,
    shard_of,
    to_plain,
)
from transforms.records import Rejected

RECORDS = [Rejected(f"in/{n}.html", "read", "empty file", "") for n in range(7)]


def _write(tmp_path: Path, fmt: str, records=RECORDS, num_shards: int = 3) -> Path:
    with TestPipeline() as p:
        _ = (
            p
            | beam.Create(list(reversed(records)))
            | WriteRecords(
                str(tmp_path),
                "rejected",
                "rejected",
                key=lambda r: r.origin,
                sort_key=lambda r: r.origin,
                fmt=fmt,
                num_shards=num_shards,
            )
        )
    return tmp_path / "rejected"


def test_shard_of_is_stable_and_in_range() -> None:
    # a content hash (blake2b), never Python's per-process hash(): the same shard in every worker
    assert shard_of("a", 4) == int.from_bytes(hashlib.blake2b(b"a", digest_size=8).digest(), "big") % 4
    assert {shard_of(str(n), 4) for n in range(100)} == {0, 1, 2, 3}


def test_avro_shards_read_back_sorted_and_complete(tmp_path: Path) -> None:
    directory = _write(tmp_path, "avro")
    files = sorted(directory.glob("part-*"))
    assert [f.name for f in files] == [f"part-{n:05d}-of-00003.avro" for n in range(3)]
    seen = []
    for path in files:
        with path.open("rb") as handle:
            origins = [r["origin"] for r in fastavro.reader(handle)]
        assert origins == sorted(origins)
        seen += origins
    assert sorted(seen) == sorted(r.origin for r in RECORDS)


def test_every_shard_exists_even_with_no_records(tmp_path: Path) -> None:
    directory = _write(tmp_path, "avro", records=[], num_shards=2)
    files = sorted(directory.glob("part-*"))
    assert len(files) == 2
    for path in files:
        with path.open("rb") as handle:
            assert list(fastavro.reader(handle)) == []


def test_same_records_give_byte_identical_files(tmp_path: Path) -> None:
    first = _write(tmp_path / "one", "avro")
    second = _write(tmp_path / "two", "avro")
    for a, b in zip(sorted(first.iterdir()), sorted(second.iterdir())):
        assert a.read_bytes() == b.read_bytes()
    # the Avro sync marker follows the file name, not a random draw
    assert encode_shard([], "rejected", "avro", "x/part-0") == encode_shard([], "rejected", "avro", "x/part-0")


def test_jsonl_has_schema_field_names(tmp_path: Path) -> None:
    directory = _write(tmp_path, "jsonl")
    lines = [json.loads(line) for f in sorted(directory.glob("*.jsonl")) for line in f.read_text("utf-8").splitlines()]
    assert len(lines) == len(RECORDS)
    assert set(lines[0]) == {"origin", "stage", "reason", "payload"}
    assert to_plain(RECORDS[0]) == {"origin": "in/0.html", "stage": "read", "reason": "empty file", "payload": ""}


def test_prepare_output_removes_stale_shards_only(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "part-00009-of-00010.avro").write_bytes(b"old")
    (tmp_path / "articles" / "notes.txt").write_text("mine")
    prepare_output(str(tmp_path), ["articles", "rejected"])
    assert [p.name for p in (tmp_path / "articles").iterdir()] == ["notes.txt"]


def test_unknown_format_and_zero_shards_are_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        WriteRecords("o", "k", "rejected", key=str, sort_key=str, fmt="csv")
    with pytest.raises(ValueError, match="num_shards"):
        WriteRecords("o", "k", "rejected", key=str, sort_key=str, num_shards=0)


def test_avro_header_does_not_depend_on_the_process_hash_seed() -> None:
    # fastavro orders a field's doc/default by a set: a worker with another hash
    # seed once wrote a different header for the same records
    import subprocess
    import sys

    code = (
        "import hashlib; from transforms.io.sinks import encode_shard; "
        "print(hashlib.sha1(encode_shard([], 'article', 'avro', 'articles/p')).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1


def test_many_small_spills_and_merge_rounds_give_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import transforms.io.sinks as sinks

    records = [Rejected(f"in/{n:03d}.html", "read", "empty file", "x" * (n % 7)) for n in range(300)]
    reference = _write(tmp_path / "ref", "avro", records=records)
    monkeypatch.setattr(sinks, "SPILL_BYTES", 500)  # a spill every few records
    monkeypatch.setattr(sinks, "MERGE_FAN_IN", 3)  # several merge rounds per shard
    spilled = _write(tmp_path / "spilled", "avro", records=records)
    for path in sorted(reference.iterdir()):
        assert path.read_bytes() == (spilled / path.name).read_bytes()
    assert not list((tmp_path / "spilled" / "_spill" / "rejected").glob("*"))  # merged spills are deleted

"""Deterministic sharded writers (Avro and JSON Lines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import apache_beam as beam
import fastavro
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from transforms.io.shards import to_plain
from transforms.io.sinks import (
    WriteRecords,
    encode_shard,
    prepare_output,
    publish,
    remove_temporaries,
    temporary_path,
)
from transforms.records import Rejected

RECORDS = [Rejected(f"in/{n}.html", "read", "empty file", "") for n in range(7)]


def _write(tmp_path: Path, fmt: str, records=RECORDS, num_shards: int = 3, spill_dir: Optional[str] = None) -> Path:
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
                spill_dir=spill_dir,
            )
        )
    return tmp_path / "rejected"


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
    (tmp_path / "articles" / ".part-00001-of-00010.avro.0a1b.tmp").write_bytes(b"half")
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
    import transforms.io.spill as spill

    records = [Rejected(f"in/{n:03d}.html", "read", "empty file", "x" * (n % 7)) for n in range(300)]
    # ties on the sort key: the order must come from the records, not from their bundles
    records += [Rejected("in/tie.html", "read", reason, "") for reason in ("b", "a", "c")]
    reference = _write(tmp_path / "ref", "avro", records=records)
    monkeypatch.setattr(spill, "SPILL_BYTES", 500)  # a spill every few records
    monkeypatch.setattr(spill, "MERGE_FAN_IN", 3)  # several merge rounds per shard
    spill_dir = tmp_path / "spill"
    spilled = _write(tmp_path / "spilled", "avro", records=records, spill_dir=str(spill_dir))
    for path in sorted(reference.iterdir()):
        assert path.read_bytes() == (spilled / path.name).read_bytes()
    # the spill files stay (a retried merge reads them again) until the run removes the directory
    assert len(list((spill_dir / "shards-rejected").glob("*-merge-*.jsonl.gz"))) > 3
    assert sorted(p.name for p in (tmp_path / "spilled").iterdir()) == ["rejected"]  # nothing else in the output


def test_publish_renames_a_complete_file_and_a_rewrite_replaces_it(tmp_path: Path) -> None:
    path = str(tmp_path / "part-00000-of-00001.jsonl")
    seen_during_write = []

    def write(handle) -> None:
        handle.write(b"first\n")
        seen_during_write.extend(sorted(p.name for p in tmp_path.iterdir()))

    publish(path, write)
    # while writing, only a hidden temporary exists; the final name appears complete
    assert len(seen_during_write) == 1 and seen_during_write[0].startswith(".part-00000-of-00001.jsonl.")
    assert seen_during_write[0].endswith(".tmp")
    assert [p.name for p in tmp_path.iterdir()] == ["part-00000-of-00001.jsonl"]
    publish(path, lambda handle: handle.write(b"second\n"))  # a retried attempt
    assert Path(path).read_bytes() == b"second\n"


def test_remove_temporaries_drops_what_failed_attempts_left(tmp_path: Path) -> None:
    path = str(tmp_path / "part-00000-of-00002.avro")
    Path(path).write_bytes(b"done")
    Path(temporary_path(path)).write_bytes(b"half")
    Path(temporary_path(path)).write_bytes(b"half again")
    other = tmp_path / "part-00001-of-00002.avro"
    other.write_bytes(b"done")
    assert remove_temporaries([path, str(other)]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part-00000-of-00002.avro", "part-00001-of-00002.avro"]


def test_a_shard_written_twice_is_the_same_file(tmp_path: Path) -> None:
    # a retried bundle calls the writer again on the same shard: same bytes, no leftover
    from transforms.io.shards import shard_entry
    from transforms.io.sinks import _WriteShard

    writer = _WriteShard(str(tmp_path), "rejected", "rejected", "avro", 1, None)
    entries = [shard_entry(r, lambda r: r.origin) for r in RECORDS]
    (first,) = list(writer.process((0, list(reversed(entries)))))
    before = Path(first).read_bytes()
    (second,) = list(writer.process((0, entries)))
    assert first == second and Path(second).read_bytes() == before
    assert [p.name for p in (tmp_path / "rejected").iterdir()] == ["part-00000-of-00001.avro"]

"""reporting.outputs: the three layouts, the three formats, latest versions."""

import gzip
import json

import pytest

from reporting.outputs import (
    BATCH,
    PARTITIONED,
    STREAMING,
    data_files,
    latest_versions,
    locate,
    read_file,
    read_records,
)
from tests.support.run_outputs import event, sample_records, write_batch, write_jsonl


def test_batch_layout_in_avro_reads_every_kind(tmp_path):
    write_batch(tmp_path, sample_records(), fmt="avro")
    run = locate(tmp_path)
    assert run.layout == BATCH and run.partitions == []
    events = list(read_records(run.files["events"]))
    assert [e["id"] for e in events] == ["e1", "e2", "e3"]
    assert events[0]["mentions"][1] == {"article_id": "a2", "sentence_index": 0, "start": 0, "end": 42}
    assert [r["stage"] for r in read_records(run.files["rejected"])] == ["read", "entities"]
    assert not run.has("too_late")


def test_partitions_all_or_one(tmp_path):
    records = sample_records()
    write_batch(tmp_path, {"events": records["events"][:1]}, partition="2020-09-14")
    write_batch(tmp_path, {"events": records["events"][1:]}, partition="2020-09-15")
    (tmp_path / "events" / "dt=2020-09-15" / "_SUCCESS").write_text("")
    everything = locate(tmp_path)
    assert everything.layout == PARTITIONED and everything.partitions == ["2020-09-14", "2020-09-15"]
    assert [e["id"] for e in read_records(everything.files["events"])] == ["e1", "e2", "e3"]
    one = locate(tmp_path, "2020-09-15")
    assert one.partitions == ["2020-09-15"]
    assert [e["id"] for e in read_records(one.files["events"])] == ["e2", "e3"]
    with pytest.raises(ValueError, match="no partition dt=2020-01-01"):
        locate(tmp_path, "2020-01-01")


def test_streaming_layout_reads_latest_snapshots_and_logs(tmp_path):
    write_jsonl(tmp_path / "latest" / "events" / "20200914T000000Z--20200914T001500Z.jsonl", [event("e1")])
    write_jsonl(
        tmp_path / "latest" / "events" / "20200915T000000Z--20200915T001500Z.jsonl",
        [event("e1", articles=("a1", "a2")), event("e2")],
    )
    write_jsonl(
        tmp_path / "rejected" / "20261206T014500Z--20261206T020000Z" / "pane-00000-ON_TIME.jsonl",
        [{"origin": "x", "stage": "read", "reason": "invalid JSON: x", "payload": ""}],
    )
    write_jsonl(tmp_path / "events" / "20200914T000000Z--20200914T001500Z" / "pane-00000-ON_TIME.jsonl", [event("old")])
    run = locate(tmp_path)
    assert run.layout == STREAMING
    events = latest_versions(read_records(run.files["events"]))
    # the later window's version of e1 wins; pane files outside latest/ are not read
    assert [(e["id"], e["num_articles"]) for e in events] == [("e1", 2), ("e2", 1)]
    assert len(list(read_records(run.files["rejected"]))) == 1
    with pytest.raises(ValueError):
        locate(tmp_path, "2020-09-14")


def test_gzipped_jsonl_and_parquet(tmp_path):
    import pyarrow as pa  # Beam's dependency
    import pyarrow.parquet as pq

    with gzip.open(tmp_path / "part-0.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "a"}) + "\n\n" + json.dumps({"id": "b"}) + "\n")
    pq.write_table(pa.table({"id": ["c"], "events": [3]}), tmp_path / "part-1.parquet")
    assert [r["id"] for r in read_file(tmp_path / "part-0.jsonl.gz")] == ["a", "b"]
    assert list(read_file(tmp_path / "part-1.parquet")) == [{"id": "c", "events": 3}]


def test_hidden_and_staging_files_are_skipped(tmp_path):
    write_jsonl(tmp_path / "part-0.jsonl", [{"id": "a"}])
    write_jsonl(tmp_path / "_staging" / "part-1.jsonl", [{"id": "b"}])
    write_jsonl(tmp_path / ".part-2.jsonl", [{"id": "c"}])
    (tmp_path / "_SUCCESS").write_text("")
    assert [p.name for p in data_files(tmp_path)] == ["part-0.jsonl"]


def test_missing_or_empty_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        locate(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="no record files"):
        locate(tmp_path)

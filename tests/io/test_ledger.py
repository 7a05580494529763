"""The run ledger: input plans, earlier partitions, manifest states and checks."""

from __future__ import annotations

import json
import pathlib

import pytest

from transforms.io import ledger
from transforms.io.ledger import InputFile, InputPlan

SEED = InputFile("/feeds/seed.txt", 37705, 1.0)
WIRE = InputFile("/feeds/wire.jsonl", 900, 2.0)
LATE = InputFile("/feeds/late.jsonl", 120, 3.0)


def manifest(run_date: str, inputs, status: str = ledger.COMPLETE, files=()) -> dict:
    return {
        "run_date": run_date,
        "status": status,
        "inputs": [i._asdict() for i in inputs],
        "published": {"files": [{"path": f, "bytes": 1, "blake2b": "x"} for f in files]},
    }


def test_run_dates_must_be_real_days() -> None:
    assert ledger.parse_run_date("2020-09-15") == "2020-09-15"
    for bad in ("2020-9-15", "2020-02-30", "2020-13-01", "20200915", "2020-09-15T00:00"):
        with pytest.raises(ValueError):
            ledger.parse_run_date(bad)


def test_without_incremental_every_matched_file_is_read() -> None:
    plan = ledger.plan_inputs("2020-09-16", [SEED, WIRE], {"2020-09-15": manifest("2020-09-15", [SEED])}, False)
    assert plan == InputPlan([SEED, WIRE], {}, [], False)


def test_incremental_skips_what_any_other_run_date_read() -> None:
    manifests = {
        "2020-09-15": manifest("2020-09-15", [SEED]),
        # a later date read first (a backfill runs out of order): its files are skipped too
        "2020-09-17": manifest("2020-09-17", [LATE]),
    }
    grown = InputFile(SEED.path, SEED.bytes + 10, 9.0)  # appended to after it was read
    plan = ledger.plan_inputs("2020-09-16", [grown, WIRE, LATE], manifests, True)
    assert plan.inputs == [WIRE] and not plan.rerun
    assert plan.skipped == {SEED.path: "2020-09-15", LATE.path: "2020-09-17"}
    assert plan.changed == [SEED.path]


def test_a_rerun_reads_the_inputs_of_its_first_run_whatever_matches_now() -> None:
    manifests = {"2020-09-15": manifest("2020-09-15", [SEED]), "2020-09-16": manifest("2020-09-16", [WIRE])}
    plan = ledger.plan_inputs("2020-09-16", [SEED, WIRE, LATE], manifests, True)
    assert plan == InputPlan([WIRE], {}, [], True)
    # a failed first run's "started" manifest claims its inputs just the same
    manifests["2020-09-17"] = manifest("2020-09-17", [LATE], status=ledger.STARTED)
    assert ledger.plan_inputs("2020-09-18", [SEED, WIRE, LATE], manifests, True).inputs == []


def test_match_inputs_and_missing_inputs(tmp_path: pathlib.Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("abc")
    (tmp_path / "sub" / "b.jsonl").write_text("{}\n")
    matched = ledger.match_inputs([str(tmp_path), str(tmp_path / "*.txt")])
    assert [(pathlib.Path(i.path).name, i.bytes) for i in matched] == [("a.txt", 3), ("b.jsonl", 3)]
    assert ledger.missing_inputs(matched) == []
    (tmp_path / "a.txt").write_text("abcd")
    (tmp_path / "sub" / "b.jsonl").unlink()
    assert ledger.missing_inputs(matched) == [str(tmp_path / "a.txt"), str(tmp_path / "sub" / "b.jsonl")]


def test_earlier_partitions_are_the_published_ones_within_the_lookback() -> None:
    manifests = {
        "2020-09-07": manifest("2020-09-07", [], files=["events/dt=2020-09-07/part-0.parquet"]),
        "2020-09-08": manifest("2020-09-08", [], files=["events/dt=2020-09-08/part-0.parquet", "articles/x"]),
        "2020-09-14": manifest("2020-09-14", [], status=ledger.STARTED, files=["events/dt=2020-09-14/p"]),
        "2020-09-15": manifest("2020-09-15", [], status=ledger.PUBLISHED, files=["events/dt=2020-09-15/p"]),
        "2020-09-16": manifest("2020-09-16", [], files=["events/dt=2020-09-16/p"]),
        "2020-09-17": manifest("2020-09-17", [], files=["events/dt=2020-09-17/p"]),
    }
    earlier = ledger.earlier_partitions("2020-09-16", manifests, 8)
    assert earlier == [
        {"run_date": "2020-09-08", "files": ["events/dt=2020-09-08/part-0.parquet"]},
        {"run_date": "2020-09-15", "files": ["events/dt=2020-09-15/p"]},
    ]
    assert ledger.earlier_partitions("2020-09-16", manifests, 0) == []


def test_manifests_are_written_whole_and_read_back_by_date(tmp_path: pathlib.Path) -> None:
    out = str(tmp_path)
    path = ledger.write_manifest(out, {"run_date": "2020-09-15", "status": "started"})
    assert path == str(tmp_path / "_runs" / "2020-09-15.json")
    (tmp_path / "_runs" / "notes.json").write_text("{}")  # not a run date: ignored
    ledger.write_manifest(out, {"run_date": "2020-09-14", "status": "complete"})
    assert list(ledger.read_manifests(out)) == ["2020-09-14", "2020-09-15"]
    assert sorted(p.name for p in (tmp_path / "_runs").iterdir()) == [
        "2020-09-14.json",
        "2020-09-15.json",
        "notes.json",
    ]


def test_the_manifest_goes_from_started_to_published_to_complete() -> None:
    plan = InputPlan([WIRE], {SEED.path: "2020-09-15"}, [], False)
    previous = {
        "run_id": "r0",
        "status": "complete",
        "published": {"at": "t0", "files": [{"path": "a", "blake2b": "1"}]},
    }
    started = ledger.started_manifest(
        "2020-09-16", "r1", plan, ["/feeds"], {"format": "parquet"}, {"partitions": []}, previous
    )
    assert started["status"] == "started" and started["inputs"] == [WIRE._asdict()]
    assert started["skipped_inputs"] == {"count": 1, "by_run_date": {"2020-09-15": 1}, "changed_since_read": []}
    assert started["code_version"]["source_digest"] and started["previous"]["run_id"] == "r0"
    same = ledger.published_manifest(started, [{"path": "a", "bytes": 1, "blake2b": "1"}])
    assert same["status"] == "published" and same["published"]["identical_to_previous"] is True
    assert "previous_files" not in same
    other = ledger.published_manifest(started, [{"path": "a", "bytes": 1, "blake2b": "2"}])
    assert other["published"]["identical_to_previous"] is False
    summary = {"runner": "DirectRunner", "seconds": 3.2, "counters": {"write": {"articles": 2}}}
    summary["reconciliation"] = {"in": 2, "out": 2, "rejected": 0, "duplicates": 0, "balanced": True}
    done = ledger.completed_manifest(same, summary)
    assert done["status"] == "complete" and done["reconciliation"]["balanced"] and done["timings"]["seconds"] == 3.2
    assert ledger.check_manifest(done, "2020-09-16") == []


def test_check_says_what_is_wrong() -> None:
    assert ledger.check_manifest(None, "2020-09-16") == ["no manifest for 2020-09-16"]
    unbalanced = {"status": "complete", "reconciliation": {"in": 3, "out": 1, "rejected": 1, "duplicates": 0}}
    assert ledger.check_manifest(unbalanced, "2020-09-16") == [
        "reconciliation does not balance: in = out + rejected + duplicates: 3 = 1 + 1 + 0"
    ]
    assert ledger.check_manifest({"status": "published"}, "d")[0] == "status is 'published', not 'complete'"


def test_check_published_files(tmp_path: pathlib.Path) -> None:
    partition = tmp_path / "articles" / "dt=2020-09-16"
    partition.mkdir(parents=True)
    (partition / "part-0.parquet").write_bytes(b"1234")
    files = [{"path": "articles/dt=2020-09-16/part-0.parquet", "bytes": 4, "blake2b": "x"}]
    assert ledger.check_published_files(str(tmp_path), {"published": {"files": files}}) == [
        "no _SUCCESS in articles/dt=2020-09-16"
    ]
    (partition / "_SUCCESS").write_bytes(b"")
    assert ledger.check_published_files(str(tmp_path), {"published": {"files": files}}) == []
    (partition / "part-0.parquet").write_bytes(b"12")
    assert ledger.check_published_files(str(tmp_path), {"published": {"files": files}}) == [
        "articles/dt=2020-09-16/part-0.parquet has 2 bytes, the run wrote 4"
    ]


def test_the_source_digest_follows_the_code(tmp_path: pathlib.Path) -> None:
    for directory in ("pipelines", "transforms", "schemas"):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "a.py").write_text("x = 1\n")
    (tmp_path / "pipelines" / "__pycache__").mkdir()
    (tmp_path / "pipelines" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    first = ledger.source_digest(tmp_path)
    (tmp_path / "pipelines" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\1")
    assert ledger.source_digest(tmp_path) == first  # compiled files do not count
    (tmp_path / "transforms" / "a.py").write_text("x = 2\n")
    assert ledger.source_digest(tmp_path) != first
    json.dumps(ledger.code_version())  # the manifest can hold it

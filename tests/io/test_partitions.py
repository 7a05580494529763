"""Publishing a run-date partition: staging → dt= directory, _SUCCESS, reruns, retries."""

from __future__ import annotations

import json
import pathlib
from typing import Dict

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline

from transforms.io import partitions
from transforms.io.partitions import PublishPartition, publish_partition, remove_staging, staging_path


def stage(out: pathlib.Path, run_date: str, run_id: str, files: Dict[str, bytes]) -> pathlib.Path:
    staging = pathlib.Path(staging_path(str(out), run_date, run_id))
    for name, data in files.items():
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return staging


def tree(root: pathlib.Path) -> Dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_partition_moves_into_place_with_success_last(tmp_path: pathlib.Path) -> None:
    staging = stage(
        tmp_path,
        "2020-09-15",
        "r1",
        {
            "articles/part-00000-of-00001.parquet": b"A",
            "articles/.part-00000-of-00001.parquet.0a1b.tmp": b"half",  # a failed attempt's leftover
            "events/part-00000-of-00001.parquet": b"E",
        },
    )
    files = publish_partition(str(tmp_path), "2020-09-15", str(staging), ["articles", "events"])
    assert [f["path"] for f in files] == [
        "articles/dt=2020-09-15/part-00000-of-00001.parquet",
        "events/dt=2020-09-15/part-00000-of-00001.parquet",
    ]
    assert files[0]["bytes"] == 1 and files[0]["blake2b"] == partitions.file_digest(
        str(staging.parent.parent / files[0]["path"])
    )
    published = {k: v for k, v in tree(tmp_path).items() if not k.startswith("_")}
    assert published == {
        "articles/dt=2020-09-15/_SUCCESS": b"",
        "articles/dt=2020-09-15/part-00000-of-00001.parquet": b"A",
        "events/dt=2020-09-15/_SUCCESS": b"",
        "events/dt=2020-09-15/part-00000-of-00001.parquet": b"E",
    }


def test_a_rerun_replaces_the_partition_and_leaves_other_dates_alone(tmp_path: pathlib.Path) -> None:
    first = stage(tmp_path, "2020-09-15", "r1", {"articles/part-0.jsonl": b"old", "articles/part-1.jsonl": b"gone"})
    publish_partition(str(tmp_path), "2020-09-15", str(first), ["articles"])
    other = stage(tmp_path, "2020-09-14", "r0", {"articles/part-0.jsonl": b"14"})
    publish_partition(str(tmp_path), "2020-09-14", str(other), ["articles"])
    before = (tmp_path / "articles" / "dt=2020-09-14" / "part-0.jsonl").stat()
    rerun = stage(tmp_path, "2020-09-15", "r2", {"articles/part-0.jsonl": b"new"})
    publish_partition(str(tmp_path), "2020-09-15", str(rerun), ["articles"])
    assert tree(tmp_path / "articles" / "dt=2020-09-15") == {"_SUCCESS": b"", "part-0.jsonl": b"new"}
    after = (tmp_path / "articles" / "dt=2020-09-14" / "part-0.jsonl").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # the replaced partition waits in the staging directory until the run deletes it
    assert (rerun / "_replaced" / "articles" / "part-1.jsonl").read_bytes() == b"gone"


def test_a_retried_publish_finishes_what_the_first_attempt_began(tmp_path: pathlib.Path) -> None:
    staging = stage(tmp_path, "2020-09-15", "r1", {"articles/p.jsonl": b"A", "events/p.jsonl": b"E"})
    # the first attempt moved articles, then died before events
    partitions.move_directory(
        str(staging / "articles"), partitions.partition_path(str(tmp_path), "articles", "2020-09-15")
    )
    files = publish_partition(str(tmp_path), "2020-09-15", str(staging), ["articles", "events"])
    assert [f["path"] for f in files] == ["articles/dt=2020-09-15/p.jsonl", "events/dt=2020-09-15/p.jsonl"]
    assert (tmp_path / "events" / "dt=2020-09-15" / "p.jsonl").read_bytes() == b"E"
    assert (tmp_path / "articles" / "dt=2020-09-15" / "_SUCCESS").exists()


def test_stale_staging_of_the_same_date_only_is_removed(tmp_path: pathlib.Path) -> None:
    stage(tmp_path, "2020-09-15", "crashed", {"articles/p.jsonl": b"x"})
    stage(tmp_path, "2020-09-16", "running", {"articles/p.jsonl": b"y"})
    assert remove_staging(str(tmp_path), "2020-09-15") == 1
    assert sorted(p.name for p in (tmp_path / "_staging").iterdir()) == ["dt=2020-09-16.running"]
    assert remove_staging(str(tmp_path / "nothing-here"), "2020-09-15") == 0


def test_publish_partition_transform_writes_the_published_manifest(tmp_path: pathlib.Path) -> None:
    staging = stage(tmp_path, "2020-09-15", "r1", {"articles/p.jsonl": b"A"})
    started = {"run_date": "2020-09-15", "status": "started", "timings": {"started": "t0"}}
    with TestPipeline() as p:
        written = p | beam.Create([str(staging / "articles" / "p.jsonl")])
        _ = written | PublishPartition(str(tmp_path), "2020-09-15", str(staging), ["articles"], started)
    manifest = json.loads((tmp_path / "_runs" / "2020-09-15.json").read_text())
    assert manifest["status"] == "published"
    assert [f["path"] for f in manifest["published"]["files"]] == ["articles/dt=2020-09-15/p.jsonl"]
    assert not staging.exists() and (tmp_path / "articles" / "dt=2020-09-15" / "_SUCCESS").exists()

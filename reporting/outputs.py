"""Finds and reads the record files of a run's output directory.

Three layouts, told apart by what is on disk:

- batch: ``OUT/<kind>/part-*`` (``pipelines.batch``);
- partitioned: ``OUT/<kind>/dt=YYYY-MM-DD/part-*`` (Hive-style run dates); all
  partitions, or one with ``partition="YYYY-MM-DD"``;
- streaming: ``OUT/latest/{events,aggregates}/<window>.<fmt>`` (each window's last
  pane) and the append-only logs ``OUT/{rejected,duplicates,too_late}/<window>/pane-*``.

Files are Avro, JSON Lines (optionally gzipped) or Parquet, told by their suffix;
names starting with ``_`` or ``.`` (``_SUCCESS``, staging directories) are skipped.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional

import fastavro

BATCH, PARTITIONED, STREAMING = "batch", "partitioned", "streaming"
KINDS = (
    "articles",
    "sentences",
    "mentions",
    "entities",
    "events",
    "aggregates",
    "duplicates",
    "rejected",
    "too_late",
)
LATEST_KINDS = ("events", "aggregates")  # the streaming job's snapshots
DATA_SUFFIXES = (".avro", ".jsonl", ".jsonl.gz", ".json", ".parquet")
PARTITION_PREFIX = "dt="


@dataclass(frozen=True)
class RunOutput:
    """Where each record kind of one run lives."""

    root: Path
    layout: str
    partitions: List[str] = field(default_factory=list)
    files: Dict[str, List[Path]] = field(default_factory=dict)

    def has(self, kind: str) -> bool:
        return bool(self.files.get(kind))


def is_data_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(("_", ".")) and path.name.endswith(DATA_SUFFIXES)


def data_files(directory: Path) -> List[Path]:
    """Every data file below directory, sorted by path (hidden and ``_`` names skipped)."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).parts
        if any(part.startswith(("_", ".")) for part in relative):
            continue
        if is_data_file(path):
            found.append(path)
    return found


def partitions_of(root: Path) -> List[str]:
    """Run dates that have a ``dt=`` directory under any record kind, sorted."""
    dates: set = set()
    for kind in KINDS:
        kind_dir = root / kind
        if kind_dir.is_dir():
            dates.update(p.name[len(PARTITION_PREFIX) :] for p in kind_dir.glob(PARTITION_PREFIX + "*") if p.is_dir())
    return sorted(dates)


def locate(root: Path, partition: Optional[str] = None) -> RunOutput:
    """The files of each record kind under root (see the module docstring)."""
    if not root.is_dir():
        raise FileNotFoundError(f"no output directory {root}")
    latest = root / "latest"
    if any((latest / kind).is_dir() for kind in LATEST_KINDS):
        if partition:
            raise ValueError("a streaming output has no dt= partitions")
        files = {kind: data_files(latest / kind) for kind in LATEST_KINDS}
        for kind in KINDS:
            if kind not in LATEST_KINDS:
                files[kind] = data_files(root / kind)
        return RunOutput(root, STREAMING, [], files)
    dates = partitions_of(root)
    if partition and partition not in dates:
        raise ValueError(f"no partition dt={partition} under {root} (found: {', '.join(dates) or 'none'})")
    chosen = [partition] if partition else dates
    files = {}
    for kind in KINDS:
        kind_dir = root / kind
        if chosen:
            files[kind] = [f for date in chosen for f in data_files(kind_dir / f"{PARTITION_PREFIX}{date}")]
        else:
            files[kind] = data_files(kind_dir)
    if not any(files.values()):
        raise FileNotFoundError(f"no record files under {root} (expected {', '.join(KINDS[:5])}, … directories)")
    return RunOutput(root, PARTITIONED if chosen else BATCH, chosen, files)


def read_file(path: Path) -> Iterator[Dict[str, Any]]:
    """The records of one file as dicts."""
    name = path.name
    if name.endswith(".avro"):
        with path.open("rb") as handle:
            yield from (record for record in fastavro.reader(handle) if isinstance(record, dict))
    elif name.endswith(".parquet"):
        import pyarrow.parquet as pq  # Beam's dependency; only Parquet outputs need it

        yield from pq.read_table(path).to_pylist()
    else:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def read_records(files: Iterable[Path]) -> Iterator[Dict[str, Any]]:
    for path in files:
        yield from read_file(path)


def latest_versions(records: Iterable[Dict[str, Any]], key: str = "id") -> List[Dict[str, Any]]:
    """One record per key, the last one read wins (streaming snapshots list an event in
    every window it was updated in, windows in time order), sorted by key."""
    by_key: Dict[Any, Dict[str, Any]] = {}
    for record in records:
        by_key[record[key]] = record
    return [by_key[k] for k in sorted(by_key)]

"""Checkpointing and grouping a PCollection through files, so only file paths cross a shuffle.

Corpus-wide decisions (dedup, boilerplate learning) need every article seen
before any article can be finished. On a runner that keeps shuffled data in
memory (the DirectRunner keeps everything between fused stages in the launcher,
decoded, re-encoded and copied into gRPC messages, and hands each worker its
whole share as one bundle), whatever crosses that barrier makes memory grow with
the corpus, even small keys. Here each bundle writes its records to gzip JSON
Lines files of at most SPILL_BYTES and only the paths go through a Reshuffle:
``CheckpointToFiles`` streams the records back as they were; ``GroupThroughFiles``
is a GroupByKey whose files are sorted by key, so each shard is a streaming
merge that holds one key's values at a time.
"""

from __future__ import annotations

import heapq
import itertools
import json
import uuid
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Tuple,
    Type,
)

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from transforms.io.sinks import (
    MERGE_FAN_IN,
    TEMP_DIR,
    read_lines_gz,
    shard_of,
    to_plain,
    write_lines_gz,
)

SPILL_BYTES = 4 * 2**20  # records buffered per worker before a checkpoint file is written


GROUP_SHARDS = 16  # files per spill of GroupThroughFiles, and parallel merges


def checkpoint_dir(directory: str, name: str) -> str:
    return FileSystems.join(directory, TEMP_DIR, f"checkpoint-{name}")


class _SpillRecords(beam.DoFn):
    def __init__(self, directory: str, name: str):
        self._directory = checkpoint_dir(directory, name)
        self._spilled = Metrics.counter("checkpoint", f"{name}_files")

    def start_bundle(self):
        self._lines: List[str] = []
        self._buffered = 0

    def process(self, record: NamedTuple):
        line = json.dumps(to_plain(record), ensure_ascii=False)
        self._lines.append(line)
        self._buffered += len(line)
        if self._buffered >= SPILL_BYTES:
            yield self._flush()

    def finish_bundle(self):
        if self._lines:
            yield WindowedValue(self._flush(), MIN_TIMESTAMP, [GlobalWindow()])

    def _flush(self) -> str:
        path = FileSystems.join(self._directory, f"{uuid.uuid4().hex}.jsonl.gz")
        write_lines_gz(path, self._lines)
        self._spilled.inc()
        self._lines, self._buffered = [], 0
        return path


def read_back(path: str, record_type: Type[NamedTuple]) -> Iterator[Any]:
    """The records of one checkpoint file, streamed, as record_type."""
    for line in read_lines_gz(path):
        fields: Dict[str, Any] = json.loads(line)
        yield record_type(**fields)  # type: ignore[call-overload]


class CheckpointToFiles(beam.PTransform):
    """PCollection[record_type] -> the same records, through files under
    ``<directory>/_spill/checkpoint-<name>/`` (removed with the spill directory
    at the end of the run). Only flat NamedTuples whose fields are JSON values."""

    def __init__(self, directory: str, name: str, record_type: Type[NamedTuple]):
        super().__init__()
        self._directory = directory
        self._name = name
        self._record_type = record_type

    def expand(self, records):
        record_type = self._record_type
        return (
            records
            | "Spill" >> beam.ParDo(_SpillRecords(self._directory, self._name)).with_output_types(str)
            # the shuffle is the barrier: the records themselves never cross it
            | "OnlyPathsCross" >> beam.Reshuffle()
            | "ReadBack" >> beam.FlatMap(read_back, record_type).with_output_types(record_type)
        )


JsonValue = Any


def group_line(key: str, value: JsonValue) -> str:
    """One (key, value) pair as a spill line: JSON key, tab, JSON value.

    A JSON string encodes no raw tab and no encoding is a prefix of another,
    so plain string order of the lines keeps each key's lines together.
    """
    return f"{json.dumps(key, ensure_ascii=False)}\t{json.dumps(value, ensure_ascii=False)}"


def merge_groups(paths: List[str]) -> Iterator[Tuple[str, List[JsonValue]]]:
    """(key, values) from sorted spill files, one key at a time, keys in sorted order;
    a key's values come in the order of their lines, so the same pairs always give the
    same groups."""
    lines = heapq.merge(*(read_lines_gz(path) for path in paths))
    for encoded, group in itertools.groupby(lines, key=lambda line: line.split("\t", 1)[0]):
        yield json.loads(encoded), [json.loads(line.split("\t", 1)[1]) for line in group]


class _SpillPairs(beam.DoFn):
    """Writes each bundle's pairs, sorted, to one file per shard (at most SPILL_BYTES
    buffered); emits (shard, path)."""

    def __init__(self, directory: str, shards: int):
        self._directory = directory
        self._shards = shards

    def start_bundle(self):
        self._by_shard: Dict[int, List[str]] = {}
        self._buffered = 0

    def process(self, pair: Tuple[str, JsonValue]):
        key, value = pair
        line = group_line(key, value)
        self._by_shard.setdefault(shard_of(key, self._shards), []).append(line)
        self._buffered += len(line)
        if self._buffered >= SPILL_BYTES:
            yield from self._flush()

    def finish_bundle(self):
        for shard, path in self._flush():
            yield WindowedValue((shard, path), MIN_TIMESTAMP, [GlobalWindow()])

    def _flush(self) -> Iterator[Tuple[int, str]]:
        spill = uuid.uuid4().hex
        for shard, lines in sorted(self._by_shard.items()):
            lines.sort()
            path = FileSystems.join(self._directory, f"{shard:05d}-{spill}.jsonl.gz")
            write_lines_gz(path, lines)
            yield shard, path
        self._by_shard, self._buffered = {}, 0


class _MergeShard(beam.DoFn):
    """Streams the groups of one shard out of its spill files (merged in rounds of
    MERGE_FAN_IN files, which bounds open files). The files stay until the spill
    directory is removed at the end of the run, so a retried bundle can read them again."""

    def __init__(self, directory: str):
        self._directory = directory

    def process(self, keyed: Tuple[int, Iterable[str]]):
        shard, paths = keyed
        paths = sorted(paths)
        while len(paths) > MERGE_FAN_IN:
            merged = []
            for start in range(0, len(paths), MERGE_FAN_IN):
                path = FileSystems.join(self._directory, f"{shard:05d}-merge-{uuid.uuid4().hex}.jsonl.gz")
                write_lines_gz(path, heapq.merge(*(read_lines_gz(p) for p in paths[start : start + MERGE_FAN_IN])))
                merged.append(path)
            paths = merged
        yield from merge_groups(paths)


class GroupThroughFiles(beam.PTransform):
    """PCollection[(str key, JSON value)] -> PCollection[(key, list of values)]: a
    GroupByKey whose data goes through sorted spill files under
    ``<directory>/_spill/group-<name>/`` (removed with the spill directory at the end
    of the run); only (shard, file path) pairs cross the runner's shuffle. Memory per
    worker: SPILL_BYTES while writing, the values of one key while reading.

    ``directory=None`` groups with a plain GroupByKey instead (small in-memory
    pipelines, tests)."""

    def __init__(self, directory: Optional[str], name: str, shards: int = GROUP_SHARDS):
        super().__init__()
        self._directory = FileSystems.join(directory, TEMP_DIR, f"group-{name}") if directory else None
        self._shards = shards

    def expand(self, pairs):
        if self._directory is None:
            return (
                pairs | "GroupInMemory" >> beam.GroupByKey() | "AsLists" >> beam.MapTuple(lambda k, vs: (k, list(vs)))
            )
        return (
            pairs
            | "SpillSorted" >> beam.ParDo(_SpillPairs(self._directory, self._shards)).with_output_types(Tuple[int, str])
            | "OnlyPathsCross" >> beam.GroupByKey()
            | "MergeShard" >> beam.ParDo(_MergeShard(self._directory)).with_output_types(Tuple[str, List[Any]])
        )

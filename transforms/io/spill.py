"""Local spill files for the DirectRunner: shuffles that only carry file paths.

The DirectRunner (FnApiRunner) keeps everything that crosses a shuffle or waits
for a side input in the launcher's memory, decoded, re-encoded and copied into
gRPC messages, so on that runner memory grows with the corpus. With a spill
directory (``--spill_dir``, on by default on the DirectRunner only) each bundle
writes its records to sorted gzip JSON Lines files of at most SPILL_BYTES and only
the paths cross the runner's shuffle:

- ``CheckpointToFiles`` parks records across a barrier and streams them back;
- ``GroupThroughFiles`` is a GroupByKey whose files are sorted by key, so each
  shard is a streaming merge that holds one key's values at a time;
- ``SpillEntries`` / ``merge_entries`` feed the shard writers of ``sinks``.

Without a spill directory (``None``) each transform is the plain Beam one (the
runner's own GroupByKey; records flow on as they are), which is what Flink,
Dataflow and Prism use: their shuffles spill by themselves and need no storage
shared by the workers. Spill files are never deleted by the step that reads them,
so a retried bundle finds them again; the whole directory goes at the end of the run.
"""

import contextlib
import gzip
import heapq
import itertools
import json
import os
import shutil
import tempfile
import uuid
from typing import (
    Any,
    Callable,
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
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from transforms.io.shards import Entry, entry_order, shard_of, to_plain

SPILL_BYTES = 4 * 2**20  # records buffered per worker and step before a spill file is written


MERGE_FAN_IN = 16  # spill files merged at once: bounds open files and their read buffers


GROUP_SHARDS = 16  # files per spill of GroupThroughFiles, and parallel merges


AUTO = "auto"  # --spill_dir default: a temporary directory on the DirectRunner, none elsewhere


OFF = "none"


# runners that keep shuffled data in the launcher's memory (the DirectRunner's FnApiRunner
# and BundleBasedDirectRunner; None is Beam's default, the DirectRunner)
IN_MEMORY_RUNNERS = (
    None,
    "DirectRunner",
    "SwitchingDirectRunner",
    "FnApiRunner",
    "BundleBasedDirectRunner",
    "TestDirectRunner",
)


def runner_name(runner: Any) -> Optional[str]:
    """A --runner value (name, dotted path or runner object) as a bare class name."""
    if runner is None:
        return None
    if not isinstance(runner, str):
        return type(runner).__name__
    return runner.rsplit(".", 1)[-1]


def wants_spill(requested: Optional[str], runner: Any) -> bool:
    """Whether the job spills: an explicit directory always, ``auto`` on the DirectRunner only."""
    if requested in (None, "", OFF):
        return False
    if requested == AUTO:
        return runner_name(runner) in IN_MEMORY_RUNNERS
    return True


def inside(path: str, directory: str) -> bool:
    """Whether a local path lies in (or is) a local directory."""
    path, directory = os.path.abspath(path), os.path.abspath(directory)
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def check_spill_dir(requested: Optional[str], output: str) -> None:
    """Refuses a --spill_dir that is no local directory or lies inside --output, which
    holds only the job's outputs."""
    if requested in (None, "", OFF, AUTO):
        return
    if FileSystems.get_scheme(requested) is not None:
        raise ValueError(f"--spill_dir must be a local directory, got {requested}")
    if FileSystems.get_scheme(output) is None and inside(requested, output):
        raise ValueError(f"--spill_dir {requested} lies inside --output {output}: only outputs go there")


@contextlib.contextmanager
def spill_directory(requested: Optional[str], runner: Any) -> Iterator[Optional[str]]:
    """The spill directory of one run (None when the job does not spill), removed afterwards:
    a fresh ``newsfeed-spill-*`` directory in the system's temporary directory (``auto``)
    or in the requested one."""
    if not wants_spill(requested, runner):
        yield None
        return
    parent = None if requested == AUTO else requested
    if parent is not None:
        os.makedirs(parent, exist_ok=True)
    directory = tempfile.mkdtemp(prefix="newsfeed-spill-", dir=parent)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def write_lines_gz(path: str, lines: Iterable[str]) -> None:
    """Writes text lines to a gzip file on any Beam filesystem."""
    with FileSystems.create(path, compression_type=CompressionTypes.GZIP) as handle:
        for line in lines:
            handle.write(line.encode("utf-8"))
            handle.write(b"\n")


def read_lines_gz(path: str) -> Iterator[str]:
    """Streams the non-empty lines of a gzip file. Python's gzip on the raw file
    keeps a small window; Beam's own GZIP reader buffers 16 MB per open file,
    which a merge of many spill files cannot afford."""
    with (
        FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as raw,
        gzip.GzipFile(fileobj=raw) as handle,
    ):
        for data in handle:
            line = data.decode("utf-8").rstrip("\n")
            if line:
                yield line


def _in_global_window(value: Any) -> WindowedValue:
    return WindowedValue(value, MIN_TIMESTAMP, (GlobalWindow(),))


# --- CheckpointToFiles ---------------------------------------------------------------------


class _SpillRecords(beam.DoFn):
    def __init__(self, directory: str, name: str):
        self._directory = FileSystems.join(directory, f"checkpoint-{name}")
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
            yield _in_global_window(self._flush())

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
    """PCollection[record_type] -> the same records, parked in files under
    ``<spill_dir>/checkpoint-<name>/`` while a corpus-wide decision is taken; only
    the files' paths cross the runner. Only flat NamedTuples whose fields are JSON
    values. ``spill_dir=None``: the records pass on unchanged (the runner itself
    holds them at the barrier)."""

    def __init__(self, spill_dir: Optional[str], name: str, record_type: Type[NamedTuple]):
        super().__init__()
        self._spill_dir = spill_dir
        self._name = name
        self._record_type = record_type

    def expand(self, records):
        record_type = self._record_type
        if self._spill_dir is None:
            return records | "PassOn" >> beam.Map(lambda record: record).with_output_types(record_type)
        return (
            records
            | "Spill" >> beam.ParDo(_SpillRecords(self._spill_dir, self._name)).with_output_types(str)
            # the shuffle is the barrier: the records themselves never cross it
            | "OnlyPathsCross" >> beam.Reshuffle()
            | "ReadBack" >> beam.FlatMap(read_back, record_type).with_output_types(record_type)
        )


# --- GroupThroughFiles ---------------------------------------------------------------------

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


class _SpillByShard(beam.DoFn):
    """Buffers a bundle's lines per shard (at most SPILL_BYTES) and writes each shard's
    lines, sorted by ``line_order``, to one spill file under ``directory``; emits (shard,
    path). A runner may hand one worker half the corpus as a single bundle (the
    DirectRunner does): the early flush keeps memory at SPILL_BYTES."""

    line_order: Optional[Callable[[str], Any]] = None  # None: the lines' own order

    def __init__(self, directory: str):
        self._directory = directory

    def start_bundle(self):
        self._by_shard: Dict[int, List[str]] = {}
        self._buffered = 0

    def _add(self, shard: int, line: str) -> Iterator[Tuple[int, str]]:
        self._by_shard.setdefault(shard, []).append(line)
        self._buffered += len(line)
        if self._buffered >= SPILL_BYTES:
            yield from self._flush()

    def finish_bundle(self):
        for shard_and_path in self._flush():
            yield _in_global_window(shard_and_path)

    def _flush(self) -> Iterator[Tuple[int, str]]:
        spill = uuid.uuid4().hex
        for shard, lines in sorted(self._by_shard.items()):
            lines.sort(key=self.line_order)
            path = FileSystems.join(self._directory, f"{shard:05d}-{spill}.jsonl.gz")
            write_lines_gz(path, lines)
            yield shard, path
        self._by_shard, self._buffered = {}, 0


class _SpillPairs(_SpillByShard):
    """Writes each bundle's (key, value) pairs to one sorted file per shard of the key."""

    def __init__(self, directory: str, shards: int):
        super().__init__(directory)
        self._shards = shards

    def process(self, pair: Tuple[str, JsonValue]):
        key, value = pair
        yield from self._add(shard_of(key, self._shards), group_line(key, value))


def _merge_rounds(paths: List[str], directory: str, shard: int, merge) -> List[str]:
    """Merges files MERGE_FAN_IN at a time into new ones until at most MERGE_FAN_IN are
    left (bounds open files). Inputs are kept: a retried merge reads them again."""
    paths = sorted(paths)
    while len(paths) > MERGE_FAN_IN:
        merged = []
        for start in range(0, len(paths), MERGE_FAN_IN):
            path = FileSystems.join(directory, f"{shard:05d}-merge-{uuid.uuid4().hex}.jsonl.gz")
            write_lines_gz(path, merge(paths[start : start + MERGE_FAN_IN]))
            merged.append(path)
        paths = merged
    return paths


def _merge_sorted_lines(paths: List[str]) -> Iterator[str]:
    return heapq.merge(*(read_lines_gz(p) for p in paths))


class _MergeShard(beam.DoFn):
    """Streams the groups of one shard out of its spill files."""

    def __init__(self, directory: str):
        self._directory = directory

    def process(self, keyed: Tuple[int, Iterable[str]]):
        shard, paths = keyed
        yield from merge_groups(_merge_rounds(list(paths), self._directory, shard, _merge_sorted_lines))


class GroupThroughFiles(beam.PTransform):
    """PCollection[(str key, JSON value)] -> PCollection[(key, list of values)].

    ``spill_dir=None``: Beam's own GroupByKey. With a spill directory, the pairs go
    through sorted spill files under ``<spill_dir>/group-<name>/`` and only (shard,
    file path) pairs cross the runner's shuffle. Memory per worker: SPILL_BYTES while
    writing, the values of one key while reading."""

    def __init__(self, spill_dir: Optional[str], name: str, shards: int = GROUP_SHARDS):
        super().__init__()
        self._directory = FileSystems.join(spill_dir, f"group-{name}") if spill_dir else None
        self._shards = shards

    def expand(self, pairs):
        if self._directory is None:
            return pairs | "GroupByKey" >> beam.GroupByKey() | "AsLists" >> beam.MapTuple(lambda k, vs: (k, list(vs)))
        return (
            pairs
            | "SpillSorted" >> beam.ParDo(_SpillPairs(self._directory, self._shards)).with_output_types(Tuple[int, str])
            | "OnlyPathsCross" >> beam.GroupByKey()
            | "MergeShard" >> beam.ParDo(_MergeShard(self._directory)).with_output_types(Tuple[str, List[Any]])
        )


# --- output shards through files -------------------------------------------------------------


def entry_line(entry: Entry) -> str:
    """An entry as one spill line: sort key JSON, tab, record JSON (JSON escapes every tab)."""
    return f"{entry[0]}\t{entry[1]}"


def line_entry(line: str) -> Entry:
    sort_key, record = line.split("\t", 1)
    return sort_key, record


def _line_order(line: str) -> Tuple[Any, str]:
    return entry_order(line_entry(line))


def _merge_entry_lines(paths: List[str]) -> Iterator[str]:
    return heapq.merge(*(read_lines_gz(p) for p in paths), key=_line_order)


def merge_entries(paths: Iterable[str], directory: str, shard: int) -> Iterator[Entry]:
    """One shard's entries, in shard order, streamed out of its sorted spill files."""
    for line in _merge_entry_lines(_merge_rounds(list(paths), directory, shard, _merge_entry_lines)):
        yield line_entry(line)


class SpillEntries(_SpillByShard):
    """(shard, entry) -> (shard, path of a sorted spill file under ``directory``), one
    file per shard and bundle, in shard order: the shard writer merges them."""

    line_order = staticmethod(_line_order)

    def process(self, keyed: Tuple[int, Entry]):
        shard, entry = keyed
        yield from self._add(shard, entry_line(entry))

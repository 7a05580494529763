"""Deterministic sharded output: Avro (default) or JSON Lines.

Replays must write byte-identical files, so a record's shard is a hash of its
key (never the bundle it happened to travel in), records are sorted inside each
shard, and the Avro sync marker is derived from the shard's name instead of
being random. Each bundle spills its records, sorted, to temporary files (at
most SPILL_BYTES buffered) and only their paths are shuffled; each shard is
then a streaming k-way merge of its spills, written to a temporary name and
renamed, so readers never see half a file. Memory stays flat whatever the
corpus size; ``num_shards`` only sets how many files (and parallel merges).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import heapq
import io
import json
import uuid
from typing import (
    Any,
    BinaryIO,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    NamedTuple,
    Tuple,
)

import apache_beam as beam
import fastavro
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from schemas import load_schema

AVRO = "avro"


JSONL = "jsonl"


FORMATS = (AVRO, JSONL)


_NO_RECORD = ""  # placeholder in the shard grouping; real values are spill paths


TEMP_DIR = "_spill"


MERGE_FAN_IN = 16  # spill files merged at once: bounds open files and their read buffers


SPILL_BYTES = 4 * 2**20  # per writer and worker: records buffered before a spill file is written


def to_plain(record: Any) -> Any:
    """NamedTuples (nested ones too) as plain dicts, in schema field order."""
    if isinstance(record, tuple) and hasattr(record, "_fields"):
        return {name: to_plain(value) for name, value in zip(record._fields, record)}
    if isinstance(record, list):
        return [to_plain(item) for item in record]
    return record


def shard_of(key: str, num_shards: int) -> int:
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % num_shards


def shard_path(directory: str, kind: str, shard: int, num_shards: int, fmt: str) -> str:
    return FileSystems.join(directory, kind, f"part-{shard:05d}-of-{num_shards:05d}.{fmt}")


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


@functools.cache
def parsed_schema(name: str) -> Dict[str, Any]:
    """fastavro's parsed form, once per process, with keys in sorted order.

    fastavro copies a field's "doc"/"default" in the order of a Python set, which
    changes with each process's hash seed; the schema goes into every file
    header, so unsorted it would make two workers write different bytes.
    """
    return _sorted_keys(fastavro.parse_schema(load_schema(name)))


def write_shard_to(handle: BinaryIO, records: Iterable[Dict[str, Any]], schema_name: str, fmt: str, name: str) -> None:
    """Streams records into an open file; the same records always give the same bytes.

    ``name`` ("articles/part-00000-of-00004.avro") seeds the Avro sync marker, so
    two runs into different output directories still write identical files.
    """
    if fmt == AVRO:
        marker = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
        fastavro.writer(handle, parsed_schema(schema_name), records, codec="deflate", sync_marker=marker)
    else:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False).encode("utf-8"))
            handle.write(b"\n")


def encode_shard(records: List[Dict[str, Any]], schema_name: str, fmt: str, name: str) -> bytes:
    """The bytes of one shard file (see write_shard_to)."""
    buffer = io.BytesIO()
    write_shard_to(buffer, records, schema_name, fmt, name)
    return buffer.getvalue()


def _plain_key(value: Any) -> Any:
    """A sort key as JSON-safe nested lists (None sorts as "")."""
    if isinstance(value, (tuple, list)):
        return [_plain_key(v) for v in value]
    return "" if value is None else value


class _SpillBundle(beam.DoFn):
    """Writes each bundle's records, per shard, to sorted temporary files and emits
    (shard, temp path). Only paths travel to the merge step, so the runner never
    buffers the records themselves (the DirectRunner keeps everything that
    crosses a shuffle in memory) and a retried bundle just leaves an orphan file."""

    def __init__(self, directory: str, kind: str, num_shards: int, key: Callable, sort_key: Callable):
        self._directory = directory
        self._kind = kind
        self._num_shards = num_shards
        self._key = key
        self._sort_key = sort_key

    def start_bundle(self):
        self._by_shard: Dict[int, List[Tuple[Any, str]]] = {}
        self._buffered = 0

    def process(self, record: NamedTuple):
        sort_key = _plain_key(self._sort_key(record))
        line = json.dumps([sort_key, to_plain(record)], ensure_ascii=False)
        self._by_shard.setdefault(shard_of(self._key(record), self._num_shards), []).append((sort_key, line))
        self._buffered += len(line)
        # a runner may hand one worker half the corpus as a single bundle (the
        # DirectRunner does): flush early so memory stays at SPILL_BYTES
        if self._buffered >= SPILL_BYTES:
            yield from self._flush()

    def finish_bundle(self):
        for shard, path in self._flush():
            yield WindowedValue((shard, path), MIN_TIMESTAMP, [GlobalWindow()])

    def _flush(self) -> Iterator[Tuple[int, str]]:
        spill = uuid.uuid4().hex
        for shard, entries in sorted(self._by_shard.items()):
            entries.sort()  # each spill file is sorted: the shard merge then streams
            path = _spill_path(self._directory, self._kind, shard, spill)
            write_lines_gz(path, (line for _, line in entries))
            yield shard, path
        self._by_shard = {}
        self._buffered = 0


class _WriteShard(beam.DoFn):
    """Merges one shard's spill files into its final file, records sorted."""

    def __init__(self, directory: str, kind: str, schema_name: str, fmt: str, num_shards: int):
        self._directory = directory
        self._kind = kind
        self._schema_name = schema_name
        self._fmt = fmt
        self._num_shards = num_shards
        self._written = Metrics.counter("write", kind)

    def process(self, keyed: Tuple[int, Iterable[str]]):
        shard, spills = keyed
        spills = sorted(path for path in spills if path != _NO_RECORD)
        # bound the open files: merge wide shards in rounds of MERGE_FAN_IN spills
        while len(spills) > MERGE_FAN_IN:
            merged = []
            for start in range(0, len(spills), MERGE_FAN_IN):
                group = spills[start : start + MERGE_FAN_IN]
                path = _spill_path(self._directory, self._kind, shard, f"merge-{uuid.uuid4().hex}")
                write_lines_gz(path, (line for _, line in _merge(group)))
                FileSystems.delete(group)
                merged.append(path)
            spills = merged
        written = [0]

        def records() -> Iterator[Dict[str, Any]]:
            # ties on the sort key are broken by the whole record line: the order
            # never depends on which bundle a record travelled in
            for _, line in _merge(spills):
                written[0] += 1
                yield json.loads(line)[1]

        path = shard_path(self._directory, self._kind, shard, self._num_shards, self._fmt)
        name = f"{self._kind}/{path.rsplit('/', 1)[-1]}"
        temporary = path + ".tmp"
        with FileSystems.create(temporary, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            write_shard_to(handle, records(), self._schema_name, self._fmt, name)
        if FileSystems.exists(path):
            FileSystems.delete([path])
        FileSystems.rename([temporary], [path])
        if spills:
            FileSystems.delete(spills)
        self._written.inc(written[0])
        yield path


def _spill_path(directory: str, kind: str, shard: int, tag: str) -> str:
    return FileSystems.join(directory, TEMP_DIR, kind, f"{shard:05d}-{tag}.jsonl.gz")


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


def _read_spill(path: str) -> Iterator[Tuple[Any, str]]:
    """(sort key, line) of a spill file, streamed."""
    for line in read_lines_gz(path):
        yield json.loads(line)[0], line


def _merge(spills: List[str]) -> Iterator[Tuple[Any, str]]:
    return heapq.merge(*(_read_spill(path) for path in spills))


class WriteRecords(beam.PTransform):
    """Writes typed records to ``<directory>/<kind>/part-NNNNN-of-MMMMM.<fmt>``.

    ``key`` picks the shard, ``sort_key`` orders records inside it; both must
    depend on record content only. Records are spilled per bundle to
    ``<directory>/_spill/<kind>/`` and merged per shard; every shard file exists even when
    empty. Returns the written paths.
    """

    def __init__(
        self,
        directory: str,
        kind: str,
        schema_name: str,
        key: Callable[[Any], str],
        sort_key: Callable[[Any], Any],
        fmt: str = AVRO,
        num_shards: int = 4,
    ):
        super().__init__()
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}; choose one of {FORMATS}")
        if num_shards < 1:
            raise ValueError(f"num_shards must be >= 1, got {num_shards}")
        self._directory = directory
        self._kind = kind
        self._schema_name = schema_name
        self._key = key
        self._sort_key = sort_key
        self._fmt = fmt
        self._num_shards = num_shards

    def expand(self, records):
        spills = records | "Spill" >> beam.ParDo(
            _SpillBundle(self._directory, self._kind, self._num_shards, self._key, self._sort_key)
        )
        # one placeholder per shard, so every shard file exists even when it holds no
        # record: readers see a complete, stable set of files (and an empty rejected/)
        placeholders = records.pipeline | "EveryShard" >> beam.Create(
            [(shard, _NO_RECORD) for shard in range(self._num_shards)]
        )
        return (
            (spills, placeholders)
            | "WithEmptyShards" >> beam.Flatten()
            | "GroupByShard" >> beam.GroupByKey()
            | "WriteShard"
            >> beam.ParDo(_WriteShard(self._directory, self._kind, self._schema_name, self._fmt, self._num_shards))
        )


def prepare_output(directory: str, kinds: Iterable[str]) -> None:
    """Removes shard files a previous run left in these record directories, so
    a smaller rerun cannot leave stale shards behind."""
    for kind in kinds:
        for pattern in (FileSystems.join(directory, kind, "part-*"), FileSystems.join(directory, TEMP_DIR, kind, "*")):
            matches = FileSystems.match([pattern])[0].metadata_list
            if matches:
                FileSystems.delete([m.path for m in matches])


def remove_spill(directory: str) -> None:
    """Drops the spill directory after a run (orphans of retried bundles included)."""
    spill = FileSystems.join(directory, TEMP_DIR)
    if FileSystems.exists(spill):
        FileSystems.delete([spill])

"""Deterministic sharded output: Avro (default), JSON Lines or Parquet (``parquet``).

Replays must write byte-identical files, so a record's shard is a hash of its
key, records are sorted inside each shard (``shards``), and the Avro sync marker
is derived from the shard's name instead of being random. Records go to their
shard through Beam's own GroupByKey; each shard is written under a temporary
name next to its final one and renamed when complete (Beam's FileBasedSink
pattern), so readers never see half a file and a retried bundle rewrites the same
file. Temporaries left by failed attempts are removed once every shard is written.

With a spill directory (the DirectRunner's ``--spill_dir``) the records cross
the shuffle as sorted spill files instead (``spill.SpillEntries``) and each shard
is a streaming merge of them, so memory stays flat on a runner that keeps
shuffles in memory.
"""

import functools
import hashlib
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
    Optional,
    Tuple,
)

import apache_beam as beam
import fastavro
from apache_beam.io.filesystem import BeamIOError, CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from schemas import load_schema
from transforms.io.parquet import read_parquet, write_parquet
from transforms.io.shards import Entry, entry_order, shard_entry, shard_of
from transforms.io.spill import SpillEntries, merge_entries

AVRO = "avro"


JSONL = "jsonl"


PARQUET = "parquet"


FORMATS = (AVRO, JSONL, PARQUET)


_NO_RECORD: Entry = ("", "")  # placeholder of an empty shard; a real entry's record is a JSON object


_NO_SPILL = ""  # placeholder of an empty shard among spill paths


TEMPORARY_SUFFIX = ".tmp"


def shard_path(directory: str, kind: str, shard: int, num_shards: int, fmt: str) -> str:
    return FileSystems.join(directory, kind, f"part-{shard:05d}-of-{num_shards:05d}.{fmt}")


def temporary_path(path: str) -> str:
    """A unique hidden name next to ``path`` for one attempt at writing it."""
    directory, name = path.rsplit("/", 1)
    return f"{directory}/.{name}.{uuid.uuid4().hex}{TEMPORARY_SUFFIX}"


def temporaries_pattern(path: str) -> str:
    """Matches every attempt's temporary name of ``path``."""
    directory, name = path.rsplit("/", 1)
    return f"{directory}/.{name}.*{TEMPORARY_SUFFIX}"


def publish(path: str, write: Callable[[BinaryIO], object]) -> None:
    """Writes a file under a temporary name and renames it to ``path`` when complete:
    readers see the old file or the whole new one, and a retry writes it again."""
    temporary = temporary_path(path)
    with FileSystems.create(temporary, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        write(handle)
    try:
        FileSystems.rename([temporary], [path])
    except BeamIOError:
        # a filesystem whose rename does not replace: the previous attempt's file goes first
        if not FileSystems.exists(path):
            raise
        FileSystems.delete([path])
        FileSystems.rename([temporary], [path])


def remove_temporaries(paths: Iterable[str]) -> int:
    """Deletes what failed attempts at writing these files left; returns how many."""
    patterns = [temporaries_pattern(path) for path in paths]
    found = [m.path for result in FileSystems.match(patterns) for m in result.metadata_list] if patterns else []
    if found:
        FileSystems.delete(found)
    return len(found)


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
    elif fmt == PARQUET:
        write_parquet(handle, records, schema_name)
    else:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False).encode("utf-8"))
            handle.write(b"\n")


def encode_shard(records: List[Dict[str, Any]], schema_name: str, fmt: str, name: str) -> bytes:
    """The bytes of one shard file (see write_shard_to)."""
    buffer = io.BytesIO()
    write_shard_to(buffer, records, schema_name, fmt, name)
    return buffer.getvalue()


class _WriteShard(beam.DoFn):
    """(shard, its entries) -> the shard's file, records in shard order, published
    under its final name once complete. ``spill_dir``: the entries are the paths of
    sorted spill files, merged as they stream by; else the entries themselves,
    sorted here."""

    def __init__(
        self, directory: str, kind: str, schema_name: str, fmt: str, num_shards: int, spill_dir: Optional[str]
    ):
        self._directory = directory
        self._kind = kind
        self._schema_name = schema_name
        self._fmt = fmt
        self._num_shards = num_shards
        self._spill_dir = spill_dir
        self._written = Metrics.counter("write", kind)

    def entries(self, shard: int, values: Iterable[Any]) -> Iterator[Entry]:
        if self._spill_dir is not None:
            return merge_entries((path for path in values if path != _NO_SPILL), self._spill_dir, shard)
        return iter(sorted((entry for entry in values if entry[1]), key=entry_order))

    def process(self, keyed: Tuple[int, Iterable[Any]]):
        shard, values = keyed
        written = 0

        def records() -> Iterator[Dict[str, Any]]:
            nonlocal written
            for _, record in self.entries(shard, values):
                written += 1
                yield json.loads(record)

        path = shard_path(self._directory, self._kind, shard, self._num_shards, self._fmt)
        name = f"{self._kind}/{path.rsplit('/', 1)[-1]}"
        publish(path, lambda handle: write_shard_to(handle, records(), self._schema_name, self._fmt, name))
        self._written.inc(written)
        yield path


class WriteRecords(beam.PTransform):
    """Writes typed records to ``<directory>/<kind>/part-NNNNN-of-MMMMM.<fmt>``.

    ``key`` picks the shard, ``sort_key`` orders records inside it; both must
    depend on record content only. Every shard file exists even when empty.
    ``spill_dir``: shuffle through sorted spill files there (see the module doc).
    Returns the written paths.
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
        spill_dir: Optional[str] = None,
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
        self._spill_dir = spill_dir

    def expand(self, records):
        key, sort_key, num_shards = self._key, self._sort_key, self._num_shards
        entries = records | "ToShards" >> beam.Map(
            lambda record: (shard_of(key(record), num_shards), shard_entry(record, sort_key))
        ).with_output_types(Tuple[int, Tuple[str, str]])
        spill = FileSystems.join(self._spill_dir, f"shards-{self._kind}") if self._spill_dir else None
        if spill is None:
            placeholder: Any = _NO_RECORD
            to_group = entries
        else:
            placeholder = _NO_SPILL
            to_group = entries | "Spill" >> beam.ParDo(SpillEntries(spill)).with_output_types(Tuple[int, str])
        # one placeholder per shard, so every shard file exists even when it holds no
        # record: readers see a complete, stable set of files (and an empty rejected/)
        placeholders = records.pipeline | "EveryShard" >> beam.Create(
            [(shard, placeholder) for shard in range(num_shards)]
        ).with_output_types(to_group.element_type)
        written = (
            (to_group, placeholders)
            | "WithEmptyShards" >> beam.Flatten()
            | "GroupByShard" >> beam.GroupByKey()
            | "WriteShard"
            >> beam.ParDo(
                _WriteShard(self._directory, self._kind, self._schema_name, self._fmt, num_shards, spill)
            ).with_output_types(str)
        )
        # after every shard is in place: what failed attempts left goes
        _ = (
            written
            | "AllShards" >> beam.combiners.ToList()
            | "RemoveTemporaries" >> beam.Map(remove_temporaries).with_output_types(int)
        )
        return written


def prepare_output(directory: str, kinds: Iterable[str]) -> None:
    """Removes shard files (and temporaries) a previous run left in these record
    directories, so a smaller rerun cannot leave stale shards behind."""
    for kind in kinds:
        for pattern in (FileSystems.join(directory, kind, "part-*"), FileSystems.join(directory, kind, ".part-*")):
            matches = FileSystems.match([pattern])[0].metadata_list
            if matches:
                FileSystems.delete([m.path for m in matches])


def read_shard(path: str) -> Iterator[Dict[str, Any]]:
    """The records of one shard file written by ``WriteRecords`` (format told by its
    suffix), as plain dicts; what a later run reads back of an earlier one."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        data = handle.read()
    if path.endswith(f".{AVRO}"):
        yield from (record for record in fastavro.reader(io.BytesIO(data)) if isinstance(record, dict))
    elif path.endswith(f".{PARQUET}"):
        yield from read_parquet(io.BytesIO(data))
    else:
        yield from (json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip())

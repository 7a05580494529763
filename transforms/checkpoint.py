"""Checkpointing a PCollection through files, so only file paths cross a shuffle.

Corpus-wide decisions (dedup, boilerplate learning) need every article seen
before any article can be finished. On a runner that keeps shuffled data in
memory (the DirectRunner keeps everything between fused stages in the launcher
and hands each worker its whole share as one bundle), carrying the articles
across that barrier makes memory grow with the corpus. Here each bundle writes
its records to gzip JSON Lines files of at most SPILL_BYTES, only the paths go
through a Reshuffle, and the next stage streams the records back.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Dict, Iterator, List, NamedTuple, Type

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from transforms.sinks import TEMP_DIR, read_lines_gz, to_plain, write_lines_gz

SPILL_BYTES = 4 * 2**20  # records buffered per worker before a checkpoint file is written


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
        yield record_type(**fields)


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

"""Feeds that never end, as RawDocuments.

* ``ReadDirectoryFeed``: a directory that keeps receiving files. Each poll lists it,
  skips files named in the ledger (``<state_dir>/ledger/<sha1 of path>.json``, one small
  file per processed input, written atomically, same bytes on a rerun) and reads the
  rest; a file is entered in the ledger once it has been read, so a restart with the
  same state directory reads nothing twice. ``once`` lists the directory a single time
  (a bounded run: tests, backfills). The poller's memory is bounded by the files in
  flight (listed, handed out, not yet in the ledger): a claim is dropped as soon as its
  file is in the ledger or gone (``still_claimed``).
* ``KafkaToDocuments``: Kafka records (JSON values) → RawDocument via
  ``formats.document_from_fields``; origin ``kafka:<topic>/<partition>/<offset>``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any, Iterator, List, Optional, Set, Tuple, Union

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms import window as windows
from apache_beam.utils.timestamp import MAX_TIMESTAMP, Timestamp

from transforms.io.formats import document_from_fields, input_kind, read_documents
from transforms.records import BadInput, RawDocument, Rejected, rejected
from transforms.streaming.records import DEFAULT_POLL_SECONDS, FeedFile


def ledger_path(state_dir: str, path: str) -> str:
    return FileSystems.join(state_dir, "ledger", hashlib.sha1(path.encode("utf-8")).hexdigest() + ".json")


def in_ledger(state_dir: str, path: str) -> bool:
    return FileSystems.exists(ledger_path(state_dir, path))


def enter_in_ledger(state_dir: str, feed_file: FeedFile, pending: bool = False) -> str:
    """Records a processed file. Idempotent: the entry's name and bytes depend on the
    file only, and it is written to a temporary name then renamed, so a crash never
    leaves half an entry and a retry rewrites the same one. ``pending`` entries go to
    ``<state_dir>/pending/`` until ``commit_pending`` (a bounded run that failed
    must read its files again)."""
    path = ledger_path(state_dir, feed_file.path)
    if pending:
        path = FileSystems.join(state_dir, "pending", path.replace("\\", "/").rsplit("/", 1)[-1])
    entry = json.dumps({"path": feed_file.path, "size": feed_file.size, "mtime": feed_file.mtime}, sort_keys=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    with FileSystems.create(temporary) as handle:
        handle.write(entry.encode("utf-8"))
    if FileSystems.exists(path):
        FileSystems.delete([path])
    FileSystems.rename([temporary], [path])
    return path


def _pending_entries(state_dir: str) -> List[str]:
    pattern = FileSystems.join(state_dir, "pending", "*.json")
    return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)


def clear_pending(state_dir: str) -> int:
    """Drops the pending entries of a bounded run that did not finish."""
    entries = _pending_entries(state_dir)
    if entries:
        FileSystems.delete(entries)
    return len(entries)


def commit_pending(state_dir: str) -> int:
    """Moves a finished bounded run's pending entries into the ledger."""
    entries = _pending_entries(state_dir)
    ledger = FileSystems.join(state_dir, "ledger")
    if entries and not FileSystems.exists(ledger):
        FileSystems.mkdirs(ledger)
    for entry in entries:
        target = FileSystems.join(ledger, entry.replace("\\", "/").rsplit("/", 1)[-1])
        if FileSystems.exists(target):
            FileSystems.delete([target])
        FileSystems.rename([entry], [target])
    return len(entries)


def is_feed_file(path: str) -> bool:
    """Writers drop a file under a hidden or temporary name and rename it when done:
    those names (and files of no known format) are not read yet."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if name.startswith((".", "_")) or name.endswith((".tmp", ".part", ".partial", ".crdownload")):
        return False
    return input_kind(name) is not None


def new_files(directory: str, state_dir: str) -> List[FeedFile]:
    """The directory's feed files (recursively) not in the ledger, sorted by path."""
    pattern = FileSystems.join(directory.rstrip("/\\"), "**")
    found = []
    for metadata in FileSystems.match([pattern])[0].metadata_list:
        if metadata.path.endswith(("/", "\\")) or not is_feed_file(metadata.path):
            continue
        if not in_ledger(state_dir, metadata.path):
            found.append(
                FeedFile(metadata.path, metadata.size_in_bytes, float(metadata.last_updated_in_seconds or 0.0))
            )
    return sorted(found)


def still_claimed(claimed: Set[str], listed: List[FeedFile]) -> Set[str]:
    """The claims worth keeping after a listing: files handed out that are still listed
    and not yet in the ledger. A file entered in the ledger (or removed) is forgotten,
    so the poller holds only the files in flight, never every file ever seen."""
    return claimed & {feed_file.path for feed_file in listed}


class _PollDirectory(beam.DoFn):
    """A tick → the directory's files that are neither in the ledger nor already
    handed out by this poller (a file can be listed again before it is read). The
    ledger is the lasting record; the poller's own claims expire as files enter it."""

    def __init__(self, directory: str, state_dir: str):
        self._directory, self._state_dir = directory, state_dir
        self._polls = Metrics.counter("read", "polls")
        self._in_flight = Metrics.distribution("read", "files_in_flight")

    def setup(self):
        self._claimed: Set[str] = set()

    def process(self, _tick) -> Iterator[FeedFile]:
        self._polls.inc()
        listed = new_files(self._directory, self._state_dir)
        self._claimed = still_claimed(self._claimed, listed)
        for feed_file in listed:
            if feed_file.path in self._claimed:
                continue
            self._claimed.add(feed_file.path)
            yield feed_file
        self._in_flight.update(len(self._claimed))


class _ReadFeedFile(beam.DoFn):
    """A new file → its RawDocuments (timestamped with the ingestion time) and, once
    all are emitted, the file itself on the ``done`` output, for the ledger."""

    DONE = "done"
    REJECTED = "rejected"

    def __init__(self):
        self._files = Metrics.counter("read", "files")
        self._documents = Metrics.counter("read", "documents")
        self._rejected = Metrics.counter("read", "rejected")

    def process(self, feed_file: FeedFile):
        from apache_beam.io.filesystem import CompressionTypes

        self._files.inc()
        ingested = Timestamp.now()
        with FileSystems.open(feed_file.path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            for item in read_documents(feed_file.path, handle):
                if isinstance(item, Rejected):
                    self._rejected.inc()
                    yield TaggedOutput(self.REJECTED, windows.TimestampedValue(item, ingested))
                else:
                    self._documents.inc()
                    yield windows.TimestampedValue(item, ingested)
        yield TaggedOutput(self.DONE, windows.TimestampedValue(feed_file, ingested))


class _EnterInLedger(beam.DoFn):
    def __init__(self, state_dir: str, pending: bool):
        self._state_dir, self._pending = state_dir, pending
        self._entered = Metrics.counter("read", "files_entered_in_ledger")

    def process(self, feed_file: FeedFile):
        self._entered.inc()
        yield enter_in_ledger(self._state_dir, feed_file, self._pending)


class ReadDirectoryFeed(beam.PTransform):
    """PBegin → {"documents": RawDocument, "rejected": Rejected, "ledger": entry paths}.

    ``once``: list the directory once (bounded); ledger entries stay pending until the
    caller's ``commit_pending`` after the run succeeded. Otherwise poll every
    ``poll_seconds`` (``PeriodicImpulse``) until ``stop_after_seconds`` (None: forever).
    """

    def __init__(
        self,
        directory: str,
        state_dir: str,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        once: bool = False,
        stop_after_seconds: Optional[float] = None,
    ):
        super().__init__()
        self._directory, self._state_dir = directory, state_dir
        self._poll_seconds, self._once, self._stop_after = poll_seconds, once, stop_after_seconds

    def expand(self, pbegin):
        if self._once:
            ticks = pbegin | "Once" >> beam.Create([0])
        else:
            from apache_beam.transforms.periodicsequence import PeriodicImpulse

            start = time.time()
            stop = start + self._stop_after if self._stop_after else MAX_TIMESTAMP
            # start_timestamp is explicit: PeriodicImpulse's default is taken at import time
            ticks = pbegin | "Poll" >> PeriodicImpulse(
                start_timestamp=start, stop_timestamp=stop, fire_interval=self._poll_seconds
            )
        files = ticks | "ListNewFiles" >> beam.ParDo(
            _PollDirectory(self._directory, self._state_dir)
        ).with_output_types(FeedFile)
        read = files | "ReadFiles" >> beam.ParDo(_ReadFeedFile()).with_outputs(
            _ReadFeedFile.DONE, _ReadFeedFile.REJECTED, main="documents"
        )
        read.documents.element_type = RawDocument
        read[_ReadFeedFile.REJECTED].element_type = Rejected
        ledger = read[_ReadFeedFile.DONE] | "EnterInLedger" >> beam.ParDo(
            _EnterInLedger(self._state_dir, pending=self._once)
        ).with_output_types(str)
        return {"documents": read.documents, "rejected": read[_ReadFeedFile.REJECTED], "ledger": ledger}


def kafka_origin(topic: str, partition: int, offset: int) -> str:
    return f"kafka:{topic}/{partition}/{offset}"


def document_from_kafka(origin: str, value: Optional[bytes]) -> Union[RawDocument, Rejected]:
    """A Kafka record value (a JSON article record, UTF-8) → RawDocument, else a Rejected
    (stage "read"), exactly as a JSONL line would be read."""
    if value is None:
        return rejected(origin, "read", "Kafka record has no value (tombstone)")
    try:
        record = json.loads(value.decode("utf-8") if isinstance(value, (bytes, bytearray)) else value)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return rejected(origin, "read", f"invalid JSON in Kafka record: {error}", value)
    if not isinstance(record, dict):
        return rejected(origin, "read", f"Kafka record is a JSON {type(record).__name__}, not an object", value)
    try:
        return document_from_fields(origin, record)
    except BadInput as error:
        return rejected(origin, "read", str(error), value)


def kafka_record_parts(record: Any, topic: str) -> Tuple[str, Optional[bytes], Optional[Timestamp]]:
    """(origin, value, ingestion time) of whatever a Kafka reader emits: an object
    with topic/partition/offset/value(/ingested/timestamp) attributes, a dict with those keys,
    or a (key, value) pair (origin then from a hash of the value)."""
    if isinstance(record, dict):
        get = record.get
    elif hasattr(record, "value") and hasattr(record, "offset"):

        def get(name, default=None):
            return getattr(record, name, default)
    elif isinstance(record, tuple) and len(record) == 2:
        value = record[1]
        digest = hashlib.sha1(value if isinstance(value, bytes) else str(value).encode("utf-8")).hexdigest()[:16]
        return f"kafka:{topic}/?/{digest}", value, None
    else:
        raise TypeError(f"unexpected Kafka record type {type(record).__name__}")  # a wiring bug, not bad input
    origin = kafka_origin(get("topic") or topic, get("partition", 0), get("offset", -1))
    # the reader's ingestion time (log-append time, else a sane producer time, else its clock)
    stamp = get("ingested") or get("timestamp")
    if isinstance(stamp, (int, float)) and stamp > 0:
        stamp = Timestamp(micros=int(stamp) * 1000)  # Kafka timestamps are epoch milliseconds
    elif not isinstance(stamp, Timestamp):
        stamp = None
    return origin, get("value"), stamp


class KafkaToDocuments(beam.PTransform):
    """Kafka records (see ``kafka_record_parts``) → {"documents", "rejected"}; the
    element timestamp becomes the broker timestamp when the record has one (the
    ingestion time of a Kafka-fed article)."""

    def __init__(self, topic: str):
        super().__init__()
        self._topic = topic

    def expand(self, records):
        topic = self._topic
        counted = Metrics.counter("read", "kafka_records")
        bad = Metrics.counter("read", "rejected")

        def adapt(record, ts=beam.DoFn.TimestampParam):
            counted.inc()
            origin, value, stamp = kafka_record_parts(record, topic)
            item = document_from_kafka(origin, value)
            when = stamp if stamp is not None else ts
            if isinstance(item, Rejected):
                bad.inc()
                yield TaggedOutput("rejected", windows.TimestampedValue(item, when))
            else:
                yield windows.TimestampedValue(item, when)

        out = records | "FromKafka" >> beam.FlatMap(adapt).with_outputs("rejected", main="documents")
        out.documents.element_type = RawDocument
        out.rejected.element_type = Rejected
        return {"documents": out.documents, "rejected": out.rejected}

"""Streaming pieces: feeds that never end, event time, state that expires.

The batch job decides over the whole corpus; a stream has to decide as articles
arrive and remember only what it must, for a bounded time. This module holds
what ``pipelines.stream`` adds around the shared element-wise middle
(CleanArticles → DetectLanguage → SegmentArticles → TagEntities → ExtractEvents):

* ``ReadDirectoryFeed``: a directory that keeps receiving files. Each poll lists
  it, skips files named in the ledger (``<state_dir>/ledger/<sha1 of path>.json``,
  one small file per processed input, written atomically, same bytes on a rerun)
  and reads the rest; a file is entered in the ledger once it has been read, so a
  restart with the same state directory reads nothing twice. ``once`` lists the
  directory a single time (a bounded run: tests, backfills).
* ``document_from_kafka``: a Kafka record value (JSON bytes) → RawDocument, via
  ``sources.document_from_fields``; origin ``kafka:<topic>/<partition>/<offset>``.
* ``StampPublicationTime``: an article's event time is its publication time, else
  the time it was ingested (the element timestamp the feed gave it).
* ``DropStreamingDuplicates``: the batch rules (canonical URL, then record id, then
  body fingerprint, from ``transforms.dedup``) as three stateful passes; the
  first copy seen wins (a stream cannot take back what it emitted). Each key
  remembers the kept article's id until the watermark passes its latest
  publication time + ``ttl``.
* ``ClusterEventsIncrementally``: the batch clustering rules (``compatible``,
  ``merge_cluster``) applied report by report, keyed by ``cluster_key`` (country
  × month). A report joins the first cluster all of whose reports it is
  compatible with, else starts one; the event id is derived from the cluster's
  first report and never changes, so each update re-emits the same id with more
  mentions. State expires ``ttl`` after the key's latest report (event time).
* ``CountEventsInWindows``: events (and articles reporting them) per fixed window
  of publication time × place × type, fired early (processing time), on time
  (watermark) and late (each late report), ACCUMULATING, so each pane is a
  complete snapshot that replaces the earlier ones. Every ``StreamAggregate``
  names its pane (index, timing, is_last).
* ``FlagTooLate``: reports articles that arrive after their window was closed
  (watermark past window end + allowed lateness), which the windowed count drops.
* ``WritePaneFiles``: one file per window × pane, under
  ``<output>/<kind>/<window start>--<window end>/pane-<index>-<timing>.<fmt>``, and for
  snapshot kinds (``latest=True``) the window's last pane written again as
  ``<output>/latest/<kind>/<window start>--<window end>.<fmt>``: the final snapshot,
  also after a restore from a checkpoint (where pane indices start over).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple, Union

import apache_beam as beam
from apache_beam.coders import BooleanCoder, ListCoder, RowCoder, StrUtf8Coder, VarIntCoder
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms import trigger as triggers
from apache_beam.transforms import window as windows
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import MAX_TIMESTAMP, Duration, Timestamp
from apache_beam.utils.windowed_value import PaneInfoTiming

from transforms.dedup import DedupKey, dedup_key
from transforms.events import Event, EventReport, cluster_key, compatible, count_keys, merge_cluster
from transforms.records import BadInput, CleanedArticle, Duplicate, RawDocument, Rejected, rejected
from transforms.sinks import AVRO, to_plain, write_shard_to
from transforms.sources import document_from_fields, input_kind, read_documents

STAGE = "stream"
DEFAULT_WINDOW_MINUTES = 15
DEFAULT_ALLOWED_LATENESS_HOURS = 48
DEFAULT_EARLY_FIRING_SECONDS = 60
DEFAULT_DEDUP_TTL_DAYS = 7
DEFAULT_CLUSTER_TTL_DAYS = 7
DEFAULT_POLL_SECONDS = 30
DAY = 24 * 3600

log = logging.getLogger("newsfeed.stream")


# --- records -------------------------------------------------------------------------------------


class StreamAggregate(NamedTuple):
    """Events per window × place × type, as of one pane (``schemas/stream_aggregate.avsc``).

    Panes accumulate: a consumer keeps, per (window, level, place, type), the row
    with the highest ``pane_index`` and drops the earlier ones.
    """

    window_start: str  # ISO-8601 UTC, inclusive
    window_end: str  # exclusive
    level: str  # city, admin1 or country
    place: str
    country: Optional[str]
    type: str
    event_type: str
    events: int  # distinct events reported by articles published in the window
    articles: int  # distinct articles published in the window reporting them
    pane_index: int  # 0, 1, 2 … per window
    timing: str  # EARLY, ON_TIME, LATE (UNKNOWN when the runner does not say)
    is_first: bool
    is_last: bool


class EventSighting(NamedTuple):
    """One article's report of an event, in one place cell: what the windowed count needs."""

    event_id: str
    article_id: str
    level: str
    place: str
    country: Optional[str]
    type: str
    event_type: str


class FeedFile(NamedTuple):
    """A file of the watched directory, as the ledger remembers it."""

    path: str
    size: int
    mtime: float


class StreamCluster(NamedTuple):
    """The state of one growing event: its fixed id and its reports so far."""

    id: str
    reports: List[EventReport]


for _record in (StreamAggregate, EventSighting, FeedFile, StreamCluster):
    beam.coders.registry.register_coder(_record, RowCoder)


# --- pure functions: time ------------------------------------------------------------------------


def parse_published(published: Optional[str]) -> Optional[Timestamp]:
    """A publication time (ISO date or date-time, as ``CleanArticles`` normalises it)
    as a Timestamp; a bare date means midnight UTC, a naive time means UTC."""
    if not published:
        return None
    try:
        if len(published) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(published), dt.time(), tzinfo=dt.timezone.utc)
        else:
            moment = dt.datetime.fromisoformat(published.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    return Timestamp.from_utc_datetime(moment.astimezone(dt.timezone.utc))


def event_time(published: Optional[str], ingested: Timestamp) -> Tuple[Timestamp, str]:
    """(event time, how it was chosen): the publication time, else the ingestion time.

    A publication time after the ingestion time is a feed's clock or time-zone
    error; it would put the article in a window that has not started, so the
    ingestion time is used instead.
    """
    when = parse_published(published)
    if when is None:
        return ingested, "ingestion"
    if when > ingested:
        return ingested, "future_published"
    return when, "published"


def iso_utc(ts: Timestamp) -> str:
    """``2020-09-14T09:30:00Z``."""
    return ts.to_utc_datetime(has_tz=True).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_start_micros(ts: Timestamp, size_seconds: int) -> int:
    """Start of the fixed window (aligned on the epoch) holding ``ts``, in microseconds."""
    size = size_seconds * 1_000_000
    return (ts.micros // size) * size


# --- pure functions: clustering ------------------------------------------------------------------


def cluster_id(first: EventReport) -> str:
    """The id an event keeps for life: derived from its first report, as in batch."""
    return merge_cluster([first]).id


def join_cluster(clusters: List[StreamCluster], report: EventReport) -> Tuple[List[StreamCluster], int]:
    """(clusters with ``report`` added, index of its cluster): the first cluster all of
    whose reports are compatible with it (the batch rule), else a new one. A report
    already held (a replay) changes nothing."""
    for index, cluster in enumerate(clusters):
        if any((r.article_id, r.sentence_index) == (report.article_id, report.sentence_index) for r in cluster.reports):
            return clusters, index
    for index, cluster in enumerate(clusters):
        if all(compatible(report, member) for member in cluster.reports):
            grown = StreamCluster(cluster.id, list(cluster.reports) + [report])
            return clusters[:index] + [grown] + clusters[index + 1 :], index
    return clusters + [StreamCluster(cluster_id(report), [report])], len(clusters)


def cluster_event(cluster: StreamCluster) -> Event:
    """The event as of now: the batch merge, under the cluster's fixed id."""
    return merge_cluster(cluster.reports)._replace(id=cluster.id)


def sightings(event: Event, article_id: str) -> List[EventSighting]:
    """The place cells (city, admin1, country, as in batch ``count_keys``) in which
    ``article_id`` reported ``event``."""
    found = []
    for key, _ in count_keys(event._replace(date=event.date or "1970-01-01"), 1):
        _, _, level, place, country, type_, event_type = key
        found.append(EventSighting(event.id, article_id, level, place, country, type_, event_type))
    return found


Cell = Tuple[str, str, Optional[str], str, str]  # level, place, country, type, event_type


class CountSightings(beam.CombineFn):
    """{cell: (event ids, article ids)}: distinct counts survive re-emitted events
    and accumulating panes. Small: the cells of one window."""

    def create_accumulator(self) -> Dict[Cell, Tuple[Set[str], Set[str]]]:
        return {}

    def add_input(self, accumulator, sighting: EventSighting):
        cell = (sighting.level, sighting.place, sighting.country, sighting.type, sighting.event_type)
        events, articles = accumulator.setdefault(cell, (set(), set()))
        events.add(sighting.event_id)
        articles.add(sighting.article_id)
        return accumulator

    def merge_accumulators(self, accumulators):
        merged: Dict[Cell, Tuple[Set[str], Set[str]]] = {}
        for accumulator in accumulators:
            for cell, (events, articles) in accumulator.items():
                into = merged.setdefault(cell, (set(), set()))
                into[0].update(events)
                into[1].update(articles)
        return merged

    def extract_output(self, accumulator) -> List[Tuple[Cell, int, int]]:
        return sorted(
            ((cell, len(events), len(articles)) for cell, (events, articles) in accumulator.items()),
            key=lambda row: tuple("" if v is None else v for v in row[0]),
        )


def pane_aggregates(cells: Iterable[Tuple[Cell, int, int]], start: Timestamp, end: Timestamp, pane) -> List[StreamAggregate]:
    """The StreamAggregate rows of one pane of one window."""
    timing = PaneInfoTiming.to_string(pane.timing) if pane is not None else "UNKNOWN"
    return [
        StreamAggregate(
            window_start=iso_utc(start), window_end=iso_utc(end), level=level, place=place, country=country,
            type=type_, event_type=event_type, events=events, articles=articles,
            pane_index=pane.index if pane is not None else 0, timing=timing,
            is_first=bool(pane.is_first) if pane is not None else True, is_last=bool(pane.is_last) if pane is not None else False,
        )
        for (level, place, country, type_, event_type), events, articles in cells
    ]


# --- pure functions: directory feed and its ledger -----------------------------------------------


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
            found.append(FeedFile(metadata.path, metadata.size_in_bytes, float(metadata.last_updated_in_seconds or 0.0)))
    return sorted(found)


# --- pure functions: Kafka records --------------------------------------------------------------


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
    """(origin, value, broker timestamp) of whatever a Kafka reader emits: an object
    with topic/partition/offset/value(/timestamp) attributes, a dict with those keys,
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
    stamp = get("timestamp")
    if isinstance(stamp, (int, float)) and stamp > 0:
        stamp = Timestamp(micros=int(stamp) * 1000)  # Kafka timestamps are epoch milliseconds
    elif not isinstance(stamp, Timestamp):
        stamp = None
    return origin, get("value"), stamp


# --- pane files ----------------------------------------------------------------------------------


def _compact(ts: Timestamp) -> str:
    return ts.to_utc_datetime(has_tz=True).strftime("%Y%m%dT%H%M%SZ")


def pane_file_path(output: str, kind: str, window, pane, fmt: str) -> str:
    """``<output>/<kind>/<start>--<end>/pane-<index>-<timing>.<fmt>``: a pure function
    of the window and pane, so a replay writes the same names."""
    if isinstance(window, windows.IntervalWindow):
        folder = f"{_compact(window.start)}--{_compact(window.end)}"
    else:
        folder = "global"
    index = pane.index if pane is not None else 0
    timing = PaneInfoTiming.to_string(pane.timing) if pane is not None else "UNKNOWN"
    return FileSystems.join(output, kind, folder, f"pane-{index:05d}-{timing}.{fmt}")


def latest_file_path(output: str, kind: str, window, fmt: str) -> str:
    """``<output>/latest/<kind>/<start>--<end>.<fmt>``: the window's last pane written."""
    folder = pane_file_path(output, kind, window, None, fmt).replace("\\", "/").rsplit("/", 2)[-2]
    return FileSystems.join(output, "latest", kind, f"{folder}.{fmt}")


def _replace_atomically(path: str, write) -> None:
    temporary = f"{path}.{os.getpid()}.{time.monotonic_ns()}.tmp"
    with FileSystems.create(temporary) as handle:
        write(handle)
    if FileSystems.exists(path):
        FileSystems.delete([path])
    FileSystems.rename([temporary], [path])


class _WritePaneFile(beam.DoFn):
    """Writes one pane's records (a sorted list) to its file: temporary name, then rename.

    ``latest``: the same records also replace ``latest_file_path`` (snapshot kinds). Pane
    indices are not a reliable order across a restore from a checkpoint: Flink re-fires a
    window's panes after a failure (seen: pane-00000-ON_TIME, pane-00001-LATE after
    pane-00225-LATE of the failed attempt), and the failed attempt's files stay. The file
    written last is the final snapshot once the job has ended (accumulating panes)."""

    def __init__(self, output: str, kind: str, schema: str, fmt: str, sort_key, latest: bool = False):
        self._output, self._kind, self._schema, self._fmt, self._sort_key = output, kind, schema, fmt, sort_key
        self._latest = latest
        self._files = Metrics.counter("write", f"{kind}_files")
        self._records = Metrics.counter("write", kind)

    def process(self, records: List[Any], window=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam):
        path = pane_file_path(self._output, self._kind, window, pane, self._fmt)
        rows = [to_plain(r) for r in sorted(records, key=self._sort_key)]
        name = path[len(self._output):].lstrip("/\\")
        _replace_atomically(path, lambda handle: write_shard_to(handle, rows, self._schema, self._fmt, name))
        if self._latest:
            latest = latest_file_path(self._output, self._kind, window, self._fmt)
            _replace_atomically(latest, lambda handle: write_shard_to(handle, rows, self._schema, self._fmt, name))
        self._files.inc()
        self._records.inc(len(rows))
        yield path


class WritePaneFiles(beam.PTransform):
    """PCollection[list of records], one list per window × pane (the output of a
    triggered grouping) → one file each; returns the paths."""

    def __init__(self, output: str, kind: str, schema: str, sort_key, fmt: str = AVRO, latest: bool = False):
        super().__init__()
        self._args = (output, kind, schema, fmt, sort_key, latest)

    def expand(self, panes):
        return panes | "WritePane" >> beam.ParDo(_WritePaneFile(*self._args))


# --- windowing -----------------------------------------------------------------------------------


def stream_windowing(window_minutes: int, allowed_lateness_hours: float, early_seconds: int, accumulate: bool = True):
    """Fixed windows of publication time; early panes every ``early_seconds`` of
    processing time, one on-time pane at the watermark, one late pane per late element."""
    return beam.WindowInto(
        windows.FixedWindows(window_minutes * 60),
        trigger=triggers.AfterWatermark(
            early=triggers.AfterProcessingTime(early_seconds) if early_seconds > 0 else None,
            late=triggers.AfterCount(1),
        ),
        accumulation_mode=triggers.AccumulationMode.ACCUMULATING if accumulate else triggers.AccumulationMode.DISCARDING,
        allowed_lateness=Duration(seconds=int(allowed_lateness_hours * 3600)),
    )


class CountEventsInWindows(beam.PTransform):
    """PCollection[EventSighting] → PCollection[List[StreamAggregate]], one list per
    window × pane: the whole window's cells as of that pane."""

    def __init__(self, window_minutes: int = DEFAULT_WINDOW_MINUTES,
                 allowed_lateness_hours: float = DEFAULT_ALLOWED_LATENESS_HOURS,
                 early_seconds: int = DEFAULT_EARLY_FIRING_SECONDS):
        super().__init__()
        self._windowing = (window_minutes, allowed_lateness_hours, early_seconds)

    def expand(self, sighted):
        panes = Metrics.counter(STAGE, "aggregate_panes")

        def to_rows(keyed, window=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam):
            panes.inc()
            return pane_aggregates(keyed[1], window.start, window.end, pane)

        return (
            sighted
            | "Windows" >> stream_windowing(*self._windowing)
            # one key per window: a window's cells are few (places × types in minutes of news),
            # and combiner lifting sums before the shuffle
            | "OneKey" >> beam.Map(lambda s: ("", s)).with_output_types(Tuple[str, EventSighting])
            | "Count" >> beam.CombinePerKey(CountSightings())
            | "Rows" >> beam.Map(to_rows).with_output_types(List[StreamAggregate])
        )


class LatestEventsInWindows(beam.PTransform):
    """PCollection[Event] (updates) → PCollection[List[Event]] per window × pane: the
    latest version of every event updated in the window (most mentions wins)."""

    def __init__(self, window_minutes: int, allowed_lateness_hours: float, early_seconds: int):
        super().__init__()
        self._windowing = (window_minutes, allowed_lateness_hours, early_seconds)

    def expand(self, events):
        def latest(versions: Iterable[Event]) -> List[Event]:
            best: Dict[str, Event] = {}
            for event in versions:
                held = best.get(event.id)
                if held is None or (len(event.mentions), event.mentions) > (len(held.mentions), held.mentions):
                    best[event.id] = event
            return sorted(best.values(), key=lambda e: e.id)

        return (
            events
            | "Windows" >> stream_windowing(*self._windowing)
            | "OneKey" >> beam.Map(lambda e: ("", e)).with_output_types(Tuple[str, Event])
            | "Group" >> beam.GroupByKey()
            | "Latest" >> beam.MapTuple(lambda _, versions: latest(versions)).with_output_types(List[Event])
        )


class LogOfProcessing(beam.PTransform):
    """Append-only records (duplicates, rejected, too late) → PCollection[list] per
    window × pane of processing time. They say what the job did, so they are
    re-stamped with the time they were produced: a duplicate of a week-old story
    must not vanish as "too late"."""

    def __init__(self, window_minutes: int, early_seconds: int, element_type):
        super().__init__()
        self._window_minutes, self._early_seconds, self._type = window_minutes, early_seconds, element_type

    def expand(self, records):
        def now_stamped(record, ts=beam.DoFn.TimestampParam):
            return windows.TimestampedValue(record, max(ts, Timestamp.now()))

        return (
            records
            | "ProcessingTime" >> beam.Map(now_stamped).with_output_types(self._type)
            | "Windows" >> stream_windowing(self._window_minutes, 0, self._early_seconds, accumulate=False)
            | "OneKey" >> beam.Map(lambda r: ("", r)).with_output_types(Tuple[str, self._type])
            | "Group" >> beam.GroupByKey()
            | "List" >> beam.MapTuple(lambda _, rs: list(rs)).with_output_types(List[self._type])
        )


# --- the directory feed --------------------------------------------------------------------------


class _PollDirectory(beam.DoFn):
    """A tick → the directory's files that are neither in the ledger nor already
    handed out by this poller (a file can be listed again before it is read)."""

    def __init__(self, directory: str, state_dir: str):
        self._directory, self._state_dir = directory, state_dir
        self._polls = Metrics.counter("read", "polls")
        self._skipped = Metrics.counter("read", "files_in_ledger")

    def setup(self):
        self._claimed: Set[str] = set()

    def process(self, _tick) -> Iterator[FeedFile]:
        self._polls.inc()
        for feed_file in new_files(self._directory, self._state_dir):
            if feed_file.path in self._claimed:
                continue
            self._claimed.add(feed_file.path)
            yield feed_file


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

    def __init__(self, directory: str, state_dir: str, poll_seconds: float = DEFAULT_POLL_SECONDS,
                 once: bool = False, stop_after_seconds: Optional[float] = None):
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
            ticks = pbegin | "Poll" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop, fire_interval=self._poll_seconds)
        files = ticks | "ListNewFiles" >> beam.ParDo(_PollDirectory(self._directory, self._state_dir)).with_output_types(FeedFile)
        read = files | "ReadFiles" >> beam.ParDo(_ReadFeedFile()).with_outputs(
            _ReadFeedFile.DONE, _ReadFeedFile.REJECTED, main="documents"
        )
        read.documents.element_type = RawDocument
        read[_ReadFeedFile.REJECTED].element_type = Rejected
        ledger = read[_ReadFeedFile.DONE] | "EnterInLedger" >> beam.ParDo(_EnterInLedger(self._state_dir, pending=self._once)).with_output_types(str)
        return {"documents": read.documents, "rejected": read[_ReadFeedFile.REJECTED], "ledger": ledger}


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


# --- event time ----------------------------------------------------------------------------------


class _StampPublicationTime(beam.DoFn):
    def __init__(self):
        self._counters = {name: Metrics.counter(STAGE, f"time_{name}") for name in ("published", "ingestion", "future_published")}

    def process(self, article: CleanedArticle, ts=beam.DoFn.TimestampParam):
        # a source without timestamps (beam.Create) gives MIN_TIMESTAMP: then "ingested" is now
        ingested = ts if ts > Timestamp(0) else Timestamp.now()
        when, how = event_time(article.published, ingested)
        self._counters[how].inc()
        yield windows.TimestampedValue(article, when)


class StampPublicationTime(beam.PTransform):
    """CleanedArticle → the same, timestamped with its publication time (else ingestion time)."""

    def expand(self, articles):
        return articles | "Stamp" >> beam.ParDo(_StampPublicationTime()).with_output_types(CleanedArticle)


class _WindowGate(beam.DoFn):
    """Keyed by window start: once the watermark passes window end + allowed lateness
    (an event-time timer), later articles of that window are reported as too late.
    The first article of a window that was never seen arrives with no timer set and
    cannot be judged (no DoFn sees the watermark): such articles pass unflagged.

    The closed flag is kept for good (one boolean per window ever seen, ~35,000 a
    year of 15-minute windows): an event-time "forget" timer would be set in the
    past whenever the watermark is far ahead (a replay of old news), fire at once and
    reopen the window."""

    CLOSED = ReadModifyWriteStateSpec("closed", BooleanCoder())
    CLOSE = TimerSpec("close", TimeDomain.WATERMARK)

    def __init__(self, window_seconds: int, allowed_lateness_seconds: int):
        self._window, self._lateness = window_seconds, allowed_lateness_seconds
        self._too_late = Metrics.counter(STAGE, "too_late")

    def process(self, keyed, closed=beam.DoFn.StateParam(CLOSED), close=beam.DoFn.TimerParam(CLOSE),
                ts=beam.DoFn.TimestampParam):
        start_micros, (origin, article_id) = keyed
        start = Timestamp(micros=start_micros)
        end = start + Duration(seconds=self._window)
        if closed.read():
            self._too_late.inc()
            yield rejected(origin, "window", f"too late: published {iso_utc(ts)}, window {iso_utc(start)}–{iso_utc(end)} "
                           f"closed {self._lateness / 3600:g} h after its end", article_id)
            return
        close.set(end + Duration(seconds=self._lateness))

    @on_timer(CLOSE)
    def on_close(self, closed=beam.DoFn.StateParam(CLOSED)):
        closed.write(True)


class FlagTooLate(beam.PTransform):
    """Timestamped CleanedArticle → PCollection[Rejected] (stage "window") for articles
    whose window had closed when they arrived; counter ``stream/too_late``. A side
    branch: the windowed counts drop these articles' reports themselves."""

    def __init__(self, window_minutes: int, allowed_lateness_hours: float):
        super().__init__()
        self._args = (window_minutes * 60, int(allowed_lateness_hours * 3600))

    def expand(self, articles):
        window_seconds = self._args[0]

        def key(article: CleanedArticle, ts=beam.DoFn.TimestampParam):
            return window_start_micros(ts, window_seconds), (article.origin, article.id)

        return (
            articles
            | "KeyByWindow" >> beam.Map(key).with_output_types(Tuple[int, Tuple[str, str]])
            | "Gate" >> beam.ParDo(_WindowGate(*self._args)).with_output_types(Rejected)
        )


# --- streaming dedup -----------------------------------------------------------------------------


class _FirstSeen(beam.DoFn):
    """Keyed by one dedup key: the first article wins, later ones are duplicates of it.
    The key is forgotten when the watermark passes its latest article's time + ttl."""

    KEPT = ReadModifyWriteStateSpec("kept", StrUtf8Coder())
    EXPIRES = ReadModifyWriteStateSpec("expires", VarIntCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)
    DUPLICATES = "duplicates"

    def __init__(self, rule: str, ttl_seconds: int):
        self._rule, self._ttl = rule, ttl_seconds
        self._duplicates = Metrics.counter("dedup", "duplicates")
        self._expired = Metrics.counter("dedup", f"expired_{rule}_keys")

    def process(self, keyed, ts=beam.DoFn.TimestampParam, kept=beam.DoFn.StateParam(KEPT),
                expires=beam.DoFn.StateParam(EXPIRES), expiry=beam.DoFn.TimerParam(EXPIRY)):
        _, (key, article) = keyed
        expiry_micros = (ts + Duration(seconds=self._ttl)).micros
        if (expires.read() or 0) < expiry_micros:
            expires.write(expiry_micros)
            expiry.set(Timestamp(micros=expiry_micros))
        first = kept.read()
        if first is None:
            kept.write(key.id)
            yield key, article
        else:
            self._duplicates.inc()
            yield TaggedOutput(self.DUPLICATES, Duplicate(key.origin, first, self._rule))

    @on_timer(EXPIRY)
    def expire(self, kept=beam.DoFn.StateParam(KEPT), expires=beam.DoFn.StateParam(EXPIRES)):
        self._expired.inc()
        kept.clear()
        expires.clear()


class DropStreamingDuplicates(beam.PTransform):
    """Timestamped CleanedArticle → {"articles": first copies, "duplicates": Duplicate}.

    Three stateful passes with the batch keys (``dedup.dedup_key``): canonical URL,
    record id, body fingerprint. Articles without a URL skip the URL pass (their
    batch key, "no-url:<origin>", is unique anyway)."""

    def __init__(self, ttl_days: float = DEFAULT_DEDUP_TTL_DAYS):
        super().__init__()
        self._ttl = int(ttl_days * DAY)

    def expand(self, articles):
        ttl = self._ttl
        keyed = articles | "DedupKeys" >> beam.Map(lambda a: (dedup_key(a), a)).with_output_types(Tuple[DedupKey, CleanedArticle])
        duplicates = []
        for rule, field in (("url", "url"), ("id", "id"), ("body", "body")):
            passed = (
                keyed
                | f"KeyBy{rule.title()}" >> beam.Map(lambda ka, f=field: (getattr(ka[0], f), ka)).with_output_types(
                    Tuple[str, Tuple[DedupKey, CleanedArticle]])
                | f"FirstBy{rule.title()}" >> beam.ParDo(_FirstSeen(rule, ttl)).with_outputs(_FirstSeen.DUPLICATES, main="kept")
            )
            passed.kept.element_type = Tuple[DedupKey, CleanedArticle]
            duplicates.append(passed[_FirstSeen.DUPLICATES])
            keyed = passed.kept
        unique = Metrics.counter(STAGE, "unique_articles")

        def count(ka):
            unique.inc()
            return ka[1]

        return {
            "articles": keyed | "Articles" >> beam.Map(count).with_output_types(CleanedArticle),
            "duplicates": duplicates | "AllDuplicates" >> beam.Flatten().with_output_types(Duplicate),
        }


# --- streaming clustering ------------------------------------------------------------------------


class _GrowClusters(beam.DoFn):
    """Keyed by ``cluster_key`` (country × month, as batch ``ClusterEvents``): the key's
    clusters live in state; each report joins one or starts one, and the event as of
    now is emitted under its fixed id, with the report's (article's) timestamp."""

    CLUSTERS = ReadModifyWriteStateSpec("clusters", ListCoder(RowCoder.from_type_hint(StreamCluster, None)))
    EXPIRES = ReadModifyWriteStateSpec("expires", VarIntCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)
    SIGHTINGS = "sightings"

    def __init__(self, ttl_seconds: int):
        self._ttl = ttl_seconds
        self._new = Metrics.counter("events", "stream_new_events")
        self._updated = Metrics.counter("events", "stream_updated_events")
        self._expired = Metrics.counter("events", "stream_expired_keys")

    def process(self, keyed, ts=beam.DoFn.TimestampParam, state=beam.DoFn.StateParam(CLUSTERS),
                expires=beam.DoFn.StateParam(EXPIRES), expiry=beam.DoFn.TimerParam(EXPIRY)):
        _, report = keyed
        clusters = list(state.read() or [])
        before = len(clusters)
        clusters, index = join_cluster(clusters, report)
        state.write(clusters)
        (self._new if len(clusters) > before else self._updated).inc()
        expiry_micros = (ts + Duration(seconds=self._ttl)).micros
        if (expires.read() or 0) < expiry_micros:
            expires.write(expiry_micros)
            expiry.set(Timestamp(micros=expiry_micros))
        event = cluster_event(clusters[index])
        yield event
        for sighting in sightings(event, report.article_id):
            yield TaggedOutput(self.SIGHTINGS, sighting)

    @on_timer(EXPIRY)
    def expire(self, state=beam.DoFn.StateParam(CLUSTERS), expires=beam.DoFn.StateParam(EXPIRES)):
        self._expired.inc()
        state.clear()
        expires.clear()


class ClusterEventsIncrementally(beam.PTransform):
    """PCollection[EventReport] → {"events": Event updates, "sightings": EventSighting}."""

    def __init__(self, ttl_days: float = DEFAULT_CLUSTER_TTL_DAYS):
        super().__init__()
        self._ttl = int(ttl_days * DAY)

    def expand(self, reports):
        grown = (
            reports
            | "KeyByRegionMonth" >> beam.Map(lambda r: (cluster_key(r), r)).with_output_types(Tuple[Tuple[str, str], EventReport])
            | "Grow" >> beam.ParDo(_GrowClusters(self._ttl)).with_outputs(_GrowClusters.SIGHTINGS, main="events")
        )
        grown.events.element_type = Event
        grown[_GrowClusters.SIGHTINGS].element_type = EventSighting
        return {"events": grown.events, "sightings": grown[_GrowClusters.SIGHTINGS]}


# --- progress ------------------------------------------------------------------------------------


class _LogProgress(beam.DoFn):
    """A log line every ``every`` elements or ``seconds`` seconds (per worker)."""

    def __init__(self, what: str, every: int, seconds: float):
        self._what, self._every, self._seconds = what, every, seconds

    def setup(self):
        self._count, self._last_count, self._last = 0, 0, time.monotonic()
        self._started = self._last

    def process(self, element, ts=beam.DoFn.TimestampParam):
        self._count += 1
        now = time.monotonic()
        if self._count - self._last_count >= self._every or now - self._last >= self._seconds:
            rate = (self._count - self._last_count) / max(now - self._last, 1e-6)
            log.info("progress: %d %s (%.1f/s), latest event time %s", self._count, self._what, rate,
                        iso_utc(ts) if ts > Timestamp(0) else "-")
            self._last_count, self._last = self._count, now
        yield element


class LogProgress(beam.PTransform):
    def __init__(self, what: str, every: int = 100, seconds: float = 60.0):
        super().__init__()
        self._args = (what, every, seconds)

    def expand(self, pcoll):
        return pcoll | "Log" >> beam.ParDo(_LogProgress(*self._args)).with_output_types(pcoll.element_type)

"""Kafka reader written in Python (confluent-kafka, Beam's splittable DoFn API).

Beam's own ``ReadFromKafka`` is cross-language: it needs a Java expansion service,
which Maven Central does not serve prebuilt here (``beam-sdks-java-io-expansion-service``,
checked 2.60.0-2.77.0), and it does not run on the Python direct runners; see
docs/streaming-kafka.md for what was tried. The writer is ``transforms.io.kafka_sink``
(re-exported here).

``ReadFromKafka(bootstrap_servers, topics)``:

* partitions. Bounded: Impulse → ``_ListPartitions`` (each partition once, its end
  offset captured) → Reshuffle → ``_ReadPartition``. Unbounded: Impulse → one
  ``TopicWatch`` per topic → ``_WatchPartitions``, a splittable DoFn over partition
  *numbers* that lists the topic every ``partition_poll_seconds`` and emits each new
  partition once (partitions are numbered 0…n-1 and only grow, so the claimed range
  is the checkpoint: a restore never emits a partition twice) → Reshuffle → reader.
  A partition added while the job runs is read from its first offset.
* offsets. ``_ReadPartition`` is a splittable DoFn whose restriction is an
  ``OffsetRange`` of Kafka offsets: every record is claimed before it is emitted, a
  call ends with ``defer_remainder()`` after ``max_records_per_call`` records or
  ``max_seconds_per_call`` seconds or once caught up, and the residual is the
  checkpoint (the next call, on any worker or after a restore, seeks to its start).
  Output of a failed bundle is discarded with its claims: nothing lost, nothing read
  twice. ``bounded=True`` stops at the end offsets captured at listing time;
  otherwise the range is open-ended and ``stop_after_seconds`` (optional) ends each
  reader once it has caught up after that long.
* committed offsets. Each bundle registers a bundle-finalization callback that
  commits "last offset read + 1" to the consumer group (``group_id``). A runner calls
  it only once the bundle's output is durable (Flink: when the checkpoint holding it
  completes; Prism and the FnApiRunner: after the bundle), so the group's offsets
  trail the job's checkpoints and never run ahead of them. A second consumer in the
  group, or a new job started with ``start="committed"``, sees the progress. The
  checkpoint stays the truth for a restored job (it may re-commit lower offsets).
* event time. The element timestamp is ``timestamp_fn(record)`` (default: the JSON
  value's ``published``, else the Kafka timestamp, else the ingestion time), clamped
  into the sane range [1990-01-01, read time + 1 day] (counters
  ``kafka_read/event_time_before_1990`` and ``event_time_after_tomorrow``).
* watermark (``ManualWatermarkEstimator``, never moving back): after each record whose
  event time was sane it may move to ``min(event time, ingestion time) -
  max_out_of_order_seconds`` (a clamped record does not move it at all), and
  while caught up (``advance_when_idle``) to ``now - max_out_of_order_seconds``. The
  ingestion time (``KafkaRecord.ingested``) is the broker's log-append time on
  LogAppendTime topics; on CreateTime topics the producer's timestamp when it lies
  between 1990 and the reader's clock, else the reader's clock. So the watermark
  never passes the time a record entered Kafka, nor the reader's clock: a payload
  dated 2099 (a feed's clock error) cannot push the windows of current news out of
  their allowed lateness, whatever the runner does with the element timestamp. Why
  not the payload time alone: it is the feed's clock, not ours; why not the producer
  timestamp alone: on CreateTime topics it is another client's clock. The log-append
  time is the broker's clock and, in a replay of an old topic, still the original
  timeline, where the reader's clock would jump to now.
* end of time. An unbounded read also arms ``_WatchEndOfTime``: a stateful DoFn,
  fed by the topic watches (which reach it before any watermark can pass them) and,
  for the watermark only, by the reader's output. Its event-time timer at the end of
  the global window fires when the watermark reaches the end of time. Before the
  stop condition (or at all, without one) that means the runner let the watermark run
  past the reader while it still reads: every stateful stage downstream then drops
  every record (Beam 2.62's portable Flink runner does this on some starts,
  ``StatefulParDoDropped``; apache/beam#19637). The watch raises, so the job fails
  loudly, and a runner with a restart strategy (Flink) restarts it. It needs its own
  element to arrive before the end-of-time watermark: in the one dropped Flink start
  observed with it, that element was dropped too, so ``pipelines.stream`` also fails
  a run whose counters show ``StatefulParDoDropped`` (docs/streaming-kafka.md). A
  drained unbounded job trips it too: pass ``watch_end_of_time=False`` for jobs that
  are drained.

Output: ``KafkaRecord(topic, partition, offset, key, value, timestamp, ingested)``,
raw bytes, Kafka timestamp and ingestion time in epoch milliseconds.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from typing import (
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.metrics import Metrics
from apache_beam.transforms.core import RestrictionProvider
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindow, TimestampedValue
from apache_beam.utils.timestamp import (
    MAX_TIMESTAMP,
    MIN_TIMESTAMP,
    Duration,
    Timestamp,
)

from transforms.dates import to_timestamp
from transforms.io.kafka_sink import WriteJsonToKafka, WriteToKafkaTopic, encode_json

__all__ = [
    "EARLIEST",
    "LATEST",
    "COMMITTED",
    "KafkaRecord",
    "KafkaPartition",
    "ReadFromKafka",
    "WriteJsonToKafka",
    "WriteToKafkaTopic",
    "encode_json",
]

_LOG = logging.getLogger(__name__)


MAX_OFFSET = 2**63 - 1  # the stop of an open-ended (unbounded) restriction

EARLIEST = "earliest"
LATEST = "latest"
COMMITTED = "committed"  # the consumer group's committed offsets, else the earliest

DEFAULT_GROUP = "newsfeed-beam-reader"

MAX_PACE_SECONDS = 0.5  # the longest a partition watcher waits in a call (runners that ignore resume delays)

SANE_EARLIEST = Timestamp.of(631152000)  # 1990-01-01T00:00:00Z: older payload times are clock errors
SANE_AHEAD = Duration.of(24 * 3600)  # a payload time more than a day ahead of the reader's clock is one too

# confluent_kafka.TIMESTAMP_* (kept here so the pure functions need no client)
TIMESTAMP_CREATE_TIME = 1
TIMESTAMP_LOG_APPEND_TIME = 2


class KafkaRecord(NamedTuple):
    """One Kafka record as read: raw key/value bytes, the Kafka timestamp in epoch ms
    (0: none) and the ingestion time in epoch ms (see ``ingestion_millis``; 0: unknown,
    for records built outside the reader)."""

    topic: str
    partition: int
    offset: int
    key: Optional[bytes]
    value: Optional[bytes]
    timestamp: int
    ingested: int = 0


class KafkaPartition(NamedTuple):
    """The reader's element: one partition, its first offset and where it stops."""

    topic: str
    partition: int
    start_offset: int
    stop_offset: int  # bounded: end offset captured at listing time; unbounded: MAX_OFFSET
    end_offset: int  # the log end offset when listed (a size estimate for unbounded ranges)
    deadline_ms: int  # stop condition of an unbounded read: wall-clock epoch ms, 0 for never


class TopicWatch(NamedTuple):
    """The partition watcher's element: a topic and the read's stop condition."""

    topic: str
    deadline_ms: int  # wall-clock epoch ms, 0 for never


# --- time: pure functions ----------------------------------------------------------------------


def kafka_time(record: KafkaRecord) -> Optional[Timestamp]:
    return Timestamp(micros=record.timestamp * 1000) if record.timestamp > 0 else None


def publication_time(record: KafkaRecord) -> Optional[Timestamp]:
    """The JSON value's ``published`` time, else the Kafka record timestamp."""
    if record.value:
        try:
            value = json.loads(record.value)
        except (ValueError, UnicodeDecodeError):
            value = None
        if isinstance(value, dict):
            published = to_timestamp(value.get("published"))
            if published is not None and MIN_TIMESTAMP < published < MAX_TIMESTAMP:
                return published
    return kafka_time(record)


def ingestion_millis(timestamp_type: int, kafka_millis: int, read_millis: int) -> int:
    """When a record entered Kafka, as far as the reader can trust it (epoch ms): the
    broker's log-append time; else a producer's create time between 1990 and the
    reader's clock; else the reader's clock. Never after ``read_millis``."""
    if timestamp_type == TIMESTAMP_LOG_APPEND_TIME and kafka_millis > 0:
        return min(kafka_millis, read_millis)
    if timestamp_type == TIMESTAMP_CREATE_TIME and SANE_EARLIEST.micros // 1000 <= kafka_millis <= read_millis:
        return kafka_millis
    return read_millis


def sane_event_time(when: Timestamp, read_at: Timestamp) -> Tuple[Timestamp, str]:
    """(event time clamped into [1990-01-01, read_at + 1 day], "ok" | "before_1990" |
    "after_tomorrow")."""
    if when < SANE_EARLIEST:
        return SANE_EARLIEST, "before_1990"
    latest = read_at + SANE_AHEAD
    if when > latest:
        return latest, "after_tomorrow"
    return when, "ok"


def watermark_candidate(event_time: Timestamp, ingested: Timestamp, lag: Duration) -> Timestamp:
    """Where a record lets the watermark go: its event time, but never past the time
    it entered Kafka, minus the allowed out-of-order lag."""
    return min(event_time, ingested) - lag


def end_of_time_too_early(deadline_ms: int, now_ms: int) -> bool:
    """The watermark reached the end of time: is that before the read could have ended?
    An unbounded read ends only after its stop condition (never, without one)."""
    return deadline_ms <= 0 or now_ms < deadline_ms


# --- consumers and partitions ------------------------------------------------------------------


def consumer_config(
    bootstrap_servers: str, extra: Optional[Dict[str, Any]] = None, group_id: str = DEFAULT_GROUP
) -> Dict[str, Any]:
    """A consumer that never commits by itself: offsets live in Beam's checkpoints and
    are committed to ``group_id`` explicitly, on bundle finalization."""
    config = {
        "bootstrap.servers": bootstrap_servers,
        "group.id": group_id,  # no group is joined (assign only); commits go to this group
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,  # tells the reader when it has caught up
        "auto.offset.reset": "earliest",  # an offset already deleted by retention: go on from the oldest
        "isolation.level": "read_committed",
        "socket.connection.setup.timeout.ms": 10000,
    }
    config.update(extra or {})
    return config


_consumer_config = consumer_config  # ReadFromKafka's parameter of that name shadows it


def _new_consumer(config: Dict[str, Any]):
    from confluent_kafka import Consumer

    return Consumer(config)


def topic_partitions(consumer, topic: str, timeout: float, bootstrap: str) -> List[int]:
    """The topic's partition numbers (waits up to ``timeout`` for the topic to exist)."""
    deadline = time.monotonic() + timeout
    while True:
        metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if metadata is not None and metadata.error is None and metadata.partitions:
            return sorted(metadata.partitions)
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"Kafka topic {topic!r} not found on {bootstrap}: "
                f"{metadata.error if metadata is not None else 'no metadata'}"
            )
        time.sleep(0.5)


def committed_offset(consumer, topic: str, partition: int, timeout: float) -> int:
    """The group's committed offset for the partition (-1: none). Retries while the group
    coordinator moves or loads (a fresh broker answers NOT_COORDINATOR for a while)."""
    from confluent_kafka import KafkaError, KafkaException, TopicPartition

    moving = (KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS, KafkaError.COORDINATOR_NOT_AVAILABLE)
    deadline = time.monotonic() + timeout
    while True:
        try:
            return consumer.committed([TopicPartition(topic, partition)], timeout=timeout)[0].offset
        except KafkaException as exception:
            error = exception.args[0]
            if not (error.retriable() or error.code() in moving) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


class _StartOffsets:
    """Resolves where a partition's read starts: ``start_offsets`` first, then the
    ``start`` policy (earliest, latest, committed or epoch milliseconds)."""

    def __init__(self, start: Union[str, int], start_offsets: Optional[Dict[Any, int]], timeout: float):
        if not (start in (EARLIEST, LATEST, COMMITTED) or (isinstance(start, int) and not isinstance(start, bool))):
            raise ValueError(f"start must be 'earliest', 'latest', 'committed' or epoch ms, got {start!r}")
        self._start, self._offsets, self._timeout = start, dict(start_offsets or {}), timeout

    def resolve(self, consumer, topic: str, partition: int, low: int, high: int, policy=None) -> int:
        from confluent_kafka import TopicPartition

        for key in ((topic, partition), f"{topic}/{partition}", partition):
            if key in self._offsets:
                return min(max(int(self._offsets[key]), low), high)
        start = self._start if policy is None else policy
        if start == EARLIEST:
            return low
        if start == LATEST:
            return high
        if start == COMMITTED:
            committed = committed_offset(consumer, topic, partition, self._timeout)
            return min(max(committed, low), high) if committed >= 0 else low
        # epoch milliseconds: the first record at or after that time
        found = consumer.offsets_for_times([TopicPartition(topic, partition, int(start))], timeout=self._timeout)
        offset = found[0].offset
        return high if offset < 0 else offset


def _partition(
    consumer, starts: _StartOffsets, topic: str, number: int, bounded: bool, deadline_ms: int, timeout, policy=None
):
    from confluent_kafka import TopicPartition

    low, high = consumer.get_watermark_offsets(TopicPartition(topic, number), timeout=timeout)
    start = starts.resolve(consumer, topic, number, low, high, policy)
    stop = high if bounded else MAX_OFFSET
    return KafkaPartition(topic, number, start, max(start, stop), high, deadline_ms)


class _ListPartitions(beam.DoFn):
    """Impulse → one KafkaPartition per partition of each topic, listed once (bounded reads)."""

    def __init__(self, config: Dict[str, Any], topics: Sequence[str], starts: _StartOffsets, timeout: float):
        self._config, self._topics, self._starts, self._timeout = config, list(topics), starts, timeout

    def process(self, _) -> Iterator[KafkaPartition]:
        consumer = _new_consumer(self._config)
        try:
            for topic in self._topics:
                for number in topic_partitions(consumer, topic, self._timeout, self._config["bootstrap.servers"]):
                    yield _partition(consumer, self._starts, topic, number, True, 0, self._timeout)
        finally:
            consumer.close()


class _KafkaOffsetTracker(OffsetRestrictionTracker):
    """An OffsetRange tracker that, on an open-ended range, only splits to checkpoint
    (a fraction of "infinity" would hand a reader offsets that do not exist yet)."""

    def try_split(self, fraction_of_remainder):
        if self._range.stop == MAX_OFFSET and fraction_of_remainder > 0:
            return None
        return super().try_split(fraction_of_remainder)

    def is_bounded(self):
        return self._range.stop != MAX_OFFSET


class _PartitionNumbers(RestrictionProvider):
    """The watcher's restriction: partition numbers [next not yet emitted, ∞)."""

    def initial_restriction(self, element: TopicWatch) -> OffsetRange:
        return OffsetRange(0, MAX_OFFSET)

    def create_tracker(self, restriction: OffsetRange) -> _KafkaOffsetTracker:
        return _KafkaOffsetTracker(restriction)

    def split(self, element, restriction):
        yield restriction

    def restriction_size(self, element, restriction) -> int:
        return 1

    def truncate(self, element, restriction):
        return None  # on drain: stop watching


class _WatchPartitions(beam.DoFn):
    """TopicWatch → each partition of the topic once, as it appears (see the module
    docstring); partitions present at the first listing start by the ``start``
    policy, later ones at their first offset (or the group's committed offset)."""

    def __init__(self, config: Dict[str, Any], starts: _StartOffsets, poll_seconds: float, timeout: float):
        self._config, self._starts, self._poll, self._timeout = config, starts, poll_seconds, timeout
        self._discovered = Metrics.counter("kafka_read", "partitions_discovered")
        self._consumer = None

    def setup(self):
        self._consumer = _new_consumer(self._config)
        self._listed: Dict[str, float] = {}

    def teardown(self):
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def _pace(self, topic: str) -> None:
        """The FnApiRunner resumes a deferred residual at once, ignoring its delay: without a
        pause it would list the topic in a tight loop (thousands of bundles a second, whose
        metrics then overflow Beam's recursive consolidation at the end of the job)."""
        last = self._listed.get(topic)
        if last is not None:
            time.sleep(max(0.0, min(MAX_PACE_SECONDS, last + self._poll - time.monotonic())))
        self._listed[topic] = time.monotonic()

    @beam.DoFn.unbounded_per_element()
    def process(
        self,
        watch: TopicWatch,
        tracker=beam.DoFn.RestrictionParam(_PartitionNumbers()),
        watermark=beam.DoFn.WatermarkEstimatorParam(ManualWatermarkEstimator.default_provider()),
    ) -> Iterator[KafkaPartition]:
        first_listing = tracker.current_restriction().start == 0
        self._pace(watch.topic)
        numbers = topic_partitions(self._consumer, watch.topic, self._timeout, self._config["bootstrap.servers"])
        policy = None if first_listing else COMMITTED  # a new partition: from its start, or the group's offset
        for number in range(tracker.current_restriction().start, max(numbers) + 1):
            if not tracker.try_claim(number):
                return
            self._discovered.inc()
            if not first_listing:
                _LOG.info("Kafka topic %s: new partition %d", watch.topic, number)
            yield _partition(
                self._consumer, self._starts, watch.topic, number, False, watch.deadline_ms, self._timeout, policy
            )
        if watch.deadline_ms and time.time() * 1000 >= watch.deadline_ms:
            tracker.try_claim(MAX_OFFSET)  # stop condition met: done watching
            return
        # the partitions are emitted (at the watch's timestamp); later ones are new to the topic
        current = watermark.current_watermark()
        now = Timestamp.now()
        if current is None or now > current:
            watermark.set_watermark(now)
        tracker.defer_remainder(Duration.of(self._poll))


class _PartitionRestrictions(RestrictionProvider):
    def initial_restriction(self, element: KafkaPartition) -> OffsetRange:
        return OffsetRange(element.start_offset, element.stop_offset)

    def create_tracker(self, restriction: OffsetRange) -> _KafkaOffsetTracker:
        return _KafkaOffsetTracker(restriction)

    def split(self, element, restriction):
        yield restriction  # one reader per partition; runners may still split a bounded range dynamically

    def restriction_size(self, element: KafkaPartition, restriction: OffsetRange) -> int:
        if restriction.stop != MAX_OFFSET:
            return restriction.size()
        return max(0, element.end_offset - restriction.start) + 1  # backlog when listed; never infinite

    def truncate(self, element, restriction):
        # on drain an open-ended read stops at once; a bounded one finishes its range
        return None if restriction.stop == MAX_OFFSET else restriction


class _ReadPartition(beam.DoFn):
    """Reads one partition's OffsetRange (bounded); see the module docstring."""

    def __init__(
        self,
        config: Dict[str, Any],
        timestamp_fn: Callable[[KafkaRecord], Optional[Timestamp]],
        max_out_of_order_seconds: float,
        advance_when_idle: bool,
        poll_timeout: float,
        max_records_per_call: int,
        max_seconds_per_call: float,
        idle_resume_seconds: float,
        commit_offsets: bool = True,
    ):
        self._config = config
        self._timestamp_fn = timestamp_fn
        self._lag = Duration.of(max_out_of_order_seconds)
        self._advance_when_idle = advance_when_idle
        self._poll_timeout = poll_timeout
        self._max_records = max_records_per_call
        self._max_seconds = max_seconds_per_call
        self._idle_resume = Duration.of(idle_resume_seconds)
        self._commit_offsets = commit_offsets
        self._records = Metrics.counter("kafka_read", "records")
        self._checkpoints = Metrics.counter("kafka_read", "checkpoints")
        self._clamped = {
            reason: Metrics.counter("kafka_read", f"event_time_{reason}")
            for reason in ("before_1990", "after_tomorrow")
        }
        self._commits = Metrics.counter("kafka_read", "offset_commits")
        self._consumer = None
        self._committer = None

    def setup(self):
        self._consumer = _new_consumer(self._config)
        self._committed: Dict[Tuple[str, int], int] = {}

    def teardown(self):
        for client in (self._consumer, self._committer):
            if client is not None:
                client.close()
        self._consumer = self._committer = None

    def process(
        self,
        element: KafkaPartition,
        # before the SDF parameters: Beam passes those by keyword, this one by position
        finalizer=beam.DoFn.BundleFinalizerParam,
        tracker=beam.DoFn.RestrictionParam(_PartitionRestrictions()),
        watermark=beam.DoFn.WatermarkEstimatorParam(ManualWatermarkEstimator.default_provider()),
    ):
        yield from self._read(element, tracker, watermark, finalizer)

    def _advance(self, watermark, candidate: Timestamp) -> None:
        current = watermark.current_watermark()
        if current is None or candidate > current:
            watermark.set_watermark(candidate)

    def commit(self, topic: str, partition: int, next_offset: int) -> None:
        """Commits ``next_offset`` for the partition to the consumer group (a bundle
        finalization callback: the bundle's output is durable). Advisory: a failure is
        logged, the job's checkpoint still holds the position."""
        from confluent_kafka import KafkaException, TopicPartition

        key = (topic, partition)
        if self._committed.get(key, -1) >= next_offset:
            return
        try:
            committer = self._committer if self._committer is not None else _new_consumer(self._config)
            self._committer = committer
            committer.commit(offsets=[TopicPartition(topic, partition, next_offset)], asynchronous=False)
        except KafkaException as error:
            _LOG.warning("Kafka %s/%s: offset %d not committed: %s", topic, partition, next_offset, error)
            return
        self._committed[key] = next_offset
        self._commits.inc()

    def _record(self, element: KafkaPartition, message, read_millis: int) -> Tuple[KafkaRecord, Timestamp, bool]:
        """The record, its event time (clamped into the sane range, counted) and whether that
        time was sane."""
        kind, millis = message.timestamp()
        millis = millis if millis and millis > 0 else 0
        ingested = ingestion_millis(kind, millis, read_millis)
        record = KafkaRecord(
            element.topic, element.partition, message.offset(), message.key(), message.value(), millis, ingested
        )
        when = self._timestamp_fn(record)
        if when is None:
            when = Timestamp(micros=ingested * 1000)
        when, verdict = sane_event_time(when, Timestamp(micros=read_millis * 1000))
        if verdict != "ok":
            self._clamped[verdict].inc()
        return record, when, verdict == "ok"

    def _read(self, element: KafkaPartition, tracker, watermark, finalizer) -> Iterator[TimestampedValue]:
        from confluent_kafka import KafkaError, KafkaException, TopicPartition

        restriction = tracker.current_restriction()
        if restriction.start >= restriction.stop:
            return
        bounded = restriction.stop != MAX_OFFSET
        consumer = self._consumer
        assert consumer is not None, "setup() opens the consumer"
        consumer.assign([TopicPartition(element.topic, element.partition, restriction.start)])
        started = time.monotonic()
        emitted = 0
        last_offset = -1
        end_offset = -1  # the log end offset of the last end-of-partition event, -1 while records follow
        try:
            while True:
                messages = consumer.consume(num_messages=min(500, self._max_records), timeout=self._poll_timeout)
                read_millis = int(time.time() * 1000)
                for message in messages:
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            end_offset = message.offset()
                            continue
                        if error.retriable():
                            _LOG.warning("Kafka %s/%s: %s (retrying)", element.topic, element.partition, error)
                            continue
                        raise KafkaException(error)
                    end_offset = -1
                    if not tracker.try_claim(message.offset()):
                        return  # past a bounded range's stop, or split off by the runner
                    last_offset = message.offset()
                    record, when, sane = self._record(element, message, read_millis)
                    self._records.inc()
                    emitted += 1
                    yield TimestampedValue(record, when)
                    if sane:  # a clock error says nothing about how far event time has come
                        ingested = Timestamp(micros=record.ingested * 1000)
                        self._advance(watermark, watermark_candidate(when, ingested, self._lag))
                # caught up only on the broker's word (end of partition), never on a slow poll
                if end_offset >= 0 and not bounded:
                    if self._advance_when_idle:
                        self._advance(watermark, Timestamp.now() - self._lag)
                    if element.deadline_ms and time.time() * 1000 >= element.deadline_ms:
                        tracker.try_claim(MAX_OFFSET)  # stop condition met and caught up: done
                        return
                    self._checkpoints.inc()
                    tracker.defer_remainder(self._idle_resume)
                    return
                if end_offset >= restriction.stop:  # bounded: the log holds nothing more in range
                    tracker.try_claim(restriction.stop)  # refused: marks the range as done
                    return
                if emitted >= self._max_records or time.monotonic() - started >= self._max_seconds:
                    self._checkpoints.inc()
                    tracker.defer_remainder()
                    return
        finally:
            try:
                consumer.unassign()
            except Exception:  # noqa: BLE001 — a closed consumer on teardown
                pass
            if self._commit_offsets and last_offset >= 0 and finalizer is not None:
                finalizer.register(functools.partial(self.commit, element.topic, element.partition, last_offset + 1))


class _ReadPartitionUnbounded(_ReadPartition):
    """The same reader over open-ended ranges: an unbounded output PCollection."""

    @beam.DoFn.unbounded_per_element()
    def process(
        self,
        element: KafkaPartition,
        # before the SDF parameters: Beam passes those by keyword, this one by position
        finalizer=beam.DoFn.BundleFinalizerParam,
        tracker=beam.DoFn.RestrictionParam(_PartitionRestrictions()),
        watermark=beam.DoFn.WatermarkEstimatorParam(ManualWatermarkEstimator.default_provider()),
    ):
        yield from self._read(element, tracker, watermark, finalizer)


class EndOfTimeTooEarly(RuntimeError):
    """The watermark reached the end of time while an unbounded Kafka read still runs."""


class _WatchEndOfTime(beam.DoFn):
    """(topic, deadline ms) → nothing; raises ``EndOfTimeTooEarly`` when the watermark
    reaches the end of the global window before the read's stop condition."""

    DEADLINE = ReadModifyWriteStateSpec("deadline_ms", VarIntCoder())
    END = TimerSpec("end_of_time", TimeDomain.WATERMARK)

    def __init__(self):
        self._armed = Metrics.counter("kafka_read", "end_of_time_watches")

    def process(self, keyed, deadline=beam.DoFn.StateParam(DEADLINE), end=beam.DoFn.TimerParam(END)):
        _, deadline_ms = keyed
        self._armed.inc()
        deadline.write(deadline_ms)
        end.set(GlobalWindow().max_timestamp())
        return []

    @on_timer(END)
    def on_end_of_time(self, key=beam.DoFn.KeyParam, deadline=beam.DoFn.StateParam(DEADLINE)):
        deadline_ms = deadline.read() or 0
        if end_of_time_too_early(deadline_ms, int(time.time() * 1000)):
            stop = "never" if deadline_ms <= 0 else f"{(deadline_ms - time.time() * 1000) / 1000:.0f} s from now"
            message = (
                f"the watermark reached the end of time while the Kafka read of topic {key!r} still runs "
                f"(its stop condition: {stop}): the runner released the watermark past the reader, so every "
                "stateful stage downstream drops every record (StatefulParDoDropped; with Beam 2.62's portable "
                "Flink runner, apache/beam#19637). Failing the job so that it restarts."
            )
            _LOG.error(message)
            raise EndOfTimeTooEarly(message)
        return []


class WatchEndOfTime(beam.PTransform):
    """(TopicWatch, records) → nothing: arms ``_WatchEndOfTime`` per topic. The watches
    reach it before their own watermark; the records (filtered to nothing) bring the
    reader's watermark."""

    def __init__(self, records):
        super().__init__()
        self._records = records

    def expand(self, watches):
        watermark_only = self._records | "NoRecords" >> beam.FlatMap(lambda _: ()).with_output_types(TopicWatch)
        return (
            (watches, watermark_only)
            | "WatchesAndWatermark" >> beam.Flatten().with_output_types(TopicWatch)
            | "ByTopic" >> beam.Map(lambda w: (w.topic, w.deadline_ms)).with_output_types(Tuple[str, int])
            | "Watch" >> beam.ParDo(_WatchEndOfTime())
        )


class _TopicWatches(beam.DoFn):
    """Impulse → one TopicWatch per topic; the stop condition counts from here."""

    def __init__(self, topics: Sequence[str], stop_after_seconds: Optional[float]):
        self._topics, self._stop_after = list(topics), stop_after_seconds

    def process(self, _) -> Iterator[TopicWatch]:
        deadline_ms = int((time.time() + self._stop_after) * 1000) if self._stop_after is not None else 0
        for topic in self._topics:
            yield TopicWatch(topic, deadline_ms)


class ReadFromKafka(beam.PTransform):
    """PBegin → PCollection[KafkaRecord] of the given topics (see the module docstring).

    ``start``: "earliest" (default), "latest", "committed" (the group's committed
    offsets, else the earliest) or epoch milliseconds; ``start_offsets`` overrides it
    per partition ({(topic, partition): offset}, {"topic/partition": offset} or
    {partition: offset}). ``group_id``: the consumer group offsets are committed to
    (``commit_offsets``). ``bounded``: stop at the end offsets captured when the
    partitions are listed. ``stop_after_seconds`` (unbounded only): finish once caught
    up after that long. ``partition_poll_seconds`` (unbounded): how often the topics
    are listed for new partitions.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Union[str, Sequence[str]],
        *,
        bounded: bool = False,
        start: Union[str, int] = EARLIEST,
        start_offsets: Optional[Dict[Any, int]] = None,
        stop_after_seconds: Optional[float] = None,
        group_id: str = DEFAULT_GROUP,
        commit_offsets: bool = True,
        consumer_config: Optional[Dict[str, Any]] = None,
        timestamp_fn: Callable[[KafkaRecord], Optional[Timestamp]] = publication_time,
        max_out_of_order_seconds: float = 60.0,
        advance_when_idle: bool = True,
        poll_timeout: float = 0.5,
        max_records_per_call: int = 10_000,
        max_seconds_per_call: float = 5.0,
        idle_resume_seconds: float = 1.0,
        partition_poll_seconds: float = 60.0,
        watch_end_of_time: bool = True,
        metadata_timeout: float = 30.0,
    ):
        super().__init__()
        if stop_after_seconds is not None and bounded:
            raise ValueError("stop_after_seconds is for unbounded reads; a bounded read stops at the end offsets")
        if max_records_per_call < 1:
            raise ValueError("max_records_per_call must be at least 1")
        config = _consumer_config(bootstrap_servers, consumer_config, group_id)
        self._topics = [topics] if isinstance(topics, str) else list(topics)
        self._bounded = bounded
        self._stop_after = stop_after_seconds
        self._watch_end_of_time = watch_end_of_time
        starts = _StartOffsets(start, start_offsets, metadata_timeout)
        self._list = _ListPartitions(config, self._topics, starts, metadata_timeout)
        self._watch = _WatchPartitions(config, starts, partition_poll_seconds, metadata_timeout)
        reader = _ReadPartition if bounded else _ReadPartitionUnbounded
        self._read = reader(
            config,
            timestamp_fn,
            max_out_of_order_seconds,
            advance_when_idle,
            poll_timeout,
            max_records_per_call,
            max_seconds_per_call,
            idle_resume_seconds,
            commit_offsets,
        )

    def expand(self, pbegin):
        impulse = pbegin | "Impulse" >> beam.Impulse()
        if self._bounded:
            partitions = impulse | "ListPartitions" >> beam.ParDo(self._list).with_output_types(KafkaPartition)
        else:
            watches = impulse | "TopicWatches" >> beam.ParDo(
                _TopicWatches(self._topics, self._stop_after)
            ).with_output_types(TopicWatch)
            partitions = watches | "WatchPartitions" >> beam.ParDo(self._watch).with_output_types(KafkaPartition)
        records = (
            partitions
            | "SpreadPartitions" >> beam.Reshuffle()
            | "ReadPartitions" >> beam.ParDo(self._read).with_output_types(KafkaRecord)
        )
        if not self._bounded and self._watch_end_of_time:
            _ = watches | "WatchEndOfTime" >> WatchEndOfTime(records)
        return records


def json_values(records):
    """PCollection[KafkaRecord] → PCollection[parsed JSON value] (a convenience for tests and tools)."""
    return records | "JsonValues" >> beam.Map(lambda r: json.loads(r.value))

"""Kafka IO written in Python (no Java expansion service): read and write topics.

Beam's own ``ReadFromKafka``/``WriteToKafka`` are cross-language and need the
Java expansion service jar, which Maven Central does not serve here (checked
2.60.0-2.77.0), and they do not run on the Python direct runners. This module
uses ``confluent-kafka`` (librdkafka) and Beam's splittable DoFn API instead.

Reading: ``ReadFromKafka(bootstrap_servers, topics)``
    Impulse → ``_ListPartitions`` (one element per topic partition, with start
    offsets resolved and the end offsets captured at that moment) → Reshuffle →
    ``_ReadPartition``, a splittable DoFn whose restriction is an
    ``OffsetRange`` of Kafka offsets for its partition:

    * every record is claimed (``try_claim(offset)``) before it is emitted, and a
      call ends with ``defer_remainder()`` after ``max_records_per_call`` records
      or ``max_seconds_per_call`` seconds, or when the reader has caught up with
      the log. The runner then splits the restriction at the last claimed
      offset + 1 and keeps the residual as the checkpoint: the next call (on any
      worker, after a restart too) seeks to the residual's start. Output of a
      failed bundle is discarded together with its claims, so nothing is lost
      and nothing is read twice. Offset gaps (compaction, transaction markers)
      are fine: claims only have to increase.
    * ``bounded=True``: the range is [start, end offset captured at start); the
      reader stops there (batch jobs, tests). Otherwise the range is open-ended
      ([start, 2**63-1)); it only splits at checkpoints, and ``stop_after_seconds``
      (optional) is a stop condition: once that many seconds have passed since
      the partitions were listed, each reader drains what the log holds and
      finishes as soon as it has caught up.
    * timestamps and watermark: each record's element timestamp is its event time
      (``timestamp_fn``; default: the JSON value's ``published`` field, else the
      Kafka record timestamp, i.e. the append time on LogAppendTime topics and the
      producer's time otherwise). A ``ManualWatermarkEstimator`` holds
      ``max(event time seen) - max_out_of_order_seconds`` (never moving back);
      while the reader is caught up and ``advance_when_idle`` is set, the
      watermark moves on to ``now - max_out_of_order_seconds`` so quiet partitions
      do not hold windows open. Records older than the watermark are still
      emitted (downstream they are late data).

    Output: ``KafkaRecord(topic, partition, offset, key, value, timestamp)`` with
    raw bytes and the Kafka timestamp in epoch milliseconds.

Writing: ``WriteJsonToKafka(bootstrap_servers, topic, key_fn)`` /
``WriteToKafkaTopic`` (the DoFn): each element (dict or NamedTuple) as a JSON
value; records are produced asynchronously and flushed at the end of every
bundle, which fails if any delivery failed, so a committed bundle's records are
in Kafka. A retried bundle produces its records again: the sink is
at-least-once (idempotent producer: no duplicates from the client's own
retries).
"""

from __future__ import annotations

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
    Union,
)

import apache_beam as beam
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.metrics import Metrics
from apache_beam.transforms.core import RestrictionProvider
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import (
    MAX_TIMESTAMP,
    MIN_TIMESTAMP,
    Duration,
    Timestamp,
)

from transforms.dates import to_timestamp

_LOG = logging.getLogger(__name__)


MAX_OFFSET = 2**63 - 1  # the stop of an open-ended (unbounded) restriction


EARLIEST = "earliest"


LATEST = "latest"


class KafkaRecord(NamedTuple):
    """One Kafka record as read: raw key/value bytes, Kafka timestamp in epoch ms (0: none)."""

    topic: str
    partition: int
    offset: int
    key: Optional[bytes]
    value: Optional[bytes]
    timestamp: int


class KafkaPartition(NamedTuple):
    """The reader's element: one partition, its first offset and where it stops."""

    topic: str
    partition: int
    start_offset: int
    stop_offset: int  # bounded: end offset captured at listing time; unbounded: MAX_OFFSET
    end_offset: int  # the log end offset when listed (a size estimate for unbounded ranges)
    deadline_ms: int  # stop condition of an unbounded read: wall-clock epoch ms, 0 for never


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


def consumer_config(bootstrap_servers: str, extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A consumer that never commits: the offsets live in Beam's checkpoints."""
    config = {
        "bootstrap.servers": bootstrap_servers,
        "group.id": "newsfeed-beam-reader",  # required by librdkafka; no group is joined (assign only)
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,  # tells the reader when it has caught up
        "auto.offset.reset": "earliest",  # an offset already deleted by retention: go on from the oldest
        "isolation.level": "read_committed",
        "socket.connection.setup.timeout.ms": 10000,
    }
    config.update(extra or {})
    return config


def _new_consumer(config: Dict[str, Any]):
    from confluent_kafka import Consumer

    return Consumer(config)


class _ListPartitions(beam.DoFn):
    """Impulse → one KafkaPartition per partition of each topic (start offsets resolved)."""

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[str],
        bounded: bool,
        start: Union[str, int],
        start_offsets: Optional[Dict[Any, int]],
        stop_after_seconds: Optional[float],
        config: Optional[Dict[str, Any]],
        timeout: float,
    ):
        self._config = consumer_config(bootstrap_servers, config)
        self._topics = list(topics)
        self._bounded = bounded
        self._start = start
        self._start_offsets = dict(start_offsets or {})
        self._stop_after = stop_after_seconds
        self._timeout = timeout

    def _partitions(self, consumer, topic: str) -> List[int]:
        deadline = time.monotonic() + self._timeout
        while True:
            metadata = consumer.list_topics(topic, timeout=self._timeout).topics.get(topic)
            if metadata is not None and metadata.error is None and metadata.partitions:
                return sorted(metadata.partitions)
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Kafka topic {topic!r} not found on {self._config['bootstrap.servers']}: "
                    f"{metadata.error if metadata is not None else 'no metadata'}"
                )
            time.sleep(0.5)

    def _start_offset(self, consumer, topic: str, partition: int, low: int, high: int) -> int:
        from confluent_kafka import TopicPartition

        for key in ((topic, partition), f"{topic}/{partition}", partition):
            if key in self._start_offsets:
                return min(max(int(self._start_offsets[key]), low), high)
        if self._start == EARLIEST:
            return low
        if self._start == LATEST:
            return high
        if isinstance(self._start, (int, float)) and not isinstance(self._start, bool):
            # epoch milliseconds: the first record at or after that time
            found = consumer.offsets_for_times(
                [TopicPartition(topic, partition, int(self._start))], timeout=self._timeout
            )
            offset = found[0].offset
            return high if offset < 0 else offset
        raise ValueError(f"start must be 'earliest', 'latest' or epoch ms, got {self._start!r}")

    def process(self, _) -> Iterator[KafkaPartition]:
        from confluent_kafka import TopicPartition

        deadline_ms = int((time.time() + self._stop_after) * 1000) if self._stop_after is not None else 0
        consumer = _new_consumer(self._config)
        try:
            for topic in self._topics:
                for partition in self._partitions(consumer, topic):
                    low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=self._timeout)
                    start = self._start_offset(consumer, topic, partition, low, high)
                    stop = high if self._bounded else MAX_OFFSET
                    yield KafkaPartition(topic, partition, start, max(start, stop), high, deadline_ms)
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
        bootstrap_servers: str,
        config: Optional[Dict[str, Any]],
        timestamp_fn: Callable[[KafkaRecord], Optional[Timestamp]],
        max_out_of_order_seconds: float,
        advance_when_idle: bool,
        poll_timeout: float,
        max_records_per_call: int,
        max_seconds_per_call: float,
        idle_resume_seconds: float,
    ):
        self._config = consumer_config(bootstrap_servers, config)
        self._timestamp_fn = timestamp_fn
        self._lag = Duration.of(max_out_of_order_seconds)
        self._advance_when_idle = advance_when_idle
        self._poll_timeout = poll_timeout
        self._max_records = max_records_per_call
        self._max_seconds = max_seconds_per_call
        self._idle_resume = Duration.of(idle_resume_seconds)
        self._records = Metrics.counter("kafka_read", "records")
        self._checkpoints = Metrics.counter("kafka_read", "checkpoints")
        self._consumer = None

    def setup(self):
        self._consumer = _new_consumer(self._config)

    def teardown(self):
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def process(
        self,
        element: KafkaPartition,
        tracker=beam.DoFn.RestrictionParam(_PartitionRestrictions()),
        watermark=beam.DoFn.WatermarkEstimatorParam(ManualWatermarkEstimator.default_provider()),
    ):
        yield from self._read(element, tracker, watermark)

    def _advance(self, watermark, candidate: Timestamp) -> None:
        current = watermark.current_watermark()
        if current is None or candidate > current:
            watermark.set_watermark(candidate)

    def _read(self, element: KafkaPartition, tracker, watermark) -> Iterator[TimestampedValue]:
        from confluent_kafka import KafkaError, KafkaException, TopicPartition

        restriction = tracker.current_restriction()
        if restriction.start >= restriction.stop:
            return
        bounded = restriction.stop != MAX_OFFSET
        consumer = self._consumer
        assert consumer is not None, "setup() opens the consumer"
        partition = TopicPartition(element.topic, element.partition, restriction.start)
        consumer.assign([partition])
        started = time.monotonic()
        emitted = 0
        end_offset = -1  # the log end offset of the last end-of-partition event, -1 while records follow
        try:
            while True:
                messages = consumer.consume(num_messages=min(500, self._max_records), timeout=self._poll_timeout)
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
                    offset = message.offset()
                    if not tracker.try_claim(offset):
                        return  # past a bounded range's stop, or split off by the runner
                    _, millis = message.timestamp()
                    record = KafkaRecord(
                        element.topic,
                        element.partition,
                        offset,
                        message.key(),
                        message.value(),
                        millis if millis and millis > 0 else 0,
                    )
                    when = self._timestamp_fn(record)
                    if when is None:
                        when = Timestamp.now()
                    self._records.inc()
                    emitted += 1
                    yield TimestampedValue(record, when)
                    self._advance(watermark, when - self._lag)
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


class _ReadPartitionUnbounded(_ReadPartition):
    """The same reader over open-ended ranges: an unbounded output PCollection."""

    @beam.DoFn.unbounded_per_element()
    def process(
        self,
        element: KafkaPartition,
        tracker=beam.DoFn.RestrictionParam(_PartitionRestrictions()),
        watermark=beam.DoFn.WatermarkEstimatorParam(ManualWatermarkEstimator.default_provider()),
    ):
        yield from self._read(element, tracker, watermark)


class ReadFromKafka(beam.PTransform):
    """PBegin → PCollection[KafkaRecord] of the given topics (see the module docstring).

    ``start``: "earliest" (default), "latest" or epoch milliseconds; ``start_offsets``
    overrides it per partition ({(topic, partition): offset}, {"topic/partition": offset}
    or {partition: offset}), e.g. to resume from offsets a previous job recorded.
    ``bounded``: stop at the end offsets captured when the partitions are listed.
    ``stop_after_seconds`` (unbounded only): finish once caught up after that long.
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
        consumer_config: Optional[Dict[str, Any]] = None,
        timestamp_fn: Callable[[KafkaRecord], Optional[Timestamp]] = publication_time,
        max_out_of_order_seconds: float = 60.0,
        advance_when_idle: bool = True,
        poll_timeout: float = 0.5,
        max_records_per_call: int = 10_000,
        max_seconds_per_call: float = 5.0,
        idle_resume_seconds: float = 1.0,
        metadata_timeout: float = 30.0,
    ):
        super().__init__()
        if stop_after_seconds is not None and bounded:
            raise ValueError("stop_after_seconds is for unbounded reads; a bounded read stops at the end offsets")
        if max_records_per_call < 1:
            raise ValueError("max_records_per_call must be at least 1")
        self._bootstrap = bootstrap_servers
        self._topics = [topics] if isinstance(topics, str) else list(topics)
        self._bounded = bounded
        self._list = _ListPartitions(
            bootstrap_servers,
            self._topics,
            bounded,
            start,
            start_offsets,
            stop_after_seconds,
            consumer_config,
            metadata_timeout,
        )
        reader = _ReadPartition if bounded else _ReadPartitionUnbounded
        self._read = reader(
            bootstrap_servers,
            consumer_config,
            timestamp_fn,
            max_out_of_order_seconds,
            advance_when_idle,
            poll_timeout,
            max_records_per_call,
            max_seconds_per_call,
            idle_resume_seconds,
        )

    def expand(self, pbegin):
        return (
            pbegin
            | "Impulse" >> beam.Impulse()
            | "ListPartitions" >> beam.ParDo(self._list).with_output_types(KafkaPartition)
            | "SpreadPartitions" >> beam.Reshuffle()
            | "ReadPartitions" >> beam.ParDo(self._read).with_output_types(KafkaRecord)
        )


def json_values(records):
    """PCollection[KafkaRecord] → PCollection[parsed JSON value] (a convenience for tests and tools)."""
    return records | "JsonValues" >> beam.Map(lambda r: json.loads(r.value))


def _plain(value: Any) -> Any:
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {name: _plain(item) for name, item in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def encode_json(element: Any) -> bytes:
    return json.dumps(_plain(element), ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


class WriteToKafkaTopic(beam.DoFn):
    """Produces each element as a JSON value to ``topic``; flushes at the end of each
    bundle and fails the bundle if any record was not delivered (at-least-once)."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        key_fn: Optional[Callable[[Any], Any]] = None,
        producer_config: Optional[Dict[str, Any]] = None,
        flush_timeout: float = 60.0,
    ):
        self._config = {
            "bootstrap.servers": bootstrap_servers,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "compression.type": "lz4",
        }
        self._config.update(producer_config or {})
        self._topic = topic
        self._key_fn = key_fn
        self._flush_timeout = flush_timeout
        self._written = Metrics.counter("kafka_write", topic)
        self._producer = None

    def setup(self):
        from confluent_kafka import Producer

        self._producer = Producer(self._config)

    def start_bundle(self):
        self._errors: List[str] = []
        self._pending = 0

    def _delivered(self, error, message):
        if error is not None:
            self._errors.append(f"{message.topic()}[{message.partition()}]: {error}")
        else:
            self._written.inc()

    def process(self, element):
        key = self._key_fn(element) if self._key_fn is not None else None
        if key is not None and not isinstance(key, bytes):
            key = str(key).encode("utf-8")
        value = encode_json(element)
        while True:
            try:
                self._producer.produce(self._topic, value=value, key=key, on_delivery=self._delivered)
                break
            except BufferError:  # local queue full: let deliveries drain
                self._producer.poll(0.5)
        self._producer.poll(0)

    def finish_bundle(self):
        remaining = self._producer.flush(self._flush_timeout)
        if remaining:
            raise RuntimeError(
                f"{remaining} records to Kafka topic {self._topic!r} not delivered within {self._flush_timeout} s"
            )
        if self._errors:
            raise RuntimeError(f"{len(self._errors)} records to Kafka failed: {self._errors[:5]}")

    def teardown(self):
        if self._producer is not None:
            self._producer.flush(self._flush_timeout)
            self._producer = None


class WriteJsonToKafka(beam.PTransform):
    """PCollection[dict | NamedTuple] → JSON records in ``topic`` (key from ``key_fn``)."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        key_fn: Optional[Callable[[Any], Any]] = None,
        producer_config: Optional[Dict[str, Any]] = None,
    ):
        super().__init__()
        self._fn = WriteToKafkaTopic(bootstrap_servers, topic, key_fn, producer_config)

    def expand(self, elements):
        return elements | "Produce" >> beam.ParDo(self._fn)

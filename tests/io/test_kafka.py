"""transforms.io.kafka: its time rules first (pure functions), then the reader against a
real single-node broker (tests/support/kafka.py), then runs on DirectRunner and Prism.

Exactly-once is checked on (partition, offset): every record the topic holds is
read once, none twice, across the reader's checkpoints (``max_records_per_call``
is kept small so every partition is read in many resumed calls). The issue's cases:
a record dated 2099 followed by current ones (all counted), a partition added while
the job runs (read), committed offsets (seen by a second consumer and a new job).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import List, Optional, Tuple

import apache_beam as beam
import confluent_kafka
import pytest
from apache_beam.io.restriction_trackers import OffsetRange
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.runners import sdf_utils
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.utils.timestamp import Duration, Timestamp

from tests.support.kafka import kafka_broker  # noqa: F401  (pytest fixture)
from transforms.dates import to_timestamp
from transforms.io import kafka as kafka_io

pytestmark = pytest.mark.kafka

BASE = Timestamp.of(1599523200)  # 2020-09-08T00:00:00Z


def new_topic(bootstrap: str, partitions: int = 3) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"articles-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the topic exists
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(timeout=30)
    return name


def article(n: int) -> dict:
    record = {
        "id": f"art-{n:04d}",
        "url": f"https://news.example.org/{n}",
        "title": f"Article {n}",
        "source": "news.example.org",
        "text": f"Body of article {n}.",
    }
    if n % 4:  # one record in four has no publication time: its event time is the Kafka timestamp
        record["published"] = (BASE + Duration.of(60 * n)).to_utc_datetime().strftime("%Y-%m-%dT%H:%M:%SZ")
    return record


def produce(bootstrap: str, topic: str, numbers) -> None:
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for n in numbers:
        value = article(n)
        producer.produce(topic, key=value["id"].encode(), value=json.dumps(value).encode())
    assert producer.flush(30) == 0


def topic_contents(bootstrap: str, topic: str) -> List[Tuple[int, int, str, int]]:
    """(partition, offset, id, event time in µs) of every record, read with a plain consumer."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(kafka_io.consumer_config(bootstrap, {"group.id": f"check-{uuid.uuid4().hex[:6]}"}))
    partitions = sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    remaining, rows = set(partitions), []
    deadline = time.monotonic() + 30
    while remaining and time.monotonic() < deadline:
        for message in consumer.consume(100, timeout=0.5):
            if message.error():
                if message.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    remaining.discard(message.partition())
                continue
            record = kafka_io.KafkaRecord(
                topic, message.partition(), message.offset(), message.key(), message.value(), message.timestamp()[1]
            )
            rows.append(row_of(record, kafka_io.publication_time(record)))
    consumer.close()
    assert not remaining, f"partitions {remaining} never reached their end"
    return sorted(rows)


def row_of(record: kafka_io.KafkaRecord, when: Timestamp) -> Tuple[int, int, str, int]:
    return record.partition, record.offset, json.loads(record.value)["id"], when.micros


class _Row(beam.DoFn):
    def process(self, record, timestamp=beam.DoFn.TimestampParam):
        yield row_of(record, timestamp)


def test_publication_time_else_kafka_time():
    with_time = kafka_io.KafkaRecord("t", 0, 0, None, json.dumps(article(1)).encode(), 1_700_000_000_000)
    without = kafka_io.KafkaRecord("t", 0, 1, None, json.dumps(article(4)).encode(), 1_700_000_000_000)
    not_json = kafka_io.KafkaRecord("t", 0, 2, None, b"\xff", 1_700_000_000_000)
    assert kafka_io.publication_time(with_time) == BASE + Duration.of(60)
    assert kafka_io.publication_time(without) == Timestamp.of(1_700_000_000)
    assert kafka_io.publication_time(not_json) == Timestamp.of(1_700_000_000)
    assert to_timestamp("2020-09-14T09:30:00+02:00") == Timestamp.of(1600068600)


NOW = Timestamp.of(1_800_000_000)  # a reader's clock in these pure tests (2027-01-15)


def test_payload_times_outside_the_sane_range_are_clamped():
    assert kafka_io.sane_event_time(Timestamp.of(1_600_000_000), NOW) == (Timestamp.of(1_600_000_000), "ok")
    year_2099 = to_timestamp("2099-01-01T00:00:00Z")
    assert kafka_io.sane_event_time(year_2099, NOW) == (NOW + Duration.of(86400), "after_tomorrow")
    assert kafka_io.sane_event_time(NOW + Duration.of(3600), NOW) == (NOW + Duration.of(3600), "ok")
    assert kafka_io.sane_event_time(Timestamp.of(0), NOW) == (to_timestamp("1990-01-01T00:00:00Z"), "before_1990")


def test_ingestion_time_is_the_log_append_time_else_a_sane_producer_time_else_the_reader_clock():
    read = NOW.micros // 1000
    append, create = kafka_io.TIMESTAMP_LOG_APPEND_TIME, kafka_io.TIMESTAMP_CREATE_TIME
    assert kafka_io.ingestion_millis(append, read - 5000, read) == read - 5000
    assert kafka_io.ingestion_millis(append, read + 5000, read) == read  # a broker clock ahead of ours
    assert kafka_io.ingestion_millis(create, read - 5000, read) == read - 5000
    assert kafka_io.ingestion_millis(create, 4_070_908_800_000, read) == read  # a producer in 2099
    assert kafka_io.ingestion_millis(create, 1000, read) == read  # a producer in 1970
    assert kafka_io.ingestion_millis(0, 0, read) == read  # no timestamp at all


def test_watermark_never_passes_the_ingestion_time():
    lag = Duration.of(60)
    year_2099 = to_timestamp("2099-01-01T00:00:00Z")
    assert kafka_io.watermark_candidate(year_2099, NOW, lag) == NOW - lag
    assert kafka_io.watermark_candidate(BASE, NOW, lag) == BASE - lag  # a replay of 2020 news keeps its timeline


def test_end_of_time_is_too_early_before_the_stop_condition():
    assert kafka_io.end_of_time_too_early(0, 1_000)  # a read without end: any end of time is the runner's error
    assert kafka_io.end_of_time_too_early(2_000, 1_000)
    assert not kafka_io.end_of_time_too_early(2_000, 2_000)


def read_calls(
    bootstrap: str,
    element: kafka_io.KafkaPartition,
    restriction: OffsetRange,
    estimator: ManualWatermarkEstimator,
    **options,
):
    """One process() call as a runner makes it: outputs, then the checkpoint's residual (or None)."""
    params = dict(
        config=kafka_io.consumer_config(bootstrap),
        timestamp_fn=kafka_io.publication_time,
        max_out_of_order_seconds=0,
        advance_when_idle=False,
        poll_timeout=0.5,
        max_records_per_call=10,
        max_seconds_per_call=10,
        idle_resume_seconds=0,
    )
    finalizer = options.pop("finalizer", None)
    params.update(options)
    fn = kafka_io._ReadPartitionUnbounded(**params)
    fn.setup()
    try:
        tracker = sdf_utils.ThreadsafeRestrictionTracker(kafka_io._KafkaOffsetTracker(restriction))
        view = sdf_utils.RestrictionTrackerView(tracker)
        outputs = list(fn.process(element, tracker=view, watermark=estimator, finalizer=finalizer))
        tracker.check_done()
        if finalizer is not None:
            finalizer.finalize_bundle()  # the runner's word that the bundle's output is durable
    finally:
        fn.teardown()
    deferred = tracker.deferred_status()
    return outputs, (deferred[0] if deferred else None)


def test_checkpoints_resume_at_the_next_offset(kafka_broker):
    """Each call reads at most 10 records and checkpoints; the residual starts right after the
    last emitted offset, and reading the residuals in turn gives every record exactly once."""
    topic = new_topic(kafka_broker, partitions=1)
    produce(kafka_broker, topic, range(35))
    element = kafka_io.KafkaPartition(topic, 0, 0, kafka_io.MAX_OFFSET, 35, 0)
    restriction: Optional[OffsetRange] = OffsetRange(0, kafka_io.MAX_OFFSET)
    estimator = ManualWatermarkEstimator(None)
    seen: List[int] = []
    watermarks = []
    for _ in range(10):
        outputs, residual = read_calls(kafka_broker, element, restriction, estimator)
        offsets = [value.value.offset for value in outputs]
        seen.extend(offsets)
        watermarks.append(estimator.current_watermark())
        assert residual is not None, "an open-ended read always leaves a residual"
        if offsets:
            assert residual.start == offsets[-1] + 1
        assert residual.stop == kafka_io.MAX_OFFSET
        restriction = residual
        if len(seen) >= 35 and not offsets:
            break
    assert seen == list(range(35))
    # the watermark follows the largest event time seen (lag 0 here) and never moves back
    assert watermarks == sorted(watermarks)
    latest = max(row[3] for row in topic_contents(kafka_broker, topic))
    assert estimator.current_watermark() == Timestamp(micros=latest)


def test_bounded_range_stops_at_its_end_offset(kafka_broker):
    """A bounded restriction [0, 20) over a partition holding 35 records reads 0…19 and is done."""
    topic = new_topic(kafka_broker, partitions=1)
    produce(kafka_broker, topic, range(35))
    element = kafka_io.KafkaPartition(topic, 0, 0, 20, 35, 0)
    fn = kafka_io._ReadPartition(
        kafka_io.consumer_config(kafka_broker), kafka_io.publication_time, 0, False, 0.5, 100, 10, 0
    )
    fn.setup()
    try:
        tracker = sdf_utils.ThreadsafeRestrictionTracker(kafka_io._KafkaOffsetTracker(OffsetRange(0, 20)))
        outputs = list(
            fn.process(
                element,
                tracker=sdf_utils.RestrictionTrackerView(tracker),
                watermark=ManualWatermarkEstimator(None),
                finalizer=None,
            )
        )
        tracker.check_done()
    finally:
        fn.teardown()
    assert [value.value.offset for value in outputs] == list(range(20))
    assert tracker.deferred_status() is None


def test_idle_reader_advances_the_watermark_to_now_minus_lag(kafka_broker):
    topic = new_topic(kafka_broker, partitions=1)
    produce(kafka_broker, topic, range(3))
    element = kafka_io.KafkaPartition(topic, 0, 0, kafka_io.MAX_OFFSET, 3, 0)
    estimator = ManualWatermarkEstimator(None)
    before = Timestamp.now()
    outputs, residual = read_calls(
        kafka_broker,
        element,
        OffsetRange(0, kafka_io.MAX_OFFSET),
        estimator,
        max_out_of_order_seconds=30,
        advance_when_idle=True,
    )
    assert len(outputs) == 3 and residual.start == 3
    assert before - Duration.of(30) <= estimator.current_watermark() <= Timestamp.now() - Duration.of(30)


def new_topic_with(bootstrap: str, partitions: int, config: dict) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"articles-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1, config=config)])[name].result(timeout=30)
    return name


def produce_values(bootstrap: str, topic: str, values: List[dict], partition: Optional[int] = None) -> None:
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for value in values:
        extra = {} if partition is None else {"partition": partition}
        producer.produce(topic, key=value["id"].encode(), value=json.dumps(value).encode(), **extra)
    assert producer.flush(30) == 0


def current(n: int, minutes_ago: float) -> dict:
    """A current article (published ``minutes_ago`` before now)."""
    published = (Timestamp.now() - Duration.of(60 * minutes_ago)).to_utc_datetime()
    return {"id": f"now-{n:04d}", "text": f"Body {n}.", "published": published.strftime("%Y-%m-%dT%H:%M:%SZ")}


FROM_2099 = {"id": "clock-error", "text": "A feed's clock error.", "published": "2099-06-01T12:00:00Z"}


def test_a_record_dated_2099_does_not_carry_the_watermark(kafka_broker):
    """LogAppendTime topic: the 2099 record's timestamp is clamped to read time + 1 day and it
    does not move the watermark; the current records after it do, never past their log-append
    time minus the lag, so none of them is late."""
    topic = new_topic_with(kafka_broker, 1, {"message.timestamp.type": "LogAppendTime"})
    before = Timestamp.now()
    produce_values(kafka_broker, topic, [FROM_2099] + [current(n, 0) for n in range(5)])
    element = kafka_io.KafkaPartition(topic, 0, 0, kafka_io.MAX_OFFSET, 6, 0)
    estimator = ManualWatermarkEstimator(None)
    outputs, _ = read_calls(
        kafka_broker, element, OffsetRange(0, kafka_io.MAX_OFFSET), estimator, max_out_of_order_seconds=30
    )
    after = Timestamp.now()
    assert [json.loads(o.value.value)["id"] for o in outputs] == ["clock-error"] + [f"now-{n:04d}" for n in range(5)]
    clamped = outputs[0].timestamp
    assert before + Duration.of(86400) <= clamped <= after + Duration.of(86400)
    appended = [Timestamp(micros=o.value.timestamp * 1000) for o in outputs]
    assert all(o.value.ingested == o.value.timestamp for o in outputs)  # log-append time
    assert before - Duration.of(1) <= min(appended) and max(appended) <= after
    # no record's event time lies beyond the watermark: none of the current ones is late
    watermark = estimator.current_watermark()
    assert watermark <= max(appended) - Duration.of(30)
    assert all(o.timestamp >= watermark for o in outputs[1:])
    assert watermark == max(min(o.timestamp, t) for o, t in zip(outputs[1:], appended[1:])) - Duration.of(30)
    # the reader before this fix: max(event time) - lag, i.e. 2099
    assert watermark < to_timestamp("2099-06-01T12:00:00Z") - Duration.of(30)


def test_new_partitions_are_picked_up(kafka_broker):
    """The watcher emits the partitions of the first listing, nothing while none is added,
    then the new one (from its first offset), each once; its residual is the checkpoint."""
    from apache_beam.io.restriction_trackers import OffsetRange as Range
    from confluent_kafka.admin import AdminClient, NewPartitions

    topic = new_topic(kafka_broker, partitions=2)
    produce(kafka_broker, topic, range(10))
    watcher = kafka_io._WatchPartitions(
        kafka_io.consumer_config(kafka_broker), kafka_io._StartOffsets(kafka_io.LATEST, None, 10), 1.0, 10
    )
    watch = kafka_io.TopicWatch(topic, 0)

    def call(restriction):
        tracker = sdf_utils.ThreadsafeRestrictionTracker(kafka_io._KafkaOffsetTracker(restriction))
        estimator = ManualWatermarkEstimator(None)
        out = list(watcher.process(watch, tracker=sdf_utils.RestrictionTrackerView(tracker), watermark=estimator))
        tracker.check_done()
        return out, tracker.deferred_status()[0], estimator.current_watermark()

    watcher.setup()
    try:
        first, residual, watermark = call(Range(0, kafka_io.MAX_OFFSET))
        assert [(p.partition, p.stop_offset) for p in first] == [(0, kafka_io.MAX_OFFSET), (1, kafka_io.MAX_OFFSET)]
        assert [p.start_offset for p in first] == [p.end_offset for p in first]  # "latest" on the first listing
        assert residual.start == 2 and watermark is not None
        again, residual, _ = call(residual)
        assert again == [] and residual.start == 2
        admin = AdminClient({"bootstrap.servers": kafka_broker})  # kept alive until the partition exists
        admin.create_partitions([NewPartitions(topic, 3)])[topic].result(30)
        produce_values(kafka_broker, topic, [current(n, 1) for n in range(4)], partition=2)
        deadline = time.monotonic() + 30
        added: list = []
        while not added and time.monotonic() < deadline:
            added, residual, _ = call(residual)
        assert [(p.partition, p.start_offset) for p in added] == [(2, 0)]  # a new partition: from its start
        assert residual.start == 3
    finally:
        watcher.teardown()


def committed_offsets(bootstrap: str, topic: str, group: str, partitions: int) -> List[int]:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(kafka_io.consumer_config(bootstrap, group_id=group))
    try:
        found = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return [tp.offset for tp in found]
    finally:
        consumer.close()


def test_offsets_are_committed_when_the_bundle_is_finalized(kafka_broker):
    from apache_beam.transforms.core import _BundleFinalizerParam

    topic = new_topic(kafka_broker, partitions=1)
    produce(kafka_broker, topic, range(25))
    group = f"group-{uuid.uuid4().hex[:6]}"
    element = kafka_io.KafkaPartition(topic, 0, 0, kafka_io.MAX_OFFSET, 25, 0)
    config = kafka_io.consumer_config(kafka_broker, group_id=group)
    finalizer = _BundleFinalizerParam()
    outputs, residual = read_calls(
        kafka_broker,
        element,
        OffsetRange(0, kafka_io.MAX_OFFSET),
        ManualWatermarkEstimator(None),
        config=config,
        finalizer=finalizer,
    )
    assert len(outputs) == 10 and residual.start == 10
    assert committed_offsets(kafka_broker, topic, group, 1) == [10]  # the next offset to read
    # not finalized (a bundle whose output the runner dropped): nothing committed
    read_calls(kafka_broker, element, residual, ManualWatermarkEstimator(None), config=config)
    assert committed_offsets(kafka_broker, topic, group, 1) == [10]


def test_bounded_read_on_direct_runner_is_exactly_once(kafka_broker):
    topic = new_topic(kafka_broker, partitions=3)
    produce(kafka_broker, topic, range(150))
    expected = topic_contents(kafka_broker, topic)
    assert len(expected) == 150 and len({row[:2] for row in expected}) == 150
    pipeline = TestPipeline(runner="DirectRunner")
    rows = (
        pipeline
        | kafka_io.ReadFromKafka(kafka_broker, [topic], bounded=True, max_records_per_call=7)
        | beam.ParDo(_Row())
    )
    assert_that(rows, equal_to(expected))
    result = pipeline.run()
    result.wait_until_finish()
    counters = {
        c.key.metric.name: c.committed
        for c in result.metrics().query()["counters"]
        if c.key.metric.namespace == "kafka_read"
    }
    assert counters["records"] == 150
    # 150 records in calls of at most 7: every partition was resumed from checkpoints many times
    assert counters["checkpoints"] >= 150 // 7 - 3


def test_a_second_job_starts_from_the_committed_offsets(kafka_broker):
    """A job commits its offsets (bundle finalization on the DirectRunner); a consumer of the
    group sees them, and a new job with start="committed" reads only what came after."""
    topic = new_topic(kafka_broker, partitions=2)
    produce(kafka_broker, topic, range(30))
    group = f"group-{uuid.uuid4().hex[:6]}"
    with TestPipeline(runner="DirectRunner") as pipeline:
        _ = pipeline | kafka_io.ReadFromKafka(kafka_broker, topic, bounded=True, group_id=group)
    ends = [max(row[1] for row in topic_contents(kafka_broker, topic) if row[0] == p) + 1 for p in (0, 1)]
    assert committed_offsets(kafka_broker, topic, group, 2) == ends
    produce(kafka_broker, topic, range(30, 40))
    expected = [row for row in topic_contents(kafka_broker, topic) if row[1] >= ends[row[0]]]
    assert len(expected) == 10
    with TestPipeline(runner="DirectRunner") as pipeline:
        rows = (
            pipeline
            | kafka_io.ReadFromKafka(kafka_broker, topic, bounded=True, group_id=group, start=kafka_io.COMMITTED)
            | beam.ParDo(_Row())
        )
        assert_that(rows, equal_to(expected))


def test_bounded_read_resumes_from_given_offsets(kafka_broker):
    topic = new_topic(kafka_broker, partitions=2)
    produce(kafka_broker, topic, range(40))
    expected = topic_contents(kafka_broker, topic)
    resume = {(topic, 0): 5, f"{topic}/1": 3}
    expected = [row for row in expected if row[1] >= (5 if row[0] == 0 else 3)]
    with TestPipeline(runner="DirectRunner") as pipeline:
        rows = (
            pipeline
            | kafka_io.ReadFromKafka(kafka_broker, topic, bounded=True, start_offsets=resume)
            | beam.ParDo(_Row())
        )
        assert_that(rows, equal_to(expected))


def test_sink_roundtrip(kafka_broker):
    """WriteJsonToKafka, then ReadFromKafka: the same records, keys from key_fn."""
    topic = new_topic(kafka_broker, partitions=2)
    records = [article(n) for n in range(60)]
    with TestPipeline(runner="DirectRunner") as pipeline:
        _ = pipeline | beam.Create(records) | kafka_io.WriteJsonToKafka(kafka_broker, topic, key_fn=lambda r: r["id"])
    with TestPipeline(runner="DirectRunner") as pipeline:
        read = pipeline | kafka_io.ReadFromKafka(kafka_broker, topic, bounded=True)
        values = read | beam.Map(lambda r: (r.key.decode(), json.loads(r.value)))
        assert_that(values, equal_to([(r["id"], r) for r in records]))


def test_sink_encodes_named_tuples():
    from typing import NamedTuple

    class Event(NamedTuple):
        id: str
        places: List[str]

    assert json.loads(kafka_io.encode_json(Event("e1", ["Baghdad"]))) == {"id": "e1", "places": ["Baghdad"]}


@pytest.mark.prism
def test_unbounded_read_on_prism_with_stop_condition(kafka_broker):
    """An open-ended read on Prism: records already in the topic and records produced
    while the job runs are each read once; the job ends by its stop condition."""
    from tests.runners.test_prism import prism_args, prism_location

    binary = prism_location()
    topic = new_topic(kafka_broker, partitions=2)
    produce(kafka_broker, topic, range(40))

    def late_producer():
        time.sleep(4)
        produce(kafka_broker, topic, range(40, 70))

    thread = threading.Thread(target=late_producer, daemon=True)
    options = beam.options.pipeline_options.PipelineOptions([*prism_args(binary), "--streaming"])
    started = time.monotonic()
    thread.start()
    with TestPipeline(options=options) as pipeline:
        rows = (
            pipeline
            | kafka_io.ReadFromKafka(
                kafka_broker, topic, stop_after_seconds=12, max_records_per_call=9, idle_resume_seconds=0.5
            )
            | beam.ParDo(_Row())
        )
        assert_that(rows, read_once(70))
    thread.join(timeout=60)
    assert time.monotonic() - started < 120
    # and what was read is what the topic holds
    assert len(topic_contents(kafka_broker, topic)) == 70


def read_once(count: int):
    """A matcher: ids art-0000… art-<count-1> each read once, every (partition, offset) once."""

    def check(rows):
        rows = list(rows)
        ids = sorted(row[2] for row in rows)
        assert ids == [f"art-{n:04d}" for n in range(count)], f"{len(ids)} records read: {ids[:5]}…"
        assert len({row[:2] for row in rows}) == count

    return check

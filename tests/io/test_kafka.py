"""transforms.kafka_io against a real single-node broker (tests/kafka_fixture.py).

Exactly-once is checked on (partition, offset): every record the topic holds is
read once, none twice, across the reader's checkpoints (``max_records_per_call``
is kept small so every partition is read in many resumed calls).
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


def read_calls(
    bootstrap: str,
    element: kafka_io.KafkaPartition,
    restriction: OffsetRange,
    estimator: ManualWatermarkEstimator,
    **options,
):
    """One process() call as a runner makes it: outputs, then the checkpoint's residual (or None)."""
    params = dict(
        config=None,
        timestamp_fn=kafka_io.publication_time,
        max_out_of_order_seconds=0,
        advance_when_idle=False,
        poll_timeout=0.5,
        max_records_per_call=10,
        max_seconds_per_call=10,
        idle_resume_seconds=0,
    )
    params.update(options)
    fn = kafka_io._ReadPartitionUnbounded(bootstrap, **params)
    fn.setup()
    try:
        tracker = sdf_utils.ThreadsafeRestrictionTracker(kafka_io._KafkaOffsetTracker(restriction))
        outputs = list(fn.process(element, tracker=sdf_utils.RestrictionTrackerView(tracker), watermark=estimator))
        tracker.check_done()
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
    fn = kafka_io._ReadPartition(kafka_broker, None, kafka_io.publication_time, 0, False, 0.5, 100, 10, 0)
    fn.setup()
    try:
        tracker = sdf_utils.ThreadsafeRestrictionTracker(kafka_io._KafkaOffsetTracker(OffsetRange(0, 20)))
        outputs = list(
            fn.process(
                element, tracker=sdf_utils.RestrictionTrackerView(tracker), watermark=ManualWatermarkEstimator(None)
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
    from test_prism import prism_args, prism_location

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

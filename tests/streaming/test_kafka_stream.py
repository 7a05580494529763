"""The streaming job's Kafka side: which runner runs it (pipelines.stream.choose_runner),
the reader's end-of-time watch on a real runner, and a record dated 2099 followed by
current articles through the whole job on Prism (all counted, none too late).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import List

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, PrismRunnerOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline

from pipelines.stream import StreamOptions, choose_runner
from transforms.io import kafka as kafka_io


def options_of(*args: str) -> PipelineOptions:
    return PipelineOptions(["--output", "out", *args])


KAFKA = ("--kafka_bootstrap", "127.0.0.1:9092", "--kafka_topic", "articles")


def test_kafka_without_a_runner_runs_on_prism_when_it_is_built(tmp_path):
    prism = tmp_path / "prism"
    prism.write_text("")
    options = options_of(*KAFKA)
    choose_runner(options, options.view_as(StreamOptions), prism=prism)
    assert options.view_as(StandardOptions).runner == "PrismRunner"
    assert options.view_as(PrismRunnerOptions).prism_location == str(prism)


def test_kafka_without_a_runner_and_without_prism_is_refused_with_the_runners_to_pass(tmp_path):
    options = options_of(*KAFKA)
    with pytest.raises(SystemExit) as refused:
        choose_runner(options, options.view_as(StreamOptions), prism=tmp_path / "absent")
    assert "--runner=PrismRunner" in str(refused.value) and "--runner=FlinkRunner" in str(refused.value)


def test_kafka_on_a_direct_runner_needs_early_firings_off(tmp_path):
    options = options_of(*KAFKA, "--runner=DirectRunner")
    with pytest.raises(SystemExit, match="--early_firing_seconds=0"):
        choose_runner(options, options.view_as(StreamOptions), prism=tmp_path / "absent")
    options = options_of(*KAFKA, "--runner=DirectRunner", "--early_firing_seconds=0")
    choose_runner(options, options.view_as(StreamOptions), prism=tmp_path / "absent")
    assert options.view_as(StandardOptions).runner == "DirectRunner"
    explicit = options_of(*KAFKA, "--runner=FlinkRunner")  # any other runner is the user's choice
    choose_runner(explicit, explicit.view_as(StreamOptions), prism=tmp_path / "absent")
    assert explicit.view_as(StandardOptions).runner == "FlinkRunner"
    files = options_of("--input_dir", "feeds")  # only a Kafka read is concerned
    choose_runner(files, files.view_as(StreamOptions), prism=tmp_path / "absent")
    assert files.view_as(StandardOptions).runner is None


def watch_pipeline(runner_args: List[str], deadline_ms: int) -> None:
    """A watch whose "reader" ends at once (an empty Create): the watermark reaches the end of
    time right away, as it does when a runner releases it past a reader that still runs."""
    options = PipelineOptions(runner_args)
    with TestPipeline(options=options) as pipeline:
        watches = pipeline | "Watches" >> beam.Create([kafka_io.TopicWatch("articles", deadline_ms)])
        records = pipeline | "Records" >> beam.Create([]).with_output_types(kafka_io.KafkaRecord)
        _ = watches | kafka_io.WatchEndOfTime(records)


def test_end_of_time_before_the_stop_condition_fails_the_job():
    in_an_hour = int((time.time() + 3600) * 1000)
    with pytest.raises(Exception, match="reached the end of time while the Kafka read of topic 'articles' still runs"):
        watch_pipeline(["--runner=DirectRunner"], in_an_hour)
    with pytest.raises(Exception, match="its stop condition: never"):
        watch_pipeline(["--runner=DirectRunner"], 0)
    watch_pipeline(["--runner=DirectRunner"], int((time.time() - 1) * 1000))  # after the stop: the normal end


# --- the whole job on Prism: a record dated 2099, then current articles ------------------------------

ROOT = Path(__file__).resolve().parents[2]


def produce_in_order(bootstrap: str, topic: str, records: List[dict]) -> None:
    import confluent_kafka

    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for record in records:
        producer.produce(topic, key=record["id"].encode(), value=json.dumps(record, ensure_ascii=False).encode())
    assert producer.flush(30) == 0


def final_article_counts(output: Path) -> int:
    """Articles counted at country level over every window's final snapshot."""
    total = 0
    for path in sorted((output / "latest" / "aggregates").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["level"] == "country":
                total += row["articles"]
    return total


def articles_with_events(output: Path) -> int:
    ids = set()
    for path in sorted((output / "latest" / "events").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            ids.update(m["article_id"] for m in json.loads(line)["mentions"])
    return len(ids)


from tests.support.kafka import kafka_broker  # noqa: E402,F401  (pytest fixture)


@pytest.mark.kafka
@pytest.mark.prism
@pytest.mark.slow
def test_a_record_dated_2099_then_current_articles_are_all_counted_on_prism(kafka_broker, tmp_path, capsys):
    from confluent_kafka.admin import AdminClient, NewTopic

    from pipelines import stream
    from tests.runners.test_fault_tolerance import make_articles
    from tests.runners.test_prism import prism_args, prism_location

    binary = prism_location()
    topic = f"articles-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka_broker})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=30)
    articles = make_articles(13)
    clock_error = dict(
        articles[0], id="clock-error", url="https://clock.example.org/2099", published="2099-06-01T12:00:00Z"
    )
    clock_error["text"] += " (Réf. 2099.)"
    produce_in_order(kafka_broker, topic, [clock_error])

    def later():
        time.sleep(8)  # the 2099 record is read (and, before the fix, set the watermark) first
        produce_in_order(kafka_broker, topic, articles)

    import threading

    thread = threading.Thread(target=later, daemon=True)
    thread.start()
    output = tmp_path / "out"
    _, counters = stream.run(
        [
            "--kafka_bootstrap",
            kafka_broker,
            "--kafka_topic",
            topic,
            "--kafka_group",
            f"g-{topic}",
            "--output",
            str(output),
            "--format",
            "jsonl",
            "--stop_after_minutes",
            "0.5",
            "--early_firing_seconds",
            "5",
            *prism_args(binary),
        ],
        save_main_session=False,
    )
    thread.join(timeout=60)
    totals = stream.reconcile(counters)
    assert totals["in"] == totals["out"] == 14, capsys.readouterr().out
    assert totals["too_late"] == 0
    assert counters["kafka_read"]["event_time_after_tomorrow"] == 1
    # every article with an event is in the final counts
    with_events = articles_with_events(output)
    assert with_events >= 7
    assert final_article_counts(output) >= with_events
    group = kafka_io.consumer_config(kafka_broker, group_id=f"g-{topic}")
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(group)
    try:
        assert consumer.committed([TopicPartition(topic, 0)], timeout=10)[0].offset == 14
    finally:
        consumer.close()


def test_records_dropped_by_the_runner_fail_the_run_loudly():
    from pipelines.stream import dropped_by_the_runner, fail_on_dropped_records

    # the counters of a Flink start that lost the watermark race (one seen here: 30 records, two stateful stages + 1)
    counters = {
        "kafka_read": {"records": 30},
        "org.apache.beam.runners.core.StatefulDoFnRunner": {"StatefulParDoDropped": 61},
        "stream": {"unique_articles": 0},
    }
    assert dropped_by_the_runner(counters) == 61
    with pytest.raises(SystemExit, match="dropped 61 records at stateful stages"):
        fail_on_dropped_records(counters)
    fail_on_dropped_records({"kafka_read": {"records": 30}, "stream": {"unique_articles": 30}})


@pytest.mark.kafka
@pytest.mark.slow
def test_the_stream_on_the_direct_runner_with_early_firings_off(kafka_broker, tmp_path):
    """The fault-tolerance test's reference run: DirectRunner (FnApiRunner), early firings off,
    a stop condition. It reconciles and ends (the partition watcher's resumes are paced: the
    FnApiRunner ignores resume delays, and a tight loop of bundles overflowed Beam's metrics)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    from pipelines import stream
    from tests.runners.test_fault_tolerance import make_articles

    topic = f"articles-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka_broker})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=30)
    produce_in_order(kafka_broker, topic, make_articles(8))
    started = time.monotonic()
    _, counters = stream.run(
        [
            "--kafka_bootstrap",
            kafka_broker,
            "--kafka_topic",
            topic,
            "--kafka_group",
            f"g-{topic}",
            "--output",
            str(tmp_path / "out"),
            "--format",
            "jsonl",
            "--stop_after_minutes",
            "0.25",
            "--early_firing_seconds",
            "0",
            "--runner=DirectRunner",
            "--direct_num_workers=1",
        ],
        save_main_session=False,
    )
    totals = stream.reconcile(counters)
    assert totals["in"] == totals["out"] == 8 and totals["too_late"] == 0
    assert counters["kafka_read"]["partitions_discovered"] == 1
    assert time.monotonic() - started < 240

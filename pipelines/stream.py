"""Streaming job: unbounded feeds → de-duplicated events and windowed counts, in event time.

    # a directory that keeps receiving files (each read once, also across restarts)
    python -m pipelines.stream --input_dir feeds/ --state_dir state/ --output out-stream [--format avro|jsonl]

    # the same, bounded: list the directory once, process, stop (tests, backfills)
    python -m pipelines.stream --input_dir feeds/ --state_dir state/ --output out-stream --once

    # RSS/Atom/JSON feeds and news sitemaps, polled every 10 minutes, each page fetched once
    python -m pipelines.stream --feeds feeds.txt --poll_minutes 10 --output out-stream

    # a Kafka topic of JSON article records; events and aggregates also to Kafka
    python -m pipelines.stream --kafka_bootstrap localhost:9092 --kafka_topic articles \\
        --kafka_events_topic events --kafka_aggregates_topic aggregates --output out-stream \\
        [--kafka_group newsfeed-stream] [--kafka_start committed|earliest|latest] \\
        [--runner=PrismRunner --prism_location=.cache/bin/prism]   # Prism is the default when built

Event time is the publication time (ingestion time when unknown). Articles are
de-duplicated as they come (canonical URL, record id, body fingerprint; first copy
wins; keys forgotten ``--dedup_ttl_days`` after their latest article), go through
the batch job's element-wise middle (CleanArticles, DetectLanguage,
SegmentArticles, TagEntities, ExtractEvents), and their event reports grow event
clusters that keep their ids (``--cluster_ttl_days``). Counts per
``--window_minutes`` window × place × type fire early (every
``--early_firing_seconds`` of processing time), on time, and once per late article
up to ``--allowed_lateness_hours``; panes accumulate, and every aggregate names its
pane (pane_index, timing EARLY/ON_TIME/LATE, is_last) so consumers replace older
counts; after a restore from a checkpoint (Flink) pane indices start over, so the
final snapshot is the pane written last, kept under latest/. Later articles are dropped from the counts and listed in too_late/.

Output, one file per window × pane (names depend on window and pane only):

    <output>/aggregates/<start>--<end>/pane-<index>-<timing>.<fmt>   StreamAggregate (schemas/stream_aggregate.avsc), snapshot
    <output>/events/<start>--<end>/pane-…                            Event, latest version of events updated in the window
    <output>/latest/{aggregates,events}/<start>--<end>.<fmt>         the window's last pane written: its final
                                                                      snapshot once the job has ended
    <output>/duplicates/…, rejected/…, too_late/…                    append-only, windows of processing time

A progress line is logged every ``--progress_every`` articles or minute. On the
Python direct runners GroupByKey output of a never-ending source only appears at
the end (see docs/BEAM_NOTES); use Prism (or Flink/Dataflow) for a live stream, or
``--stop_after_minutes`` to end a direct run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import apache_beam as beam
from apache_beam.options.pipeline_options import (
    FlinkRunnerOptions,
    PipelineOptions,
    PortableOptions,
    PrismRunnerOptions,
    SetupOptions,
    StandardOptions,
)
from apache_beam.transforms import window as windows

from pipelines import progress
from pipelines.batch import BatchOptions, collect_counters
from pipelines.feeds import FeedOptions, add_fetched
from pipelines.flink_watch import EndOfTimeMonitor, rest_address
from pipelines.summary import write_summary_json
from transforms.clean.cleanup import CleanArticles
from transforms.entities.tagger import TagEntities
from transforms.events.extract import ExtractEvents
from transforms.records import Duplicate, Rejected
from transforms.streaming.clusters import ClusterEventsIncrementally
from transforms.streaming.dedup import DropStreamingDuplicates
from transforms.streaming.event_time import FlagTooLate, StampPublicationTime
from transforms.streaming.feeds import (
    KafkaToDocuments,
    ReadDirectoryFeed,
    clear_pending,
    commit_pending,
)
from transforms.streaming.panes import WritePaneFiles
from transforms.streaming.progress import LogOfProcessing, LogProgress
from transforms.streaming.records import (
    DEFAULT_ALLOWED_LATENESS_HOURS,
    DEFAULT_CLUSTER_TTL_DAYS,
    DEFAULT_DEDUP_TTL_DAYS,
    DEFAULT_EARLY_FIRING_SECONDS,
    DEFAULT_POLL_SECONDS,
    DEFAULT_WINDOW_MINUTES,
    StreamAggregate,
)
from transforms.streaming.windows import CountEventsInWindows, LatestEventsInWindows
from transforms.text.language import DetectLanguage
from transforms.text.segment import SegmentArticles


class StreamOptions(PipelineOptions):
    """The streaming job's own flags. ``--output`` and ``--format`` are ``BatchOptions``'
    (Beam merges every options class into one argparse parser, which rejects a flag
    declared twice); read them with ``output_dir``/``output_format``."""

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--input_dir", help="directory that keeps receiving article files (.html/.txt/.jsonl/.warc/.avro)"
        )
        parser.add_argument("--state_dir", help="where the ledger of processed files lives (default: <output>/_state)")
        parser.add_argument(
            "--poll_seconds",
            type=float,
            default=DEFAULT_POLL_SECONDS,
            help="how often --input_dir is listed (default: %(default)s)",
        )
        parser.add_argument(
            "--once", action="store_true", help="list --input_dir once, process what is new, and stop (a bounded run)"
        )
        parser.add_argument(
            "--stop_after_minutes",
            type=float,
            default=None,
            help="stop polling --input_dir / reading Kafka after this long (default: never)",
        )
        parser.add_argument("--kafka_bootstrap", help="Kafka bootstrap servers, host:port[,host:port]")
        parser.add_argument("--kafka_topic", help="Kafka topic of JSON article records")
        parser.add_argument(
            "--kafka_group",
            default="newsfeed-stream",
            help="consumer group the read offsets are committed to, on checkpoint (default: %(default)s)",
        )
        parser.add_argument(
            "--kafka_start",
            default="committed",
            choices=("committed", "earliest", "latest"),
            help="where a new job starts reading: the group's committed offsets (else the earliest), "
            "the earliest or the latest (default: %(default)s)",
        )
        parser.add_argument("--kafka_events_topic", help="Kafka topic to write event updates to (JSON)")
        parser.add_argument("--kafka_aggregates_topic", help="Kafka topic to write pane-annotated aggregates to (JSON)")
        parser.add_argument(
            "--window_minutes",
            type=int,
            default=DEFAULT_WINDOW_MINUTES,
            help="length of the count windows in minutes of publication time (default: %(default)s)",
        )
        parser.add_argument(
            "--allowed_lateness_hours",
            type=float,
            default=DEFAULT_ALLOWED_LATENESS_HOURS,
            help="late articles revise a window's counts up to this long after its end (default: %(default)s)",
        )
        parser.add_argument(
            "--early_firing_seconds",
            type=int,
            default=DEFAULT_EARLY_FIRING_SECONDS,
            help="early (speculative) panes at most this often, 0 for none (default: %(default)s)",
        )
        parser.add_argument(
            "--dedup_ttl_days",
            type=float,
            default=DEFAULT_DEDUP_TTL_DAYS,
            help="a dedup key is forgotten this long (event time) after its latest article (default: %(default)s)",
        )
        parser.add_argument(
            "--cluster_ttl_days",
            type=float,
            default=DEFAULT_CLUSTER_TTL_DAYS,
            help="a country × month of event clusters is forgotten this long after its latest report (default: %(default)s)",
        )
        parser.add_argument(
            "--progress_every",
            type=int,
            default=100,
            help="log a progress line every N articles (and at least every minute) (default: %(default)s)",
        )


def output_dir(options: PipelineOptions) -> str:
    output = options.view_as(BatchOptions).output
    if not output:
        raise SystemExit("--output is required")
    return output


def output_format(options: PipelineOptions) -> str:
    return options.view_as(BatchOptions).format


PRISM_BINARY = Path(__file__).resolve().parents[1] / ".cache" / "bin" / "prism"  # built by `make prism`
DIRECT_RUNNERS = ("DirectRunner", "SwitchingDirectRunner", "FnApiRunner", "BundleBasedDirectRunner")


def choose_runner(options: PipelineOptions, stream: StreamOptions, prism: Path = PRISM_BINARY) -> None:
    """A Kafka stream needs a runner with processing-time triggers: the Python direct
    runners die in Beam's trigger code on early firings (``'NoneType' object has no
    attribute 'time'``). Without ``--runner``: Prism when its binary is at hand
    (``--prism_location``, else ``.cache/bin/prism``), else refuse with what to pass."""
    if not stream.kafka_topic:
        return
    standard = options.view_as(StandardOptions)
    prism_options = options.view_as(PrismRunnerOptions)
    if standard.runner is None:
        location = prism_options.prism_location or (str(prism) if prism.is_file() else None)
        if location is None:
            raise SystemExit(
                "--kafka_topic needs a streaming runner and none was given: pass --runner=PrismRunner "
                "--prism_location=PATH (`make prism` builds .cache/bin/prism, which is then used by default) "
                "or --runner=FlinkRunner (see deploy/flink/README.md); the Python direct runners cannot "
                "run this job's early firings"
            )
        standard.runner = "PrismRunner"
        prism_options.prism_location = location
        logging.getLogger("newsfeed.stream").info("no --runner given: running on Prism (%s)", location)
    elif standard.runner in DIRECT_RUNNERS and stream.early_firing_seconds > 0:
        raise SystemExit(
            f"--runner={standard.runner} cannot run a Kafka stream with early firings (its trigger code fails on "
            "processing-time timers): pass --runner=PrismRunner --prism_location=PATH or --runner=FlinkRunner, "
            "or --early_firing_seconds=0"
        )


def end_of_time_monitor(options: PipelineOptions, stream: StreamOptions) -> Optional[EndOfTimeMonitor]:
    """A Kafka stream on a Flink session cluster gets a live check of the start that drops
    every record (pipelines/flink_watch.py); other runners have the end-of-run check only."""
    rest = rest_address(options.view_as(FlinkRunnerOptions).flink_master)
    if not stream.kafka_topic or options.view_as(StandardOptions).runner != "FlinkRunner" or rest is None:
        return None
    submitted_ms = int(time.time() * 1000)
    stop = stream.stop_after_minutes
    return EndOfTimeMonitor(rest, submitted_ms, submitted_ms + int(stop * 60_000) if stop else 0)


def kafka_io_module():
    """``transforms.io.kafka``; a clear error when it cannot be imported (confluent-kafka missing)."""
    try:
        from transforms.io import kafka as kafka_io  # noqa: PLC0415 — only Kafka jobs need the client
    except ImportError as error:
        raise SystemExit(
            f"--kafka_* options need transforms/io/kafka.py, which could not be imported ({error})"
        ) from error
    return kafka_io


def read_kafka(pipeline: beam.Pipeline, options: StreamOptions):
    """``KafkaRecord``s of ``--kafka_topic`` from ``--kafka_start``; offsets are committed
    to ``--kafka_group`` on checkpoint (offset checkpoints, the watermark and partition
    discovery are transforms/io/kafka.py's; ``--stop_after_minutes`` ends the read)."""
    kafka_io = kafka_io_module()
    stop = options.stop_after_minutes * 60 if options.stop_after_minutes else None
    return pipeline | "ReadKafka" >> kafka_io.ReadFromKafka(
        bootstrap_servers=options.kafka_bootstrap,
        topics=[options.kafka_topic],
        stop_after_seconds=stop,
        group_id=options.kafka_group,
        start=options.kafka_start,
    )


def write_kafka(records, topic: str, bootstrap: str, label: str, key):
    """JSON records to a topic through ``kafka_io.WriteJsonToKafka`` (at-least-once)."""
    kafka_io = kafka_io_module()
    from transforms.io.shards import to_plain

    return (
        records
        | f"{label}AsDicts" >> beam.Map(to_plain)
        | f"{label}ToKafka" >> kafka_io.WriteJsonToKafka(bootstrap_servers=bootstrap, topic=topic, key_fn=key)
    )


def build_middle(documents, read_rejected, options: StreamOptions) -> Dict[str, beam.PCollection]:
    """RawDocument (timestamped with the ingestion time) → every streaming output.

    Returns PCollections: ``articles`` (unique, segmented Article), ``duplicates``,
    ``rejected``, ``too_late`` (Rejected, stage "window"), ``events`` (Event updates),
    ``aggregate_panes`` (one List[StreamAggregate] per window × pane) and
    ``aggregates`` (the same, one row each).
    """
    cleaned = documents | "CleanArticles" >> CleanArticles()
    stamped = cleaned["articles"] | "StampPublicationTime" >> StampPublicationTime()
    too_late = stamped | "FlagTooLate" >> FlagTooLate(options.window_minutes, options.allowed_lateness_hours)
    deduped = stamped | "DropDuplicates" >> DropStreamingDuplicates(options.dedup_ttl_days)
    unique = deduped["articles"] | "Progress" >> LogProgress("unique articles", every=options.progress_every)
    # Windowed before the batch middle: BatchElements (inside TagEntities) re-stamps a
    # batch with its window's end, so in the global window the publication time would
    # be lost; in fixed windows each article keeps its window. It also bounds the state
    # of TagEntities' entity table to one window.
    in_windows = unique | "PublicationWindows" >> beam.WindowInto(windows.FixedWindows(options.window_minutes * 60))
    segmented = in_windows | "DetectLanguage" >> DetectLanguage() | "SegmentArticles" >> SegmentArticles()
    entities = segmented["articles"] | "TagEntities" >> TagEntities(corpus_vote=False)
    extracted = entities["by_article"] | "ExtractEvents" >> ExtractEvents(with_rejected=True)
    # an article the entity or event stage failed on is still counted; its dead letter joins
    # the feed's, which live in the global window
    annotation_failures = (
        (entities["rejected"], extracted["rejected"])
        | "AnnotationRejects" >> beam.Flatten().with_output_types(Rejected)
        | "RejectsOutliveWindows" >> beam.WindowInto(windows.GlobalWindows())
    )
    reports = (
        extracted["reports"]
        | "ClustersOutliveWindows" >> beam.WindowInto(windows.GlobalWindows())
        # without a shuffle here the FnApiRunner fuses the stateful clustering with the
        # windowed stages above and cannot decode its timers ("tuple index out of range"
        # in _collect_written_timers, Beam 2.77)
        | "SettleWindows" >> beam.Reshuffle()
    )
    clustered = reports | "ClusterEvents" >> ClusterEventsIncrementally(options.cluster_ttl_days)
    panes = clustered["sightings"] | "CountEvents" >> CountEventsInWindows(
        options.window_minutes, options.allowed_lateness_hours, options.early_firing_seconds
    )
    aggregates = panes | "AggregateRows" >> beam.FlatMap(lambda rows: rows).with_output_types(StreamAggregate)
    dead_letters = [cleaned["rejected"], annotation_failures] + ([read_rejected] if read_rejected is not None else [])
    rejected = tuple(dead_letters) | "AllRejected" >> beam.Flatten().with_output_types(Rejected)
    return {
        "articles": segmented["articles"],
        "duplicates": deduped["duplicates"],
        "rejected": rejected,
        "too_late": too_late,
        "events": clustered["events"],
        "aggregate_panes": panes,
        "aggregates": aggregates,
    }


def write_outputs(outputs: Dict[str, beam.PCollection], options: StreamOptions) -> None:
    """Pane files under --output, and Kafka topics when asked for."""
    fmt, out = output_format(options), output_dir(options)
    window = (options.window_minutes, options.allowed_lateness_hours, options.early_firing_seconds)
    _ = outputs["aggregate_panes"] | "WriteAggregates" >> WritePaneFiles(
        out, "aggregates", "stream_aggregate", lambda a: (a.level, a.country or "", a.place, a.type), fmt, latest=True
    )
    _ = (
        outputs["events"]
        | "EventsPerPane" >> LatestEventsInWindows(*window)
        | "WriteEvents" >> WritePaneFiles(out, "events", "event", lambda e: e.id, fmt, latest=True)
    )
    for kind, schema, element_type, sort_key in (
        ("duplicates", "duplicate", Duplicate, lambda d: (d.origin, d.duplicate_of, d.rule)),
        ("rejected", "rejected", Rejected, lambda r: (r.origin, r.stage, r.reason, r.payload)),
        ("too_late", "rejected", Rejected, lambda r: (r.origin, r.stage, r.reason, r.payload)),
    ):
        _ = (
            outputs[kind]
            | f"{kind.title()}PerPane"
            >> LogOfProcessing(options.window_minutes, options.early_firing_seconds, element_type)
            | f"Write{kind.title()}" >> WritePaneFiles(out, kind, schema, sort_key, fmt)
        )
    if options.kafka_events_topic:
        write_kafka(outputs["events"], options.kafka_events_topic, options.kafka_bootstrap, "Events", lambda e: e["id"])
    if options.kafka_aggregates_topic:
        write_kafka(
            outputs["aggregates"],
            options.kafka_aggregates_topic,
            options.kafka_bootstrap,
            "Aggregates",
            lambda a: f"{a['window_start']}|{a['level']}|{a['place']}|{a['type']}",
        )


def build_pipeline(pipeline: beam.Pipeline, options: StreamOptions) -> Dict[str, beam.PCollection]:
    """Sources (directory and/or Kafka) → middle → writers."""
    if options.once:
        options.early_firing_seconds = 0  # a bounded run has no processing-time clock (FnApiRunner)
    documents: List[beam.PCollection] = []
    rejected: List[beam.PCollection] = []
    if options.input_dir:
        state_dir = state_dir_of(options)
        feed = pipeline | "DirectoryFeed" >> ReadDirectoryFeed(
            options.input_dir,
            state_dir,
            options.poll_seconds,
            once=options.once,
            stop_after_seconds=options.stop_after_minutes * 60 if options.stop_after_minutes else None,
        )
        documents.append(feed["documents"])
        rejected.append(feed["rejected"])
    if options.kafka_topic:
        from_kafka = read_kafka(pipeline, options) | "KafkaRecords" >> KafkaToDocuments(options.kafka_topic)
        documents.append(from_kafka["documents"])
        rejected.append(from_kafka["rejected"])
    # the pages of --feeds, polled every --poll_minutes (pipelines/feeds.py)
    add_fetched(
        pipeline,
        options,
        output_dir(options),
        documents,
        rejected,
        state_dir=state_dir_of(options),
        poll=not options.once,
        stop_after_seconds=options.stop_after_minutes * 60 if options.stop_after_minutes else None,
    )
    all_documents = documents[0] if len(documents) == 1 else documents | "AllFeeds" >> beam.Flatten()
    all_rejected = rejected[0] if len(rejected) == 1 else rejected | "AllFeedRejects" >> beam.Flatten()
    outputs = build_middle(all_documents, all_rejected, options)
    write_outputs(outputs, options)
    return outputs


def state_dir_of(options: StreamOptions) -> str:
    return options.state_dir or f"{output_dir(options).rstrip('/')}/_state"


def reconcile(counters: Dict[str, Dict[str, int]]) -> Dict[str, int]:
    """in = out + rejected + duplicates over articles (too-late articles are in "out":
    they still grow event clusters; only the windowed counts drop them)."""
    # a feed, page or feed item the fetch stage could not use counts as an unreadable file does
    read_rejected = counters.get("read", {}).get("rejected", 0) + counters.get("fetch", {}).get("rejected", 0)
    return {
        "in": read_rejected + counters.get("cleanup", {}).get("candidates", 0),
        "out": counters.get("stream", {}).get("unique_articles", 0),
        "rejected": read_rejected + counters.get("cleanup", {}).get("rejected", 0),
        "duplicates": counters.get("dedup", {}).get("duplicates", 0),
        "too_late": counters.get("stream", {}).get("too_late", 0),
        # written articles whose entity or event stage failed: a dead letter each, counted apart
        "annotation_failures": counters.get("entities", {}).get("failed", 0)
        + counters.get("events", {}).get("failed", 0),
    }


DROPPED_BY_RUNNER = "StatefulParDoDropped"  # Beam's counter of elements a stateful stage dropped as late


def dropped_by_the_runner(counters: Dict[str, Dict[str, int]]) -> int:
    """Records the runner dropped at a stateful stage (global window expired: the watermark
    reached the end of time while the sources still ran)."""
    return sum(values.get(DROPPED_BY_RUNNER, 0) for values in counters.values())


def fail_on_dropped_records(counters: Dict[str, Dict[str, int]]) -> None:
    """Fails the run loudly when the runner dropped records: with Beam 2.62's portable Flink
    job server a start can release the watermark past the Python reader (apache/beam#19637),
    and the job then ends, or runs on, with no output."""
    dropped = dropped_by_the_runner(counters)
    if dropped:
        raise SystemExit(
            f"the runner dropped {dropped} records at stateful stages ({DROPPED_BY_RUNNER}): its watermark "
            "reached the end of time while the sources still ran (apache/beam#19637, Beam 2.62's portable Flink "
            "runner), so the output is incomplete. Submit the job again from the same start (for Kafka: "
            "--kafka_start earliest or a fresh --kafka_group, since the dropped records' offsets may be committed)."
        )


def format_summary(counters: Dict[str, Dict[str, int]], seconds: float) -> str:
    lines = ["stage        counter                          value"]
    for stage in sorted(counters):
        for name, value in sorted(counters[stage].items()):
            lines.append(f"{stage:<12} {name:<32} {value:>6}")
    t = reconcile(counters)
    ok = t["in"] == t["out"] + t["rejected"] + t["duplicates"]
    lines.append(
        f"in = out + rejected + duplicates: {t['in']} = {t['out']} + {t['rejected']} + {t['duplicates']}  "
        f"{'OK' if ok else 'MISMATCH'}; too late for their window: {t['too_late']}"
    )
    if t["annotation_failures"]:
        lines.append(
            f"articles without entities or events (see rejected/, stage entities|events): {t['annotation_failures']}"
        )
    lines.append(f"{t['in']} candidate articles in {seconds:.1f} s")
    return "\n".join(lines)


def check(options: StreamOptions) -> None:
    problems = []
    if not output_dir(options):
        problems.append("--output is required")
    if not options.input_dir and not options.kafka_topic and not options.view_as(FeedOptions).feeds:
        problems.append("give --input_dir, --kafka_topic and/or --feeds")
    if options.kafka_topic and not options.kafka_bootstrap:
        problems.append("--kafka_topic needs --kafka_bootstrap")
    if (options.kafka_events_topic or options.kafka_aggregates_topic) and not options.kafka_bootstrap:
        problems.append("--kafka_events_topic/--kafka_aggregates_topic need --kafka_bootstrap")
    if options.once and options.kafka_topic:
        problems.append("--once applies to --input_dir only (a Kafka topic has no end)")
    if options.window_minutes < 1 or options.allowed_lateness_hours < 0 or options.early_firing_seconds < 0:
        problems.append("--window_minutes must be >= 1, --allowed_lateness_hours and --early_firing_seconds >= 0")
    if problems:
        raise SystemExit(
            "usage: python -m pipelines.stream (--input_dir DIR [--state_dir DIR] [--once] | "
            "--kafka_bootstrap HOST:PORT --kafka_topic T | --feeds FILE [--poll_minutes N]) --output DIR [options]\n"
            + "\n".join(problems)
        )


LONG_JOB_SERVER_TIMEOUT = 7 * 24 * 3600  # seconds: a streaming job runs for days


def run(argv: Optional[Sequence[str]] = None, save_main_session: bool = True):
    """Runs the job (until the feeds end); returns (PipelineResult, counters)."""
    options = PipelineOptions(argv)
    options.view_as(SetupOptions).save_main_session = save_main_session
    stream = options.view_as(StreamOptions)
    check(stream)
    choose_runner(options, stream)
    if not stream.once:
        options.view_as(StandardOptions).streaming = True
        # Beam applies --job_server_timeout (300 s by default) to a portable job's status stream:
        # a Prism streaming job would die with DEADLINE_EXCEEDED after five minutes
        if "--job_server_timeout" not in " ".join(argv or sys.argv):
            options.view_as(PortableOptions).job_server_timeout = LONG_JOB_SERVER_TIMEOUT
    if stream.once and stream.input_dir:
        clear_pending(state_dir_of(stream))  # files of an earlier run that failed are read again
    started = time.monotonic()
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, stream)
    monitor = end_of_time_monitor(options, stream)
    try:
        result = progress.run_pipeline(
            pipeline,
            options,
            progress.stream_line,
            every=progress.STREAM_SECONDS,
            on_run=monitor.start if monitor is not None else None,
        )
    except Exception:
        if monitor is None or monitor.found is None:
            raise
    finally:
        if monitor is not None:
            monitor.stop()
    if monitor is not None and monitor.found is not None:
        raise SystemExit(monitor.found)  # cancelled: it was dropping every record
    if stream.once and stream.input_dir:
        commit_pending(state_dir_of(stream))
    counters = collect_counters(result)
    seconds = time.monotonic() - started
    print(format_summary(counters, seconds))
    write_summary_json(options, "stream", counters, reconcile(counters), seconds)
    fail_on_dropped_records(counters)
    return result, counters


def main(argv: Optional[List[str]] = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("newsfeed.stream").setLevel(logging.INFO)
    run(argv if argv is not None else sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Batch job: bounded inputs → clean articles, sentences, languages.

    python -m pipelines.batch --input 'sample/**' --output out [--format avro|jsonl|parquet]
        [--run_date YYYY-MM-DD [--incremental]] [Beam options]

Reads HTML pages, text dumps, JSONL, WARC and Avro files; writes one directory
per record kind under --output (articles/, sentences/, duplicates/, rejected/)
and ends by printing per-stage counts and the reconciliation
``in = out + rejected + duplicates``. With ``--run_date`` every kind goes to a
``<kind>/dt=YYYY-MM-DD/`` partition published whole, with a run manifest in
``<output>/_runs/`` (``pipelines.dated``, ``transforms.io.partitions``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import (
    PipelineOptions,
    SetupOptions,
    StandardOptions,
)

from pipelines import dated as dated_runs
from pipelines import progress
from pipelines.feeds import FeedOptions, add_fetched, flatten_sources
from pipelines.flags import AT_LEAST_TWO, Matching, count, positive_int
from pipelines.summary import summary_document, write_summary_json
from transforms.clean.boilerplate import (
    DEFAULT_MIN_ARTICLES,
    LearnBoilerplate,
    StripBoilerplate,
)
from transforms.clean.cleanup import CleanArticles
from transforms.clean.dedup import DropDuplicates, FindDuplicates
from transforms.entities.tagger import TagEntities
from transforms.events.cluster import ClusterEvents
from transforms.events.count import DEFAULT_WINDOW_DAYS, CountEvents, WriteAggregatesCsv
from transforms.events.extract import ExtractEvents
from transforms.events.repeats import DEFAULT_LOOKBACK_DAYS, REPEATS, DropRepeatedEvents
from transforms.io.ledger import RUN_DATE_PATTERN, parse_run_date
from transforms.io.partitions import PublishPartition
from transforms.io.sinks import AVRO, FORMATS, WriteRecords, prepare_output
from transforms.io.sources import ReadNewsFeeds
from transforms.io.spill import AUTO, CheckpointToFiles, check_spill_dir, spill_directory
from transforms.records import CleanedArticle, RawDocument, Rejected
from transforms.text.language import DetectLanguage
from transforms.text.segment import SegmentArticles

RECORD_KINDS = ("articles", "sentences", "mentions", "entities", "events", "aggregates", "duplicates", "rejected")


class BatchOptions(PipelineOptions):
    """The job's own flags; everything else is a Beam option."""

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--input",
            action="append",
            help="file, directory or glob of .html/.htm/.html.gz/.txt/.jsonl(.gz)/.warc(.gz)/.avro; repeatable; "
            "with --run_date, {run_date} in it stands for the run date (feeds/{run_date}/)",
        )
        # not argparse-required: Beam registers every options class globally, and a
        # required flag would break every other pipeline built in the same process
        parser.add_argument("--output", help="output directory (local path or gs://…)")
        parser.add_argument("--format", default=AVRO, choices=FORMATS, help="output format (default: avro)")
        parser.add_argument(
            "--num_shards", type=positive_int("number of shards"), default=4, help="files per record kind (default: 4)"
        )
        parser.add_argument(
            "--boilerplate_min_articles",
            type=Matching(AT_LEAST_TWO, int, "number of articles"),
            default=DEFAULT_MIN_ARTICLES,
            help="a line in at least this many articles of one source is boilerplate (default: %(default)s, min 2)",
        )
        parser.add_argument(
            "--event_window_days",
            type=positive_int("number of days"),
            default=DEFAULT_WINDOW_DAYS,
            help="length of the aggregates' time windows in days (default: %(default)s)",
        )
        parser.add_argument(
            "--include_background",
            action="store_true",
            help="count background events (older events the articles retell) in aggregates too (default: not)",
        )
        parser.add_argument(
            "--spill_dir",
            default=AUTO,
            help="local directory for the DirectRunner's spill files (its shuffles hold everything in memory): "
            "'auto' (default) spills to a temporary directory on the DirectRunner and not at all on Flink, "
            "Dataflow or Prism, whose own shuffles are used; 'none' never spills; never inside --output",
        )
        parser.add_argument(
            "--skip_entities",
            action="store_true",
            help="stop after segmentation: no NER and no events (a fast cleanup-only run)",
        )
        parser.add_argument(
            "--run_date",
            type=Matching(RUN_DATE_PATTERN, parse_run_date, "run date"),
            help="write every record kind to <kind>/dt=RUN_DATE/ (YYYY-MM-DD), published whole with _SUCCESS, "
            "and a run manifest to <output>/_runs/RUN_DATE.json",
        )
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="with --run_date: skip input files that another run date of this output already read; "
            "a rerun of a date reads the inputs of its first run again",
        )
        parser.add_argument(
            "--event_lookback_days",
            type=count("number of days"),
            default=DEFAULT_LOOKBACK_DAYS,
            help="with --run_date: an event that the partition of one of this many earlier run dates holds "
            "goes to repeats/ and is not counted again (default: %(default)s; 0: no cross-run de-duplication)",
        )


def build_pipeline(
    pipeline: beam.Pipeline,
    options: BatchOptions,
    spill_dir: Optional[str] = None,
    dated: Optional[dated_runs.DatedRun] = None,
) -> None:
    """Wires the stages; shared with benchmarks and tests. ``spill_dir``: shuffle through
    local spill files there (the DirectRunner's --spill_dir), else Beam's own shuffles.
    ``dated``: a dated run (``--run_date``): read exactly its planned inputs, write to its
    staging directory, drop events earlier partitions hold, publish the partition last."""
    # --input files and/or the pages of --feeds (pipelines/feeds.py)
    if dated is not None:
        inputs = [pipeline | "ReadNewsFeeds" >> ReadNewsFeeds(dated.inputs, exact_paths=True)] if dated.inputs else []
    else:
        inputs = [pipeline | "ReadNewsFeeds" >> ReadNewsFeeds(options.input)] if options.input else []
    documents, read_rejected = [i["documents"] for i in inputs], [i["rejected"] for i in inputs]
    add_fetched(pipeline, options, options.output, documents, read_rejected)
    if not documents:  # an incremental run with no new file still publishes its (empty) partition
        documents = [pipeline | "NoInput" >> beam.Create([]).with_output_types(RawDocument)]
        read_rejected = [pipeline | "NoInputRejects" >> beam.Create([]).with_output_types(Rejected)]
    read = flatten_sources(documents, read_rejected)
    # a dated run judges publication dates against its own day: a rerun or backfill gives the same
    cleaned = read["documents"] | "CleanArticles" >> CleanArticles(dated.run_date if dated is not None else None)
    # corpus-wide decisions, taken on small keys while the articles wait (on disk with a spill_dir)
    duplicates = cleaned["articles"] | "FindDuplicates" >> FindDuplicates(spill_dir)
    boilerplate = cleaned["articles"] | "LearnBoilerplate" >> LearnBoilerplate(
        options.boilerplate_min_articles, spill_dir=spill_dir
    )
    parked = cleaned["articles"] | "ParkArticles" >> CheckpointToFiles(spill_dir, "articles", CleanedArticle)
    unique = parked | "DropDuplicates" >> DropDuplicates(duplicates)
    stripped = unique | "StripBoilerplate" >> StripBoilerplate(boilerplate)
    segmented = stripped["articles"] | "DetectLanguage" >> DetectLanguage() | "SegmentArticles" >> SegmentArticles()
    dead_letters = [read["rejected"], cleaned["rejected"], stripped["rejected"]]
    output = dated.staging if dated is not None else options.output
    written: Dict[str, beam.PCollection] = {}

    def write(records, kind: str, schema: str, key, sort_key) -> None:
        written[kind] = records | f"Write_{kind}" >> WriteRecords(
            output,
            kind,
            schema,
            key=key,
            sort_key=sort_key,
            fmt=options.format,
            num_shards=options.num_shards,
            spill_dir=spill_dir,
        )

    write(segmented["articles"], "articles", "article", lambda a: a.id, lambda a: (a.id, a.origin))
    write(segmented["sentences"], "sentences", "sentence", lambda s: s.article_id, lambda s: (s.article_id, s.index))
    if not options.skip_entities:
        entities = segmented["articles"] | "TagEntities" >> TagEntities()
        write(
            entities["mentions"],
            "mentions",
            "mention",
            lambda m: m.article_id,
            lambda m: (m.article_id, m.field, m.start, m.end),
        )
        write(entities["entities"], "entities", "entity", lambda e: e.id, lambda e: e.id)
        extracted = entities["by_article"] | "ExtractEvents" >> ExtractEvents(with_rejected=True)
        dead_letters += [entities["rejected"], extracted["rejected"]]
        events = extracted["reports"] | "ClusterEvents" >> ClusterEvents()
        if dated is not None:
            seen = events | "DropRepeatedEvents" >> DropRepeatedEvents(dated.earlier_event_files)
            events = seen["events"]
            write(seen[REPEATS], REPEATS, "repeat", lambda r: r.event_id, lambda r: (r.event_id, r.id))
        aggregates = events | "CountEvents" >> CountEvents(options.event_window_days, options.include_background)
        write(events, "events", "event", lambda e: e.id, lambda e: e.id)
        write(
            aggregates,
            "aggregates",
            "aggregate",
            lambda a: a.window_start,
            lambda a: (a.window_start, a.level, a.country or "", a.place, a.type),
        )
        csv_output = FileSystems.join(output, dated_runs.AGGREGATES_CSV) if dated is not None else output
        written[dated_runs.AGGREGATES_CSV] = aggregates | "AggregatesCsv" >> WriteAggregatesCsv(csv_output)
    rejected = tuple(dead_letters) | "AllRejected" >> beam.Flatten()
    write(duplicates, "duplicates", "duplicate", lambda d: d.origin, lambda d: (d.origin, d.duplicate_of, d.rule))
    write(rejected, "rejected", "rejected", lambda r: r.origin, lambda r: (r.origin, r.stage, r.reason, r.payload))
    if dated is not None:
        # the last step: every shard is written, the partition moves into place
        _ = (
            tuple(written.values())
            | "AllWritten" >> beam.Flatten()
            | "PublishPartition"
            >> PublishPartition(options.output, dated.run_date, dated.staging, sorted(written), dated.manifest)
        )


def collect_counters(result) -> Dict[str, Dict[str, int]]:
    """Committed counter values as {stage: {name: value}}."""
    counters: Dict[str, Dict[str, int]] = {}
    for counter in result.metrics().query()["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        stage = counters.setdefault(counter.key.metric.namespace, {})
        name = counter.key.metric.name
        stage[name] = stage.get(name, 0) + int(value or 0)
    return counters


def reconcile(counters: Dict[str, Dict[str, int]]) -> Dict[str, int]:
    """in = out + rejected + duplicates, from the stage counters.

    "in" counts candidate articles: every unit a reader rejected, plus every
    article the cleanup stage found (a dump holds several).
    """
    # a feed, page or feed item the fetch stage could not use is one candidate, as an unreadable file is
    read_rejected = counters.get("read", {}).get("rejected", 0) + counters.get("fetch", {}).get("rejected", 0)
    candidates = counters.get("cleanup", {}).get("candidates", 0)
    written = counters.get("write", {})
    # an article the entity or event stage failed on is written all the same: its dead letter
    # is counted apart, not as an article that went missing
    annotation_failures = counters.get("entities", {}).get("failed", 0) + counters.get("events", {}).get("failed", 0)
    return {
        "in": read_rejected + candidates,
        "out": written.get("articles", 0),
        "rejected": written.get("rejected", 0) - annotation_failures,
        "duplicates": written.get("duplicates", 0),
        "annotation_failures": annotation_failures,
    }


def format_summary(counters: Dict[str, Dict[str, int]], seconds: float) -> str:
    order = ["fetch", "read", "cleanup", "dedup", "boilerplate", "language", "segment", "write"]
    stages = order + sorted(set(counters) - set(order))
    lines = ["stage        counter                          value"]
    for stage in stages:
        for name, value in sorted(counters.get(stage, {}).items()):
            lines.append(f"{stage:<12} {name:<32} {value:>6}")
    totals = reconcile(counters)
    balanced = totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"]
    lines.append(
        f"in = out + rejected + duplicates: {totals['in']} = {totals['out']} + {totals['rejected']} + "
        f"{totals['duplicates']}  {'OK' if balanced else 'MISMATCH'}"
    )
    if totals["annotation_failures"]:
        lines.append(
            f"articles written without entities or events (see rejected/, stage entities|events): "
            f"{totals['annotation_failures']}"
        )
    rate = totals["in"] / seconds if seconds > 0 else 0.0
    lines.append(f"{totals['in']} candidate articles in {seconds:.1f} s ({rate:.1f}/s)")
    return "\n".join(lines)


def run(argv: Optional[Sequence[str]] = None, save_main_session: bool = True, wait: bool = True):
    """Runs the job; returns (PipelineResult, counters). ``wait=False`` (a Flex
    Template launch): returns once the job is submitted, with no counters."""
    options = PipelineOptions(argv)
    options.view_as(SetupOptions).save_main_session = save_main_session
    batch = options.view_as(BatchOptions)
    has_input = batch.input or options.view_as(FeedOptions).feeds
    missing = [flag for flag, value in (("--input or --feeds", has_input), ("--output", batch.output)) if not value]
    if missing:
        raise SystemExit(
            f"usage: python -m pipelines.batch --input GLOB [--input GLOB …] [--feeds FILE] --output DIR "
            f"[--format avro|jsonl|parquet] [--run_date YYYY-MM-DD [--incremental]] [Beam options]\n"
            f"missing: {', '.join(missing)}"
        )
    if batch.num_shards < 1:
        raise SystemExit(f"--num_shards must be at least 1, got {batch.num_shards}")
    if batch.incremental and not batch.run_date:
        raise SystemExit("--incremental needs --run_date (the ledger is kept per run date)")
    if batch.incremental and options.view_as(FeedOptions).feeds:
        raise SystemExit(
            "--incremental reads files only: a feed's pages cannot be read again (archive them, then --input the WARC)"
        )
    try:
        check_spill_dir(batch.spill_dir, batch.output)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    runner = runner_name(options)
    dated = (
        dated_runs.plan_dated_run(batch, dated_runs.expand_patterns(batch.input or [], batch.run_date), runner)
        if batch.run_date
        else None
    )
    if dated is not None:
        print(dated_runs.describe_plan(dated))
        planned = len(dated.inputs) or None
        total_inputs: Callable[[], Optional[int]] = lambda: planned
    else:
        prepare_output(batch.output, RECORD_KINDS)
        total_inputs = progress.count_input_files(batch.input)
    started = time.monotonic()
    with spill_directory(batch.spill_dir, options.view_as(StandardOptions).runner) as spill_dir:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, batch, spill_dir, dated)
        if not wait:
            result = pipeline.run()
            print("submitted; the job publishes its partition as its last step (manifest status 'published')")
            return result, {}
        # progress lines on stderr while it runs (a terminal only, not with --quiet)
        result = progress.run_pipeline(pipeline, options, progress.batch_line, total_inputs=total_inputs)
    counters = collect_counters(result)
    seconds = time.monotonic() - started
    print(format_summary(counters, seconds))
    write_summary_json(options, "batch", counters, reconcile(counters), seconds)
    if dated is not None:
        summary = summary_document("batch", counters, reconcile(counters), seconds, runner)
        print(
            dated_runs.describe_published(
                batch.output, dated_runs.finish_dated_run(batch.output, dated.run_date, summary)
            )
        )
    return result, counters


def runner_name(options: PipelineOptions) -> str:
    runner = options.view_as(StandardOptions).runner
    return runner if isinstance(runner, str) else type(runner).__name__ if runner else "DirectRunner"


def main(argv: Optional[List[str]] = None) -> int:
    logging.getLogger().setLevel(logging.WARNING)
    _, counters = run(argv if argv is not None else sys.argv[1:])
    totals = reconcile(counters)
    return 0 if totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"] else 1


if __name__ == "__main__":
    sys.exit(main())

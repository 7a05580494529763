"""Streaming latency: Kafka append → the first early-firing aggregate pane that counts the article.

    .venv/bin/python -m benchmarks.stream_latency                      # Prism, then Flink (defaults below)
    .venv/bin/python -m benchmarks.stream_latency --runner prism --rate 20 --seconds 120 --early_firing_seconds 5
    .venv/bin/python -m benchmarks.stream_latency --runner flink --rate 5       # a lower rate, e.g. to find the sustainable one
    .venv/bin/python -m benchmarks.stream_latency --runner flink --worker_pool --rate 8   # one SDK process per slot
    make bench-stream-latency

What one run per runner does (every process it starts is stopped in ``finally``):

1. Starts a throwaway Kafka broker (deploy/kafka/start.sh, free ports, data in a temp dir) and
   creates an input topic (``--partitions``) and an aggregates topic, both with
   ``message.timestamp.type=LogAppendTime``: every record's Kafka timestamp is the broker's
   append time, on the same clock for articles and aggregates.
2. Starts the real streaming job, ``pipelines.stream`` (``run``), in a subprocess on the runner
   (Prism: .cache/bin/prism, LOOPBACK; Flink: a session cluster started here with
   deploy/flink/start-cluster.sh, 2 slots, ``--parallelism 2``, LOOPBACK), reading the input topic
   and writing aggregates to the aggregates topic, ``--early_firing_seconds`` (default 5).
3. Warm-up: one article a second until the first aggregate comes back (the job is live end to end,
   models loaded); warm-up articles are not measured.
4. Measured phase: a producer thread appends ``--rate`` articles/s for ``--seconds`` s, paced on a
   fixed schedule (article i at t0 + i/rate), and records each article's append time (the
   LogAppendTime of its delivery report). Articles are real: the 10 articles of the seed dump
   (sample/seed, tests/fixtures/seed), the wire feed record (sample/feeds), the sample/fixture HTML
   pages and the 181 pages of the extraction benchmark (../shared/data/extraction, when present),
   cycled in a fixed shuffled order; each copy gets its own record id, URL and a unique first
   sentence ("Dispatch N."), so de-duplication keeps it, and ``published`` = now (the current
   15-min window).
5. A consumer thread reads the aggregates topic with the records' append times. Drain: after the
   producer stops, the run goes on until every countable article is in an aggregate, no new
   article was counted for ``--quiet_seconds``, or ``--drain_seconds`` have passed; then the job
   is stopped.

Attribution (exact, no ordering assumption). An aggregate row only carries counts, so the job is
run with one addition, made in this script (``BenchCountSightings``, a subclass of
``transforms.stream_windows.CountSightings`` swapped into ``pipelines.stream`` before the pipeline is
built; the streaming code itself is unchanged): each pane of each window gets ONE extra row,
``level="_bench"``, whose ``place`` lists the record ids (as ranges of their sequence numbers) of
every distinct article the window's accumulator holds, and whose ``articles`` is their number.
It is computed in the same CombineFn from the same accumulator, fired by the same trigger and
written to Kafka by the same sink in the same pane as the real rows, so "the first pane whose
``articles`` count includes the article" is read off directly: latency(article) = append time of
the first aggregate record whose _bench row lists it - append time of the article.

Biases and limits, stated:
* Only articles that yield at least one event with a place (a "sighting") are ever counted in an
  aggregate; the others have no latency. A template counts as "countable" when any copy of it was
  counted during the run; latencies and the censoring below are over countable articles.
* Censoring: a countable article not counted by the end of the drain has latency > (end - append).
  Percentiles treat these as +inf: a percentile that falls on one is reported as a lower bound
  (``"p99_censored": true``; the value is the same percentile over max-known waits, i.e. counted
  latencies and (end - append) for the others, which bounds the true percentile from below).
* Templates: a template none of whose copies was counted is "not countable" only if the job was
  seen counting articles well past its first copy (position < half the furthest counted
  position); otherwise "unknown" and its copies count as censored (conservative). The fields
  ``*_known_countable`` give the optimistic figures over known-countable templates only. If the job cannot keep up with --rate,
  the latencies grow with the backlog and p50/p99 depend on the run length: the backlog series
  (appended vs counted over time) and the processing rate are reported for that reason.
* The early trigger fires ``--early_firing_seconds`` after the first element of a pane: the floor
  of the latency is the pipeline's processing time plus up to that delay plus the sink's flush.
* The extra _bench row costs one pass over the window's article ids per pane (a few ms).
* The producer and consumer run in this process, on the same 2 shared cores as the job.

Runner notes:
* By default both runners run the Python SDK harness in the job's own process (LOOPBACK): all
  Python stages (cleanup, NER, events, counts) share one interpreter, i.e. at most ~1 core, on
  Prism and on Flink. ``--worker_pool`` (Flink) starts a PROCESS-mode SDK worker pool instead
  and submits with ``--environment_type EXTERNAL --sdk_worker_parallelism <parallelism>``: one
  Python process per slot, as a cluster deployment runs them.
* Prism: the job is started with ``--job_server_timeout=86400``. Beam 2.77's PortableRunner puts
  that timeout (default 300 s) on the job state/message streams, so without it a streaming job on
  Prism dies after 5 minutes (``DEADLINE_EXCEEDED`` in ``wait_until_finish``; seen here).
  ``pipelines.stream`` itself needs the same flag (or a code default) for long Prism runs.

Results: benchmarks/results/stream-latency.json (``--results``): one entry per runner (key
``prism``/``flink`` for the 20/s × 120 s spec run, ``<runner>@<rate>/s`` otherwise; other keys of
an earlier file are kept), with the load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import gzip
import hashlib
import json
import math
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from benchmarks.processes import free_port, loadavg, start_worker_pool, stop_group

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "extraction"
BENCH_LEVEL = "_bench"
ID_PREFIX = "bench-"
WARMUP_BASE = 0  # warm-up articles: seq 0 … 99 999
MEASURED_BASE = 100_000  # measured articles: seq 100 000 …


# --- the job side: one extra row per pane that names the counted articles ------------------------


def _ranges(numbers: List[int]) -> str:
    """[1,2,3,7,9,10] → "1-3,7,9-10"."""
    out = []
    start = prev = None
    for n in numbers:
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(f"{start}-{prev}" if prev != start else str(start))
        start = prev = n
    if start is not None:
        out.append(f"{start}-{prev}" if prev != start else str(start))
    return ",".join(out)


def parse_ranges(text: str) -> List[int]:
    numbers: List[int] = []
    for part in filter(None, text.split(",")):
        if "-" in part:
            a, b = part.split("-", 1)
            numbers.extend(range(int(a), int(b) + 1))
        else:
            numbers.append(int(part))
    return numbers


def _bench_classes():
    """Defined lazily so that the parent process does not import Beam just to benchmark."""
    import apache_beam as beam
    from apache_beam.metrics import Metrics

    from transforms.streaming import records as stream_records
    from transforms.streaming import windows as stream_windows

    class BenchCountSightings(stream_windows.CountSightings):
        """CountSightings + one row per window and pane: every distinct article id held."""

        def extract_output(self, accumulator):
            rows = super().extract_output(accumulator)
            seqs, events = set(), set()
            for cell_events, cell_articles in accumulator.values():
                events.update(cell_events)
                for article_id in cell_articles:
                    if article_id.startswith(ID_PREFIX) and article_id[len(ID_PREFIX) :].isdigit():
                        seqs.add(int(article_id[len(ID_PREFIX) :]))
            cell = (BENCH_LEVEL, _ranges(sorted(seqs)), None, "_all", "_all")
            return rows + [(cell, len(events), len(seqs))]

    class BenchCountEventsInWindows(stream_windows.CountEventsInWindows):
        """CountEventsInWindows.expand with BenchCountSightings (same windowing and trigger)."""

        def expand(self, sighted):
            panes = Metrics.counter(stream_records.STAGE, "aggregate_panes")

            def to_rows(keyed, window=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam):
                panes.inc()
                return stream_windows.pane_aggregates(keyed[1], window.start, window.end, pane)

            from typing import List as L
            from typing import Tuple as T

            return (
                sighted
                | "Windows" >> stream_windows.stream_windowing(*self._windowing)
                | "OneKey" >> beam.Map(lambda s: ("", s)).with_output_types(T[str, stream_records.EventSighting])
                | "Count" >> beam.CombinePerKey(BenchCountSightings())
                | "Rows" >> beam.Map(to_rows).with_output_types(L[stream_records.StreamAggregate])
            )

    return BenchCountSightings, BenchCountEventsInWindows


def job_main(argv: List[str]) -> int:
    """The streaming job with the _bench row (run in a subprocess by the benchmark)."""
    import logging

    import pipelines.stream as stream

    _, bench_count = _bench_classes()
    stream.CountEventsInWindows = bench_count
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("newsfeed.stream").setLevel(logging.INFO)
    stream.run(argv, save_main_session=False)
    return 0


# --- articles --------------------------------------------------------------------------------------


def load_templates(data: Optional[pathlib.Path]) -> List[Dict[str, Any]]:
    """Real articles to copy: text ones (seed dump articles, feed records) and HTML pages."""
    sys.path.insert(0, str(ROOT))
    from transforms.clean.cleanup import clean_document
    from transforms.clean.html_extract import extract_page
    from transforms.io.formats import read_documents
    from transforms.records import CleanedArticle, RawDocument

    templates: List[Dict[str, Any]] = []
    seen = set()
    files = sorted(
        glob.glob(str(ROOT / "sample" / "seed" / "*.txt"))
        + glob.glob(str(ROOT / "tests" / "fixtures" / "seed" / "*.txt"))
        + glob.glob(str(ROOT / "sample" / "feeds" / "*.jsonl"))
    )
    for path in files:
        digest = hashlib.sha1(pathlib.Path(path).read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        with open(path, "rb") as handle:
            docs = [d for d in read_documents(path, handle) if isinstance(d, RawDocument)]
        for doc in docs:
            for article in clean_document(doc):
                if isinstance(article, CleanedArticle) and sum(map(len, article.paragraphs)) >= 300:
                    templates.append(
                        {
                            "name": article.origin.replace(str(ROOT) + "/", ""),
                            "kind": "text",
                            "title": article.title,
                            "url": article.url,
                            "paragraphs": list(article.paragraphs),
                        }
                    )
    html_files = sorted(
        glob.glob(str(ROOT / "sample" / "html" / "*.htm*"))
        + glob.glob(str(ROOT / "tests" / "fixtures" / "html" / "*.html"))
    )
    for path in html_files:
        raw = pathlib.Path(path).read_bytes()
        if path.endswith(".gz"):
            raw = gzip.decompress(raw)
        digest = hashlib.sha1(raw).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        html = raw.decode("utf-8", errors="replace")
        try:
            url = extract_page(html, None).url
        except Exception:  # noqa: BLE001 — a page without a usable canonical URL
            url = None
        templates.append(
            {
                "name": os.path.relpath(path, ROOT),
                "kind": "html",
                "html": html,
                "url": url or f"https://sample.example/{digest[:12]}",
            }
        )
    if data is not None and (data / "ground-truth.json").exists():
        truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
        for page_id in sorted(truth):
            html = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8")
            templates.append(
                {"name": f"extraction/{page_id}", "kind": "html", "html": html, "url": truth[page_id]["url"]}
            )
    templates = [t for t in (distinct_copies(t) for t in templates) if t is not None]
    random.Random(5).shuffle(templates)
    return templates


def _fingerprint(record: Dict[str, Any]) -> Optional[str]:
    from transforms.clean.cleanup import clean_document
    from transforms.clean.dedup import body_fingerprint
    from transforms.io.formats import document_from_fields
    from transforms.records import CleanedArticle

    articles = [a for a in clean_document(document_from_fields("check", record)) if isinstance(a, CleanedArticle)]
    return body_fingerprint(articles[0].paragraphs) if len(articles) == 1 else None


def distinct_copies(template: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The template if two copies of it survive body de-duplication; an HTML page whose
    extracted body loses the unique sentence becomes a text template (its extracted
    paragraphs); None if neither works."""
    from transforms.clean.cleanup import clean_document
    from transforms.io.formats import document_from_fields
    from transforms.records import CleanedArticle

    stamp = now_iso()
    one, two = (_fingerprint(make_record(template, n, stamp)) for n in (1, 2))
    if one is not None and two is not None and one != two:
        return template
    if template["kind"] == "html":
        record = {"html": template["html"], "url": template["url"]}
        articles = [a for a in clean_document(document_from_fields("check", record)) if isinstance(a, CleanedArticle)]
        if len(articles) == 1:
            return distinct_copies(
                {
                    "name": template["name"],
                    "kind": "text",
                    "title": articles[0].title,
                    "url": template["url"],
                    "paragraphs": list(articles[0].paragraphs),
                }
            )
    return None


def make_record(template: Dict[str, Any], seq: int, published: str) -> Dict[str, Any]:
    """Copy ``seq`` of a template: own id, URL and first sentence; published = now."""
    from benchmarks.throughput import vary_page

    url = template["url"] or f"https://bench.example/{seq}"
    scheme, rest = url.split("://", 1) if "://" in url else ("https", url)
    record = {"id": f"{ID_PREFIX}{seq}", "published": published, "url": f"{scheme}://copy{seq}.{rest}"}
    if template["kind"] == "text":
        paragraphs = list(template["paragraphs"])
        paragraphs[0] = f"Dispatch {seq}. {paragraphs[0]}"
        record.update(title=template["title"], text="\n\n".join(paragraphs))
    else:
        record["html"] = vary_page(template["html"], f"{scheme}://{rest}", seq)
    return record


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- processes -------------------------------------------------------------------------------------


class Broker:
    """deploy/kafka/start.sh on free ports; stop() runs stop.sh."""

    def __init__(self, workdir: pathlib.Path):
        self.port, self.controller = free_port(), free_port()
        self.dir = workdir / f"kafka-{self.port}"
        self.bootstrap = f"127.0.0.1:{self.port}"

    def start(self) -> None:
        print(f"  starting Kafka on {self.bootstrap} …", flush=True)
        subprocess.run(
            [
                "bash",
                str(ROOT / "deploy/kafka/start.sh"),
                "--port",
                str(self.port),
                "--controller-port",
                str(self.controller),
                "--dir",
                str(self.dir),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(ROOT / "deploy/kafka/stop.sh"), "--dir", str(self.dir)],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def create_topics(self, names_partitions: List[Tuple[str, int]]) -> None:
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        futures = admin.create_topics(
            [NewTopic(n, p, 1, config={"message.timestamp.type": "LogAppendTime"}) for n, p in names_partitions]
        )
        for future in futures.values():
            future.result(timeout=60)


class FlinkCluster:
    def __init__(self):
        self.rest, self.rpc = free_port(), free_port()
        env = subprocess.run(
            [
                "bash",
                "-c",
                f"source {ROOT / 'deploy/flink/env.sh'} && echo $FLINK_JOB_SERVER_JAR && echo $FLINK_RUN_ROOT",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        self.jar, self.run_root = env[0], env[1]
        self.started = False

    def start(self, slots: int = 2) -> None:
        print(f"  starting the Flink session cluster on 127.0.0.1:{self.rest} ({slots} slots) …", flush=True)
        self.started = True
        subprocess.run(
            [
                "bash",
                str(ROOT / "deploy/flink/start-cluster.sh"),
                "--rest-port",
                str(self.rest),
                "--rpc-port",
                str(self.rpc),
                "--slots",
                str(slots),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def stop(self) -> None:
        if self.started:
            subprocess.run(
                ["bash", str(ROOT / "deploy/flink/stop-cluster.sh"), "--rest-port", str(self.rest)],
                capture_output=True,
                text=True,
                timeout=180,
            )
            shutil.rmtree(pathlib.Path(self.run_root) / f"cluster-{self.rest}", ignore_errors=True)


# --- producer and consumer -------------------------------------------------------------------------


class Producer(threading.Thread):
    """Appends articles on a fixed schedule; records each append time (LogAppendTime, s)."""

    def __init__(self, bootstrap: str, topic: str, templates: List[Dict[str, Any]]):
        super().__init__(daemon=True)
        from confluent_kafka import Producer as KafkaProducer

        self._producer = KafkaProducer(
            {
                "bootstrap.servers": bootstrap,
                "linger.ms": 0,
                "acks": "all",
                "compression.type": "lz4",
                "message.max.bytes": 10_000_000,
            }
        )
        self.topic, self.templates = topic, templates
        self.appended: Dict[int, float] = {}  # seq -> append time (epoch s)
        self.template_of: Dict[int, int] = {}
        self.timestamp_types = set()
        self.errors: List[str] = []
        self.max_behind = 0.0
        self.lock = threading.Lock()
        self._jobs: List[Tuple[int, float, float]] = []  # (first seq, rate, seconds)
        self._stop = threading.Event()
        self.finished = threading.Event()

    def _delivered(self, seq):
        def callback(error, message):
            if error is not None:
                self.errors.append(str(error))
                return
            kind, millis = message.timestamp()
            with self.lock:
                self.timestamp_types.add(kind)
                self.appended[seq] = millis / 1000.0

        return callback

    def send(self, seq: int) -> None:
        template_index = (seq - (MEASURED_BASE if seq >= MEASURED_BASE else WARMUP_BASE)) % len(self.templates)
        record = make_record(self.templates[template_index], seq, now_iso())
        self.template_of[seq] = template_index
        while True:
            try:
                self._producer.produce(
                    self.topic,
                    json.dumps(record, ensure_ascii=False).encode("utf-8"),
                    key=str(seq).encode(),
                    on_delivery=self._delivered(seq),
                )
                break
            except BufferError:
                self._producer.poll(0.1)
        self._producer.poll(0)

    def paced(self, first: int, rate: float, seconds: float) -> None:
        """Appends round(rate*seconds) articles, article i at t0 + i/rate (catching up if late)."""
        count = int(round(rate * seconds))
        started = time.monotonic()
        for i in range(count):
            if self._stop.is_set():
                break
            due = started + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                self.max_behind = max(self.max_behind, -delay)
            self.send(first + i)
        self._producer.flush(60)

    def run(self) -> None:  # the measured phase (set by measure())
        try:
            first, rate, seconds = self._jobs.pop(0)
            self.paced(first, rate, seconds)
        finally:
            self.finished.set()

    def measure(self, first: int, rate: float, seconds: float) -> None:
        self._jobs.append((first, rate, seconds))
        self.start()

    def stop(self) -> None:
        self._stop.set()

    def flush(self) -> None:
        self._producer.flush(30)


class AggregateConsumer(threading.Thread):
    """Reads the aggregates topic; first append time at which each article is counted."""

    def __init__(self, bootstrap: str, topic: str):
        super().__init__(daemon=True)
        from confluent_kafka import Consumer

        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"bench-{os.getpid()}-{topic}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        self._consumer.subscribe([topic])
        self.first_counted: Dict[int, float] = {}  # seq -> append time of the first aggregate listing it
        self.bench_rows = 0
        self.rows = 0
        self.panes: List[Dict[str, Any]] = []
        self.timestamp_types = set()
        self.lock = threading.Lock()
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            message = self._consumer.poll(0.5)
            if message is None or message.error() is not None:
                continue
            kind, millis = message.timestamp()
            when = millis / 1000.0
            row = json.loads(message.value())
            with self.lock:
                self.timestamp_types.add(kind)
                self.rows += 1
                if row.get("level") != BENCH_LEVEL:
                    continue
                self.bench_rows += 1
                self.panes.append(
                    {
                        "at": when,
                        "window_start": row["window_start"],
                        "pane_index": row["pane_index"],
                        "timing": row["timing"],
                        "articles": row["articles"],
                    }
                )
                for seq in parse_ranges(row["place"]):
                    if seq not in self.first_counted or when < self.first_counted[seq]:
                        self.first_counted[seq] = when
        self._consumer.close()

    def stop(self) -> None:
        self._stop.set()


# --- one runner ------------------------------------------------------------------------------------


def percentile(values: List[float], q: float) -> float:
    """Nearest-rank percentile (values may hold +inf for censored ones)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def job_command(
    args,
    runner: str,
    bootstrap: str,
    topic: str,
    aggregates: str,
    output: pathlib.Path,
    flink: Optional[FlinkCluster],
    pool_port: Optional[int] = None,
) -> List[str]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.stream_latency",
        "--job",
        "--kafka_bootstrap",
        bootstrap,
        "--kafka_topic",
        topic,
        "--kafka_aggregates_topic",
        aggregates,
        "--output",
        str(output),
        "--format",
        "jsonl",
        "--early_firing_seconds",
        str(args.early_firing_seconds),
        "--progress_every",
        "200",
    ]
    if runner == "prism":
        # --job_server_timeout: Beam 2.77's PortableRunner puts this timeout (default 300 s) on the job's
        # state/message streams when the job service answers them before Run (Prism does), so
        # wait_until_finish() fails with DEADLINE_EXCEEDED after 5 min and the LOOPBACK job dies with it
        command += [
            "--runner=PrismRunner",
            f"--prism_location={args.prism}",
            "--environment_type=LOOPBACK",
            "--job_server_timeout=86400",
        ]
    else:
        command += [
            "--runner=FlinkRunner",
            "--flink_version=1.19",
            f"--flink_job_server_jar={flink.jar}",
            f"--flink_master=localhost:{flink.rest}",
            f"--parallelism={args.parallelism}",
        ]
        if pool_port is not None:
            # one SDK worker process per slot, as a cluster deployment runs them (benchmarks/flink_scaleout.py)
            command += [
                "--environment_type=EXTERNAL",
                f"--environment_config=localhost:{pool_port}",
                f"--sdk_worker_parallelism={args.parallelism}",
            ]
        else:
            command += ["--environment_type=LOOPBACK"]
    return command


def entry_key(args, runner: str) -> str:
    """Results key: ``prism``/``flink`` for the issue's spec run (LOOPBACK, 20/s, >= 120 s),
    else ``<runner>[+pool]@<rate>/s``."""
    pooled = runner == "flink" and args.worker_pool
    if args.rate == 20 and args.seconds >= 120 and not pooled:
        return runner
    return f"{runner}{'+pool' if pooled else ''}@{args.rate:g}/s"


def run_one(args, runner: str, templates: List[Dict[str, Any]]) -> Dict[str, Any]:
    print(
        f"\n=== {runner}: {args.rate}/s for {args.seconds} s, early firing every {args.early_firing_seconds} s ===",
        flush=True,
    )
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"stream-latency-{runner}-", dir=args.workdir))
    broker = Broker(workdir)
    flink = FlinkCluster() if runner == "flink" else None
    pool_port = free_port() if flink is not None and args.worker_pool else None
    job = pool = None
    consumer = producer = None
    result: Dict[str, Any] = {"runner": runner, "load_before": loadavg()}
    try:
        broker.start()
        topic, aggregates = "articles", "aggregates"
        broker.create_topics([(topic, args.partitions), (aggregates, 1)])
        if flink is not None:
            flink.start(slots=args.parallelism)
        if pool_port is not None:
            pool = start_worker_pool(pool_port, workdir / "worker-pool.log", ROOT)
            print(f"  SDK worker pool (PROCESS mode) on localhost:{pool_port}", flush=True)
        result["sdk_harness"] = "EXTERNAL worker pool, one process per slot" if pool is not None else "LOOPBACK"
        consumer = AggregateConsumer(broker.bootstrap, aggregates)
        consumer.start()
        producer = Producer(broker.bootstrap, topic, templates)
        log_path = workdir / "job.log"
        command = job_command(args, runner, broker.bootstrap, topic, aggregates, workdir / "out", flink, pool_port)
        result["job_command"] = " ".join(command)
        print(f"  job log: {log_path}", flush=True)
        with open(log_path, "w") as log:
            job = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        # warm-up: 1 article/s until the first aggregate row comes back
        started = time.monotonic()
        seq = WARMUP_BASE
        while True:
            if job.poll() is not None:
                raise RuntimeError(f"the job exited ({job.returncode}) during warm-up:\n{log_path.read_text()[-4000:]}")
            if consumer.bench_rows:
                break
            if time.monotonic() - started > args.warmup_timeout:
                raise RuntimeError(f"no aggregate within {args.warmup_timeout} s:\n{log_path.read_text()[-4000:]}")
            producer.send(seq)
            seq += 1
            time.sleep(1.0)
        producer.flush()
        warm = time.monotonic() - started
        print(f"  live after {warm:.0f} s of warm-up ({seq - WARMUP_BASE} warm-up articles); measuring …", flush=True)
        result["warmup_seconds"] = round(warm, 1)
        # measured phase
        phase_start = time.time()
        producer.measure(MEASURED_BASE, args.rate, args.seconds)
        series = []
        last_new = time.monotonic()
        last_counted = 0
        produced_end = None
        drain_deadline = None
        while True:
            time.sleep(args.sample_seconds)
            if job.poll() is not None:  # report what was measured until then, and the failure
                result["job_failed"] = f"the job exited ({job.returncode}) at t={time.time() - phase_start:.0f} s"
                print(f"  {result['job_failed']}; summarising what was measured", flush=True)
                break
            with producer.lock, consumer.lock:
                appended = sum(1 for s in producer.appended if s >= MEASURED_BASE)
                counted = sum(1 for s in consumer.first_counted if s >= MEASURED_BASE)
            elapsed = time.time() - phase_start
            series.append({"t": round(elapsed, 1), "appended": appended, "counted": counted})
            if counted > last_counted:
                last_counted, last_new = counted, time.monotonic()
            print(
                f"  t={elapsed:6.1f}s appended {appended:5d}  counted in an aggregate {counted:5d}  "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if produced_end is None and producer.finished.is_set():
                produced_end = time.monotonic()
                drain_deadline = produced_end + args.drain_seconds
                print(
                    f"  producer done; draining (≤ {args.drain_seconds} s, or {args.quiet_seconds} s without news) …",
                    flush=True,
                )
            if produced_end is not None:
                countable = countable_templates(producer, consumer)
                eligible = [s for s, t in producer.template_of.items() if s >= MEASURED_BASE and t in countable]
                if eligible and all(s in consumer.first_counted for s in eligible):
                    print("  every countable article is in an aggregate", flush=True)
                    break
                if time.monotonic() - last_new > args.quiet_seconds or time.monotonic() > drain_deadline:
                    break
        end = time.time()
        result.update(summarise(args, producer, consumer, series, phase_start, end))
        result["load_after"] = loadavg()
        result["job_log_tail"] = log_path.read_text(errors="replace")[-1500:]
        return result
    finally:
        if producer is not None:
            producer.stop()
        if consumer is not None:
            consumer.stop()
        stop_group(job)
        stop_group(pool)
        if flink is not None:
            flink.stop()
        broker.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def countable_templates(producer: Producer, consumer: AggregateConsumer) -> set:
    with consumer.lock:
        counted = set(consumer.first_counted)
    return {producer.template_of[s] for s in counted if s in producer.template_of}


def summarise(
    args, producer: Producer, consumer: AggregateConsumer, series, phase_start: float, end: float
) -> Dict[str, Any]:
    with producer.lock, consumer.lock:
        appended = {s: t for s, t in producer.appended.items() if s >= MEASURED_BASE}
        counted = dict(consumer.first_counted)
        panes = [p for p in consumer.panes if p["at"] >= phase_start]
    countable = countable_templates(producer, consumer)
    # templates with no counted copy: "not countable" when the job has clearly processed past
    # their first measured copy (it lies before half the furthest counted position), else
    # "unknown" (possibly countable, never reached): those are counted as censored below
    frontier = max((s - MEASURED_BASE for s in counted if s >= MEASURED_BASE), default=-1)
    first_position: Dict[int, int] = {}
    for s in appended:
        t = producer.template_of[s]
        first_position[t] = min(first_position.get(t, s - MEASURED_BASE), s - MEASURED_BASE)
    unknown = {t for t, position in first_position.items() if t not in countable and position >= frontier / 2}
    known = sorted(s for s in appended if producer.template_of[s] in countable)
    eligible = sorted(s for s in appended if producer.template_of[s] in countable or producer.template_of[s] in unknown)

    def stats(seqs: List[int]):
        latencies = [counted[s] - appended[s] if s in counted else math.inf for s in seqs]
        censored = [end - appended[s] for s in seqs if s not in counted]
        # each uncounted article waited at least (end - append): the same percentile over these
        # per-article lower bounds is a lower bound of the true percentile
        bounds = [counted[s] - appended[s] if s in counted else end - appended[s] for s in seqs]

        def pct(q):
            if not latencies:
                return None, False
            value = percentile(latencies, q)
            if value == math.inf:  # censored: report the lower bound
                return round(percentile(bounds, q), 2), True
            return round(value, 2), False

        return latencies, censored, pct(50), pct(99)

    latencies, censored, (p50, p50_c), (p99, p99_c) = stats(eligible)
    _, known_censored, (k50, k50_c), (k99, k99_c) = stats(known)
    finite = [x for x in latencies if x != math.inf]
    times = sorted(appended.values())
    achieved = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    # processing rate: countable articles counted per second between 25 % and 100 % of the run
    first_counts = sorted(counted[s] for s in eligible if s in counted)
    proc_rate = None
    if len(first_counts) > 20:
        a = first_counts[len(first_counts) // 4]
        b = first_counts[-1]
        if b > a:
            proc_rate = (len(first_counts) - len(first_counts) // 4) / (b - a)
    fraction = len(known) / max(1, len([s for s in appended if producer.template_of[s] not in unknown]))
    # backlog at the end of the producing phase
    at_end = [p for p in series if p["appended"] >= len(appended)]
    return {
        "rate_target_per_s": args.rate,
        "seconds_target": args.seconds,
        "early_firing_seconds": args.early_firing_seconds,
        "articles_appended": len(appended),
        "achieved_rate_per_s": round(achieved, 2),
        "producer_max_seconds_behind_schedule": round(producer.max_behind, 3),
        "append_timestamp_types": sorted(producer.timestamp_types),  # 2 = LogAppendTime
        "aggregate_timestamp_types": sorted(consumer.timestamp_types),
        "templates": len(producer.templates),
        "countable_templates": len(countable),
        "unknown_templates": len(unknown),
        "countable_articles": len(eligible),
        "countable_fraction": round(fraction, 3),
        "counted_articles": len(finite),
        "not_counted_by_end": len(censored),
        # over countable + unknown-template articles (uncounted = censored): the conservative figure
        "latency_p50_s": p50,
        "p50_censored": p50_c,
        "latency_p99_s": p99,
        "p99_censored": p99_c,
        # over articles of templates known to be countable only (optimistic when unknown_templates > 0)
        "known_countable_articles": len(known),
        "latency_p50_s_known_countable": k50,
        "p50_known_censored": k50_c,
        "latency_p99_s_known_countable": k99,
        "p99_known_censored": k99_c,
        "latency_min_s": round(min(finite), 2) if finite else None,
        "latency_max_counted_s": round(max(finite), 2) if finite else None,
        "processing_rate_countable_per_s": round(proc_rate, 2) if proc_rate else None,
        "processing_rate_all_articles_per_s_est": round(proc_rate / fraction, 2) if proc_rate and fraction else None,
        "kept_up": (not censored) and bool(finite) and (p99 is not None and p99 < 3 * args.early_firing_seconds + 30),
        "not_counted_examples": [
            f"{ID_PREFIX}{s} ({producer.templates[producer.template_of[s]]['name']})"
            for s in eligible
            if s not in counted
        ][:10],
        "aggregate_panes_seen": len(panes),
        "backlog_series": series,
        "backlog_at_producer_end": at_end[0] if at_end else None,
        "run_seconds": round(end - phase_start, 1),
    }


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--job":
        return job_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runner", choices=["prism", "flink", "both"], default="both")
    parser.add_argument("--rate", type=float, default=20.0, help="articles appended per second (default: %(default)s)")
    parser.add_argument(
        "--seconds", type=float, default=120.0, help="length of the measured phase (default: %(default)s)"
    )
    parser.add_argument("--early_firing_seconds", type=int, default=5)
    parser.add_argument("--partitions", type=int, default=2, help="partitions of the input topic")
    parser.add_argument("--parallelism", type=int, default=2, help="Flink parallelism (and task slots)")
    parser.add_argument(
        "--worker_pool",
        action="store_true",
        help="Flink: SDK workers from a PROCESS-mode worker pool, one process per slot, instead of LOOPBACK",
    )
    parser.add_argument("--drain_seconds", type=float, default=240.0, help="max wait after the producer stops")
    parser.add_argument(
        "--quiet_seconds",
        type=float,
        default=150.0,
        help="stop draining after this long without a newly counted article",
    )
    parser.add_argument("--warmup_timeout", type=float, default=420.0)
    parser.add_argument("--sample_seconds", type=float, default=10.0, help="progress/backlog sampling period")
    parser.add_argument(
        "--data", type=pathlib.Path, default=DEFAULT_DATA, help="extraction pages to add to the templates ('' for none)"
    )
    parser.add_argument("--prism", default=str(ROOT / ".cache" / "bin" / "prism"))
    parser.add_argument("--workdir", default=None, help="temp directory parent")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (job log, pane files)")
    parser.add_argument("--results", type=pathlib.Path, default=RESULTS / "stream-latency.json")
    args = parser.parse_args(argv)
    # SIGTERM (and SIGINT, which a non-interactive shell's background job ignores) end the run
    # through the `finally` blocks that stop the broker, cluster and job
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, frame: sys.exit(128 + number))
    data = args.data if str(args.data) else None
    templates = load_templates(data)
    print(
        f"{len(templates)} article templates ({sum(t['kind'] == 'text' for t in templates)} text, "
        f"{sum(t['kind'] == 'html' for t in templates)} HTML)",
        flush=True,
    )
    runners = ["prism", "flink"] if args.runner == "both" else [args.runner]
    report: Dict[str, Any] = {
        "command": " ".join([sys.executable, "-m", "benchmarks.stream_latency", *argv]),
        "cpu_count": os.cpu_count(),
        "runners": {},
    }
    if args.results.exists():  # keep other runners' entries of an earlier run
        try:
            previous = json.loads(args.results.read_text())
            this = {entry_key(args, r) for r in runners}
            report["runners"].update({k: v for k, v in previous.get("runners", {}).items() if k not in this})
        except (ValueError, AttributeError):
            pass
    failures = 0
    for runner in runners:
        try:
            entry = run_one(args, runner, templates)
        except Exception as error:  # noqa: BLE001 — report and go on with the next runner
            failures += 1
            entry = {"runner": runner, "error": str(error)[-3000:], "load_after": loadavg()}
            print(f"  {runner} FAILED: {str(error)[-2000:]}", flush=True)
        entry["measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        entry["benchmark_command"] = report["command"]
        key = entry_key(args, runner)
        report["runners"][key] = entry
        if "latency_p50_s" in entry:
            print(
                f"  {runner}: {entry['articles_appended']} articles at {entry['achieved_rate_per_s']}/s; "
                f"{entry['counted_articles']}/{entry['countable_articles']} countable articles counted; "
                f"p50 {'>' if entry['p50_censored'] else ''}{entry['latency_p50_s']} s, "
                f"p99 {'>' if entry['p99_censored'] else ''}{entry['latency_p99_s']} s; "
                f"processing ≈ {entry['processing_rate_all_articles_per_s_est']} articles/s",
                flush=True,
            )
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults: {args.results}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

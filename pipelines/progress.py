"""Live progress of a long run on stderr, from Beam metrics.

    result = progress.run_pipeline(pipeline, options, progress.batch_line)

Where the counters come from depends on the runner:

- Prism, Flink, Dataflow and the streaming DirectRunner return from ``pipeline.run()``
  while the job runs: their ``result.metrics()`` is polled while the launcher waits.
- The batch DirectRunner (FnApiRunner) returns only when the job is done, and runs each
  fused stage as one bundle per worker, so finished bundles say nothing until a stage
  ends. Its worker processes do answer progress requests with the counters of the
  bundle in flight; while a run is watched, every bundle gets Beam's own
  ``ProgressRequester`` with a callback (Beam creates it without one), and finished
  bundles hand over their final counters. That needs workers that run beside the
  launcher (``--direct_running_mode multi_processing`` or ``multi_threading``): the
  default in-memory worker runs a bundle inside the call that starts it, so its counts
  move only when a stage ends.

Lines go to stderr every ``--progress_seconds`` (5 s for batch, a minute for streaming)
when stderr is a terminal, never with ``--quiet``.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, Optional, TextIO, Tuple

from apache_beam.metrics import monitoring_infos
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState

Counters = Dict[str, Dict[str, int]]
DescribeLine = Callable[[Counters, float, "RunClock"], str]

BATCH_SECONDS = 5.0
STREAM_SECONDS = 60.0


class ProgressOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
        parser.add_argument(
            "--progress_seconds",
            type=float,
            default=None,
            help=f"seconds between progress lines on stderr (default: {BATCH_SECONDS:g} for batch, "
            f"{STREAM_SECONDS:g} for streaming; only when stderr is a terminal)",
        )


# --- counters while the job runs -------------------------------------------------------


class LiveCounters:
    """User counters of finished bundles plus those of bundles in flight (thread-safe).

    Gauges (latest value wins) go in the same table, keyed the same way."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._finished: Dict[Tuple[str, str], int] = {}
        self._in_flight: Dict[str, Dict[Tuple[str, str], int]] = {}
        self._gauges: Dict[Tuple[str, str], Tuple[int, int]] = {}  # key → (timestamp, value)

    def _decode(self, infos) -> Dict[Tuple[str, str], int]:
        values: Dict[Tuple[str, str], int] = {}
        for info in infos:
            if not monitoring_infos.is_user_monitoring_info(info):
                continue
            key = monitoring_infos.parse_namespace_and_name(info)
            if monitoring_infos.is_counter(info):
                values[key] = values.get(key, 0) + int(monitoring_infos.extract_counter_value(info))
            elif monitoring_infos.is_gauge(info):
                stamp, value = monitoring_infos.extract_gauge_value(info)
                with_time = (int(stamp.micros if hasattr(stamp, "micros") else stamp), int(value))
                if with_time >= self._gauges.get(key, (-1, 0)):
                    self._gauges[key] = with_time
        return values

    def bundle_progress(self, instruction_id: str, infos) -> None:
        with self._lock:
            self._in_flight[instruction_id] = self._decode(infos)

    def bundle_finished(self, instruction_id: str, infos) -> None:
        with self._lock:
            self._in_flight.pop(instruction_id, None)
            for key, value in self._decode(infos).items():
                self._finished[key] = self._finished.get(key, 0) + value

    def snapshot(self) -> Counters:
        with self._lock:
            totals = dict(self._finished)
            for bundle in self._in_flight.values():
                for key, value in bundle.items():
                    totals[key] = totals.get(key, 0) + value
            for key, (_, value) in self._gauges.items():
                totals[key] = value
        return nest(totals)


def nest(flat: Dict[Tuple[str, str], int]) -> Counters:
    nested: Counters = {}
    for (namespace, name), value in flat.items():
        nested.setdefault(namespace, {})[name] = value
    return nested


def result_counters(result) -> Counters:
    """Counters (attempted: the job is still running) and gauges of a running job's result."""
    if hasattr(result, "_metrics"):
        result._metrics = None  # the portable runners' result caches the first query
    query = result.metrics().query()
    counters: Counters = {}
    for counter in query.get("counters", []):
        value = counter.attempted if counter.attempted is not None else counter.committed
        stage = counters.setdefault(counter.key.metric.namespace, {})
        stage[counter.key.metric.name] = stage.get(counter.key.metric.name, 0) + int(value or 0)
    for gauge in query.get("gauges", []):
        value = gauge.attempted if gauge.attempted is not None else gauge.committed
        if value is not None and getattr(value, "value", None) is not None:
            counters.setdefault(gauge.key.metric.namespace, {})[gauge.key.metric.name] = int(value.value)
    return counters


@contextmanager
def tap_fn_api_runner(live: LiveCounters, seconds: float) -> Iterator[None]:
    """While open, every FnApiRunner bundle reports its in-flight counters every
    ``seconds`` and its final counters when it ends, into ``live``."""
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    original_requester = fn_runner.ProgressRequester
    original_process_bundle = fn_runner.BundleManager.process_bundle

    class ReportingRequester(original_requester):  # type: ignore[misc, valid-type]
        def __init__(self, worker_handler, instruction_id, frequency, callback=None):
            def report(progress, _id=instruction_id):
                live.bundle_progress(_id, progress.monitoring_infos)
                if callback is not None:
                    callback(progress)

            super().__init__(worker_handler, instruction_id, frequency or seconds, report)

    def process_bundle(self, *args, **kwargs):
        result, splits = original_process_bundle(self, *args, **kwargs)
        live.bundle_finished(result.instruction_id, result.process_bundle.monitoring_infos)
        return result, splits

    fn_runner.ProgressRequester = ReportingRequester  # type: ignore[misc]
    fn_runner.BundleManager.process_bundle = process_bundle  # type: ignore[method-assign]
    try:
        yield
    finally:
        fn_runner.ProgressRequester = original_requester  # type: ignore[misc]
        fn_runner.BundleManager.process_bundle = original_process_bundle  # type: ignore[method-assign]


# --- the lines -------------------------------------------------------------------------


class RunClock:
    """Elapsed time, and when a counter first moved (a stage's rate counts from then)."""

    def __init__(self, total_inputs: Optional[Callable[[], Optional[int]]] = None):
        self.started = time.monotonic()
        self._count_inputs = total_inputs
        self._total: Optional[int] = None
        self._first_seen: Dict[str, float] = {}

    @property
    def total_inputs(self) -> Optional[int]:
        """The input size, counted once, on the progress thread (listing a large bucket
        must not delay the job's start)."""
        if self._count_inputs is not None:
            count, self._count_inputs = self._count_inputs, None
            try:
                self._total = count()
            except Exception:  # an input that cannot be listed just has no ETA
                self._total = None
        return self._total

    def first_seen(self, name: str, value: int, now: float) -> Optional[float]:
        if value > 0 and name not in self._first_seen:
            self._first_seen[name] = now
        return self._first_seen.get(name)


def clock_text(seconds: float) -> str:
    """m:ss, h:mm:ss, or days and hours beyond two days (an old backlog's event-time lag)."""
    seconds = max(int(seconds), 0)
    if seconds >= 2 * 86400:
        return f"{seconds // 86400:,}d {seconds % 86400 // 3600}h"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _get(counters: Counters, stage: str, name: str) -> int:
    return counters.get(stage, {}).get(name, 0)


def batch_line(counters: Counters, elapsed: float, clock: RunClock) -> str:
    """documents read, articles cleaned, tagged, events so far, rate, elapsed, ETA."""
    files, documents = _get(counters, "read", "files"), _get(counters, "read", "documents")
    cleaned, tagged = _get(counters, "cleanup", "articles"), _get(counters, "entities", "articles")
    reports, events = _get(counters, "events", "reports"), _get(counters, "events", "events")
    duplicates = _get(counters, "dedup", "duplicates")
    total = clock.total_inputs
    parts = [f"{clock_text(elapsed)} elapsed"]
    parts.append(f"{files:,}/{total:,} files" if total else f"{files:,} files")
    parts += [f"{documents:,} documents read", f"{cleaned:,} articles cleaned", f"{tagged:,} tagged"]
    parts.append(f"{events:,} events" if events else f"{reports:,} event reports")
    # articles in a language without a model pass the tagger untouched: done all the same
    skipped = sum(v for k, v in counters.get("entities", {}).items() if k.startswith("no_model_"))
    eta = batch_eta(files, total, cleaned - duplicates, tagged + skipped, elapsed, clock)
    tagging_since = clock.first_seen("tagged", tagged, clock.started + elapsed)
    if tagging_since is not None and clock.started + elapsed > tagging_since:
        # the rate of the stage at work: reading's is over once the tagger runs
        parts.append(f"{tagged / (clock.started + elapsed - tagging_since):.1f} tagged/s")
    elif elapsed > 0:
        parts.append(f"{documents / elapsed:.1f} documents/s")
    if eta is not None:
        parts.append(f"ETA {eta}")
    return "progress: " + " · ".join(parts)


def batch_eta(
    files: int, total: Optional[int], to_tag: int, tagged: int, elapsed: float, clock: RunClock
) -> Optional[str]:
    """While files are read: the reading's ETA; once the tagger has started: the
    tagger's (the slowest stage, at its own rate so far). None when unknown."""
    now = clock.started + elapsed
    tagging_since = clock.first_seen("tagged", tagged, now)
    if tagging_since is not None and 0 < tagged < to_tag and now > tagging_since:
        rate = tagged / (now - tagging_since)
        return f"{clock_text((to_tag - tagged) / rate)} (tagging)"
    if total and 0 < files < total and elapsed > 0:
        return f"{clock_text(elapsed * (total - files) / files)} (reading)"
    return None


def stream_line(counters: Counters, elapsed: float, clock: RunClock) -> str:
    """fetched, processed, late, event-time lag, per minute."""
    fetched = _get(counters, "read", "documents") + _get(counters, "read", "kafka_records")
    processed = _get(counters, "stream", "unique_articles")
    tagged = _get(counters, "entities", "articles")
    late = _get(counters, "stream", "too_late")
    duplicates = _get(counters, "dedup", "duplicates")
    rejected = _get(counters, "read", "rejected") + _get(counters, "cleanup", "rejected")
    parts = [
        f"{clock_text(elapsed)} elapsed",
        f"{fetched:,} fetched",
        f"{processed:,} processed",
        f"{tagged:,} tagged",
        f"{duplicates:,} duplicates",
        f"{rejected:,} rejected",
        f"{late:,} too late",
    ]
    if elapsed > 0:
        parts.append(f"{processed / elapsed * 60:.1f} articles/min")
    newest_ms = _get(counters, "stream", "newest_event_time_ms")
    if newest_ms:
        parts.append(f"event-time lag {clock_text(time.time() - newest_ms / 1000)}")
    return "progress: " + " · ".join(parts)


def count_input_files(patterns) -> Callable[[], Optional[int]]:
    """The batch job's input size: files its patterns match, each once."""

    def count() -> Optional[int]:
        from transforms.io.sources import match_files

        return len({m.path for pattern in patterns or [] for m in match_files(pattern)}) or None

    return count


# --- the loop --------------------------------------------------------------------------


class ProgressPrinter:
    """A daemon thread printing ``describe(counters)`` every ``seconds``."""

    def __init__(
        self,
        describe: DescribeLine,
        counters: Callable[[], Counters],
        seconds: float,
        stream: TextIO,
        clock: RunClock,
    ):
        self._describe, self._counters, self._seconds = describe, counters, seconds
        self._stream, self._clock = stream, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)
        self.lines = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._seconds + 5)

    def print_line(self) -> None:
        try:
            counters = self._counters()
        except Exception as error:  # a metrics query that fails must not stop the job
            counters = {}
            self._stream.write(f"progress: metrics unavailable ({error})\n")
        self._stream.write(self._describe(counters, time.monotonic() - self._clock.started, self._clock) + "\n")
        self._stream.flush()
        self.lines += 1

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds):
            self.print_line()


def wanted(options: PipelineOptions, stream: TextIO) -> bool:
    """Progress lines only for a person watching: not with --quiet, not into a file or pipe."""
    if options.view_as(ProgressOptions).quiet:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def run_pipeline(
    pipeline,
    options: PipelineOptions,
    describe: DescribeLine,
    total_inputs: Optional[Callable[[], Optional[int]]] = None,
    stream: Optional[TextIO] = None,
    force: bool = False,
    every: float = BATCH_SECONDS,
    on_run: Optional[Callable[[], None]] = None,
):
    """``pipeline.run()`` and wait, printing progress lines meanwhile; returns the result.

    ``on_run`` is called once the job is submitted (a watch that needs the running job);

    ``total_inputs`` counts the input files (for an ETA); ``every`` is the default
    interval; ``force`` prints even when ``stream`` is no terminal (tests, benchmarks)."""
    stream = stream or sys.stderr
    if not (force or wanted(options, stream)):
        result = pipeline.run()
        if on_run is not None:
            on_run()
        result.wait_until_finish()
        return result
    seconds = max(options.view_as(ProgressOptions).progress_seconds or every, 0.2)
    clock = RunClock(total_inputs)
    live = LiveCounters()
    current: Dict[str, Any] = {}

    def counters() -> Counters:
        result = current.get("result")
        if result is not None and not PipelineState.is_terminal(result.state):
            return result_counters(result)
        return live.snapshot()

    printer = ProgressPrinter(describe, counters, seconds, stream, clock)
    printer.start()
    try:
        with tap_fn_api_runner(live, seconds):
            result = pipeline.run()
        current["result"] = result
        if on_run is not None:
            on_run()
        result.wait_until_finish()
    finally:
        printer.stop()
    return result

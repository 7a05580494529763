"""pipelines.progress: the lines, the live counters, and a watched run on two workers."""

import io
import re
import time

import apache_beam as beam
from apache_beam.metrics import Metrics, monitoring_infos
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines import progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_batch_line_with_reading_eta():
    clock = progress.RunClock(lambda: 100)
    counters = {"read": {"files": 25, "documents": 40}, "cleanup": {"articles": 38}}
    line = progress.batch_line(counters, 10.0, clock)
    assert line == (
        "progress: 0:10 elapsed · 25/100 files · 40 documents read · 38 articles cleaned · 0 tagged · "
        "0 event reports · 4.0 documents/s · ETA 0:30 (reading)"
    )


def test_batch_eta_follows_the_tagger_once_it_runs():
    clock = progress.RunClock(lambda: 10)
    counters = {"read": {"files": 10}, "cleanup": {"articles": 110}, "dedup": {"duplicates": 10}}
    counters["entities"] = {"articles": 20}
    clock.first_seen("tagged", 20, clock.started + 60.0)  # the tagger started at 1:00
    line = progress.batch_line(counters, 100.0, clock)  # 20 tagged in 40 s: 80 to go at 0.5/s
    assert line.endswith("· 0.5 tagged/s · ETA 2:40 (tagging)")
    counters["entities"]["no_model_it"] = 60  # passed through untagged: 80 done in 40 s, 20 left
    assert "ETA 0:10 (tagging)" in progress.batch_line(counters, 100.0, clock)
    counters["events"] = {"reports": 9, "events": 4}
    assert "· 4 events ·" in progress.batch_line(counters, 100.0, clock)


def test_no_eta_without_an_input_size():
    line = progress.batch_line({"read": {"files": 3, "documents": 3}}, 2.0, progress.RunClock())
    assert "3 files ·" in line and "ETA" not in line


def test_an_input_that_cannot_be_listed_has_no_eta():
    def fails():
        raise OSError("bucket gone")

    assert progress.RunClock(fails).total_inputs is None


def test_stream_line_per_minute_and_event_time_lag():
    newest = int((time.time() - 125) * 1000)
    counters = {
        "read": {"documents": 12, "rejected": 1},
        "stream": {"unique_articles": 10, "too_late": 2, "newest_event_time_ms": newest},
        "dedup": {"duplicates": 1},
        "entities": {"articles": 9},
    }
    line = progress.stream_line(counters, 120.0, progress.RunClock())
    assert line.startswith(
        "progress: 2:00 elapsed · 12 fetched · 10 processed · 9 tagged · 1 duplicates · 1 rejected · 2 too late · 5.0 articles/min"
    )
    assert re.search(r"event-time lag 2:0[56]$", line)


def test_clock_text():
    assert [progress.clock_text(s) for s in (5, 65, 3725, 3 * 86400 + 7200)] == ["0:05", "1:05", "1:02:05", "3d 2h"]


def test_live_counters_add_finished_and_in_flight_bundles():
    live = progress.LiveCounters()

    def infos(**values):
        return [
            monitoring_infos.int64_user_counter("read", name, value, ptransform="Read")
            for name, value in values.items()
        ]

    live.bundle_finished("bundle_1", infos(documents=10, files=2))
    live.bundle_progress("bundle_2", infos(documents=3))
    live.bundle_progress("bundle_3", infos(documents=4))
    assert live.snapshot() == {"read": {"documents": 17, "files": 2}}
    live.bundle_progress("bundle_2", infos(documents=5))
    live.bundle_finished("bundle_2", infos(documents=6))
    assert live.snapshot() == {"read": {"documents": 20, "files": 2}}


def test_progress_only_for_a_terminal_and_never_with_quiet():
    assert progress.wanted(PipelineOptions([]), _Terminal())
    assert not progress.wanted(PipelineOptions(["--quiet"]), _Terminal())
    assert not progress.wanted(PipelineOptions([]), io.StringIO())


def _slow_document(n):
    Metrics.counter("read", "documents").inc()
    time.sleep(0.04)
    return n


def test_a_watched_run_on_two_worker_processes_reports_counts_while_it_runs():
    options = PipelineOptions(
        ["--direct_num_workers", "2", "--direct_running_mode", "multi_processing", "--progress_seconds", "0.5"]
    )
    pipeline = beam.Pipeline(options=options)
    _ = (
        pipeline
        | beam.Create(list(range(120)))
        | beam.Reshuffle()
        | beam.Map(_slow_document)
        | beam.combiners.Count.Globally()
    )
    lines = _Terminal()
    result = progress.run_pipeline(pipeline, options, progress.batch_line, stream=lines)
    counts = [int(m) for m in re.findall(r"· (\d+) documents read", lines.getvalue())]
    assert len(counts) >= 3, lines.getvalue()
    # counts seen mid-run, from the bundles in flight, growing
    assert any(0 < n < 120 for n in counts), counts
    assert counts == sorted(counts)
    final = result.metrics().query()["counters"]
    assert sum(c.committed for c in final if c.key.metric.name == "documents") == 120


def test_a_quiet_run_prints_nothing():
    options = PipelineOptions(["--quiet"])
    pipeline = beam.Pipeline(options=options)
    _ = pipeline | beam.Create([1, 2]) | beam.Map(_slow_document)
    lines = _Terminal()
    progress.run_pipeline(pipeline, options, progress.batch_line, stream=lines)
    assert lines.getvalue() == ""

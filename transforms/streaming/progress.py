"""Progress of a streaming job in its log: what each stage processed, per minute."""

from __future__ import annotations

import logging
import time
from typing import List, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms import window as windows
from apache_beam.utils.timestamp import Timestamp

from transforms.streaming.event_time import iso_utc
from transforms.streaming.windows import stream_windowing

log = logging.getLogger("newsfeed.stream")


class _LogProgress(beam.DoFn):
    """A log line every ``every`` elements or ``seconds`` seconds (per worker)."""

    def __init__(self, what: str, every: int, seconds: float):
        self._what, self._every, self._seconds = what, every, seconds

    def setup(self):
        self._count, self._last_count, self._last = 0, 0, time.monotonic()
        self._started = self._last
        # newest event time seen, for the launcher's progress line (pipelines/progress.py)
        self._newest_gauge, self._newest = Metrics.gauge("stream", "newest_event_time_ms"), Timestamp(0)

    def process(self, element, ts=beam.DoFn.TimestampParam):
        self._count += 1
        if ts > self._newest:
            self._newest = ts
            self._newest_gauge.set(ts.micros // 1000)
        now = time.monotonic()
        if self._count - self._last_count >= self._every or now - self._last >= self._seconds:
            rate = (self._count - self._last_count) / max(now - self._last, 1e-6)
            log.info(
                "progress: %d %s (%.1f/s), latest event time %s",
                self._count,
                self._what,
                rate,
                iso_utc(ts) if ts > Timestamp(0) else "-",
            )
            self._last_count, self._last = self._count, now
        yield element


class LogProgress(beam.PTransform):
    def __init__(self, what: str, every: int = 100, seconds: float = 60.0):
        super().__init__()
        self._args = (what, every, seconds)

    def expand(self, pcoll):
        return pcoll | "Log" >> beam.ParDo(_LogProgress(*self._args)).with_output_types(pcoll.element_type)


class LogOfProcessing(beam.PTransform):
    """Append-only records (duplicates, rejected, too late) → PCollection[list] per
    window × pane of processing time. They say what the job did, so they are
    re-stamped with the time they were produced: a duplicate of a week-old story
    must not vanish as "too late"."""

    def __init__(self, window_minutes: int, early_seconds: int, element_type):
        super().__init__()
        self._window_minutes, self._early_seconds, self._type = window_minutes, early_seconds, element_type

    def expand(self, records):
        def now_stamped(record, ts=beam.DoFn.TimestampParam):
            return windows.TimestampedValue(record, max(ts, Timestamp.now()))

        return (
            records
            | "ProcessingTime" >> beam.Map(now_stamped).with_output_types(self._type)
            | "Windows" >> stream_windowing(self._window_minutes, 0, self._early_seconds, accumulate=False)
            | "OneKey" >> beam.Map(lambda r: ("", r)).with_output_types(Tuple[str, self._type])
            | "Group" >> beam.GroupByKey()
            | "List" >> beam.MapTuple(lambda _, rs: list(rs)).with_output_types(List[self._type])
        )

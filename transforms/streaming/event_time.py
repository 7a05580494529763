"""Event time in the streaming job: an article's timestamp is its publication time, else
the time it was ingested (``StampPublicationTime``); ``FlagTooLate`` reports articles
that arrive after their window was closed (watermark past window end + allowed
lateness), which the windowed count drops.
"""

from __future__ import annotations

from typing import Optional, Tuple

import apache_beam as beam
from apache_beam.coders import BooleanCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms import window as windows
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Duration, Timestamp

from transforms.dates import to_timestamp
from transforms.records import CleanedArticle, Rejected, rejected
from transforms.streaming.records import STAGE


def event_time(published: Optional[str], ingested: Timestamp) -> Tuple[Timestamp, str]:
    """(event time, how it was chosen): the publication time, else the ingestion time.

    A publication time after the ingestion time is a feed's clock or time-zone
    error; it would put the article in a window that has not started, so the
    ingestion time is used instead.
    """
    when = to_timestamp(published)
    if when is None:
        return ingested, "ingestion"
    if when > ingested:
        return ingested, "future_published"
    return when, "published"


def iso_utc(ts: Timestamp) -> str:
    """``2020-09-14T09:30:00Z``."""
    return ts.to_utc_datetime(has_tz=True).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_start_micros(ts: Timestamp, size_seconds: int) -> int:
    """Start of the fixed window (aligned on the epoch) holding ``ts``, in microseconds."""
    size = size_seconds * 1_000_000
    return (ts.micros // size) * size


class _StampPublicationTime(beam.DoFn):
    def __init__(self):
        self._counters = {
            name: Metrics.counter(STAGE, f"time_{name}") for name in ("published", "ingestion", "future_published")
        }

    def process(self, article: CleanedArticle, ts=beam.DoFn.TimestampParam):
        # a source without timestamps (beam.Create) gives MIN_TIMESTAMP: then "ingested" is now
        ingested = ts if ts > Timestamp(0) else Timestamp.now()
        when, how = event_time(article.published, ingested)
        self._counters[how].inc()
        yield windows.TimestampedValue(article, when)


class StampPublicationTime(beam.PTransform):
    """CleanedArticle → the same, timestamped with its publication time (else ingestion time)."""

    def expand(self, articles):
        return articles | "Stamp" >> beam.ParDo(_StampPublicationTime()).with_output_types(CleanedArticle)


class _WindowGate(beam.DoFn):
    """Keyed by window start: once the watermark passes window end + allowed lateness
    (an event-time timer), later articles of that window are reported as too late.
    The first article of a window that was never seen arrives with no timer set and
    cannot be judged (no DoFn sees the watermark): such articles pass unflagged.

    The closed flag is kept for good (one boolean per window ever seen, ~35,000 a
    year of 15-minute windows): an event-time "forget" timer would be set in the
    past whenever the watermark is far ahead (a replay of old news), fire at once and
    reopen the window."""

    CLOSED = ReadModifyWriteStateSpec("closed", BooleanCoder())
    CLOSE = TimerSpec("close", TimeDomain.WATERMARK)

    def __init__(self, window_seconds: int, allowed_lateness_seconds: int):
        self._window, self._lateness = window_seconds, allowed_lateness_seconds
        self._too_late = Metrics.counter(STAGE, "too_late")

    def process(
        self, keyed, closed=beam.DoFn.StateParam(CLOSED), close=beam.DoFn.TimerParam(CLOSE), ts=beam.DoFn.TimestampParam
    ):
        start_micros, (origin, article_id) = keyed
        start = Timestamp(micros=start_micros)
        end = start + Duration(seconds=self._window)
        if closed.read():
            self._too_late.inc()
            yield rejected(
                origin,
                "window",
                f"too late: published {iso_utc(ts)}, window {iso_utc(start)}–{iso_utc(end)} "
                f"closed {self._lateness / 3600:g} h after its end",
                article_id,
            )
            return
        close.set(end + Duration(seconds=self._lateness))

    @on_timer(CLOSE)
    def on_close(self, closed=beam.DoFn.StateParam(CLOSED)):
        closed.write(True)


class FlagTooLate(beam.PTransform):
    """Timestamped CleanedArticle → PCollection[Rejected] (stage "window") for articles
    whose window had closed when they arrived; counter ``stream/too_late``. A side
    branch: the windowed counts drop these articles' reports themselves."""

    def __init__(self, window_minutes: int, allowed_lateness_hours: float):
        super().__init__()
        self._args = (window_minutes * 60, int(allowed_lateness_hours * 3600))

    def expand(self, articles):
        window_seconds = self._args[0]

        def key(article: CleanedArticle, ts=beam.DoFn.TimestampParam):
            return window_start_micros(ts, window_seconds), (article.origin, article.id)

        return (
            articles
            | "KeyByWindow" >> beam.Map(key).with_output_types(Tuple[int, Tuple[str, str]])
            | "Gate" >> beam.ParDo(_WindowGate(*self._args)).with_output_types(Rejected)
        )

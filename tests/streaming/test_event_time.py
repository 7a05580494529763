"""Tests of transforms.streaming and pipelines.stream: pure functions first, then one
TestStream run (on-time, early, late and too-late articles, a duplicate) and the
directory feed's ledger across a restart.
"""

from __future__ import annotations

from apache_beam.utils.timestamp import Timestamp

from transforms.streaming.event_time import event_time


def ts(iso: str) -> Timestamp:
    return Timestamp.from_rfc3339(iso)


def test_event_time_is_publication_else_ingestion():
    ingested = ts("2020-09-14T12:00:00Z")
    assert event_time("2020-09-14T09:30:00+00:00", ingested) == (ts("2020-09-14T09:30:00Z"), "published")
    assert event_time("2020-09-14T11:30:00+02:00", ingested) == (ts("2020-09-14T09:30:00Z"), "published")
    assert event_time("2020-09-13", ingested) == (ts("2020-09-13T00:00:00Z"), "published")
    assert event_time(None, ingested) == (ingested, "ingestion")
    assert event_time("not a date", ingested) == (ingested, "ingestion")
    # a clock error must not put an article in a window that has not started
    assert event_time("2020-09-15T09:30:00Z", ingested) == (ingested, "future_published")

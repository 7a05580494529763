"""Tests of transforms.streaming and pipelines.stream: pure functions first, then one
TestStream run (on-time, early, late and too-late articles, a duplicate) and the
directory feed's ledger across a restart.
"""

from __future__ import annotations

from apache_beam.utils.timestamp import Timestamp
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from transforms.streaming.panes import pane_file_path


def ts(iso: str) -> Timestamp:
    return Timestamp.from_rfc3339(iso)


def test_pane_files_are_named_by_window_and_pane_only():
    from apache_beam.transforms.window import IntervalWindow

    window = IntervalWindow(ts("2020-09-14T09:30:00Z"), ts("2020-09-14T09:45:00Z"))
    pane = PaneInfo(False, False, PaneInfoTiming.ON_TIME, 1, 0)
    assert pane_file_path("out", "aggregates", window, pane, "jsonl") == (
        "out/aggregates/20200914T093000Z--20200914T094500Z/pane-00001-ON_TIME.jsonl"
    )

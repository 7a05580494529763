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


def test_pane_files_can_be_parquet(tmp_path):
    import pyarrow.parquet as pq
    from apache_beam.transforms.window import IntervalWindow

    from transforms.records import Rejected
    from transforms.streaming.panes import _WritePaneFile

    window = IntervalWindow(ts("2020-09-14T09:30:00Z"), ts("2020-09-14T09:45:00Z"))
    pane = PaneInfo(True, True, PaneInfoTiming.ON_TIME, 0, 0)
    writer = _WritePaneFile(str(tmp_path), "rejected", "rejected", "parquet", lambda r: r.origin)
    records = [Rejected("b.html", "read", "empty file", ""), Rejected("a.html", "read", "empty file", "")]
    (path,) = list(writer.process(records, window=window, pane=pane))
    assert path.endswith("20200914T093000Z--20200914T094500Z/pane-00000-ON_TIME.parquet")
    assert [r["origin"] for r in pq.read_table(path).to_pylist()] == ["a.html", "b.html"]


def test_an_empty_pane_never_replaces_a_windows_snapshot(tmp_path):
    import json

    from apache_beam.transforms.window import IntervalWindow

    from transforms.records import Rejected
    from transforms.streaming.panes import _WritePaneFile, latest_file_path

    window = IntervalWindow(ts("2020-09-14T09:30:00Z"), ts("2020-09-14T09:45:00Z"))
    writer = _WritePaneFile(str(tmp_path), "rejected", "rejected", "jsonl", lambda r: r.origin, latest=True)
    latest = latest_file_path(str(tmp_path), "rejected", window, "jsonl")

    def origins() -> list:
        with open(latest, encoding="utf-8") as handle:
            return [json.loads(line)["origin"] for line in handle if line.strip()]

    # a window's first pane is empty: its snapshot is written, empty
    list(writer.process([], window=window, pane=PaneInfo(True, False, PaneInfoTiming.EARLY, 0, 0)))
    assert origins() == []
    full = [Rejected("a.html", "read", "empty file", "")]
    list(writer.process(full, window=window, pane=PaneInfo(False, False, PaneInfoTiming.ON_TIME, 1, 0)))
    assert origins() == ["a.html"]
    # an extra empty ON_TIME pane after a restore: its pane file is written, the snapshot stays
    (path,) = list(writer.process([], window=window, pane=PaneInfo(True, True, PaneInfoTiming.ON_TIME, 0, 0)))
    assert path.endswith("pane-00000-ON_TIME.jsonl") and origins() == ["a.html"]
    # a later, larger pane replaces it
    more = full + [Rejected("b.html", "read", "empty file", "")]
    list(writer.process(more, window=window, pane=PaneInfo(False, True, PaneInfoTiming.LATE, 2, 1)))
    assert origins() == ["a.html", "b.html"]

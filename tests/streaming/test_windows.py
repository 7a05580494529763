"""Tests of transforms.streaming and pipelines.stream: pure functions first, then one
TestStream run (on-time, early, late and too-late articles, a duplicate) and the
directory feed's ledger across a restart.
"""

from __future__ import annotations

from apache_beam.utils.timestamp import Timestamp
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from tests.support.reports import report
from transforms.streaming.clusters import cluster_event
from transforms.streaming.records import StreamCluster
from transforms.streaming.windows import CountSightings, pane_aggregates, sightings


def ts(iso: str) -> Timestamp:
    return Timestamp.from_rfc3339(iso)


def test_counts_are_distinct_over_re_emitted_events():
    a, b = report("a", "2020-09-15", source="s1"), report("b", "2020-09-15", source="s2")
    grown = StreamCluster("e1", [a])
    first = sightings(cluster_event(grown), "a")
    second = sightings(cluster_event(StreamCluster("e1", [a, b])), "b")
    assert sorted(s.level for s in first) == ["admin1", "city", "country"]
    combine = CountSightings()
    accumulator = combine.create_accumulator()
    for sighting in first + second + first:  # the first update seen twice (accumulating panes)
        accumulator = combine.add_input(accumulator, sighting)
    cells = {cell[0]: (events, articles) for cell, events, articles in combine.extract_output(accumulator)}
    assert cells == {"admin1": (1, 2), "city": (1, 2), "country": (1, 2)}
    pane = PaneInfo(False, False, PaneInfoTiming.LATE, 2, 1)
    rows = pane_aggregates(
        combine.extract_output(accumulator), ts("2020-09-15T00:00:00Z"), ts("2020-09-15T00:15:00Z"), pane
    )
    assert {(r.window_start, r.window_end, r.pane_index, r.timing, r.is_last) for r in rows} == {
        ("2020-09-15T00:00:00Z", "2020-09-15T00:15:00Z", 2, "LATE", False)
    }

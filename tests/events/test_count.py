"""Tests of transforms.events: what counts as an event, clustering (over- and
under-merging), counting, and the seed's events end to end.
"""

from __future__ import annotations

from transforms.events.count import (
    AGGREGATE_CSV_HEADER,
    aggregates_csv,
    window_of,
)


def test_windows():
    assert window_of("2020-09-15", 1) == ("2020-09-15", "2020-09-16")
    assert window_of("2020-09-15", 7) == ("2020-09-10", "2020-09-17")  # windows start on 1970-01-01 (a Thursday)


def test_aggregates_csv_is_sorted_with_a_header():
    from transforms.events.records import Aggregate

    rows = [
        Aggregate("2020-09-15", "2020-09-16", "country", "IQ", "IQ", "REM_EXPLOS", "Explosions/Remote violence", 2, 3),
        Aggregate(
            "2020-09-03", "2020-09-04", "city", "Baghdad", "IQ", "ART_MISS_ATTACK", "Explosions/Remote violence", 1, 1
        ),
    ]
    lines = aggregates_csv(rows).splitlines()
    assert lines[0] == AGGREGATE_CSV_HEADER
    assert lines[1].startswith("2020-09-03,") and lines[2].startswith("2020-09-15,")


def test_seed_outputs_events_aggregates_and_csv(seed_output):
    assert seed_output["events"] and seed_output["aggregates"]
    assert seed_output["aggregates.csv"][0] == AGGREGATE_CSV_HEADER
    assert len(seed_output["aggregates.csv"]) == len(seed_output["aggregates"]) + 1

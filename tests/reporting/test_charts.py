"""reporting.charts: specs carry their data and basemap inline; labels do not pile up."""

import json

from reporting import charts, tables
from tests.support.run_outputs import event


def _events():
    return [
        event("e1", articles=("a1", "a2")),
        event("e2", family="Strategic developments", type_="ARREST"),
        event("e3", day="2018-11-24", place="Iraq", lat=33.0, lon=44.0),
        event("e4", place="Najaf", lat=32.02594, lon=44.34625),
    ]


def _datasets(spec):
    """Every data block of a spec, with the top-level named datasets resolved."""
    named = spec.get("datasets", {})
    found = []

    def walk(node):
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict):
                values = named.get(data.get("name"), data.get("values"))
                found.append(dict(data, values=values) if isinstance(values, dict) else values)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def test_map_spec_inlines_basemap_points_and_fits_the_events():
    events = _events()
    points = tables.map_points(events)
    spec = charts.map_spec(points, sorted({e["event_type"] for e in events}))
    text = json.dumps(spec)
    assert '"url"' not in text  # no data loaded from anywhere
    topology = next(d for d in _datasets(spec) if isinstance(d, dict) and d.get("format", {}).get("type") == "topojson")
    assert topology["format"]["feature"] == "countries"
    assert len(topology["values"]["objects"]["countries"]["geometries"]) == 177
    assert spec["projection"]["type"] == "equalEarth"
    corners = spec["projection"]["fit"]["geometry"]["coordinates"]
    assert corners[0] == [points.extent[0], points.extent[1]]
    rows = [row for data in _datasets(spec) if isinstance(data, list) for row in data]
    assert {"label": "Baghdad (2)", "lat": 33.34058, "lon": 44.40088} in rows


def test_timeline_spec_opens_on_the_focus_window_with_inline_rows():
    events = _events()
    timeline = tables.timeline(events)
    spec = charts.timeline_spec(timeline, sorted({e["event_type"] for e in events}))
    assert '"url"' not in json.dumps(spec)
    focus = next(p for p in spec["params"] if p["name"] == "focus")
    start, end = focus["value"]["x"]
    assert (start["year"], start["month"], start["date"]) == (2020, 9, 14)
    # the 2018 event makes the span long: 31 days from the busiest day, to the day after the last shown
    assert (end["year"], end["month"], end["date"]) == (2020, 10, 15)
    titles = [chart["title"] for chart in spec["vconcat"][:2]]
    assert titles == ["Events per day and family", "Events per day and country"]
    assert spec["vconcat"][1]["encoding"]["y"]["sort"] == ["Iraq"]


def test_place_labels_skip_places_next_to_a_busier_label():
    points = [
        {"place": "Baghdad", "lat": 33.34, "lon": 44.40, "events": 9},
        {"place": "Taji", "lat": 33.52, "lon": 44.27, "events": 2},
        {"place": "Basra", "lat": 30.5, "lon": 47.8, "events": 1},
        {"place": "Kabul", "lat": 34.5, "lon": 69.2, "events": 1},
    ]
    labels = charts.place_labels(points, (30.0, 25.0, 75.0, 45.0), n=3)
    assert [label["label"] for label in labels] == ["Baghdad (9)", "Basra (1)", "Kabul (1)"]

"""Vega-Lite specs (built with Altair) for the report's map and timelines.

Every spec carries its data inline, the world basemap included, so the page needs no
network; ``page`` renders them with the inlined Vega libraries.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Sequence

import altair as alt

from reporting.tables import OTHER_COUNTRIES, MapPoints, Timeline

WORLD_TOPOJSON = Path(__file__).parent / "data" / "countries-110m.json"
WIDTH = 900
SEA = "#dbe7ef"
PLACE_LABELS = 12  # the busiest places get their name on the map


@lru_cache(maxsize=1)
def world_topology() -> Dict[str, Any]:
    """Natural Earth 1:110m countries (npm world-atlas 2.0.2, see data/README.md)."""
    return json.loads(WORLD_TOPOJSON.read_text(encoding="utf-8"))


def family_color(families: Sequence[str], title: str = "event family") -> alt.Color:
    """The same colour for a family on the map and the timeline."""
    return alt.Color(
        "family:N",
        title=title,
        # strong colours while they last (ACLED has six families, our typing ten)
        scale=alt.Scale(domain=sorted(families), scheme="tableau10" if len(families) <= 10 else "category20"),
        legend=alt.Legend(orient="bottom", columns=4, symbolLimit=40, labelLimit=260),
    )


def map_spec(points: MapPoints, families: Sequence[str]) -> Dict[str, Any]:
    """Circles per place × family (size: articles) on the country outlines, zoomed to
    the events' extent."""
    lon_min, lat_min, lon_max, lat_max = points.extent
    fit = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "MultiPoint",
            "coordinates": [[lon_min, lat_min], [lon_max, lat_max], [lon_min, lat_max], [lon_max, lat_min]],
        },
    }
    countries = (
        alt.Chart(alt.InlineData(values=world_topology(), format=alt.DataFormat(type="topojson", feature="countries")))
        .mark_geoshape(fill="#eceae4", stroke="#a39e93", strokeWidth=0.6, clip=True)
        .encode(tooltip=alt.Tooltip("properties.name:N", title="country"))
    )
    circles = (
        alt.Chart(alt.Data(values=points.points))
        .mark_circle(opacity=0.8, stroke="white", strokeWidth=0.7, clip=True)
        .encode(
            longitude="x:Q",
            latitude="y:Q",
            size=alt.Size("articles:Q", title="articles", scale=alt.Scale(range=[60, 1200]), legend=None),
            color=family_color(families),
            tooltip=[
                alt.Tooltip("place:N"),
                alt.Tooltip("country:N"),
                alt.Tooltip("family:N", title="event family"),
                alt.Tooltip("types:N", title="types"),
                alt.Tooltip("events:Q"),
                alt.Tooltip("articles:Q"),
                alt.Tooltip("first:N", title="first day"),
                alt.Tooltip("last:N", title="last day"),
                alt.Tooltip("lat:Q", format=".4f"),
                alt.Tooltip("lon:Q", format=".4f"),
            ],
        )
    )
    labels = (
        alt.Chart(alt.Data(values=place_labels(points.points, points.extent)))
        .mark_text(align="left", dx=9, dy=-7, fontSize=12, fontWeight="bold", color="#222", clip=True)
        .encode(longitude="lon:Q", latitude="lat:Q", text="label:N")
    )
    sea = alt.Chart(alt.sphere()).mark_geoshape(fill=SEA, stroke=None, clip=True)
    chart = (
        alt.layer(sea, countries, circles, labels)
        .project(type="equalEarth", fit=fit)
        .properties(width=WIDTH, height=460, title="Events by place and family (circle size: articles)")
    )
    return chart.to_dict()


def place_labels(
    points: Sequence[Dict[str, Any]], extent: Sequence[float], n: int = PLACE_LABELS, spacing: float = 0.07
) -> List[Dict[str, Any]]:
    """Names (and event counts) of the busiest places, at most ``n``; a place closer than
    ``spacing`` of the map's span to a busier labelled one stays unlabelled, so labels
    do not pile up on a city and its suburbs."""
    totals: Dict[tuple, int] = {}
    for point in points:
        key = (point["place"], point["lat"], point["lon"])
        totals[key] = totals.get(key, 0) + point["events"]
    span = max(extent[2] - extent[0], extent[3] - extent[1]) * spacing
    labels: List[Dict[str, Any]] = []
    for (place, lat, lon), count in sorted(totals.items(), key=lambda item: (-item[1], item[0])):
        if len(labels) == n:
            break
        if all(abs(lat - done["lat"]) > span / 2 or abs(lon - done["lon"]) > span for done in labels):
            labels.append({"label": f"{place} ({count})", "lat": lat, "lon": lon})
    return labels


def _utc_day(day: str, end_of_day: bool = False) -> alt.DateTime:
    parsed = dt.date.fromisoformat(day) + dt.timedelta(days=1 if end_of_day else 0)
    return alt.DateTime(year=parsed.year, month=parsed.month, date=parsed.day, utc=True)


def timeline_spec(timeline: Timeline, families: Sequence[str]) -> Dict[str, Any]:
    """Events per day stacked by family and a country × day heat map, both showing the
    window chosen on the overview strip below them (it opens on ``timeline.focus``)."""
    start, end = timeline.focus
    focus = alt.selection_interval(
        name="focus",
        encodings=["x"],
        value={"x": [_utc_day(start), _utc_day(end, end_of_day=True)]} if start else alt.Undefined,
    )
    detail_x = alt.X(
        "utcyearmonthdate(day):T",
        title="day",
        scale=alt.Scale(domain={"param": "focus", "encoding": "x"}),
        axis=alt.Axis(format="%d %b %Y", labelAngle=0, labelOverlap=True),
    )
    by_family = (
        alt.Chart(alt.Data(values=timeline.by_family))
        .mark_bar(clip=True)
        .encode(
            x=detail_x,
            y=alt.Y("sum(events):Q", title="events"),
            color=family_color(families),
            tooltip=[
                alt.Tooltip("utcyearmonthdate(day):T", title="day", format="%d %b %Y"),
                alt.Tooltip("family:N", title="event family"),
                alt.Tooltip("sum(events):Q", title="events"),
            ],
        )
        .properties(width=WIDTH, height=220, title="Events per day and family")
    )
    country_order = _country_order(timeline.by_country)
    by_country = (
        alt.Chart(alt.Data(values=timeline.by_country))
        .mark_rect(clip=True)
        .encode(
            x=detail_x,
            y=alt.Y("country:N", title=None, sort=country_order),
            color=alt.Color("sum(events):Q", title="events", scale=alt.Scale(scheme="orangered")),
            tooltip=[
                alt.Tooltip("utcyearmonthdate(day):T", title="day", format="%d %b %Y"),
                alt.Tooltip("country:N"),
                alt.Tooltip("sum(events):Q", title="events"),
            ],
        )
        .properties(width=WIDTH, height=max(18 * len(country_order), 40), title="Events per day and country")
    )
    overview = (
        alt.Chart(alt.Data(values=timeline.by_family))
        .mark_bar(color="#7a7a7a")
        .encode(
            x=alt.X(
                "utcyearmonthdate(day):T",
                title="all days (drag to choose the window shown above)",
                axis=alt.Axis(format="%b %Y", labelOverlap=True),
            ),
            y=alt.Y("sum(events):Q", title=None, axis=alt.Axis(tickCount=2)),
        )
        .add_params(focus)
        .properties(width=WIDTH, height=50)
    )
    return alt.vconcat(by_family, by_country, overview).resolve_scale(color="independent").to_dict()


def _country_order(rows: List[Dict[str, Any]]) -> List[str]:
    """Countries by events, most first, "other" last."""
    totals: Dict[str, int] = {}
    for row in rows:
        totals[row["country"]] = totals.get(row["country"], 0) + row["events"]
    named = sorted((c for c in totals if c != OTHER_COUNTRIES), key=lambda c: (-totals[c], c))
    return named + ([OTHER_COUNTRIES] if OTHER_COUNTRIES in totals else [])

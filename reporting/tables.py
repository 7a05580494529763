"""Records → the figures the report shows: map points, timelines, top entities, the
events table and run health. Pure functions over plain dicts (records as read by
``reporting.outputs``); every list a page shows is capped, and each function says
how much it left out so the page can say so too.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

Record = Mapping[str, Any]

MAP_POINT_CAP = 5_000  # circles on the map (place × event family groups)
EVENT_ROW_CAP = 2_000  # rows of the events table
MENTIONS_PER_EVENT = 20  # sentences listed under one event
TOP_ENTITIES = 25  # rows per entity table (people, organisations, places)
TOP_COUNTRIES = 10  # rows of the per-country timeline; the rest is "other"
TOP_SOURCES = 15
FOCUS_DAYS = 31  # the timeline opens on the busiest window of this many days
UNKNOWN = "unknown"
OTHER_COUNTRIES = "other"
ANNOTATION_STAGES = ("entities", "events")  # their dead letters belong to written articles


def family_of(event: Record) -> str:
    """The event family shown by colour: ACLED's top level (``event_type``)."""
    return event.get("event_type") or UNKNOWN


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """ "Iraq" for "IQ" (ISO 3166 alpha-2, pycountry); the code itself when unknown."""
    import pycountry  # the gazetteer's dependency already

    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    return getattr(country, "common_name", None) or getattr(country, "name", None) or code


def day_of(event: Record) -> Optional[str]:
    """The event's ISO day, or None when it has none (or a malformed one)."""
    value = event.get("date")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return None


# --- map -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapPoints:
    points: List[Dict[str, Any]]
    events: int  # all events
    placed: int  # events with coordinates
    groups: int  # place × family groups before the cap
    extent: Tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max the map fits


def map_points(events: Iterable[Record], cap: int = MAP_POINT_CAP) -> MapPoints:
    """One circle per place × event family: how many events and articles, which
    types, first and last day. Groups that share a place are spread on a small ring so
    each stays visible (the tooltip gives the place's true coordinates). The ``cap``
    groups with most events are kept."""
    groups: Dict[Tuple[str, float, float, str], Dict[str, Any]] = {}
    total = 0
    for event in events:
        total += 1
        lat, lon = event.get("lat"), event.get("lon")
        if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
            continue
        key = (event.get("place") or "", round(float(lat), 5), round(float(lon), 5), family_of(event))
        group = groups.get(key)
        if group is None:
            group = groups[key] = {
                "place": key[0] or "(unnamed)",
                "country": country_name(event["country"]) if event.get("country") else "",
                "family": key[3],
                "lat": key[1],
                "lon": key[2],
                "events": 0,
                "articles": 0,
                "types": Counter(),
                "days": [],
            }
        group["events"] += 1
        group["articles"] += int(event.get("num_articles") or 0)
        group["types"][event.get("type") or UNKNOWN] += 1
        day = day_of(event)
        if day:
            group["days"].append(day)
    placed = sum(g["events"] for g in groups.values())
    ranked = sorted(groups.values(), key=lambda g: (-g["events"], -g["articles"], g["place"], g["family"]))
    kept = ranked[:cap]
    extent = fit_extent([(g["lon"], g["lat"]) for g in kept])
    spread = 0.012 * max(extent[2] - extent[0], extent[3] - extent[1])
    by_place: Dict[Tuple[float, float], List[Dict[str, Any]]] = defaultdict(list)
    for group in kept:
        by_place[(group["lat"], group["lon"])].append(group)
    points = []
    for (lat, lon), shared in by_place.items():
        shared.sort(key=lambda g: g["family"])
        for n, group in enumerate(shared):
            angle = 2 * math.pi * n / len(shared)
            radius = spread if len(shared) > 1 else 0.0
            days = sorted(group["days"])
            points.append(
                {
                    "place": group["place"],
                    "country": group["country"],
                    "family": group["family"],
                    "events": group["events"],
                    "articles": group["articles"],
                    "types": ", ".join(
                        f"{t} ×{c}" for t, c in sorted(group["types"].items(), key=lambda i: (-i[1], i[0]))[:4]
                    ),
                    "first": days[0] if days else "",
                    "last": days[-1] if days else "",
                    "lat": lat,
                    "lon": lon,
                    "x": round(lon + radius * math.cos(angle), 5),
                    "y": round(lat + radius * math.sin(angle), 5),
                }
            )
    points.sort(key=lambda p: (-p["events"], p["place"], p["family"]))
    return MapPoints(points, total, placed, len(groups), extent)


def fit_extent(
    coordinates: Sequence[Tuple[float, float]], min_lon_span: float = 24.0, min_lat_span: float = 14.0
) -> Tuple[float, float, float, float]:
    """Bounding box the map zooms to: the points plus a margin, at least a region's
    size (one city's events do not fill the screen), within the world."""
    if not coordinates:
        return (-180.0, -60.0, 180.0, 80.0)
    lons = [c[0] for c in coordinates]
    lats = [c[1] for c in coordinates]
    lon_span = max(max(lons) - min(lons), min_lon_span) * 1.2
    lat_span = max(max(lats) - min(lats), min_lat_span) * 1.2
    lon_mid, lat_mid = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2
    return (
        round(max(lon_mid - lon_span / 2, -180.0), 3),
        round(max(lat_mid - lat_span / 2, -85.0), 3),
        round(min(lon_mid + lon_span / 2, 180.0), 3),
        round(min(lat_mid + lat_span / 2, 85.0), 3),
    )


# --- timelines -------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    by_family: List[Dict[str, Any]]  # day, family, events
    by_country: List[Dict[str, Any]]  # day, country, events
    undated: int
    focus: Tuple[str, str]  # first and last day the detail charts open on
    in_focus: int
    dated: int
    countries: int  # distinct countries before the top-N cut


def timeline(events: Iterable[Record], top_countries: int = TOP_COUNTRIES, focus_days: int = FOCUS_DAYS) -> Timeline:
    """Events per day × family and per day × country (the ``top_countries`` with most
    events, the rest summed as "other"); undated events are counted apart."""
    family_days: Counter = Counter()
    country_days: Counter = Counter()
    per_country: Counter = Counter()
    days: List[str] = []
    undated = 0
    for event in events:
        day = day_of(event)
        if day is None:
            undated += 1
            continue
        days.append(day)
        family_days[(day, family_of(event))] += 1
        country = country_name(event["country"]) if event.get("country") else UNKNOWN
        country_days[(day, country)] += 1
        per_country[country] += 1
    kept = {c for c, _ in sorted(per_country.items(), key=lambda i: (-i[1], i[0]))[:top_countries]}
    folded: Counter = Counter()
    for (day, country), n in country_days.items():
        folded[(day, country if country in kept else OTHER_COUNTRIES)] += n
    focus = focus_window(days, focus_days)
    return Timeline(
        by_family=[{"day": d, "family": f, "events": n} for (d, f), n in sorted(family_days.items())],
        by_country=[{"day": d, "country": c, "events": n} for (d, c), n in sorted(folded.items())],
        undated=undated,
        focus=focus,
        in_focus=sum(1 for d in days if focus[0] <= d <= focus[1]),
        dated=len(days),
        countries=len(per_country),
    )


def focus_window(days: Sequence[str], length: int = FOCUS_DAYS) -> Tuple[str, str]:
    """The ``length``-day window holding most events (earliest on ties); the whole span
    when it is at most twice that long. A few old events retold in the news (a 2018
    attack recalled in 2020) would otherwise squeeze the month that matters into a
    sliver."""
    if not days:
        return ("", "")
    ordered = sorted(dt.date.fromisoformat(d) for d in days)
    first, last = ordered[0], ordered[-1]
    if (last - first).days < 2 * length:
        return (first.isoformat(), last.isoformat())
    best_start, best_count, j = ordered[0], 0, 0
    for i, start in enumerate(ordered):
        if i and start == ordered[i - 1]:
            continue
        while j < len(ordered) and (ordered[j] - start).days < length:
            j += 1
        if j - i > best_count:
            best_start, best_count = start, j - i
    return (best_start.isoformat(), (best_start + dt.timedelta(days=length - 1)).isoformat())


# --- entities --------------------------------------------------------------------------

ENTITY_LABELS = (("PER", "People"), ("ORG", "Organisations"), ("LOC", "Places"))


@dataclass(frozen=True)
class EntityTable:
    label: str
    title: str
    rows: List[Dict[str, Any]]
    total: int


def top_entities(entities: Iterable[Record], n: int = TOP_ENTITIES) -> List[EntityTable]:
    """The ``n`` most mentioned people, organisations and places, with their aliases."""
    by_label: Dict[str, List[Record]] = defaultdict(list)
    for entity in entities:
        by_label[entity.get("label") or ""].append(entity)
    tables = []
    for label, title in ENTITY_LABELS:
        ranked = sorted(by_label.get(label, []), key=lambda e: (-(e.get("mention_count") or 0), e.get("name") or ""))
        rows = []
        for entity in ranked[:n]:
            name = entity.get("name") or ""
            aliases = [a for a in entity.get("aliases") or [] if a != name]
            rows.append(
                {
                    "name": name,
                    "id": entity.get("id") or "",
                    "aliases": aliases,
                    "mentions": int(entity.get("mention_count") or 0),
                    "country": entity.get("country") or "",
                }
            )
        tables.append(EntityTable(label, title, rows, len(ranked)))
    return tables


# --- events table ----------------------------------------------------------------------


@dataclass(frozen=True)
class SentenceLink:
    article_id: str
    sentence_index: int
    start: int
    end: int
    text: Optional[str]  # the sentence, when the article is in the output
    title: str
    source: str
    url: str
    published: str


@dataclass(frozen=True)
class EventRow:
    id: str
    day: str
    family: str
    type: str
    place: str
    country: str
    actors: List[str]
    target: str
    fatalities: Optional[int]
    confidence: float
    articles: int
    sources: int
    sentences: List[SentenceLink]
    more_sentences: int


def event_rows(
    events: Iterable[Record],
    articles: Mapping[str, Record],
    cap: int = EVENT_ROW_CAP,
    mentions_per_event: int = MENTIONS_PER_EVENT,
) -> Tuple[List[EventRow], int]:
    """The ``cap`` most reported events (then most recent), newest first, each with the
    sentences that report it cut from its articles by their offsets; and the number of
    events in all."""
    all_events = list(events)
    ranked = sorted(all_events, key=lambda e: (-(e.get("num_articles") or 0), _negated_day(e), e.get("id") or ""))
    kept = ranked[:cap]
    kept.sort(key=lambda e: (_negated_day(e), -(e.get("num_articles") or 0), e.get("id") or ""))
    rows = []
    for event in kept:
        mentions = list(event.get("mentions") or [])
        links = [sentence_link(m, articles.get(m.get("article_id") or "")) for m in mentions[:mentions_per_event]]
        rows.append(
            EventRow(
                id=event.get("id") or "",
                day=day_of(event) or "",
                family=family_of(event),
                type=event.get("type") or UNKNOWN,
                place=event.get("place") or "",
                country=event.get("country") or "",
                actors=list(event.get("actors") or []),
                target=event.get("target") or "",
                fatalities=event.get("fatalities"),
                confidence=float(event.get("confidence") or 0.0),
                articles=int(event.get("num_articles") or 0),
                sources=int(event.get("num_sources") or 0),
                sentences=links,
                more_sentences=max(len(mentions) - mentions_per_event, 0),
            )
        )
    return rows, len(all_events)


def _negated_day(event: Record) -> Tuple[int, ...]:
    """Sort key putting later days first and undated events last."""
    day = day_of(event)
    if day is None:
        return (1,)
    return (0, -dt.date.fromisoformat(day).toordinal())


def sentence_link(mention: Record, article: Optional[Record]) -> SentenceLink:
    start, end = int(mention.get("start") or 0), int(mention.get("end") or 0)
    text = None
    if article is not None:
        body = article.get("text") or ""
        if 0 <= start < end <= len(body):
            text = body[start:end]
    article = article or {}
    return SentenceLink(
        article_id=mention.get("article_id") or "",
        sentence_index=int(mention.get("sentence_index") or 0),
        start=start,
        end=end,
        text=text,
        title=article.get("title") or "",
        source=article.get("source") or "",
        url=article.get("url") or "",
        published=str(article.get("published") or ""),
    )


# --- run health ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    """``in = out + rejected + duplicates``, from the run's counters when a summary was
    found, and the same books from the files."""

    from_counters: Optional[Dict[str, int]]
    from_files: Dict[str, int]

    @property
    def balanced(self) -> Optional[bool]:
        if self.from_counters is None:
            return None
        c = self.from_counters
        return c.get("in", 0) == c.get("out", 0) + c.get("rejected", 0) + c.get("duplicates", 0)


@dataclass(frozen=True)
class Health:
    reconciliation: Reconciliation
    languages: List[Tuple[str, int]]
    sources: List[Tuple[str, int]]
    source_count: int
    rejected: List[Dict[str, Any]]  # stage, reason, count, example origin
    duplicates: List[Tuple[str, int]]  # rule, count
    too_late: int
    counters: Dict[str, Dict[str, int]] = field(default_factory=dict)


_NUMBER = re.compile(r"\d+")


def reason_group(reason: str) -> str:
    """A dead letter's reason without its particulars: the text before the first colon,
    numbers folded ("invalid JSON: Invalid control character at column 61" → "invalid JSON")."""
    head = (reason or "").split(":", 1)[0].strip()
    return _NUMBER.sub("N", head)[:100] or "(no reason)"


def health(
    articles: Iterable[Record],
    rejected: Iterable[Record],
    duplicates: Iterable[Record],
    too_late: Iterable[Record] = (),
    counters: Optional[Dict[str, Dict[str, int]]] = None,
    reconciliation: Optional[Dict[str, int]] = None,
    top_sources: int = TOP_SOURCES,
) -> Health:
    """Run health from the files (and the run's own counters when there are some)."""
    languages: Counter = Counter()
    sources: Counter = Counter()
    out = 0
    for article in articles:
        out += 1
        languages[article.get("language") or UNKNOWN] += 1
        sources[article.get("source") or UNKNOWN] += 1
    by_reason: Dict[Tuple[str, str], Dict[str, Any]] = {}
    rejected_count = annotation_failures = 0
    for record in rejected:
        stage = record.get("stage") or UNKNOWN
        if stage in ANNOTATION_STAGES:
            annotation_failures += 1
        else:
            rejected_count += 1
        key = (stage, reason_group(record.get("reason") or ""))
        entry = by_reason.setdefault(key, {"stage": key[0], "reason": key[1], "count": 0, "example": ""})
        entry["count"] += 1
        origin = record.get("origin") or ""
        if not entry["example"] or origin < entry["example"]:
            entry["example"] = origin
    rules: Counter = Counter(d.get("rule") or UNKNOWN for d in duplicates)
    late = sum(1 for _ in too_late)
    from_files = {
        "out": out,
        "rejected": rejected_count,
        "duplicates": sum(rules.values()),
        "annotation_failures": annotation_failures,
    }
    from_files["in"] = from_files["out"] + from_files["rejected"] + from_files["duplicates"]
    return Health(
        reconciliation=Reconciliation(dict(reconciliation) if reconciliation else None, from_files),
        languages=sorted(languages.items(), key=lambda i: (-i[1], i[0])),
        sources=sorted(sources.items(), key=lambda i: (-i[1], i[0]))[:top_sources],
        source_count=len(sources),
        rejected=sorted(by_reason.values(), key=lambda e: (-e["count"], e["stage"], e["reason"])),
        duplicates=sorted(rules.items(), key=lambda i: (-i[1], i[0])),
        too_late=late,
        counters=counters or {},
    )

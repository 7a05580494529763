"""``ClusterEvents`` merges reports of one real event. Reports are keyed by country ×
month (never all events in one place), sorted by date and merged greedily: same type,
dates at most ``MAX_DAYS_APART`` apart, places within ``MAX_KM_APART`` (or the same
country when one side is only known at country level and the days match), and
compatible targets (sharing a word, or one side unknown). The event id is a hash of its
first report, so a rerun gives the same ids. Known limit: two reports of one event on
either side of a month boundary stay two events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections import Counter
from typing import Iterable, List, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.events.arguments import _PLACE_RANK
from transforms.events.records import Event, EventRef, EventReport

MAX_DAYS_APART = 1


MAX_KM_APART = 15.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def _days_apart(a: Optional[str], b: Optional[str]) -> Optional[int]:
    if not a or not b:
        return None
    return abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days)


_STOP = {"un", "une", "des", "le", "la", "les", "l", "d", "du", "de", "the", "a", "an", "of"}


def _words(phrase: Optional[str]) -> set:
    """Content words, singular: "des convois" and "un convoi" share one."""
    words = (w for w in re.findall(r"\w+", (phrase or "").lower()) if w not in _STOP and len(w) > 2)
    return {w[:-1] if len(w) > 4 and w[-1] in "sx" else w for w in words}


def _vague(report: EventReport) -> bool:
    """Placed only by its paragraph or article, not by its own sentence."""
    return report.place_scope in ("paragraph", "article")


def compatible(a: EventReport, b: EventReport) -> bool:
    """Whether two reports can be the same real event (see the module docstring)."""
    if a.type != b.type or a.background != b.background:
        return False
    days = _days_apart(a.date, b.date)
    if days is None or days > MAX_DAYS_APART:
        return False
    # the day of tolerance is for dates we inferred (publication day, narrative, "N jours plus
    # tôt"); two reports that each name their day ("lundi 14", "mardi 15") are two days
    if days and a.date_precision == "day" and b.date_precision == "day":
        return False
    if a.lat is None or b.lat is None or a.lon is None or b.lon is None:
        return False
    if "country" in (a.place_precision, b.place_precision):
        if a.country != b.country or days != 0:
            return False
    elif _vague(a) or _vague(b):
        # "Quelques heures plus tôt, deux engins explosifs avaient ciblé un convoi" takes its
        # paragraph's city; the same convoy placed in Diwaniyah by another site is one event
        if a.country != b.country:
            return False
    elif "admin1" in (a.place_precision, b.place_precision):
        if not a.admin1 or a.admin1 != b.admin1:
            return False
    elif haversine_km(a.lat, a.lon, b.lat, b.lon) > MAX_KM_APART:
        return False
    if a.target and b.target and not (_words(a.target) & _words(b.target)):
        return False
    return True


def cluster_reports(reports: Iterable[EventReport]) -> List[List[EventReport]]:
    """Greedy clustering of one key's reports, in a deterministic order."""
    ordered = sorted(reports, key=lambda r: (r.date or "", r.type, r.article_id, r.sentence_index))
    clusters: List[List[EventReport]] = []
    # reports placed by their own sentence first, then those placed only by their paragraph or
    # article; each joins the compatible cluster closest in time, not merely the first one ("the
    # attack took place outside the Green Zone", dated by its story to Tuesday, belongs with
    # Tuesday's IED, not with Monday's convoy bomb a day earlier in the same city)
    for report in [r for r in ordered if not _vague(r)] + [r for r in ordered if _vague(r)]:
        fits = [
            (min(_days_apart(report.date, m.date) or 0 for m in cluster), -len(cluster), position)
            for position, cluster in enumerate(clusters)
            if all(compatible(report, member) for member in cluster)
        ]
        if fits:
            clusters[min(fits)[2]].append(report)
        else:
            clusters.append([report])
    return clusters


def _most_specific(cluster: Sequence[EventReport]) -> EventReport:
    # a place the report's own sentence gives beats a finer one borrowed from its paragraph
    # (a country named in the sentence is no finer than its paragraph's city)
    return min(
        cluster,
        key=lambda r: (
            {"sentence": 0, "paragraph": 1, "article": 2}.get(r.place_scope or "article", 3)
            if r.place_precision != "country"
            else 2,
            _PLACE_RANK.get(r.place_precision or "country", 3),
            r.article_id,
            r.sentence_index,
        ),
    )


def merge_cluster(cluster: Sequence[EventReport]) -> Event:
    """One Event from the reports of one real event."""
    first = min(cluster, key=lambda r: (r.article_id, r.sentence_index))
    event_id = hashlib.blake2b(f"{first.article_id}#{first.sentence_index}".encode(), digest_size=10).hexdigest()
    placed = _most_specific(cluster)
    dated = min(
        cluster,
        key=lambda r: (
            {"day": 0, "narrative": 1, "week": 2, "approx": 3, "month": 4, "year": 5, "publication": 6}.get(
                r.date_precision or "", 7
            ),
            r.date or "",
            r.article_id,
        ),
    )
    targets = Counter(r.target for r in cluster if r.target)
    tolls = [r.fatalities for r in cluster if r.fatalities is not None]
    return Event(
        id=event_id,
        type=first.type,
        event_type=first.event_type,
        cameo=first.cameo,
        date=dated.date,
        date_precision=dated.date_precision,
        place=placed.place,
        lat=placed.lat,
        lon=placed.lon,
        country=placed.country,
        admin1=placed.admin1,
        place_precision=placed.place_precision,
        actors=sorted({a for r in cluster for a in r.actors}),
        target=min(targets.items(), key=lambda kv: (-kv[1], kv[0]))[0] if targets else None,
        fatalities=max(tolls) if tolls else None,
        confidence=round(max(r.confidence for r in cluster), 3),
        background=all(r.background for r in cluster),
        mentions=sorted(EventRef(r.article_id, r.sentence_index, r.start, r.end) for r in cluster),
        num_articles=len({r.article_id for r in cluster}),
        num_sources=len({r.source for r in cluster}),
    )


def cluster_key(report: EventReport) -> Tuple[str, str]:
    """country × month: a coarse time bucket × region."""
    return (report.country or "", (report.date or "")[:7])


class ClusterEvents(beam.PTransform):
    """PCollection[EventReport] -> PCollection[Event], keyed by country × month."""

    def expand(self, reports):
        merged = Metrics.counter("events", "events")

        def cluster(keyed):
            for group in cluster_reports(keyed[1]):
                merged.inc()
                yield merge_cluster(group)

        return (
            reports
            | "KeyByRegionMonth" >> beam.Map(lambda r: (cluster_key(r), r))
            | "GroupReports" >> beam.GroupByKey()
            | "Cluster" >> beam.FlatMap(cluster).with_output_types(Event)
        )

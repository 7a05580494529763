"""``CountEventsInWindows``: events (and articles reporting them) per fixed window of
publication time × place × type, fired early (processing time), on time (watermark) and
late (each late report), ACCUMULATING, so each pane is a complete snapshot that
replaces the earlier ones. Every ``StreamAggregate`` names its pane (index, timing,
is_last). ``LatestEventsInWindows`` keeps the latest version of each event per window.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms import trigger as triggers
from apache_beam.transforms import window as windows
from apache_beam.utils.timestamp import Duration, Timestamp
from apache_beam.utils.windowed_value import PaneInfoTiming

from transforms.events.count import count_keys
from transforms.events.records import Event
from transforms.streaming.event_time import iso_utc
from transforms.streaming.records import (
    DEFAULT_ALLOWED_LATENESS_HOURS,
    DEFAULT_EARLY_FIRING_SECONDS,
    DEFAULT_WINDOW_MINUTES,
    STAGE,
    EventSighting,
    StreamAggregate,
)


def sightings(event: Event, article_id: str) -> List[EventSighting]:
    """The place cells (city, admin1, country, as in batch ``count_keys``) in which
    ``article_id`` reported ``event``."""
    found = []
    for key, _ in count_keys(event._replace(date=event.date or "1970-01-01"), 1):
        _, _, level, place, country, type_, event_type = key
        found.append(EventSighting(event.id, article_id, level, place, country, type_, event_type))
    return found


Cell = Tuple[str, str, Optional[str], str, str]  # level, place, country, type, event_type


class CountSightings(beam.CombineFn):
    """{cell: (event ids, article ids)}: distinct counts survive re-emitted events
    and accumulating panes. Small: the cells of one window."""

    def create_accumulator(self) -> Dict[Cell, Tuple[Set[str], Set[str]]]:
        return {}

    def add_input(self, accumulator, sighting: EventSighting):
        cell = (sighting.level, sighting.place, sighting.country, sighting.type, sighting.event_type)
        events, articles = accumulator.setdefault(cell, (set(), set()))
        events.add(sighting.event_id)
        articles.add(sighting.article_id)
        return accumulator

    def merge_accumulators(self, accumulators):
        merged: Dict[Cell, Tuple[Set[str], Set[str]]] = {}
        for accumulator in accumulators:
            for cell, (events, articles) in accumulator.items():
                into = merged.setdefault(cell, (set(), set()))
                into[0].update(events)
                into[1].update(articles)
        return merged

    def extract_output(self, accumulator) -> List[Tuple[Cell, int, int]]:
        return sorted(
            ((cell, len(events), len(articles)) for cell, (events, articles) in accumulator.items()),
            key=lambda row: tuple("" if v is None else v for v in row[0]),
        )


def pane_aggregates(
    cells: Iterable[Tuple[Cell, int, int]], start: Timestamp, end: Timestamp, pane
) -> List[StreamAggregate]:
    """The StreamAggregate rows of one pane of one window."""
    timing = PaneInfoTiming.to_string(pane.timing) if pane is not None else "UNKNOWN"
    return [
        StreamAggregate(
            window_start=iso_utc(start),
            window_end=iso_utc(end),
            level=level,
            place=place,
            country=country,
            type=type_,
            event_type=event_type,
            events=events,
            articles=articles,
            pane_index=pane.index if pane is not None else 0,
            timing=timing,
            is_first=bool(pane.is_first) if pane is not None else True,
            is_last=bool(pane.is_last) if pane is not None else False,
        )
        for (level, place, country, type_, event_type), events, articles in cells
    ]


def stream_windowing(window_minutes: int, allowed_lateness_hours: float, early_seconds: int, accumulate: bool = True):
    """Fixed windows of publication time; early panes every ``early_seconds`` of
    processing time, one on-time pane at the watermark, one late pane per late element."""
    return beam.WindowInto(
        windows.FixedWindows(window_minutes * 60),
        trigger=triggers.AfterWatermark(
            early=triggers.AfterProcessingTime(early_seconds) if early_seconds > 0 else None,
            late=triggers.AfterCount(1),
        ),
        accumulation_mode=triggers.AccumulationMode.ACCUMULATING
        if accumulate
        else triggers.AccumulationMode.DISCARDING,
        allowed_lateness=Duration(seconds=int(allowed_lateness_hours * 3600)),
    )


class CountEventsInWindows(beam.PTransform):
    """PCollection[EventSighting] → PCollection[List[StreamAggregate]], one list per
    window × pane: the whole window's cells as of that pane."""

    def __init__(
        self,
        window_minutes: int = DEFAULT_WINDOW_MINUTES,
        allowed_lateness_hours: float = DEFAULT_ALLOWED_LATENESS_HOURS,
        early_seconds: int = DEFAULT_EARLY_FIRING_SECONDS,
    ):
        super().__init__()
        self._windowing = (window_minutes, allowed_lateness_hours, early_seconds)

    def expand(self, sighted):
        panes = Metrics.counter(STAGE, "aggregate_panes")

        def to_rows(keyed, window=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam):
            panes.inc()
            return pane_aggregates(keyed[1], window.start, window.end, pane)

        return (
            sighted
            | "Windows" >> stream_windowing(*self._windowing)
            # one key per window: a window's cells are few (places × types in minutes of news),
            # and combiner lifting sums before the shuffle
            | "OneKey" >> beam.Map(lambda s: ("", s)).with_output_types(Tuple[str, EventSighting])
            | "Count" >> beam.CombinePerKey(CountSightings())
            | "Rows" >> beam.Map(to_rows).with_output_types(List[StreamAggregate])
        )


class LatestEventsInWindows(beam.PTransform):
    """PCollection[Event] (updates) → PCollection[List[Event]] per window × pane: the
    latest version of every event updated in the window (most mentions wins)."""

    def __init__(self, window_minutes: int, allowed_lateness_hours: float, early_seconds: int):
        super().__init__()
        self._windowing = (window_minutes, allowed_lateness_hours, early_seconds)

    def expand(self, events):
        def latest(versions: Iterable[Event]) -> List[Event]:
            best: Dict[str, Event] = {}
            for event in versions:
                held = best.get(event.id)
                if held is None or (len(event.mentions), event.mentions) > (len(held.mentions), held.mentions):
                    best[event.id] = event
            return sorted(best.values(), key=lambda e: e.id)

        return (
            events
            | "Windows" >> stream_windowing(*self._windowing)
            | "OneKey" >> beam.Map(lambda e: ("", e)).with_output_types(Tuple[str, Event])
            | "Group" >> beam.GroupByKey()
            | "Latest" >> beam.MapTuple(lambda _, versions: latest(versions)).with_output_types(List[Event])
        )

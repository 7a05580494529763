"""``DropRepeatedEvents``: a dated run's events that an earlier run date already
published are not published again.

News retells: the convoy bombed on Monday is in Monday's articles and again in
Tuesday's. Within one run ``ClusterEvents`` merges such reports; across run dates each
run only sees its own articles, so Tuesday's run would publish the convoy a second
time, and summing the daily aggregates would count it twice. This step compares the
run's events with the events of the partitions of the previous run dates
(``--event_lookback_days``) using the very rule that merges reports within a run
(``cluster.compatible``: same type, dates at most a day apart, places close, targets
compatible). An event that matches is written to ``repeats/`` with the earlier
event's id and its new mentions, and left out of ``events/`` and of the aggregates.

Keys are country × day, an earlier event being sent to the day before and after its
own as well (the rule allows one day apart), so no step holds every event and a
month boundary splits nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, Iterable, Iterator, List, Sequence, Tuple, Union

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from transforms.events.cluster import compatible
from transforms.events.records import Event, EventRef, EventReport, Repeat
from transforms.io.sinks import read_shard

REPEATS = "repeats"


DEFAULT_LOOKBACK_DAYS = 7


DayKey = Tuple[str, str]  # (country, ISO day)


def event_from_record(record: Dict[str, Any]) -> Event:
    """An ``Event`` from a record read back from an events/ file."""
    values: Dict[str, Any] = {name: record.get(name) for name in Event._fields}
    values["actors"] = list(record.get("actors") or [])
    values["background"] = bool(record.get("background"))
    values["mentions"] = [EventRef(**{f: m[f] for f in EventRef._fields}) for m in record.get("mentions") or []]
    return Event(**values)


def as_report(event: Event) -> EventReport:
    """The event seen as one report of itself, placed by its own sentence, so the
    rule that merges reports within a run (``cluster.compatible``) can compare it."""
    return EventReport(
        article_id="",
        source="",
        sentence_index=0,
        start=0,
        end=0,
        type=event.type,
        event_type=event.event_type,
        cameo=event.cameo,
        type_confidence=event.confidence,
        date=event.date,
        date_precision=event.date_precision,
        place=event.place,
        place_id=None,
        lat=event.lat,
        lon=event.lon,
        country=event.country,
        admin1=event.admin1,
        place_precision=event.place_precision,
        place_scope="sentence",
        actors=list(event.actors),
        target=event.target,
        fatalities=event.fatalities,
        confidence=event.confidence,
        background=event.background,
        detection=event.confidence,
    )


def same_event(new: Event, earlier: Event) -> bool:
    return compatible(as_report(new), as_report(earlier))


def _shift(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def day_key(event: Event) -> DayKey:
    return (event.country or "", event.date or "")


def neighbour_keys(event: Event) -> List[DayKey]:
    """The keys an earlier event is compared under: its day and the days either side."""
    if not event.date:
        return []  # an undated event matches nothing (the rule needs both dates)
    try:
        return [(event.country or "", _shift(event.date, days)) for days in (-1, 0, 1)]
    except ValueError:
        return [day_key(event)]


def _days_apart(a: Event, b: Event) -> int:
    try:
        return abs((dt.date.fromisoformat(a.date or "") - dt.date.fromisoformat(b.date or "")).days)
    except ValueError:
        return 0


def repeat_of(event: Event, earlier: Event, run_date: str) -> Repeat:
    return Repeat(
        event_id=earlier.id,
        first_run_date=run_date,
        id=event.id,
        type=event.type,
        date=event.date,
        place=event.place,
        country=event.country,
        mentions=list(event.mentions),
        num_articles=event.num_articles,
        num_sources=event.num_sources,
    )


def match_repeats(new: Iterable[Event], earlier: Iterable[Tuple[str, Event]]) -> Iterator[Union[Event, Repeat]]:
    """Each new event, or its ``Repeat`` when an earlier one is the same event (the
    closest in time, then the oldest run date, then the smallest id)."""
    candidates = sorted(earlier, key=lambda pair: (pair[0], pair[1].id))
    for event in sorted(new, key=lambda e: e.id):
        matches = [
            (_days_apart(event, old), run_date, old.id, old) for run_date, old in candidates if same_event(event, old)
        ]
        if matches:
            _, run_date, _, old = min(matches, key=lambda m: m[:3])
            yield repeat_of(event, old, run_date)
        else:
            yield event


def read_earlier_events(file: Tuple[str, str]) -> Iterator[Tuple[str, Event]]:
    """(run date, path of an events/ file) → (run date, Event) for each event in it."""
    run_date, path = file
    for record in read_shard(path):
        yield run_date, event_from_record(record)


class _SplitRepeats(beam.DoFn):
    def __init__(self):
        self._repeats = Metrics.counter("events", "repeats")

    def process(self, keyed: Tuple[DayKey, Dict[str, Any]]):
        _, grouped = keyed
        for item in match_repeats(grouped["new"], grouped["earlier"]):
            if isinstance(item, Repeat):
                self._repeats.inc()
                yield TaggedOutput(REPEATS, item)
            else:
                yield item


class DropRepeatedEvents(beam.PTransform):
    """PCollection[Event] → {"events": events no earlier partition holds, "repeats":
    Repeat}. ``earlier_files``: (run date, path) of the earlier partitions' events/
    files (``ledger.earlier_partitions``); none: every event is kept."""

    def __init__(self, earlier_files: Sequence[Tuple[str, str]]):
        super().__init__()
        self._earlier_files = sorted(earlier_files)

    def expand(self, events):
        earlier = (
            events.pipeline
            | "EarlierFiles" >> beam.Create(self._earlier_files).with_output_types(Tuple[str, str])
            | "ReadEarlier" >> beam.FlatMap(read_earlier_events).with_output_types(Tuple[str, Event])
            | "ByNeighbourDays"
            >> beam.FlatMap(lambda pair: [(key, pair) for key in neighbour_keys(pair[1])]).with_output_types(
                Tuple[DayKey, Tuple[str, Event]]
            )
        )
        new = events | "ByDay" >> beam.Map(lambda e: (day_key(e), e)).with_output_types(Tuple[DayKey, Event])
        split = (
            {"new": new, "earlier": earlier}
            | "GroupByDay" >> beam.CoGroupByKey()
            | "SplitRepeats"
            >> beam.ParDo(_SplitRepeats())
            .with_output_types(Event, **{REPEATS: Repeat})
            .with_outputs(REPEATS, main="events")
        )
        return {"events": split.events, REPEATS: split[REPEATS]}

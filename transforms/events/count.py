"""``CountEvents``: events and the articles reporting them per window (a day by default)
× place (city, admin1, country) × type, in event time; ``aggregates.csv`` for a spreadsheet.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator, List, Optional, Tuple

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from transforms.events.records import Aggregate, Event
from transforms.io.sinks import publish, remove_temporaries

DEFAULT_WINDOW_DAYS = 1


def window_of(date: str, days: int) -> Tuple[str, str]:
    """[start, end) of the ``days``-long window holding ``date`` (windows start on 1970-01-01)."""
    day = dt.date.fromisoformat(date)
    start = dt.date(1970, 1, 1) + dt.timedelta(days=((day - dt.date(1970, 1, 1)).days // days) * days)
    return start.isoformat(), (start + dt.timedelta(days=days)).isoformat()


def count_keys(
    event: Event, days: int, include_background: bool = False
) -> Iterator[Tuple[Tuple[str, str, str, str, Optional[str], str, str], Tuple[int, int]]]:
    """The (window, level, place, country, type) cells an event counts in, with (1, its articles).
    A background event (an older event retold) counts only with ``include_background``."""
    if not event.date or (event.background and not include_background):
        return
    start, end = window_of(event.date, days)
    cells: List[Tuple[str, str]] = []
    if event.place_precision == "city" and event.place:
        cells.append(("city", event.place))
    if event.admin1:
        cells.append(("admin1", event.place if event.place_precision == "admin1" and event.place else event.admin1))
    if event.country:
        cells.append(("country", event.country))
    for level, place in dict.fromkeys(cells):
        yield (start, end, level, place, event.country, event.type, event.event_type), (1, event.num_articles)


def sum_pairs(pairs: Iterable[Tuple[int, int]]) -> Tuple[int, int]:
    """(events, articles) summed; associative, so Beam can combine partial sums."""
    events = articles = 0
    for count, article_count in pairs:
        events += count
        articles += article_count
    return events, articles


class CountEvents(beam.PTransform):
    """PCollection[Event] -> PCollection[Aggregate]: events and articles per window × place × type.
    Background events (older events retold) are left out unless ``include_background``."""

    def __init__(self, window_days: int = DEFAULT_WINDOW_DAYS, include_background: bool = False):
        super().__init__()
        self.window_days = window_days
        self.include_background = include_background

    def expand(self, events):
        days, include_background = self.window_days, self.include_background

        def to_aggregate(kv) -> Aggregate:
            (start, end, level, place, country, type_, event_type), (count, articles) = kv
            return Aggregate(start, end, level, place, country, type_, event_type, count, articles)

        return (
            events
            | "Cells" >> beam.FlatMap(lambda e: count_keys(e, days, include_background))
            | "Sum" >> beam.CombinePerKey(sum_pairs)
            | "Aggregates" >> beam.Map(to_aggregate).with_output_types(Aggregate)
        )


AGGREGATE_CSV_HEADER = "window_start,window_end,level,place,country,type,event_type,events,articles"


def aggregates_csv(aggregates: Iterable[Aggregate]) -> str:
    """The CSV summary a user opens in a spreadsheet: sorted, one line per cell."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AGGREGATE_CSV_HEADER.split(","))
    for a in sorted(aggregates, key=lambda a: (a.window_start, a.level, a.country or "", a.place, a.type)):
        writer.writerow(
            [
                a.window_start,
                a.window_end,
                a.level,
                a.place,
                a.country or "",
                a.type,
                a.event_type,
                a.events,
                a.articles,
            ]
        )
    return buffer.getvalue()


class WriteAggregatesCsv(beam.PTransform):
    """``<output>/aggregates.csv``: the counts as one sorted CSV (small: windows × places × types)."""

    def __init__(self, output: str):
        super().__init__()
        self.output = output

    def expand(self, aggregates):
        output = self.output

        def write(rows: List[Aggregate]) -> str:
            path = FileSystems.join(output, "aggregates.csv")
            data = aggregates_csv(rows).encode("utf-8")
            publish(path, lambda handle: handle.write(data))  # temporary name, renamed when complete
            remove_temporaries([path])  # what failed attempts left
            return path

        return aggregates | "AllCells" >> beam.combiners.ToList() | "WriteCsv" >> beam.Map(write)

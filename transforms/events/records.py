"""Event records between the event transforms: a sentence's ``EventReport``, the merged
``Event`` with its ``EventRef`` mentions, the windowed ``Aggregate`` count, and a
``Repeat``: a dated run's event that an earlier run date already published.
"""

from typing import List, NamedTuple, Optional

import apache_beam as beam


class EventReport(NamedTuple):
    """One sentence's report of an event, before reports of the same event are merged."""

    article_id: str
    source: str
    sentence_index: int
    start: int  # offsets of the sentence in the article text
    end: int
    type: str
    event_type: str
    cameo: Optional[str]
    type_confidence: float
    date: Optional[str]
    date_precision: Optional[str]
    place: Optional[str]
    place_id: Optional[str]
    lat: Optional[float]
    lon: Optional[float]
    country: Optional[str]
    admin1: Optional[str]
    place_precision: Optional[str]
    place_scope: Optional[str]  # sentence, paragraph or article
    actors: List[str]
    target: Optional[str]
    fatalities: Optional[int]
    confidence: float
    background: bool  # the text dates it before the article's recent past: retold, not news
    detection: float  # the detector's probability that the sentence reports an event that happened


class EventRef(NamedTuple):
    article_id: str
    sentence_index: int
    start: int
    end: int


class Event(NamedTuple):
    """A de-duplicated event as written to ``events/``."""

    id: str
    type: str
    event_type: str
    cameo: Optional[str]
    date: Optional[str]
    date_precision: Optional[str]
    place: Optional[str]
    lat: Optional[float]
    lon: Optional[float]
    country: Optional[str]
    admin1: Optional[str]
    place_precision: Optional[str]  # city, admin1 or country
    actors: List[str]
    target: Optional[str]
    fatalities: Optional[int]
    confidence: float
    background: bool  # an older event retold (never counted in aggregates by default)
    mentions: List[EventRef]
    num_articles: int
    num_sources: int


class Aggregate(NamedTuple):
    """Events per window × place × type, as written to ``aggregates/``."""

    window_start: str
    window_end: str
    level: str  # city, admin1 or country
    place: str
    country: Optional[str]
    type: str
    event_type: str
    events: int
    articles: int


class Repeat(NamedTuple):
    """An event of this run that an earlier run date's partition already holds, as
    written to ``repeats/``: the new reports of an event that is not counted again."""

    event_id: str  # the id the earlier partition gave the event
    first_run_date: str  # the run date whose events/ partition holds it
    id: str  # the id this run's clustering gave its reports
    type: str
    date: Optional[str]
    place: Optional[str]
    country: Optional[str]
    mentions: List[EventRef]
    num_articles: int
    num_sources: int


for _record in (EventReport, EventRef, Event, Aggregate, Repeat):
    beam.coders.registry.register_coder(_record, beam.coders.RowCoder)

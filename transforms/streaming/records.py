"""Records and defaults of the streaming job: windowed aggregates as panes, event
sightings, feed files in the ledger, growing event clusters.
"""

from typing import List, NamedTuple, Optional

import apache_beam as beam
from apache_beam.coders import RowCoder

from transforms.events.records import EventReport

STAGE = "stream"


DEFAULT_WINDOW_MINUTES = 15


DEFAULT_ALLOWED_LATENESS_HOURS = 48


DEFAULT_EARLY_FIRING_SECONDS = 60


DEFAULT_DEDUP_TTL_DAYS = 7


DEFAULT_CLUSTER_TTL_DAYS = 7


DEFAULT_POLL_SECONDS = 30


DAY = 24 * 3600


class StreamAggregate(NamedTuple):
    """Events per window × place × type, as of one pane (``schemas/stream_aggregate.avsc``).

    Panes accumulate: a consumer keeps, per (window, level, place, type), the row
    with the highest ``pane_index`` and drops the earlier ones.
    """

    window_start: str  # ISO-8601 UTC, inclusive
    window_end: str  # exclusive
    level: str  # city, admin1 or country
    place: str
    country: Optional[str]
    type: str
    event_type: str
    events: int  # distinct events reported by articles published in the window
    articles: int  # distinct articles published in the window reporting them
    pane_index: int  # 0, 1, 2 … per window
    timing: str  # EARLY, ON_TIME, LATE (UNKNOWN when the runner does not say)
    is_first: bool
    is_last: bool


class EventSighting(NamedTuple):
    """One article's report of an event, in one place cell: what the windowed count needs."""

    event_id: str
    article_id: str
    level: str
    place: str
    country: Optional[str]
    type: str
    event_type: str


class FeedFile(NamedTuple):
    """A file of the watched directory, as the ledger remembers it."""

    path: str
    size: int
    mtime: float


class StreamCluster(NamedTuple):
    """The state of one growing event: its fixed id and its reports so far."""

    id: str
    reports: List[EventReport]


for _record in (StreamAggregate, EventSighting, FeedFile, StreamCluster):
    beam.coders.registry.register_coder(_record, RowCoder)

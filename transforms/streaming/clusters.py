"""``ClusterEventsIncrementally``: the batch clustering rules (``compatible``,
``merge_cluster``) applied report by report, keyed by ``cluster_key`` (country × month).
A report joins the first cluster all of whose reports it is compatible with, else starts
one; the event id is derived from the cluster's first report and never changes, so each
update re-emits the same id with more mentions. State expires ``ttl`` after the key's
latest report (event time).
"""

from __future__ import annotations

from typing import List, Tuple

import apache_beam as beam
from apache_beam.coders import ListCoder, RowCoder, VarIntCoder
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Duration, Timestamp

from transforms.events.cluster import cluster_key, compatible, merge_cluster
from transforms.events.records import Event, EventReport
from transforms.streaming.records import (
    DAY,
    DEFAULT_CLUSTER_TTL_DAYS,
    EventSighting,
    StreamCluster,
)
from transforms.streaming.windows import sightings


def cluster_id(first: EventReport) -> str:
    """The id an event keeps for life: derived from its first report, as in batch."""
    return merge_cluster([first]).id


def join_cluster(clusters: List[StreamCluster], report: EventReport) -> Tuple[List[StreamCluster], int]:
    """(clusters with ``report`` added, index of its cluster): the first cluster all of
    whose reports are compatible with it (the batch rule), else a new one. A report
    already held (a replay) changes nothing."""
    for index, cluster in enumerate(clusters):
        if any((r.article_id, r.sentence_index) == (report.article_id, report.sentence_index) for r in cluster.reports):
            return clusters, index
    for index, cluster in enumerate(clusters):
        if all(compatible(report, member) for member in cluster.reports):
            grown = StreamCluster(cluster.id, list(cluster.reports) + [report])
            return clusters[:index] + [grown] + clusters[index + 1 :], index
    return clusters + [StreamCluster(cluster_id(report), [report])], len(clusters)


def cluster_event(cluster: StreamCluster) -> Event:
    """The event as of now: the batch merge, under the cluster's fixed id."""
    return merge_cluster(cluster.reports)._replace(id=cluster.id)


class _GrowClusters(beam.DoFn):
    """Keyed by ``cluster_key`` (country × month, as batch ``ClusterEvents``): the key's
    clusters live in state; each report joins one or starts one, and the event as of
    now is emitted under its fixed id, with the report's (article's) timestamp."""

    CLUSTERS = ReadModifyWriteStateSpec("clusters", ListCoder(RowCoder.from_type_hint(StreamCluster, None)))
    EXPIRES = ReadModifyWriteStateSpec("expires", VarIntCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)
    SIGHTINGS = "sightings"

    def __init__(self, ttl_seconds: int):
        self._ttl = ttl_seconds
        self._new = Metrics.counter("events", "stream_new_events")
        self._updated = Metrics.counter("events", "stream_updated_events")
        self._expired = Metrics.counter("events", "stream_expired_keys")

    def process(
        self,
        keyed,
        ts=beam.DoFn.TimestampParam,
        state=beam.DoFn.StateParam(CLUSTERS),
        expires=beam.DoFn.StateParam(EXPIRES),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ):
        _, report = keyed
        clusters = list(state.read() or [])
        before = len(clusters)
        clusters, index = join_cluster(clusters, report)
        state.write(clusters)
        (self._new if len(clusters) > before else self._updated).inc()
        expiry_micros = (ts + Duration(seconds=self._ttl)).micros
        if (expires.read() or 0) < expiry_micros:
            expires.write(expiry_micros)
            expiry.set(Timestamp(micros=expiry_micros))
        event = cluster_event(clusters[index])
        yield event
        for sighting in sightings(event, report.article_id):
            yield TaggedOutput(self.SIGHTINGS, sighting)

    @on_timer(EXPIRY)
    def expire(self, state=beam.DoFn.StateParam(CLUSTERS), expires=beam.DoFn.StateParam(EXPIRES)):
        self._expired.inc()
        state.clear()
        expires.clear()


class ClusterEventsIncrementally(beam.PTransform):
    """PCollection[EventReport] → {"events": Event updates, "sightings": EventSighting}."""

    def __init__(self, ttl_days: float = DEFAULT_CLUSTER_TTL_DAYS):
        super().__init__()
        self._ttl = int(ttl_days * DAY)

    def expand(self, reports):
        grown = (
            reports
            | "KeyByRegionMonth"
            >> beam.Map(lambda r: (cluster_key(r), r)).with_output_types(Tuple[Tuple[str, str], EventReport])
            | "Grow" >> beam.ParDo(_GrowClusters(self._ttl)).with_outputs(_GrowClusters.SIGHTINGS, main="events")
        )
        grown.events.element_type = Event
        grown[_GrowClusters.SIGHTINGS].element_type = EventSighting
        return {"events": grown.events, "sightings": grown[_GrowClusters.SIGHTINGS]}

"""Tests of transforms.streaming and pipelines.stream: pure functions first, then one
TestStream run (on-time, early, late and too-late articles, a duplicate) and the
directory feed's ledger across a restart.
"""

from __future__ import annotations

from tests.support.reports import report
from transforms.events.cluster import merge_cluster
from transforms.streaming.clusters import cluster_event, join_cluster


def test_a_cluster_keeps_the_id_of_its_first_report_as_it_grows():
    first = report("zz-late-id", "2020-09-15", source="presstv")
    earlier_id = report("aa-early-id", "2020-09-15", source="almanar")
    elsewhere = report("b", "2020-09-15", lat=32.03, lon=44.35)  # Najaf: another event
    clusters, index = join_cluster([], first)
    assert index == 0 and clusters[0].id == merge_cluster([first]).id
    clusters, index = join_cluster(clusters, earlier_id)
    assert index == 0 and len(clusters[0].reports) == 2
    event = cluster_event(clusters[0])
    # batch would name the event after the smallest article id; a stream cannot rename it
    assert event.id == merge_cluster([first]).id != merge_cluster([first, earlier_id]).id
    assert (event.num_articles, event.num_sources) == (2, 2)
    clusters, index = join_cluster(clusters, elsewhere)
    assert index == 1 and clusters[1].id == merge_cluster([elsewhere]).id
    # a replayed report changes nothing
    assert join_cluster(clusters, earlier_id) == (clusters, 0)

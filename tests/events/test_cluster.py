"""Tests of transforms.events: what counts as an event, clustering (over- and
under-merging), counting, and the seed's events end to end.
"""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.support.reports import report
from transforms.events.cluster import (
    ClusterEvents,
    cluster_reports,
    compatible,
    haversine_km,
    merge_cluster,
)
from transforms.events.count import (
    CountEvents,
    count_keys,
)


def test_two_sites_reporting_one_attack_make_one_event():
    a = report("presstv-1", "2020-09-15", target="un véhicule de l'ambassade britannique", source="presstv")
    b = report(
        "almanar-1",
        "2020-09-15",
        target="ce véhicule de l'ambassade britannique",
        source="almanar",
        lat=33.31,
        lon=44.36,
    )
    (cluster,) = cluster_reports([a, b])
    event = merge_cluster(cluster)
    assert (event.num_articles, event.num_sources) == (2, 2)
    assert [m.article_id for m in event.mentions] == ["almanar-1", "presstv-1"]


@pytest.mark.parametrize(
    "other",
    [
        report("b", "2020-09-15", type_="ART_MISS_ATTACK"),  # another kind of attack
        report("b", "2020-09-18"),  # three days later
        report("b", "2020-09-15", lat=32.03, lon=44.35),  # Najaf, 145 km away
        report("b", "2020-09-15", target="un convoi militaire américain"),  # another target
        report("b", "2020-09-16", precision="country", lat=33.0, lon=44.0, admin1=None),  # vague and not the same day
    ],
)
def test_distinct_attacks_are_not_merged(other):
    first = report("a", "2020-09-15", target="le siège de la société G4S")
    assert not compatible(first, other)
    assert len(cluster_reports([first, other])) == 2


def test_a_report_placed_by_its_paragraph_joins_the_closest_event_in_time():
    # "Quelques heures plus tôt, deux engins avaient ciblé lundi un convoi" (placed in Baghdad by
    # its paragraph only) is the Diwaniyah convoy of that Monday, not the Salah ad-Din one the day before
    salah = report(
        "c", "2020-09-13", precision="admin1", lat=34.53, lon=43.48, admin1="IQ.18", target="un convoi américain"
    )
    diwaniyah = report(
        "b", "2020-09-14", lat=31.99, lon=44.93, admin1="IQ.04", target="des convois militaires"
    )._replace(place="Diwaniyah")
    vague = report("a", "2020-09-14", target="un convoi d'équipement")._replace(place_scope="paragraph")
    clusters = cluster_reports([salah, diwaniyah, vague])
    assert sorted(sorted(r.article_id for r in c) for c in clusters) == [["a", "b"], ["c"]]
    merged = merge_cluster(next(c for c in clusters if len(c) == 2))
    assert merged.place == "Diwaniyah"  # the sentence's own place beats the paragraph's


def test_reports_that_each_name_their_day_must_agree_on_it():
    # "A roadside bomb hit a convoy south of Baghdad on Monday" is not Tuesday's IED in Baghdad
    monday = report("wire", "2020-09-14")
    tuesday = report("presstv", "2020-09-15", target="un véhicule de l'ambassade britannique")
    assert not compatible(monday, tuesday)
    assert compatible(monday, tuesday._replace(date_precision="publication"))


def test_reports_a_day_apart_and_a_few_km_apart_merge():
    first = report("a", "2020-09-14")._replace(date_precision="publication")
    assert compatible(first, report("b", "2020-09-15", lat=33.36, lon=44.45))
    assert haversine_km(33.34, 44.40, 33.36, 44.45) < 15


def test_event_ids_are_stable_and_order_free():
    reports = [report("a", "2020-09-15"), report("b", "2020-09-15", source="b.example")]
    assert merge_cluster(cluster_reports(reports)[0]).id == merge_cluster(cluster_reports(reports[::-1])[0]).id


def test_an_event_counts_at_city_admin1_and_country_level():
    event = merge_cluster([report("a", "2020-09-15")])
    cells = sorted(key[2:4] for key, _ in count_keys(event, 1))
    assert cells == [("admin1", "IQ.07"), ("city", "Baghdad"), ("country", "IQ")]


def test_cluster_and_count_in_beam():
    reports = [
        report("a", "2020-09-15", source="presstv"),
        report("b", "2020-09-15", source="almanar"),
        report("c", "2020-09-15", type_="ART_MISS_ATTACK", source="presstv"),
        report("d", "2020-09-03", lat=32.03, lon=44.35, admin1="IQ.17", source="presstv"),
    ]
    with TestPipeline(options=PipelineOptions(["--direct_num_workers=1"])) as pipeline:
        events = pipeline | beam.Create(reports) | ClusterEvents()
        cells = (
            events
            | CountEvents()
            | beam.Filter(lambda a: a.level == "country")
            | beam.Map(lambda a: (a.window_start, a.type, a.events, a.articles))
        )
        assert_that(
            cells,
            equal_to(
                [
                    ("2020-09-03", "REM_EXPLOS", 1, 1),
                    ("2020-09-15", "REM_EXPLOS", 1, 2),
                    ("2020-09-15", "ART_MISS_ATTACK", 1, 1),
                ]
            ),
        )

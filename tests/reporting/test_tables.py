"""reporting.tables: the figures behind the page, and their caps."""

import math

from reporting import tables
from tests.support.run_outputs import article, event, sample_records


def test_map_points_group_place_and_family_and_spread_shared_places():
    events = [
        event("e1", articles=("a1", "a2")),
        event("e2", day="2020-09-15"),
        event("e3", family="Strategic developments", type_="ARREST"),
        event("e4", place="Najaf", lat=32.02594, lon=44.34625),
        dict(event("e5"), lat=None, lon=None),
    ]
    result = tables.map_points(events)
    assert (result.events, result.placed, result.groups) == (5, 4, 3)
    first = result.points[0]
    assert (first["place"], first["country"], first["family"]) == ("Baghdad", "Iraq", "Explosions/Remote violence")
    assert (first["events"], first["articles"], first["first"], first["last"]) == (2, 3, "2020-09-14", "2020-09-15")
    assert first["types"] == "REM_EXPLOS ×2"
    baghdad = [p for p in result.points if p["place"] == "Baghdad"]
    # two families at one place: drawn apart, true coordinates kept for the tooltip
    assert {(p["lat"], p["lon"]) for p in baghdad} == {(33.34058, 44.40088)}
    assert len({(p["x"], p["y"]) for p in baghdad}) == 2
    najaf = next(p for p in result.points if p["place"] == "Najaf")
    assert (najaf["x"], najaf["y"]) == (44.34625, 32.02594)


def test_map_points_cap_keeps_the_busiest_groups():
    events = [event(f"e{i}", place=f"P{i}", lat=10 + i / 10, lon=20) for i in range(30)]
    events += [event(f"b{i}", place="Busy", lat=1, lon=1) for i in range(3)]
    result = tables.map_points(events, cap=5)
    assert len(result.points) == 5 and result.groups == 31
    assert result.points[0]["place"] == "Busy" and result.points[0]["events"] == 3


def test_fit_extent_has_a_minimum_span_and_stays_in_the_world():
    lon_min, lat_min, lon_max, lat_max = tables.fit_extent([(44.4, 33.3)])
    assert math.isclose(lon_max - lon_min, 24 * 1.2, abs_tol=0.01) and math.isclose(
        lat_max - lat_min, 14 * 1.2, abs_tol=0.01
    )
    assert tables.fit_extent([(-179, -80), (179, 84)]) == (-180.0, -85.0, 180.0, 85.0)
    assert tables.fit_extent([]) == (-180.0, -60.0, 180.0, 80.0)


def test_focus_window_is_the_busiest_month_when_the_span_is_long():
    days = ["2018-11-24", "2019-11-19", "2020-01-03"] + [f"2020-09-{d:02d}" for d in (3, 7, 8, 8, 14, 15, 18)]
    assert tables.focus_window(days) == ("2020-09-03", "2020-10-03")
    # a short span is shown whole
    assert tables.focus_window(["2020-09-03", "2020-09-18"]) == ("2020-09-03", "2020-09-18")
    assert tables.focus_window([]) == ("", "")


def test_timeline_counts_per_day_family_and_country_with_other():
    events = [
        event("e1"),
        event("e2"),
        event("e3", family="Strategic developments"),
        event("e4", country="SY"),
        event("e5", country="AF"),
        dict(event("e6"), date=None),
    ]
    result = tables.timeline(events, top_countries=2)
    assert {"day": "2020-09-14", "family": "Explosions/Remote violence", "events": 4} in result.by_family
    # Iraq, then the first of the tied countries by name; Syria goes to "other"
    assert result.by_country == [
        {"day": "2020-09-14", "country": "Afghanistan", "events": 1},
        {"day": "2020-09-14", "country": "Iraq", "events": 3},
        {"day": "2020-09-14", "country": "other", "events": 1},
    ]
    assert (result.undated, result.dated, result.countries, result.in_focus) == (1, 5, 3, 5)


def test_top_entities_per_label_with_aliases_and_cap():
    records = sample_records()["entities"] + [
        {"id": f"x{i}", "name": f"Person {i}", "label": "PER", "aliases": [], "mention_count": 1} for i in range(30)
    ]
    people, organisations, places = tables.top_entities(records, n=10)
    assert (people.title, people.total, len(people.rows)) == ("People", 31, 10)
    assert people.rows[0] == {
        "name": "Kenneth McKenzie",
        "id": "alias:kenneth-mckenzie",
        "aliases": ["McKenzie"],
        "mentions": 5,
        "country": "",
    }
    assert organisations.rows[0]["aliases"] == ["Hachd al-Chaabi"]
    assert places.rows[0]["name"] == "Baghdad" and places.rows[0]["aliases"] == ["Bagdad", "BAGHDAD"]


def test_event_rows_quote_sentences_by_offsets_newest_first_and_cap():
    articles = {"a1": article("a1"), "a2": article("a2", source="almanar.example")}
    events = [
        event("old", day="2020-09-01"),
        event("new", day="2020-09-18", articles=("a1", "a2", "gone")),
        dict(event("nodate"), date=None),
    ]
    rows, total = tables.event_rows(events, articles)
    assert total == 3 and [r.id for r in rows] == ["new", "old", "nodate"]
    links = rows[0].sentences
    assert links[0].text == "Une bombe a visé un convoi à Bagdad lundi."
    assert (links[1].source, links[1].url) == ("almanar.example", "https://almanar.example/a2")
    assert links[2].text is None and links[2].title == ""  # the article is not in this output
    # the cap keeps the most reported event
    capped, total = tables.event_rows(events, articles, cap=1)
    assert [r.id for r in capped] == ["new"] and total == 3
    few, _ = tables.event_rows(events, articles, mentions_per_event=1)
    assert len(few[0].sentences) == 1 and few[0].more_sentences == 2


def test_health_books_languages_and_dead_letters():
    records = sample_records()
    counters = {"read": {"rejected": 1}}
    books = {"in": 5, "out": 3, "rejected": 1, "duplicates": 1}
    health = tables.health(records["articles"], records["rejected"], records["duplicates"], (), counters, books)
    assert health.reconciliation.from_files == {
        "out": 3,
        "rejected": 1,
        "duplicates": 1,
        "annotation_failures": 1,
        "in": 5,
    }
    assert health.reconciliation.balanced is True
    assert health.languages == [("fr", 2), ("en", 1)]
    assert health.rejected[0] == {"stage": "entities", "reason": "tagger failed", "count": 1, "example": "a3"}
    assert health.duplicates == [("url", 1)]
    unbalanced = tables.health([], [], [], (), None, {"in": 5, "out": 3, "rejected": 0, "duplicates": 1})
    assert unbalanced.reconciliation.balanced is False
    assert tables.health([], [], []).reconciliation.balanced is None


def test_reason_group_folds_particulars():
    assert tables.reason_group("invalid JSON: Invalid control character at column 61") == "invalid JSON"
    assert tables.reason_group("page over 20971520 bytes") == "page over N bytes"
    assert tables.reason_group("") == "(no reason)"


def test_country_name():
    assert tables.country_name("IQ") == "Iraq"
    assert tables.country_name("XX") == "XX"

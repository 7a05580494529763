"""Cross-run event de-duplication: pure matching first, then DropRepeatedEvents."""

from __future__ import annotations

import pathlib

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.events.records import Event, EventRef, Repeat
from transforms.events.repeats import (
    DropRepeatedEvents,
    event_from_record,
    match_repeats,
    neighbour_keys,
    same_event,
)
from transforms.io.shards import to_plain
from transforms.io.sinks import encode_shard, read_shard


def event(
    id_: str,
    day: str = "2020-09-15",
    type_: str = "REM_EXPLOS",
    place: str = "Baghdad",
    lat: float = 33.34,
    lon: float = 44.40,
    country: str = "IQ",
    precision: str = "day",
    target: str = "un véhicule de l'ambassade britannique",
    article: str = "a1",
) -> Event:
    return Event(
        id=id_,
        type=type_,
        event_type="Explosions/Remote violence",
        cameo=None,
        date=day,
        date_precision=precision,
        place=place,
        lat=lat,
        lon=lon,
        country=country,
        admin1=None,
        place_precision="city",
        actors=[],
        target=target,
        fatalities=None,
        confidence=0.8,
        background=False,
        mentions=[EventRef(article, 0, 0, 40)],
        num_articles=1,
        num_sources=1,
    )


def test_the_same_rule_as_within_a_run_decides() -> None:
    earlier = event("old")
    assert same_event(event("new", target="ce véhicule de l’ambassade britannique"), earlier)
    assert same_event(event("new", day="2020-09-16", precision="publication"), earlier)  # a day apart, inferred
    assert not same_event(event("new", day="2020-09-16"), earlier)  # two days each named: two events
    assert not same_event(event("new", type_="ART_MISS_ATTACK"), earlier)
    assert not same_event(event("new", place="Basra", lat=30.5, lon=47.8), earlier)
    assert not same_event(event("new", target="un convoi militaire"), earlier)


def test_earlier_events_are_compared_on_their_day_and_the_days_around_it() -> None:
    assert neighbour_keys(event("e", day="2020-09-30")) == [
        ("IQ", "2020-09-29"),
        ("IQ", "2020-09-30"),
        ("IQ", "2020-10-01"),  # across the month boundary ClusterEvents' keys split at
    ]
    assert neighbour_keys(event("e", day=None)) == []  # type: ignore[arg-type]


def test_a_match_becomes_a_repeat_of_the_closest_earlier_event() -> None:
    new = [
        event("n1", day="2020-09-16", precision="publication", article="b1"),
        event("n2", place="Basra", lat=30.5, lon=47.8),
    ]
    earlier = [
        ("2020-09-14", event("old14", day="2020-09-15")),
        ("2020-09-15", event("old15", day="2020-09-16", precision="publication")),
    ]
    kept, repeat = sorted(match_repeats(new, earlier), key=lambda item: type(item).__name__)
    assert kept == new[1]
    assert isinstance(repeat, Repeat)
    assert (repeat.event_id, repeat.first_run_date, repeat.id) == ("old15", "2020-09-15", "n1")
    assert repeat.mentions == [EventRef("b1", 0, 0, 40)] and repeat.num_articles == 1


def test_events_read_back_from_any_format_are_the_same_events(tmp_path: pathlib.Path) -> None:
    original = event("old")
    for fmt in ("avro", "jsonl", "parquet"):
        path = tmp_path / f"part-00000-of-00001.{fmt}"
        path.write_bytes(encode_shard([to_plain(original)], "event", fmt, "events/p"))
        assert [event_from_record(r) for r in read_shard(str(path))] == [original], fmt


def test_drop_repeated_events_reads_the_earlier_partition(tmp_path: pathlib.Path) -> None:
    earlier_file = tmp_path / "events" / "dt=2020-09-15" / "part-00000-of-00001.parquet"
    earlier_file.parent.mkdir(parents=True)
    earlier_file.write_bytes(encode_shard([to_plain(event("old"))], "event", "parquet", "events/p"))
    todays = [
        event("again", target="le véhicule de l'ambassade britannique", article="b1"),
        event("fresh", type_="ARREST"),
    ]
    with TestPipeline() as p:
        split = (
            p | beam.Create(todays).with_output_types(Event) | DropRepeatedEvents([("2020-09-15", str(earlier_file))])
        )
        assert_that(split["events"] | beam.Map(lambda e: e.id), equal_to(["fresh"]), label="Kept")
        assert_that(
            split["repeats"] | beam.Map(lambda r: (r.event_id, r.first_run_date, r.id)),
            equal_to([("old", "2020-09-15", "again")]),
            label="Repeats",
        )


def test_with_no_earlier_partition_every_event_is_kept() -> None:
    with TestPipeline() as p:
        split = p | beam.Create([event("a"), event("b", day=None)]).with_output_types(Event) | DropRepeatedEvents([])  # type: ignore[arg-type]
        assert_that(split["events"] | beam.Map(lambda e: e.id), equal_to(["a", "b"]), label="Kept")
        assert_that(split["repeats"], equal_to([]), label="Repeats")

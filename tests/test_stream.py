"""Tests of transforms.streaming and pipelines.stream: pure functions first, then one
TestStream run (on-time, early, late and too-late articles, a duplicate) and the
directory feed's ledger across a restart."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import Timestamp
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from tests.test_events import report
from transforms.events.cluster import merge_cluster
from transforms.io.kafka import KafkaRecord
from transforms.records import RawDocument, Rejected
from transforms.streaming.clusters import cluster_event, join_cluster
from transforms.streaming.event_time import event_time
from transforms.streaming.feeds import (
    document_from_kafka,
    enter_in_ledger,
    kafka_record_parts,
    new_files,
)
from transforms.streaming.panes import pane_file_path
from transforms.streaming.records import FeedFile, StreamCluster
from transforms.streaming.windows import CountSightings, pane_aggregates, sightings


def ts(iso: str) -> Timestamp:
    return Timestamp.from_rfc3339(iso)


# --- pure functions ------------------------------------------------------------------------------


def test_event_time_is_publication_else_ingestion():
    ingested = ts("2020-09-14T12:00:00Z")
    assert event_time("2020-09-14T09:30:00+00:00", ingested) == (ts("2020-09-14T09:30:00Z"), "published")
    assert event_time("2020-09-14T11:30:00+02:00", ingested) == (ts("2020-09-14T09:30:00Z"), "published")
    assert event_time("2020-09-13", ingested) == (ts("2020-09-13T00:00:00Z"), "published")
    assert event_time(None, ingested) == (ingested, "ingestion")
    assert event_time("not a date", ingested) == (ingested, "ingestion")
    # a clock error must not put an article in a window that has not started
    assert event_time("2020-09-15T09:30:00Z", ingested) == (ingested, "future_published")


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


def test_counts_are_distinct_over_re_emitted_events():
    a, b = report("a", "2020-09-15", source="s1"), report("b", "2020-09-15", source="s2")
    grown = StreamCluster("e1", [a])
    first = sightings(cluster_event(grown), "a")
    second = sightings(cluster_event(StreamCluster("e1", [a, b])), "b")
    assert sorted(s.level for s in first) == ["admin1", "city", "country"]
    combine = CountSightings()
    accumulator = combine.create_accumulator()
    for sighting in first + second + first:  # the first update seen twice (accumulating panes)
        accumulator = combine.add_input(accumulator, sighting)
    cells = {cell[0]: (events, articles) for cell, events, articles in combine.extract_output(accumulator)}
    assert cells == {"admin1": (1, 2), "city": (1, 2), "country": (1, 2)}
    pane = PaneInfo(False, False, PaneInfoTiming.LATE, 2, 1)
    rows = pane_aggregates(combine.extract_output(accumulator), ts("2020-09-15T00:00:00Z"), ts("2020-09-15T00:15:00Z"), pane)
    assert {(r.window_start, r.window_end, r.pane_index, r.timing, r.is_last) for r in rows} == {
        ("2020-09-15T00:00:00Z", "2020-09-15T00:15:00Z", 2, "LATE", False)}


def test_pane_files_are_named_by_window_and_pane_only():
    from apache_beam.transforms.window import IntervalWindow

    window = IntervalWindow(ts("2020-09-14T09:30:00Z"), ts("2020-09-14T09:45:00Z"))
    pane = PaneInfo(False, False, PaneInfoTiming.ON_TIME, 1, 0)
    assert pane_file_path("out", "aggregates", window, pane, "jsonl") == (
        "out/aggregates/20200914T093000Z--20200914T094500Z/pane-00001-ON_TIME.jsonl")


def test_kafka_values_become_documents_or_dead_letters():
    value = json.dumps({"id": "k1", "url": "https://x.example/a", "text": "Body.", "published": "2020-09-14"}).encode()
    doc = document_from_kafka("kafka:articles/0/7", value)
    assert isinstance(doc, RawDocument) and (doc.origin, doc.record_id, doc.published) == ("kafka:articles/0/7", "k1", "2020-09-14")
    for bad, reason in ((b"{not json", "invalid JSON"), (b"[1, 2]", "not an object"), (b'{"title": "x"}', "no text"),
                        (None, "tombstone")):
        dead = document_from_kafka("kafka:articles/0/8", bad)
        assert isinstance(dead, Rejected) and dead.stage == "read" and reason in dead.reason
    record = {"topic": "articles", "partition": 3, "offset": 42, "value": value, "timestamp": 1600075800000}
    assert kafka_record_parts(record, "articles") == ("kafka:articles/3/42", value, ts("2020-09-14T09:30:00Z"))
    read = KafkaRecord("articles", 3, 42, None, value, 1600075800000)
    assert kafka_record_parts(read, "articles") == ("kafka:articles/3/42", value, ts("2020-09-14T09:30:00Z"))
    assert kafka_record_parts(read._replace(timestamp=0), "articles")[2] is None  # 0: no Kafka timestamp


def test_new_files_skip_the_ledger_and_files_still_being_written(tmp_path):
    feed, state = tmp_path / "feed", tmp_path / "state"
    feed.mkdir()
    for name in ("a.jsonl", "b.jsonl", ".c.jsonl", "d.jsonl.tmp", "e.pdf"):
        (feed / name).write_text("{}\n")
    found = new_files(str(feed), str(state))
    assert [Path(f.path).name for f in found] == ["a.jsonl", "b.jsonl"]
    entry = enter_in_ledger(str(state), found[0])
    assert entry == enter_in_ledger(str(state), found[0])  # idempotent
    assert [Path(f.path).name for f in new_files(str(feed), str(state))] == ["b.jsonl"]


# --- the pipeline --------------------------------------------------------------------------------

WIRE = (
    "BAGHDAD, Sept. 14 - A roadside bomb hit a convoy carrying supplies for the U.S.-led coalition south of "
    "Baghdad on Monday, two Iraqi security officials said. No casualties were reported.\n\n"
    "The convoy was run by Iraqi contractors, the officials said."
)
# the same attack told by other sites, in other words (different body fingerprints)
AGENCY = (
    "BAGHDAD, Sept. 14 - A roadside bomb exploded near a supply convoy of the U.S.-led coalition south of "
    "Baghdad on Monday, police sources said.\n\nIraqi contractors were driving the trucks, the sources said."
)
THIRD = (
    "BAGHDAD, Sept. 14 - A bomb planted by the road hit a coalition supply convoy south of Baghdad on Monday, "
    "a security source said.\n\nThe trucks belonged to Iraqi contractors."
)


def doc(origin: str, url: str, text: str, published: str, source: str) -> RawDocument:
    return RawDocument(origin=origin, kind="text", body=text, url=url, title=None, published=published, source=source)


def grows_under_one_id(updates) -> None:
    """Event updates: one id, 1 → 2 → 3 articles from 1 → 2 → 3 sources."""
    assert len({u[0] for u in updates}) == 1, updates
    assert sorted(u[1:] for u in updates) == [(1, 1), (2, 2), (3, 3)], updates


def stream_options(tmp_path: Path, *extra: str) -> PipelineOptions:
    options = PipelineOptions(["--output", str(tmp_path / "out"), "--format", "jsonl", *extra])
    options.view_as(StandardOptions).streaming = True
    return options


@pytest.mark.slow
def test_on_time_early_late_too_late_and_duplicate_articles(tmp_path):
    from pipelines.stream import StreamOptions, build_middle, write_outputs

    on_time = doc("feed#1", "https://wire.example.org/2020/09/14/iraq-convoy", WIRE, "2020-09-14T09:30:00Z", "wire.example.org")
    repost = doc("feed#2", "https://www.wire.example.org/2020/09/14/iraq-convoy/?utm_source=rss", WIRE, None, "aggregator")
    late = doc("feed#3", "https://agency.example.net/iraq-bomb", AGENCY, "2020-09-14T09:40:00Z", "agency.example.net")
    too_late = doc("feed#4", "https://third.example.com/convoy", THIRD, "2020-09-14T09:42:00Z", "third.example.com")
    events = (
        test_stream.TestStream(coder=beam.coders.registry.get_coder(RawDocument))
        .advance_watermark_to(ts("2020-09-14T09:00:00Z"))
        .add_elements([TimestampedValue(on_time, ts("2020-09-14T09:50:00Z")),
                       TimestampedValue(repost, ts("2020-09-14T09:51:00Z"))])
        .advance_processing_time(120)  # an early pane while the window is open
        .advance_watermark_to(ts("2020-09-14T10:00:00Z"))  # the on-time pane
        .add_elements([TimestampedValue(late, ts("2020-09-14T10:05:00Z"))])  # within the 48 h allowed lateness
        .advance_watermark_to(ts("2020-09-17T00:00:00Z"))  # the window closed at 09-16T09:45
        .add_elements([TimestampedValue(too_late, ts("2020-09-17T00:05:00Z"))])
        .advance_watermark_to_infinity()
    )
    options = stream_options(tmp_path)
    stream = options.view_as(StreamOptions)
    with beam.Pipeline(options=options) as pipeline:
        documents = pipeline | events | "Typed" >> beam.Map(lambda d: d).with_output_types(RawDocument)
        outputs = build_middle(documents, None, stream)
        write_outputs(outputs, stream)
        country_cells = (
            outputs["aggregates"]
            | beam.Filter(lambda a: a.level == "country" and a.type == "REM_EXPLOS")
            | beam.Map(lambda a: (a.window_start, a.place, a.events, a.articles, a.pane_index, a.timing))
        )
        window = "2020-09-14T09:30:00Z"
        assert_that(country_cells, equal_to([
            (window, "IQ", 1, 1, 0, "EARLY"),
            (window, "IQ", 1, 1, 1, "ON_TIME"),
            (window, "IQ", 1, 2, 2, "LATE"),  # the late article revises the count; the too-late one does not
        ]), label="PanesOfTheWindow")
        assert_that(outputs["duplicates"] | beam.Map(lambda d: (d.origin, d.rule)), equal_to([("feed#2", "url")]),
                    label="Duplicates")
        assert_that(outputs["too_late"] | beam.Map(lambda r: (r.origin, r.stage)), equal_to([("feed#4", "window")]),
                    label="TooLate")
        # the event keeps its id while it grows (the too-late report still joins the cluster)
        bomb_updates = (
            outputs["events"]
            | beam.Filter(lambda e: e.type == "REM_EXPLOS")
            | beam.Map(lambda e: (e.id, e.num_articles, e.num_sources))
        )
        assert_that(bomb_updates, grows_under_one_id, label="OneEventGrows")
    folder = tmp_path / "out" / "aggregates" / "20200914T093000Z--20200914T094500Z"
    assert sorted(p.name for p in folder.iterdir()) == [
        "pane-00000-EARLY.jsonl", "pane-00001-ON_TIME.jsonl", "pane-00002-LATE.jsonl"]
    late_pane = [json.loads(line) for line in (folder / "pane-00002-LATE.jsonl").read_text().splitlines()]
    assert {(r["level"], r["articles"], r["timing"]) for r in late_pane if r["type"] == "REM_EXPLOS"} == {
        ("city", 2, "LATE"), ("admin1", 2, "LATE"), ("country", 2, "LATE")}


def _files_under(directory: Path) -> List[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


@pytest.mark.slow
def test_directory_feed_reads_each_file_once_across_restarts(tmp_path):
    from pipelines.stream import run

    feed, state, out = tmp_path / "feed", tmp_path / "state", tmp_path / "out"
    feed.mkdir()
    record = {"id": "wire-1", "url": "https://wire.example.org/2020/09/14/iraq-convoy", "text": WIRE,
              "published": "2020-09-14T09:30:00Z", "source": "wire.example.org"}
    (feed / "batch-1.jsonl").write_text(json.dumps(record) + "\n")
    argv = ["--input_dir", str(feed), "--state_dir", str(state), "--output", str(out), "--format", "jsonl", "--once",
            "--direct_num_workers=1"]
    _, first = run(argv, save_main_session=False)
    assert first["read"]["files"] == 1 and first["stream"]["unique_articles"] == 1
    written = _files_under(out)
    assert "aggregates/20200914T093000Z--20200914T094500Z/pane-00000-ON_TIME.jsonl" in written
    assert len(list((state / "ledger").iterdir())) == 1
    _, second = run(argv, save_main_session=False)  # a restart over the same directory and state
    assert second.get("read", {}).get("files", 0) == 0
    assert second.get("stream", {}).get("unique_articles", 0) == 0
    assert _files_under(out) == written


def test_an_article_the_event_stage_fails_on_is_a_dead_letter_not_a_crash(tmp_path, monkeypatch):
    """As in batch: the article still counts, its dead letter (stage "events") is written and
    the summary names it."""
    import transforms.events.extract as events
    from pipelines.stream import format_summary, reconcile, run

    def broken(article, mentions, counters=None):
        raise ValueError("broken offsets")

    monkeypatch.setattr(events, "extract_events", broken)
    feed, state, out = tmp_path / "feed", tmp_path / "state", tmp_path / "out"
    feed.mkdir()
    record = {"id": "wire-1", "url": "https://wire.example.org/2020/09/14/iraq-convoy", "text": WIRE,
              "published": "2020-09-14T09:30:00Z", "source": "wire.example.org"}
    (feed / "batch-1.jsonl").write_text(json.dumps(record) + "\n")
    _, counters = run(["--input_dir", str(feed), "--state_dir", str(state), "--output", str(out), "--format", "jsonl",
                       "--once", "--direct_num_workers=1"], save_main_session=False)
    totals = reconcile(counters)
    assert (totals["in"], totals["out"], totals["rejected"], totals["annotation_failures"]) == (1, 1, 0, 1)
    dead = [json.loads(line) for path in (out / "rejected").rglob("*.jsonl") for line in path.read_text().splitlines()]
    assert [(d["origin"], d["stage"], d["reason"]) for d in dead] == [(dead[0]["origin"], "events", "ValueError: broken offsets")]
    assert "without entities or events" in format_summary(counters, 1.0)

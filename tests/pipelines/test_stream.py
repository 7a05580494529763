"""Tests of transforms.streaming and pipelines.stream: pure functions first, then one
TestStream run (on-time, early, late and too-late articles, a duplicate) and the
directory feed's ledger across a restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing import test_stream
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import Timestamp

from transforms.records import RawDocument


def ts(iso: str) -> Timestamp:
    return Timestamp.from_rfc3339(iso)


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
    """Event updates: one id, 1 → 2 → 3 articles from 1 → 2 → 3 sources. An article whose
    second sentence also reports the event sends the event again at the same count (one update
    per report), so the states are compared, not the number of updates."""
    assert len({u[0] for u in updates}) == 1, updates
    assert sorted(set(u[1:] for u in updates)) == [(1, 1), (2, 2), (3, 3)], updates
    assert len(updates) <= 6, updates  # three articles of two sentences: one update per report at most


def stream_options(tmp_path: Path, *extra: str) -> PipelineOptions:
    options = PipelineOptions(["--output", str(tmp_path / "out"), "--format", "jsonl", *extra])
    options.view_as(StandardOptions).streaming = True
    return options


@pytest.mark.slow
def test_on_time_early_late_too_late_and_duplicate_articles(tmp_path):
    from pipelines.stream import StreamOptions, build_middle, write_outputs

    on_time = doc(
        "feed#1", "https://wire.example.org/2020/09/14/iraq-convoy", WIRE, "2020-09-14T09:30:00Z", "wire.example.org"
    )
    repost = doc(
        "feed#2", "https://www.wire.example.org/2020/09/14/iraq-convoy/?utm_source=rss", WIRE, None, "aggregator"
    )
    late = doc("feed#3", "https://agency.example.net/iraq-bomb", AGENCY, "2020-09-14T09:40:00Z", "agency.example.net")
    too_late = doc("feed#4", "https://third.example.com/convoy", THIRD, "2020-09-14T09:42:00Z", "third.example.com")
    events = (
        test_stream.TestStream(coder=beam.coders.registry.get_coder(RawDocument))
        .advance_watermark_to(ts("2020-09-14T09:00:00Z"))
        .add_elements(
            [
                TimestampedValue(on_time, ts("2020-09-14T09:50:00Z")),
                TimestampedValue(repost, ts("2020-09-14T09:51:00Z")),
            ]
        )
        .advance_processing_time(120)  # an early pane while the window is open
        .advance_watermark_to(ts("2020-09-14T10:00:00Z"))  # the on-time pane
        .add_elements([TimestampedValue(late, ts("2020-09-14T10:05:00Z"))])  # within the 48 h allowed lateness
        .advance_watermark_to(ts("2020-09-17T00:00:00Z"))  # the window closed at 09-16T09:45
        .add_elements([TimestampedValue(too_late, ts("2020-09-17T00:05:00Z"))])
        .advance_watermark_to_infinity()
    )
    options = stream_options(tmp_path)
    stream = options.view_as(StreamOptions)
    with TestPipeline(options=options) as pipeline:
        documents = pipeline | events | "Typed" >> beam.Map(lambda d: d).with_output_types(RawDocument)
        outputs = build_middle(documents, None, stream)
        write_outputs(outputs, stream)
        country_cells = (
            outputs["aggregates"]
            | beam.Filter(lambda a: a.level == "country" and a.type == "REM_EXPLOS")
            | beam.Map(lambda a: (a.window_start, a.place, a.events, a.articles, a.pane_index, a.timing))
        )
        window = "2020-09-14T09:30:00Z"
        assert_that(
            country_cells,
            equal_to(
                [
                    (window, "IQ", 1, 1, 0, "EARLY"),
                    (window, "IQ", 1, 1, 1, "ON_TIME"),
                    (window, "IQ", 1, 2, 2, "LATE"),  # the late article revises the count; the too-late one does not
                ]
            ),
            label="PanesOfTheWindow",
        )
        assert_that(
            outputs["duplicates"] | beam.Map(lambda d: (d.origin, d.rule)),
            equal_to([("feed#2", "url")]),
            label="Duplicates",
        )
        assert_that(
            outputs["too_late"] | beam.Map(lambda r: (r.origin, r.stage)),
            equal_to([("feed#4", "window")]),
            label="TooLate",
        )
        # the event keeps its id while it grows (the too-late report still joins the cluster)
        bomb_updates = (
            outputs["events"]
            | beam.Filter(lambda e: e.type == "REM_EXPLOS")
            | beam.Map(lambda e: (e.id, e.num_articles, e.num_sources))
        )
        assert_that(bomb_updates, grows_under_one_id, label="OneEventGrows")
    folder = tmp_path / "out" / "aggregates" / "20200914T093000Z--20200914T094500Z"
    assert sorted(p.name for p in folder.iterdir()) == [
        "pane-00000-EARLY.jsonl",
        "pane-00001-ON_TIME.jsonl",
        "pane-00002-LATE.jsonl",
    ]
    late_pane = [json.loads(line) for line in (folder / "pane-00002-LATE.jsonl").read_text().splitlines()]
    assert {(r["level"], r["articles"], r["timing"]) for r in late_pane if r["type"] == "REM_EXPLOS"} == {
        ("city", 2, "LATE"),
        ("admin1", 2, "LATE"),
        ("country", 2, "LATE"),
    }


def _files_under(directory: Path) -> List[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


@pytest.mark.slow
def test_directory_feed_reads_each_file_once_across_restarts(tmp_path):
    from pipelines.stream import run

    feed, state, out = tmp_path / "feed", tmp_path / "state", tmp_path / "out"
    feed.mkdir()
    record = {
        "id": "wire-1",
        "url": "https://wire.example.org/2020/09/14/iraq-convoy",
        "text": WIRE,
        "published": "2020-09-14T09:30:00Z",
        "source": "wire.example.org",
    }
    (feed / "batch-1.jsonl").write_text(json.dumps(record) + "\n")
    argv = [
        "--input_dir",
        str(feed),
        "--state_dir",
        str(state),
        "--output",
        str(out),
        "--format",
        "jsonl",
        "--once",
        "--direct_num_workers=1",
    ]
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
    record = {
        "id": "wire-1",
        "url": "https://wire.example.org/2020/09/14/iraq-convoy",
        "text": WIRE,
        "published": "2020-09-14T09:30:00Z",
        "source": "wire.example.org",
    }
    (feed / "batch-1.jsonl").write_text(json.dumps(record) + "\n")
    _, counters = run(
        [
            "--input_dir",
            str(feed),
            "--state_dir",
            str(state),
            "--output",
            str(out),
            "--format",
            "jsonl",
            "--once",
            "--direct_num_workers=1",
        ],
        save_main_session=False,
    )
    totals = reconcile(counters)
    assert (totals["in"], totals["out"], totals["rejected"], totals["annotation_failures"]) == (1, 1, 0, 1)
    dead = [json.loads(line) for path in (out / "rejected").rglob("*.jsonl") for line in path.read_text().splitlines()]
    assert [(d["origin"], d["stage"], d["reason"]) for d in dead] == [
        (str(feed / "batch-1.jsonl") + "#1", "events", "ValueError: broken offsets")
    ]
    assert "without entities or events" in format_summary(counters, 1.0)

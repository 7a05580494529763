"""Both jobs with --feeds against a local news site (tests/support/news_site.py): the
batch job's books, each story once, dead letters with stage "fetch", a replay from the
WARC archive giving byte-identical articles, --feeds with --input; the streaming job
fetching each page once across a restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

import pytest

from tests.support.news_site import NewsSite, build_network

FAST = [
    "--fetch_min_interval",
    "0.05",
    "--fetch_timeout",
    "1",
    "--fetch_retries",
    "2",
    "--fetch_backoff",
    "0.1",
    "--fetch_max_bytes",
    "200000",
]


def _records(directory: Path) -> List[Dict]:
    return [
        json.loads(line) for path in sorted(directory.glob("part-*")) for line in path.read_text("utf-8").splitlines()
    ]


@pytest.fixture(scope="module")
def feed_run(tmp_path_factory):
    """One batch run over the three hosts' feeds, then a replay of its WARC archive."""
    from pipelines.batch import run

    root = tmp_path_factory.mktemp("feed-run")
    with NewsSite() as tribune, NewsSite() as slow, NewsSite() as busy:
        network = build_network(tribune, slow, busy)
        feeds = root / "feeds.txt"
        feeds.write_text("# the local news site\n" + "\n".join(network.feeds) + "\n", encoding="utf-8")
        out = root / "out"
        args = ["--feeds", str(feeds), "--output", str(out), "--format", "jsonl", "--skip_entities", *FAST]
        _, counters = run(args, save_main_session=False)
        asked = {path: len(tribune.asked(path)) for path in ("/private/leak.html", "/news/tram-line.html")}
    # offline: the servers are gone
    replay = root / "replay"
    _, replay_counters = run(
        ["--input", str(out / "warc" / "*.warc.gz"), "--output", str(replay), "--format", "jsonl", "--skip_entities"],
        save_main_session=False,
    )
    return network, out, counters, asked, replay, replay_counters


@pytest.mark.slow
def test_each_fetchable_story_once_and_the_books_balance(feed_run):
    from pipelines.batch import reconcile

    network, out, counters, asked, _, _ = feed_run
    articles = _records(out / "articles")
    assert sorted(a["url"] for a in articles) == sorted(network.articles)
    assert {a["url"]: a["title"] for a in articles} == network.articles
    duplicates = _records(out / "duplicates")
    assert [(d["origin"].split("?")[1], d["rule"]) for d in duplicates] == [("utm_source=rss&utm_medium=feed", "url")]
    totals = reconcile(counters)
    assert totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"]
    assert (totals["out"], totals["rejected"], totals["duplicates"]) == (len(network.articles), 7, 1)
    assert counters["fetch"]["rejected"] == 7  # fetched items and feeds are counted in "in"
    assert asked == {"/private/leak.html": 0, "/news/tram-line.html": 2}  # never asked; 503 then retried


@pytest.mark.slow
def test_unusable_feeds_and_pages_are_dead_letters_with_stage_fetch(feed_run):
    network, out, _, _, _, _ = feed_run
    rejected = {r["origin"]: r for r in _records(out / "rejected")}
    assert set(rejected) == set(network.rejected)
    for origin, word in network.rejected.items():
        assert rejected[origin]["stage"] == "fetch"
        assert word in rejected[origin]["reason"], (origin, rejected[origin]["reason"])


@pytest.mark.slow
def test_feed_title_and_date_fill_what_the_page_lacks(feed_run):
    network, out, _, _, _, _ = feed_run
    flood = next(a for a in _records(out / "articles") if a["url"].endswith("/flood-defences.html"))
    # the page has no <title>, no <h1> and no date: both come from the RSS item
    assert (flood["title"], flood["published"]) == ("Flood defences plan", "2026-03-10T09:30:00+00:00")
    assert flood["origin"] == network.tribune.url("/news/flood-defences.html#comments")


@pytest.mark.slow
def test_replay_from_the_warc_archive_gives_identical_articles(feed_run):
    _, out, _, _, replay, replay_counters = feed_run
    for kind in ("articles", "sentences", "duplicates"):
        live = [p.read_bytes() for p in sorted((out / kind).glob("part-*"))]
        assert live and [p.read_bytes() for p in sorted((replay / kind).glob("part-*"))] == live, kind
    # the archive's redirect hops, retried 503s and request records are no articles
    assert replay_counters["read"]["rejected"] > 0


@pytest.mark.slow
def test_feeds_and_input_files_together(tmp_path):
    from pipelines.batch import reconcile, run

    seed = Path(__file__).parents[1] / "fixtures" / "seed" / "000_243c87bbee7a852f.txt"
    with NewsSite() as tribune, NewsSite() as slow, NewsSite() as busy:
        network = build_network(tribune, slow, busy)
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(network.feeds[-1] + "\n", encoding="utf-8")  # the JSON Feed: one story, one 503
        _, counters = run(
            ["--input", str(seed), "--feeds", str(feeds), "--output", str(tmp_path / "out"), "--format", "jsonl"]
            + ["--skip_entities", *FAST],
            save_main_session=False,
        )
    articles = _records(tmp_path / "out" / "articles")
    assert network.busy.url("/news/ferry.html") in {a["url"] for a in articles}
    assert sum(1 for a in articles if a["origin"].startswith(str(seed))) == 10  # the seed's ten articles
    totals = reconcile(counters)
    assert totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"] == 12


@pytest.mark.slow
def test_the_streaming_job_fetches_each_page_once_across_a_restart(tmp_path):
    from pipelines.stream import reconcile, run

    with NewsSite() as tribune, NewsSite() as slow, NewsSite() as busy:
        network = build_network(tribune, slow, busy)
        feeds = tmp_path / "feeds.txt"
        feeds.write_text("\n".join(network.feeds[:3]) + "\n", encoding="utf-8")  # the Tribune's RSS, Atom, sitemaps
        argv = ["--feeds", str(feeds), "--output", str(tmp_path / "out"), "--format", "jsonl", "--once"]
        argv += ["--direct_num_workers=1", *FAST]
        _, first = run(argv, save_main_session=False)
        _, second = run(argv, save_main_session=False)  # a restart with the same state directory
        school_meals = len(tribune.asked("/news/school-meals.html"))
        rss_validators = [r.headers.get("if-none-match") for r in tribune.asked("/rss.xml")]
    totals = reconcile(first)
    assert totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"]
    assert totals["out"] == 8 and first["fetch"]["documents"] == 9
    assert school_meals == 1 and rss_validators == [None, '"rss-v1"']
    assert (
        second["fetch"]["feeds_not_modified"] == 1 and second["fetch"]["items_seen_before"] == 7
    )  # Atom 5 + sitemaps 2; the RSS answered 304
    assert second["fetch"].get("documents", 0) == 0 and second.get("cleanup", {}).get("candidates", 0) == 0
    assert (tmp_path / "out" / "_state" / "feeds" / "seen").is_dir()

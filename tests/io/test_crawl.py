"""transforms.io.crawl against three local hosts (tests/support/news_site.py): one poll
of RSS + Atom + a sitemap index + a malformed feed + a JSON Feed, then every page; the
FetchFeeds transform in a TestPipeline; a follower's state across polls and restarts."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.support.news_site import CRAWL_DELAY, NewsSite, build_network
from transforms.io.crawl import CrawlFeeds, FetchFeeds, poll_feeds
from transforms.io.feeds import normalise_link
from transforms.io.fetch import FetchPolicy, PoliteFetcher
from transforms.io.seen import FeedValidators

POLICY = FetchPolicy(
    min_interval=0.05, timeout=1.0, retries=2, backoff=0.1, max_retry_after=5.0, max_bytes=200_000, hosts_in_parallel=8
)


@pytest.fixture
def network():
    with NewsSite() as tribune, NewsSite() as slow, NewsSite() as busy:
        yield build_network(tribune, slow, busy)


def test_one_poll_reads_rss_atom_sitemaps_and_json_feed(network):
    fetcher = PoliteFetcher(POLICY)
    poll = poll_feeds(fetcher, network.feeds)
    t, b = network.tribune, network.busy
    assert (poll.feeds, poll.sitemaps, poll.not_modified) == (7, 2, 0)  # 6 listed, 1 malformed, 2 via the index
    assert [(r.origin, r.reason[:15]) for r in poll.rejected] == [(t.url("/broken.xml"), "malformed feed:")]
    links = [item.link for item in poll.items]
    assert links[:2] == [
        t.url("/news/harbour-bridge.html?utm_source=rss&utm_medium=feed"),
        t.url("/news/school-meals.html"),
    ]
    assert t.url("/news/library-hours.html") in links and t.url("/news/bus-fares.html") in links  # via the index
    assert links[-2:] == [b.url("/news/ferry.html"), b.url("/news/down.html")]
    assert len(poll.items) == 17
    redirected = t.url("/news/market-hall.html")  # listed as /r/1, reached through two redirects
    assert {normalise_link(link) for link in links} >= set(network.articles) - {redirected}
    assert t.url("/r/1") in links
    # every feed document and robots.txt response is there to archive
    assert sorted(e.url.rsplit("/", 1)[-1] for e in poll.exchanges) == [
        "atom.xml",
        "broken.xml",
        "feed.json",
        "feed.xml",
        "rss.xml",
        "sitemap-index.xml",
        "sitemap-news.xml",
        "sitemap-pages.xml.gz",
    ]
    assert [e.url.rsplit("/", 1)[-1] for e in fetcher.drain_archive()] == ["robots.txt"] * 3


def _feed_urls(path: str):
    return [line for line in Path(path).read_text().splitlines() if line.startswith("http")]


def _write_feeds(tmp_path: Path, network) -> str:
    listing = tmp_path / "feeds.txt"
    listing.write_text("# local test site\n" + "\n".join(network.feeds) + "\nnot-a-url\n", encoding="utf-8")
    return str(listing)


def test_fetch_feeds_gives_every_fetchable_story_and_rejects_the_rest(network, tmp_path):
    feeds = _write_feeds(tmp_path, network)
    t = network.tribune
    expected_origins = sorted(
        [link for link in network.articles if link != t.url("/news/harbour-bridge.html")]
        + [
            t.url("/news/harbour-bridge.html?utm_source=rss&utm_medium=feed"),
            t.url("/news/harbour-bridge.html?utm_source=atom&fbclid=abc123"),
            t.url("/news/flood-defences.html#comments"),
            t.url("/r/1"),
        ]
    )
    expected_origins.remove(t.url("/news/flood-defences.html"))
    expected_origins.remove(t.url("/news/market-hall.html"))
    expected_rejected = sorted(list(network.rejected) + [f"{feeds}#8"])
    with TestPipeline() as pipeline:
        fetched = pipeline | FetchFeeds(feeds, POLICY, str(tmp_path / "warc"))
        assert_that(
            fetched["documents"] | "Origins" >> beam.Map(lambda d: d.origin),
            equal_to(expected_origins),
            label="documents",
        )
        assert_that(
            fetched["rejected"] | "Rejected" >> beam.Map(lambda r: (r.origin, r.stage)),
            equal_to([(origin, "fetch") for origin in expected_rejected]),
            label="rejected",
        )
        titles = fetched["documents"] | "Titles" >> beam.Map(lambda d: (d.url, d.title))
        assert_that(
            titles | "Flood" >> beam.Filter(lambda pair: "flood" in pair[0]),
            equal_to([(t.url("/news/flood-defences.html"), "Flood defences plan")]),  # the page has none: the feed's
            label="feed title fills the page's",
        )
    # robots.txt: the disallowed page was never asked for; the 503 page was asked again
    assert t.asked("/private/leak.html") == []
    assert len(t.asked("/news/tram-line.html")) == 2
    # one request at a time on the Tribune, its Crawl-delay apart (as the server sees them arrive:
    # its handler threads start late by a few tens of ms on a loaded machine)
    arrivals = [r.arrived for r in t.requests]
    assert min(b - a for a, b in zip(arrivals, arrivals[1:])) >= CRAWL_DELAY * 0.8
    pages = list((tmp_path / "warc").glob("pages-*.warc.gz"))
    feeds_warc = list((tmp_path / "warc" / "feeds").glob("*.warc.gz"))
    assert len(pages) >= 1 and len(feeds_warc) >= 1
    assert not list((tmp_path / "warc").rglob(".*.part"))  # every file published


def test_a_follower_fetches_each_page_once_across_polls_and_restarts(network, tmp_path):
    feeds, state = _write_feeds(tmp_path, network), str(tmp_path / "state")
    urls = _feed_urls(feeds)
    t = network.tribune

    def poll_once():
        with TestPipeline() as pipeline:
            _ = pipeline | beam.Create([0]) | CrawlFeeds(urls, POLICY, None, state_dir=state, spread=False)

    poll_once()
    first_asks = {path: len(t.asked(path)) for path in ("/news/school-meals.html", "/rss.xml")}
    assert first_asks == {"/news/school-meals.html": 1, "/rss.xml": 1}
    poll_once()  # a second poll, by a new pipeline: the state on disk is all it shares
    assert len(t.asked("/news/school-meals.html")) == 1  # not fetched again
    rss_asks = t.asked("/rss.xml")
    assert len(rss_asks) == 2 and rss_asks[1].headers.get("if-none-match") == '"rss-v1"'  # answered 304
    assert FeedValidators(state).conditional_headers(t.url("/rss.xml")) == {"If-None-Match": '"rss-v1"'}
    # a story added to the Atom feed later is fetched at the next poll, and only it
    new_page = t.url("/news/late-story.html")
    atom_body = t.routes["/atom.xml"][0].body.replace(b"</feed>", b"")
    entry = f'<entry><title>Late</title><link href="{new_page}"/><id>{new_page}</id><updated>2026-03-10T12:00:00Z</updated></entry></feed>'
    t.routes["/atom.xml"] = [t.routes["/atom.xml"][0]._replace(body=atom_body + entry.encode())]
    t.add("/news/late-story.html", t.routes["/news/school-meals.html"][0])
    before = len(t.requests)
    poll_once()
    asked = [r.path for r in t.requests[before:]]
    assert sorted(p for p in asked if p.startswith("/news/")) == ["/news/late-story.html"]


def test_periodic_polls_use_conditional_get_and_fetch_each_page_once(network, tmp_path):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(network.feeds[0] + "\n", encoding="utf-8")  # the Tribune's RSS (it has an ETag)
    t = network.tribune
    with TestPipeline() as pipeline:
        fetched = pipeline | FetchFeeds(
            str(feeds), POLICY, None, state_dir=str(tmp_path / "state"), poll_seconds=2.0, stop_after_seconds=5.0
        )
        assert_that(
            fetched["documents"] | beam.Map(lambda d: d.url),
            equal_to(
                [
                    t.url(p)
                    for p in ("/news/harbour-bridge.html", "/news/school-meals.html", "/news/flood-defences.html")
                ]
                + [t.url("/news/tram-line.html")]
            ),
        )
    polls = t.asked("/rss.xml")
    assert 2 <= len(polls) <= 3  # PeriodicImpulse: a tick every 2 s for 5 s (a late tick is not lost)
    assert [p.headers.get("if-none-match") for p in polls[1:]] == ['"rss-v1"'] * (len(polls) - 1)  # all 304
    assert len(t.asked("/news/school-meals.html")) == 1

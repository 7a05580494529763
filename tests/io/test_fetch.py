"""transforms.io.fetch: the pure helpers, then the polite fetcher against a local web
site on 127.0.0.1 (robots.txt, spacing, retries with Retry-After, timeouts, limits,
redirects, encodings, conditional GET)."""

from __future__ import annotations

import gzip
import socket
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from protego import Protego

from tests.support.news_site import NewsSite, Response, article_page, paragraphs_about
from transforms.io.fetch import (
    FetchPolicy,
    PoliteFetcher,
    backoff_seconds,
    decode_content,
    delay_from_robots,
    retry_after_seconds,
)
from transforms.records import BadInput

FAST = FetchPolicy(min_interval=0.05, timeout=1.0, retries=2, backoff=0.1, max_retry_after=5.0, max_bytes=100_000)
PAGE = article_page("Harbour bridge repairs", paragraphs_about("harbour bridge", "Portsmouth"))


def test_retry_after_in_seconds_or_as_an_http_date():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0  # already past
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_backoff_doubles_unless_the_server_says():
    policy = FetchPolicy(backoff=0.5)
    assert [backoff_seconds(policy, attempt, None) for attempt in range(3)] == [0.5, 1.0, 2.0]
    assert backoff_seconds(policy, 2, 3.0) == 3.0


def test_decode_content_gzip_deflate_and_limits():
    text = b"<p>" + b"news " * 1000 + b"</p>"
    assert decode_content(gzip.compress(text), "gzip", 10_000) == text
    assert decode_content(zlib.compress(text), "deflate", 10_000) == text
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decode_content(raw_deflate.compress(text) + raw_deflate.flush(), "deflate", 10_000) == text
    assert decode_content(text, None, 10_000) == text
    with pytest.raises(BadInput, match="too large after gzip"):
        decode_content(gzip.compress(b"\0" * 1_000_000), "gzip", 10_000)  # a gzip bomb, 1 KB on the wire
    with pytest.raises(BadInput, match="corrupt gzip"):
        decode_content(b"not gzip at all", "gzip", 10_000)
    with pytest.raises(BadInput, match="unsupported Content-Encoding 'br'"):
        decode_content(text, "br", 10_000)


def test_delay_from_robots_takes_the_longer_and_caps_it():
    policy = FetchPolicy(min_interval=1.0, max_crawl_delay=30.0)
    rules = Protego.parse("User-agent: *\nCrawl-delay: 5\n")
    assert delay_from_robots(rules, "newsfeed-beam", policy) == 5.0
    assert delay_from_robots(Protego.parse("User-agent: *\nCrawl-delay: 0.1\n"), "newsfeed-beam", policy) == 1.0
    assert delay_from_robots(Protego.parse("User-agent: *\nCrawl-delay: 3600\n"), "newsfeed-beam", policy) == 30.0
    assert delay_from_robots(Protego.parse("User-agent: *\nRequest-rate: 1/10s\n"), "newsfeed-beam", policy) == 10.0
    assert delay_from_robots(None, "newsfeed-beam", policy) == 1.0


@pytest.fixture
def site():
    with NewsSite() as news:
        yield news


def _gaps(site: NewsSite, prefix: str = "/news/"):
    times = [r.arrived for r in site.requests if r.path.startswith(prefix)]
    return [b - a for a, b in zip(times, times[1:])]


def test_requests_to_one_host_are_spaced_by_the_minimum_interval(site):
    paths = [f"/news/{n}.html" for n in range(5)]
    for path in paths:
        site.add(path, Response(PAGE))
    fetcher = PoliteFetcher(FAST._replace(min_interval=0.3))
    # five threads ask at once: the host still gets one request at a time, 0.3 s apart
    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(fetcher.fetch, [site.url(p) for p in paths]))
    assert all(r.content == PAGE for r in results)
    gaps = _gaps(site)
    assert len(gaps) == 4 and min(gaps) >= 0.28, gaps


def test_robots_disallowed_page_is_never_requested_and_crawl_delay_spaces_the_rest(site):
    site.add(
        "/robots.txt", Response(b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0.4\n", content_type="text/plain")
    )
    site.add("/private/memo.html", Response(PAGE))
    site.add("/news/a.html", Response(PAGE))
    site.add("/news/b.html", Response(PAGE))
    fetcher = PoliteFetcher(FAST)
    blocked = fetcher.fetch(site.url("/private/memo.html"))
    assert blocked.error == "disallowed by robots.txt" and blocked.exchanges == []
    assert site.asked("/private/memo.html") == []
    assert [fetcher.fetch(site.url(p)).status for p in ("/news/a.html", "/news/b.html")] == [200, 200]
    assert len(site.asked("/robots.txt")) == 1  # read once, then cached
    assert min(_gaps(site, "/")) >= 0.38, _gaps(site, "/")


def test_robots_txt_404_allows_all_but_503_disallows_all(site):
    site.add("/news/a.html", Response(PAGE))
    assert PoliteFetcher(FAST).fetch(site.url("/news/a.html")).status == 200  # no robots.txt: 404
    with NewsSite() as down:
        down.add("/robots.txt", Response(b"down", status=503, content_type="text/plain"))
        down.add("/news/a.html", Response(PAGE))
        result = PoliteFetcher(FAST).fetch(down.url("/news/a.html"))
        assert result.error == "robots.txt unavailable (HTTP 503 Service Unavailable after 2 retries)"
        assert down.asked("/news/a.html") == []


def test_404_is_an_error_without_retries(site):
    result = PoliteFetcher(FAST).fetch(site.url("/news/gone.html"))
    assert (result.status, result.error, result.content) == (404, "HTTP 404 Not Found", None)
    assert len(site.asked("/news/gone.html")) == 1


def test_429_waits_for_retry_after_then_fetches(site):
    site.add(
        "/news/a.html",
        Response(b"slow down", status=429, content_type="text/plain", headers=(("Retry-After", "1"),)),
        Response(PAGE),
    )
    result = PoliteFetcher(FAST).fetch(site.url("/news/a.html"))
    assert result.status == 200 and result.content == PAGE
    first, second = site.asked("/news/a.html")
    assert second.arrived - first.arrived >= 0.95  # the server's Retry-After, not the 0.1 s backoff
    assert [e.status for e in result.exchanges] == [429, 200]


def test_503_then_200_is_retried_and_503_forever_gives_up(site):
    site.add("/news/flaky.html", Response(b"busy", status=503, content_type="text/plain"), Response(PAGE))
    site.add("/news/down.html", Response(b"down", status=503, content_type="text/plain"))
    fetcher = PoliteFetcher(FAST)
    assert fetcher.fetch(site.url("/news/flaky.html")).content == PAGE
    down = fetcher.fetch(site.url("/news/down.html"))
    assert down.error == "HTTP 503 Service Unavailable after 2 retries" and down.content is None
    assert len(site.asked("/news/down.html")) == 3  # the first try and two retries
    gaps = _gaps(site, "/news/down")
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19  # exponential backoff: 0.1 s, then 0.2 s


def test_a_retry_after_beyond_the_limit_is_not_waited_for(site):
    site.add(
        "/news/a.html", Response(b"later", status=503, content_type="text/plain", headers=(("Retry-After", "3600"),))
    )
    started = time.monotonic()
    result = PoliteFetcher(FAST).fetch(site.url("/news/a.html"))
    assert result.error == "HTTP 503: Retry-After 3600 s exceeds the 5 s limit"
    assert time.monotonic() - started < 2 and len(site.asked("/news/a.html")) == 1


def test_a_slow_host_times_out_without_holding_up_another_host(site):
    site.add("/news/slow.html", Response(PAGE, delay=3.0))
    with NewsSite() as fast:
        fast.add("/news/a.html", Response(PAGE))
        fetcher = PoliteFetcher(FAST)
        started = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            slow_future = pool.submit(fetcher.fetch, site.url("/news/slow.html"))
            fast_result = pool.submit(fetcher.fetch, fast.url("/news/a.html")).result()
            fast_seconds = time.monotonic() - started
            slow_result = slow_future.result()
    assert fast_result.content == PAGE and fast_seconds < 0.9
    assert slow_result.error == "timeout: no data for 1 s" and slow_result.content is None


def test_a_redirect_chain_is_followed_and_a_loop_is_cut(site):
    site.add("/r/1", Response(b"", status=301, headers=(("Location", "/r/2"),)))
    site.add("/r/2", Response(b"", status=307, headers=(("Location", site.url("/news/a.html")),)))
    site.add("/news/a.html", Response(PAGE))
    site.add("/loop", Response(b"", status=302, headers=(("Location", "/loop"),)))
    fetcher = PoliteFetcher(FAST._replace(max_redirects=3))
    result = fetcher.fetch(site.url("/r/1"))
    assert result.final_url == site.url("/news/a.html") and result.content == PAGE
    assert [e.status for e in result.exchanges] == [301, 307, 200]
    looped = fetcher.fetch(site.url("/loop"))
    assert looped.error == "more than 3 redirects" and len(site.asked("/loop")) == 4


def test_gzip_and_deflate_bodies_are_decoded_and_archived_encoded(site):
    site.add("/news/gz.html", Response(PAGE, encoding="gzip"))
    site.add("/news/deflate.html", Response(PAGE, encoding="deflate"))
    fetcher = PoliteFetcher(FAST)
    gz = fetcher.fetch(site.url("/news/gz.html"))
    assert gz.content == PAGE and gz.exchanges[-1].body == gzip.compress(PAGE, mtime=0)
    assert site.asked("/news/gz.html")[0].headers["accept-encoding"] == "gzip, deflate"
    assert fetcher.fetch(site.url("/news/deflate.html")).content == PAGE


def test_oversized_bodies_are_refused(site):
    site.add("/news/huge.html", Response(b"x" * 200_000))
    site.add("/news/bomb.html", Response(b"<p>" + b" " * 500_000 + b"</p>", encoding="gzip"))
    fetcher = PoliteFetcher(FAST)
    assert fetcher.fetch(site.url("/news/huge.html")).error == "page too large (200000 bytes > 100000 limit)"
    assert fetcher.fetch(site.url("/news/bomb.html")).error == (
        "page too large after gzip decoding (more than 100000 bytes)"
    )


def test_etag_gives_a_304_with_no_body(site):
    site.add("/rss.xml", Response(b"<rss/>", content_type="application/rss+xml", etag='"v1"'))
    fetcher = PoliteFetcher(FAST)
    first = fetcher.fetch(site.url("/rss.xml"))
    assert first.headers["etag"] == '"v1"' and first.content == b"<rss/>"
    second = fetcher.fetch(site.url("/rss.xml"), conditional={"If-None-Match": first.headers["etag"]})
    assert second.not_modified and second.error is None and second.content is None
    assert second.exchanges[-1].body == b""


def test_user_agent_is_sent_and_matched_in_robots(site):
    site.add("/robots.txt", Response(b"User-agent: tribunebot\nDisallow: /\n", content_type="text/plain"))
    site.add("/news/a.html", Response(PAGE))
    blocked = PoliteFetcher(FAST._replace(user_agent="tribunebot/2.0 (+contact)")).fetch(site.url("/news/a.html"))
    assert blocked.error == "disallowed by robots.txt"
    assert PoliteFetcher(FAST).fetch(site.url("/news/a.html")).content == PAGE
    assert site.asked("/news/a.html")[0].headers["user-agent"] == FAST.user_agent


def test_a_refused_connection_is_an_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = PoliteFetcher(FAST).fetch(f"http://127.0.0.1:{port}/news/a.html")
    assert result.content is None and result.error.startswith("robots.txt unavailable (connection failed")

"""A local news web site for the fetch tests: http.server on 127.0.0.1, one port per host.

``NewsSite`` serves scripted responses per path (served in turn, the last one
repeating: a 503 then a 200), honours If-None-Match against a page's ETag (304), can
delay, gzip-encode and redirect, and logs every request with its arrival time so tests
measure the spacing of requests and check what was never asked for. ``news_network``
builds the three hosts most tests share.
"""

from __future__ import annotations

import gzip
import http.server
import threading
import time
import zlib
from typing import Dict, List, NamedTuple, Optional, Tuple


class Response(NamedTuple):
    body: bytes = b""
    status: int = 200
    content_type: Optional[str] = "text/html; charset=utf-8"
    headers: Tuple[Tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds before the status line
    etag: Optional[str] = None
    encoding: Optional[str] = None  # "gzip" or "deflate": Content-Encoding of the body


class Request(NamedTuple):
    path: str
    arrived: float  # time.monotonic()
    headers: Dict[str, str]


class NewsSite:
    """One host. ``with NewsSite() as site: site.add("/a", Response(...)); site.url("/a")``."""

    def __init__(self) -> None:
        self.routes: Dict[str, List[Response]] = {}
        self.requests: List[Request] = []
        self._served: Dict[str, int] = {}
        self._lock = threading.Lock()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet tests
                pass

            def do_GET(self) -> None:
                site._handle(self)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # a client that hung up (timeout, size limit)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> NewsSite:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.host + path

    def add(self, path: str, *responses: Response) -> str:
        self.routes[path] = list(responses)
        return self.url(path)

    def asked(self, path: str) -> List[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._lock:
            self.requests.append(Request(path, time.monotonic(), {k.lower(): v for k, v in handler.headers.items()}))
            responses = self.routes.get(path)
            turn = self._served.get(path, 0)
            self._served[path] = turn + 1
        if responses is None:
            response = Response(b"<html><body>Not found</body></html>", status=404)
        else:
            response = responses[min(turn, len(responses) - 1)]
        if response.delay:
            time.sleep(response.delay)
        status, body = response.status, response.body
        if response.etag and handler.headers.get("If-None-Match") == response.etag:
            status, body = 304, b""
        elif response.encoding == "gzip":
            body = gzip.compress(body, mtime=0)
        elif response.encoding == "deflate":
            body = zlib.compress(body)
        try:
            handler.send_response(status)
            if response.content_type and status != 304:
                handler.send_header("Content-Type", response.content_type)
            if response.encoding and status != 304:
                handler.send_header("Content-Encoding", response.encoding)
            if response.etag:
                handler.send_header("ETag", response.etag)
            for name, value in response.headers:
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, size limit)
            pass


def article_page(title: str, paragraphs: List[str], published: Optional[str] = None, with_title: bool = True) -> bytes:
    """A news page trafilatura can extract: nav, an <article> with paragraphs, a footer."""
    head = f"<title>{title} | Local Tribune</title>" if with_title else ""
    if published:
        head += f'<meta property="article:published_time" content="{published}"/>'
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    heading = f"<h1>{title}</h1>" if with_title else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/>{head}</head><body>'
        f'<nav><a href="/">Home</a> <a href="/world">World</a></nav>'
        f"<article>{heading}{body}</article>"
        f"<footer>Copyright Local Tribune. All rights reserved.</footer></body></html>"
    ).encode()


def rss(items: List[Tuple[str, str, str]], title: str = "Local Tribune") -> bytes:
    """RSS 2.0 with (link, title, pubDate) items."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{date}</pubDate><guid>{link}</guid></item>"
        for link, t, date in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://127.0.0.1/</link><language>en-gb</language>{entries}</channel></rss>"
    ).encode()


def atom(items: List[Tuple[str, str, str]], title: str = "Local Tribune") -> bytes:
    """Atom 1.0 with (link, title, updated) entries."""
    entries = "".join(
        f'<entry><title>{t}</title><link rel="alternate" href="{link}"/><id>{link}</id><updated>{date}</updated></entry>'
        for link, t, date in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>'
        f"<id>urn:local-tribune</id><updated>2026-03-10T12:00:00Z</updated>{entries}</feed>"
    ).encode()


def news_sitemap(items: List[Tuple[str, str, str]]) -> bytes:
    """A Google News sitemap with (loc, news:title, news:publication_date) entries."""
    urls = "".join(
        f"<url><loc>{loc}</loc><news:news><news:publication><news:name>Local Tribune</news:name>"
        f"<news:language>en</news:language></news:publication><news:publication_date>{date}"
        f"</news:publication_date><news:title>{t}</news:title></news:news></url>"
        for loc, t, date in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    ).encode()


def sitemap(locs: List[Tuple[str, str]]) -> bytes:
    """A plain sitemap with (loc, lastmod) entries."""
    urls = "".join(f"<url><loc>{loc}</loc><lastmod>{lastmod}</lastmod></url>" for loc, lastmod in locs)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def sitemap_index(locs: List[str]) -> bytes:
    children = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}</sitemapindex>'
    ).encode()


def paragraphs_about(subject: str, place: str) -> List[str]:
    """Three distinct news paragraphs about one subject (unique text per story)."""
    return [
        f"Officials in {place} said on Tuesday that the {subject} would be reviewed by an independent panel "
        f"before the end of the month, after residents complained about delays and rising costs.",
        f"The council's spokesperson told reporters that the {subject} had already been discussed twice this "
        f"year, and that a public meeting in {place} would give everyone a chance to speak.",
        f"Opposition members in {place} welcomed the review of the {subject} but warned that the panel "
        f"needed real powers, adding that previous inquiries had changed very little.",
    ]


class Story(NamedTuple):
    path: str
    title: str
    place: str


FEED_DATE = "Tue, 10 Mar 2026 09:30:00 GMT"
ATOM_DATE = "2026-03-10T09:30:00Z"


class Network(NamedTuple):
    """Three local hosts: the Tribune (RSS, Atom, sitemap index, robots.txt with a
    disallowed path and a crawl delay, every kind of failure), a slow host (RSS) and a
    busy host (JSON Feed, 429 and 503 with Retry-After)."""

    tribune: NewsSite
    slow: NewsSite
    busy: NewsSite
    feeds: List[str]  # the feed URLs, as a --feeds file lists them
    articles: Dict[str, str]  # normalised URL of each fetchable story -> its title on the page
    rejected: Dict[str, str]  # origin -> a word its reason must contain


CRAWL_DELAY = 0.25  # seconds, the Tribune's robots.txt Crawl-delay


def _story(site: NewsSite, path: str, title: str, place: str, **response) -> str:
    published = response.pop("published", "2026-03-10T08:00:00Z")
    with_title = response.pop("with_title", True)
    site.add(
        path, Response(article_page(title, paragraphs_about(title.lower(), place), published, with_title), **response)
    )
    return site.url(path)


def build_network(tribune: NewsSite, slow: NewsSite, busy: NewsSite, oversized_bytes: int = 300_000) -> Network:
    """Scripts the three hosts; returns what a crawl of their feeds must give."""
    t, s, b = tribune, slow, busy
    t.add(
        "/robots.txt",
        Response(
            f"User-agent: *\nDisallow: /private/\nCrawl-delay: {CRAWL_DELAY}\n".encode(), content_type="text/plain"
        ),
    )
    articles: Dict[str, str] = {}
    rejected: Dict[str, str] = {}
    articles[_story(t, "/news/harbour-bridge.html", "Harbour bridge repairs", "Portsmouth")] = "Harbour bridge repairs"
    articles[_story(t, "/news/school-meals.html", "School meals contract", "Leeds")] = "School meals contract"
    articles[
        _story(t, "/news/flood-defences.html", "Flood defences plan", "York", with_title=False, published=None)
    ] = "Flood defences plan"
    t.add("/private/leak.html", Response(article_page("Leaked memo", paragraphs_about("leaked memo", "Bath"))))
    rejected[t.url("/private/leak.html")] = "robots"
    rejected[t.url("/news/missing.html")] = "404"
    # 503 with Retry-After, then the page
    flaky = t.url("/news/tram-line.html")
    t.add(
        "/news/tram-line.html",
        Response(b"busy", status=503, content_type="text/plain", headers=(("Retry-After", "1"),)),
        Response(article_page("Tram line extension", paragraphs_about("tram line extension", "Sheffield"))),
    )
    articles[flaky] = "Tram line extension"
    # a redirect chain: /r/1 -> /r/2 -> the story
    t.add("/r/1", Response(b"", status=301, headers=(("Location", "/r/2"),)))
    t.add("/r/2", Response(b"", status=302, headers=(("Location", "/news/market-hall.html"),)))
    articles[_story(t, "/news/market-hall.html", "Market hall reopens", "Norwich")] = "Market hall reopens"
    articles[_story(t, "/news/cycle-lanes.html", "Cycle lanes consultation", "Bristol", encoding="gzip")] = (
        "Cycle lanes consultation"
    )
    filler = "<p>" + "Filler paragraph for a page far too large. " * 50 + "</p>"
    t.add("/news/huge.html", Response((filler * (oversized_bytes // len(filler) + 1)).encode()))
    rejected[t.url("/news/huge.html")] = "too large"
    t.add("/news/report.pdf", Response(b"%PDF-1.4 not a page", content_type="application/pdf"))
    rejected[t.url("/news/report.pdf")] = "not HTML"
    articles[_story(t, "/news/library-hours.html", "Library opening hours", "Exeter")] = "Library opening hours"
    articles[_story(t, "/news/bus-fares.html", "Bus fares frozen", "Derby")] = "Bus fares frozen"
    story = t.url("/news/harbour-bridge.html")
    t.add(
        "/rss.xml",
        Response(
            rss(
                [
                    (story + "?utm_source=rss&utm_medium=feed", "Harbour bridge repairs", FEED_DATE),
                    (t.url("/news/school-meals.html"), "School meals contract", FEED_DATE),
                    (t.url("/news/flood-defences.html#comments"), "Flood defences plan", FEED_DATE),
                    (t.url("/private/leak.html"), "Leaked memo", FEED_DATE),
                    (t.url("/news/missing.html"), "A story that was taken down", FEED_DATE),
                    (flaky, "Tram line extension", FEED_DATE),
                ]
            ),
            content_type="application/rss+xml",
            etag='"rss-v1"',
        ),
    )
    t.add(
        "/atom.xml",
        Response(
            atom(
                [
                    (
                        story + "?utm_source=atom&fbclid=abc123",
                        "Harbour bridge repairs",
                        ATOM_DATE,
                    ),  # the same story again
                    (t.url("/r/1"), "Market hall reopens", ATOM_DATE),
                    (t.url("/news/cycle-lanes.html"), "Cycle lanes consultation", ATOM_DATE),
                    (t.url("/news/huge.html"), "A very long read", ATOM_DATE),
                    (t.url("/news/report.pdf"), "The annual report", ATOM_DATE),
                ]
            ),
            content_type="application/atom+xml",
        ),
    )
    t.add(
        "/sitemap-index.xml",
        Response(
            sitemap_index([t.url("/sitemap-news.xml"), t.url("/sitemap-pages.xml.gz")]), content_type="application/xml"
        ),
    )
    t.add(
        "/sitemap-news.xml",
        Response(
            news_sitemap(
                [
                    (t.url("/news/library-hours.html"), "Library opening hours", "2026-03-09T18:00:00+01:00"),
                ]
            ),
            content_type="application/xml",
        ),
    )
    t.add(
        "/sitemap-pages.xml.gz",
        Response(
            gzip.compress(sitemap([(t.url("/news/bus-fares.html"), "2026-03-08")]), mtime=0),
            content_type="application/x-gzip",
        ),
    )
    t.add(
        "/broken.xml",
        Response(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken', content_type="application/rss+xml"),
    )
    rejected[t.url("/broken.xml")] = "malformed"
    # the slow host: one story answers after 3 s (past a 1 s timeout), one at once
    s.add(
        "/feed.xml",
        Response(
            rss(
                [
                    (s.url("/slow/story.html"), "Council tax vote", FEED_DATE),
                    (s.url("/fast/story.html"), "Hospital car park", FEED_DATE),
                ]
            ),
            content_type="application/rss+xml",
        ),
    )
    s.add(
        "/slow/story.html",
        Response(article_page("Council tax vote", paragraphs_about("council tax vote", "Hull")), delay=3.0),
    )
    rejected[s.url("/slow/story.html")] = "timeout"
    articles[_story(s, "/fast/story.html", "Hospital car park", "Leicester")] = "Hospital car park"
    # the busy host: 429 with Retry-After then the page; a page that is always 503
    b.add(
        "/feed.json",
        Response(
            (
                '{"version": "https://jsonfeed.org/version/1.1", "title": "Busy Gazette", "items": ['
                f'{{"id": "1", "url": "{b.url("/news/ferry.html")}", "title": "Ferry timetable", "date_published": "2026-03-10T07:00:00Z"}},'
                f'{{"id": "2", "url": "{b.url("/news/down.html")}", "title": "Power cut", "date_published": "2026-03-10T07:30:00Z"}}]}}'
            ).encode(),
            content_type="application/feed+json",
        ),
    )
    b.add(
        "/news/ferry.html",
        Response(b"slow down", status=429, content_type="text/plain", headers=(("Retry-After", "1"),)),
        Response(article_page("Ferry timetable", paragraphs_about("ferry timetable", "Dover"))),
    )
    articles[b.url("/news/ferry.html")] = "Ferry timetable"
    b.add("/news/down.html", Response(b"down", status=503, content_type="text/plain", headers=(("Retry-After", "0"),)))
    rejected[b.url("/news/down.html")] = "503"
    feeds = [
        t.url("/rss.xml"),
        t.url("/atom.xml"),
        t.url("/sitemap-index.xml"),
        t.url("/broken.xml"),
        s.url("/feed.xml"),
        b.url("/feed.json"),
    ]
    return Network(t, s, b, feeds, articles, rejected)


def main() -> int:
    """Serves the three hosts for a manual run (docs/feeds.md) and writes their feeds file.

    python -m tests.support.news_site --feeds_file feeds.txt [--seconds 600]
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--feeds_file", required=True)
    parser.add_argument("--seconds", type=float, default=600.0, help="stop serving after this long")
    args = parser.parse_args()
    with NewsSite() as tribune, NewsSite() as slow, NewsSite() as busy:
        network = build_network(tribune, slow, busy)
        with open(args.feeds_file, "w", encoding="utf-8") as handle:
            handle.write("# the local test site (tests/support/news_site.py)\n" + "\n".join(network.feeds) + "\n")
        print(f"serving {tribune.host}, {slow.host}, {busy.host} for {args.seconds:.0f} s; feeds in {args.feeds_file}")
        time.sleep(args.seconds)
        print(f"requests served: {len(tribune.requests) + len(slow.requests) + len(busy.requests)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

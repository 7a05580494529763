"""``CrawlFeeds``: poll ticks → every feed fetched and parsed → every new item's page
fetched politely → ``RawDocument`` records and ``Rejected`` ones (stage "fetch").

Two steps, each a DoFn that calls pure functions:

* ``_PollFeeds`` (one tick in, one ``HostQueue`` per host out): fetches every feed
  (hosts in parallel, conditional GET when a ``FeedValidators`` is given), parses it
  (``feeds.parse_feed``), follows sitemap indexes ``MAX_SITEMAP_DEPTH`` levels down,
  drops items whose page was fetched before (``SeenLinks``, streaming) and queues each
  page once per host (``feeds.queue_pages``: the same story under two tracking URLs is
  one page with two items).
* ``_FetchPages`` (``HostQueue`` in): one thread per host, up to ``hosts_in_parallel``
  at once, pages of a host one at a time (``fetch.PoliteFetcher``); each page gives a
  RawDocument per item that named it (``archive.page_documents``), and its responses
  go to the WARC archive. Results leave as they come, so cleanup starts while slower
  hosts are still being fetched.

Counters (namespace "fetch"): feeds, feeds_not_modified, sitemaps, feed_items,
links_repeated, items_seen_before, pages, documents, robots_disallowed, responses,
retries, rejected. Every Rejected is counted once in "rejected": the job's books count them in
``in``.
"""

from __future__ import annotations

import concurrent.futures
import queue
import time
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MAX_TIMESTAMP, Timestamp
from apache_beam.utils.windowed_value import WindowedValue

from transforms.io.archive import WarcArchive, page_documents
from transforms.io.feeds import (
    STAGE,
    FeedItem,
    HostQueue,
    PageRequest,
    feed_items_header,
    host_of,
    parse_feed,
    queue_pages,
    read_feed_list,
)
from transforms.io.fetch import FEED_ACCEPT, Exchange, Fetched, FetchPolicy, PoliteFetcher, shared_fetcher
from transforms.io.seen import FeedValidators, SeenLinks
from transforms.records import BadInput, RawDocument, Rejected, rejected

REJECTED = "rejected"


MAX_SITEMAP_DEPTH = 2  # an index of indexes of sitemaps, and no deeper


class Poll(NamedTuple):
    """What one poll of every feed gave."""

    items: List[FeedItem]  # feeds-file order, then feed order
    rejected: List[Rejected]
    exchanges: List[Exchange]  # every feed response, for the archive
    feeds: int  # documents fetched and parsed
    not_modified: int
    sitemaps: int  # child sitemaps followed


def _fetch_by_host(fetcher: PoliteFetcher, urls: Sequence[str], headers_of, threads: int) -> Dict[str, Fetched]:
    """Every URL fetched, one thread per host (a host's URLs in order)."""
    by_host: Dict[str, List[str]] = {}
    for url in urls:
        by_host.setdefault(host_of(url), []).append(url)

    def fetch_host(host_urls: List[str]) -> List[Tuple[str, Fetched]]:
        return [(url, fetcher.fetch(url, FEED_ACCEPT, headers_of(url))) for url in host_urls]

    results: Dict[str, Fetched] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(threads, len(by_host)))) as pool:
        for done in pool.map(fetch_host, by_host.values()):
            results.update(done)
    return results


def poll_feeds(fetcher: PoliteFetcher, feed_urls: Sequence[str], validators: Optional[FeedValidators] = None) -> Poll:
    """Fetches and parses every feed (and the sitemaps its indexes name)."""
    items_of: Dict[str, List[FeedItem]] = {}
    children_of: Dict[str, List[str]] = {}
    rejects: List[Rejected] = []
    exchanges: List[Exchange] = []
    counts = {"feeds": 0, "not_modified": 0, "sitemaps": 0}
    level, fetched_urls = list(dict.fromkeys(feed_urls)), set()
    for depth in range(MAX_SITEMAP_DEPTH + 1):
        fetched_urls.update(level)
        # a sitemap named by an index is conditional-GET'd too: indexes list unchanged files
        results = _fetch_by_host(
            fetcher,
            level,
            lambda url: validators.conditional_headers(url) if validators else {},
            fetcher.policy.hosts_in_parallel,
        )
        following: List[str] = []
        for url in level:
            result = results[url]
            exchanges.extend(result.exchanges)
            if result.not_modified:
                counts["not_modified"] += 1
                continue
            if result.error or result.content is None:
                rejects.append(rejected(url, STAGE, f"feed: {result.error or 'no content'}", url))
                continue
            try:
                parsed = parse_feed(url, result.content)
            except BadInput as error:
                rejects.append(rejected(url, STAGE, str(error), result.content))
                continue
            counts["feeds"] += 1
            counts["sitemaps"] += depth > 0
            if validators is not None:
                validators.remember(url, result.headers)
            items_of[url] = parsed.items
            rejects.extend(rejected(origin, STAGE, reason, url) for origin, reason in parsed.unusable)
            children = [child for child in parsed.sitemaps if child not in fetched_urls]
            if depth == MAX_SITEMAP_DEPTH and children:
                rejects.extend(
                    rejected(child, STAGE, f"sitemap index nested deeper than {MAX_SITEMAP_DEPTH} levels", url)
                    for child in children
                )
                children = []
            children_of[url] = children
            following.extend(child for child in children if child not in following)
        level = following
        if not level:
            break

    def in_order(url: str) -> Iterator[FeedItem]:
        yield from items_of.get(url, [])
        for child in children_of.get(url, []):
            yield from in_order(child)

    items = [item for url in dict.fromkeys(feed_urls) for item in in_order(url)]
    return Poll(items, rejects, exchanges, counts["feeds"], counts["not_modified"], counts["sitemaps"])


def _archived(archive: Optional[WarcArchive], exchanges: Sequence[Exchange], items_header: Optional[str] = None):
    """Writes exchanges; the last one (the page's final response) carries the items."""
    if archive is None:
        return
    for index, exchange in enumerate(exchanges):
        archive.write(exchange, items_header if index == len(exchanges) - 1 else None)


def _now_in_global_window(value) -> WindowedValue:
    """Fetched records are stamped with their ingestion time, as the directory feed's."""
    return WindowedValue(value, Timestamp.now(), (GlobalWindow(),))


class _PollFeeds(beam.DoFn):
    """A tick → HostQueues of new pages; unusable feeds and items → Rejected."""

    def __init__(
        self,
        feed_urls: Sequence[str],
        policy: FetchPolicy,
        warc_dir: Optional[str],
        state_dir: Optional[str] = None,
        seen_ttl_seconds: float = 0.0,
    ):
        self._feed_urls, self._policy, self._warc_dir = list(feed_urls), policy, warc_dir
        self._state_dir, self._seen_ttl = state_dir, seen_ttl_seconds
        self._counters = {
            name: Metrics.counter(STAGE, name)
            for name in (
                "polls",
                "feeds",
                "feeds_not_modified",
                "sitemaps",
                "feed_items",
                "links_repeated",
                "items_seen_before",
                "rejected",
            )
        }

    def setup(self):
        self._fetcher = shared_fetcher(self._policy)
        self._validators = FeedValidators(self._state_dir) if self._state_dir else None
        self._seen = SeenLinks(self._state_dir, self._seen_ttl) if self._state_dir else None
        # pages handed out but maybe not fetched yet: the next poll must not queue them again
        self._claimed: Dict[str, float] = {}

    def _new(self, items: List[FeedItem]) -> List[FeedItem]:
        if self._seen is None:
            return items
        now = time.time()
        self._claimed = {url: when for url, when in self._claimed.items() if when > now - self._seen_ttl}
        fresh = []
        for item in items:
            if item.url in self._claimed or self._seen.seen(item.url, now):
                self._counters["items_seen_before"].inc()
                continue
            fresh.append(item)
        for item in fresh:
            self._claimed[item.url] = now
        self._seen.forget_expired(now)
        return fresh

    def process(self, _tick) -> Iterator[object]:
        self._counters["polls"].inc()
        poll = poll_feeds(self._fetcher, self._feed_urls, self._validators)
        archive = WarcArchive(f"{self._warc_dir}/feeds", "feeds") if self._warc_dir else None
        _archived(archive, poll.exchanges + self._fetcher.drain_archive())
        if archive is not None:
            archive.close()
        for name, value in (
            ("feeds", poll.feeds),
            ("feeds_not_modified", poll.not_modified),
            ("sitemaps", poll.sitemaps),
            ("feed_items", len(poll.items)),
        ):
            self._counters[name].inc(value)
        for record in poll.rejected:
            self._counters["rejected"].inc()
            yield TaggedOutput(REJECTED, _now_in_global_window(record))
        hosts = {host_of(item.url) for item in poll.items}
        queues, repeated = queue_pages(
            self._new(poll.items), {host: self._fetcher.last_request_time(host) for host in hosts}
        )
        self._counters["links_repeated"].inc(repeated)
        for host_queue in queues:
            yield _now_in_global_window(host_queue)


_HOST_DONE = "host done"


class _FetchPages(beam.DoFn):
    """HostQueue → RawDocument (one per feed item) or Rejected; responses archived."""

    def __init__(
        self,
        policy: FetchPolicy,
        warc_dir: Optional[str],
        state_dir: Optional[str] = None,
        seen_ttl_seconds: float = 0.0,
    ):
        self._policy, self._warc_dir = policy, warc_dir
        self._state_dir, self._seen_ttl = state_dir, seen_ttl_seconds
        self._counters = {
            name: Metrics.counter(STAGE, name)
            for name in ("pages", "documents", "rejected", "robots_disallowed", "responses", "retries")
        }

    def setup(self):
        self._fetcher = shared_fetcher(self._policy)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=self._policy.hosts_in_parallel)
        self._seen = SeenLinks(self._state_dir, self._seen_ttl) if self._state_dir else None

    def teardown(self):
        self._pool.shutdown(wait=True)

    def start_bundle(self):
        self._results: queue.SimpleQueue[Tuple[str, object, object]] = queue.SimpleQueue()
        self._in_flight = 0
        self._pages: Optional[WarcArchive] = None
        self._robots: Optional[WarcArchive] = None

    def _fetch_host(self, host_queue: HostQueue) -> None:
        """In a pool thread: the host's pages one after the other, each result queued."""
        try:
            self._fetcher.wait_until(host_queue.host, host_queue.not_before)
            for page in host_queue.pages:
                self._results.put(("page", page, self._fetcher.fetch(page.url)))
        except BaseException as error:  # a bug: re-raised in the bundle's thread
            self._results.put(("error", error, None))
        finally:
            self._results.put((_HOST_DONE, None, None))

    def _outputs(self, page: PageRequest, fetched: Fetched) -> Iterator[WindowedValue]:
        self._counters["pages"].inc()
        self._counters["responses"].inc(len(fetched.exchanges))
        self._counters["retries"].inc(max(0, len(fetched.exchanges) - 1 - _redirects(fetched)))
        if fetched.error == "disallowed by robots.txt":
            self._counters["robots_disallowed"].inc()
        outputs = page_documents(page, fetched)
        if self._warc_dir:
            if self._pages is None:
                self._pages = WarcArchive(self._warc_dir, "pages")
            documents = [output for output in outputs if isinstance(output, RawDocument)]
            items = feed_items_header(documents[0].url or page.url, page.items) if documents else None
            _archived(self._pages, fetched.exchanges, items)
        for output in outputs:
            if isinstance(output, Rejected):
                self._counters["rejected"].inc()
                yield TaggedOutput(REJECTED, _now_in_global_window(output))  # type: ignore[misc]
            else:
                self._counters["documents"].inc()
                yield _now_in_global_window(output)
        if self._seen is not None:
            self._seen.remember(page.url)

    def _drain(self, until_in_flight: int) -> Iterator[WindowedValue]:
        """Results ready now; blocks while more than ``until_in_flight`` hosts are busy."""
        while True:
            try:
                kind, first, second = self._results.get(block=self._in_flight > until_in_flight, timeout=None)
            except queue.Empty:
                return
            if kind == _HOST_DONE:
                self._in_flight -= 1
            elif kind == "error":
                raise first  # type: ignore[misc]
            else:
                yield from self._outputs(first, second)  # type: ignore[arg-type]
            if self._in_flight <= until_in_flight and self._results.empty():
                return

    def process(self, host_queue: HostQueue) -> Iterator[WindowedValue]:
        self._pool.submit(self._fetch_host, host_queue)
        self._in_flight += 1
        yield from self._drain(until_in_flight=self._policy.hosts_in_parallel - 1)

    def finish_bundle(self) -> Iterator[WindowedValue]:
        yield from self._drain(until_in_flight=0)
        robots = self._fetcher.drain_archive()
        if self._warc_dir and robots:
            self._robots = WarcArchive(f"{self._warc_dir}/feeds", "robots")
            _archived(self._robots, robots)
            self._robots.close()
        if self._pages is not None:
            self._pages.close()
            self._pages = None


def _redirects(fetched: Fetched) -> int:
    return sum(1 for exchange in fetched.exchanges if 300 <= exchange.status < 400 and exchange.status != 304)


class CrawlFeeds(beam.PTransform):
    """Ticks → {"documents": RawDocument, "rejected": Rejected}.

    Each tick polls every feed once. ``spread`` reshuffles the host queues over the
    workers (batch); a streaming job keeps them in the poll's bundle. With a
    ``state_dir``, feeds are asked with their last validators and a page fetched within
    ``seen_ttl_seconds`` is not fetched again (also after a restart). ``warc_dir``
    receives the raw responses: pages directly under it, feeds and robots.txt under
    ``feeds/`` (so ``warc_dir/*.warc.gz`` replays the pages alone).
    """

    def __init__(
        self,
        feed_urls: Sequence[str],
        policy: FetchPolicy,
        warc_dir: Optional[str] = None,
        state_dir: Optional[str] = None,
        seen_ttl_seconds: float = 7 * 24 * 3600.0,
        spread: bool = True,
    ):
        super().__init__()
        self._feed_urls, self._policy, self._warc_dir = list(feed_urls), policy, warc_dir
        self._state_dir, self._seen_ttl, self._spread = state_dir, seen_ttl_seconds, spread

    def expand(self, ticks):
        polled = ticks | "PollFeeds" >> beam.ParDo(
            _PollFeeds(self._feed_urls, self._policy, self._warc_dir, self._state_dir, self._seen_ttl)
        ).with_outputs(REJECTED, main="queues")
        queues = polled.queues
        queues.element_type = HostQueue
        if self._spread:
            queues = queues | "SpreadHosts" >> beam.Reshuffle().with_output_types(HostQueue)
        fetched = queues | "FetchPages" >> beam.ParDo(
            _FetchPages(self._policy, self._warc_dir, self._state_dir, self._seen_ttl)
        ).with_outputs(REJECTED, main="documents")
        fetched.documents.element_type = RawDocument
        polled[REJECTED].element_type = Rejected
        fetched[REJECTED].element_type = Rejected
        rejected_all = (polled[REJECTED], fetched[REJECTED]) | "FetchRejected" >> beam.Flatten().with_output_types(
            Rejected
        )
        return {"documents": fetched.documents, "rejected": rejected_all}


def feed_list_rejects(unusable: Sequence[Tuple[str, str]]) -> List[Rejected]:
    """Unusable lines of the ``--feeds`` file as dead letters."""
    return [rejected(origin, STAGE, reason) for origin, reason in unusable]


class FetchFeeds(beam.PTransform):
    """PBegin → {"documents", "rejected"}: every feed of a ``--feeds`` file, polled once
    (batch) or every ``poll_seconds`` (streaming, ``PeriodicImpulse``) until
    ``stop_after_seconds``; bad lines of the file are Rejected too.

    A streaming follower should have a ``state_dir`` (conditional GET, pages fetched
    once across polls and restarts); see ``CrawlFeeds``.
    """

    def __init__(
        self,
        feeds_file: str,
        policy: FetchPolicy,
        warc_dir: Optional[str] = None,
        state_dir: Optional[str] = None,
        seen_ttl_seconds: float = 7 * 24 * 3600.0,
        poll_seconds: Optional[float] = None,
        stop_after_seconds: Optional[float] = None,
    ):
        super().__init__()
        self._feeds_file, self._policy, self._warc_dir = feeds_file, policy, warc_dir
        self._state_dir, self._seen_ttl = state_dir, seen_ttl_seconds
        self._poll_seconds, self._stop_after = poll_seconds, stop_after_seconds

    def expand(self, pbegin):
        urls, unusable = read_feed_list(self._feeds_file)
        if self._poll_seconds is None:
            ticks = pbegin | "OnePoll" >> beam.Create([0])
        else:
            from apache_beam.transforms.periodicsequence import PeriodicImpulse

            start = time.time()
            stop = start + self._stop_after if self._stop_after else MAX_TIMESTAMP
            # start_timestamp is explicit: PeriodicImpulse's default is taken at import time
            ticks = pbegin | "PollEvery" >> PeriodicImpulse(
                start_timestamp=start, stop_timestamp=stop, fire_interval=self._poll_seconds
            )
        crawled = ticks | "Crawl" >> CrawlFeeds(
            urls,
            self._policy,
            self._warc_dir,
            self._state_dir,
            self._seen_ttl,
            spread=self._poll_seconds is None,
        )
        bad_lines = feed_list_rejects(unusable)
        if not bad_lines:
            return crawled
        listed = pbegin | "BadFeedLines" >> beam.Create(bad_lines).with_output_types(Rejected)
        counted = listed | "CountBadFeedLines" >> beam.Map(_count_rejected).with_output_types(Rejected)
        rejected_all = (crawled["rejected"], counted) | "AllFetchRejected" >> beam.Flatten().with_output_types(Rejected)
        return {"documents": crawled["documents"], "rejected": rejected_all}


def _count_rejected(record: Rejected) -> Rejected:
    Metrics.counter(STAGE, "rejected").inc()
    return record

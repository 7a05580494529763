"""Polite HTTP fetching: robots.txt, per-host spacing, retries, limits.

``PoliteFetcher.fetch(url)`` asks one URL and returns a ``Fetched``: the decoded content
of the final response, or the reason it cannot be used, plus every HTTP exchange on the
way (redirect hops, retried 503s) for the WARC archive. What it guarantees:

* robots.txt is read once per host (cached ``robots_ttl``; protego) and honoured for
  every hop of a redirect chain: a disallowed URL is never requested. A robots.txt that
  answers 4xx allows everything; one that cannot be had (5xx after retries, network
  error) disallows everything (RFC 9309 §2.3.1);
* one request at a time per host, each starting at least ``max(min_interval,
  crawl-delay)`` after the previous one (crawl-delay capped at ``max_crawl_delay``);
  different hosts are independent, so many threads fetch many hosts at once;
* 429 and 5xx are retried ``retries`` times after ``backoff`` × 2^attempt seconds, or
  after the server's Retry-After (seconds or an HTTP date) when it gives one; a
  Retry-After beyond ``max_retry_after`` is not waited for;
* connect/read timeouts and a whole-response deadline, a size limit checked on the
  announced length, on the bytes received and after decompression (gzip/deflate);
* at most ``max_redirects`` redirects; connection pooling through urllib3.

One fetcher per process (``shared_fetcher``), so the spacing holds across the DoFns and
threads of a worker.
"""

from __future__ import annotations

import email.utils
import queue
import threading
import time
import zlib
from contextlib import contextmanager
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple
from urllib.parse import urljoin

import urllib3
from protego import Protego
from urllib3 import exceptions as http_errors

from transforms.io.feeds import host_of, is_http_url
from transforms.loading import load_once
from transforms.records import BadInput

DEFAULT_USER_AGENT = "newsfeed-beam/0.1 (news feed processor; honours robots.txt)"


PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"


FEED_ACCEPT = (
    "application/rss+xml,application/atom+xml,application/feed+json,application/json;q=0.9,"
    "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5"
)


RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB


class FetchPolicy(NamedTuple):
    """How politely and how patiently to fetch (the ``--fetch_*`` options)."""

    user_agent: str = DEFAULT_USER_AGENT
    min_interval: float = 1.0  # seconds between two request starts on one host
    max_crawl_delay: float = 30.0  # a robots.txt Crawl-delay above this is capped
    timeout: float = 10.0  # connect and read (between bytes) timeout, seconds
    deadline: float = 60.0  # whole response, seconds (a server dripping bytes)
    max_bytes: int = 5 * 1024 * 1024  # one page, received and decompressed
    max_redirects: int = 5
    retries: int = 3  # further attempts after a 429/5xx or a reset connection
    backoff: float = 1.0  # first retry wait, seconds; doubles at each attempt
    max_retry_after: float = 120.0  # longer Retry-After: give up instead of waiting
    hosts_in_parallel: int = 100  # hosts fetched at once (one thread each)
    robots_ttl: float = 24 * 3600.0  # seconds a robots.txt is trusted


class Exchange(NamedTuple):
    """One HTTP request and its response, as archived."""

    url: str
    request_headers: List[Tuple[str, str]]
    status: int
    reason: str
    protocol: str  # "HTTP/1.1"
    headers: List[Tuple[str, str]]  # as received, minus hop-by-hop framing
    body: bytes  # as received: still gzip/deflate-encoded when the server encoded it
    fetched_at: float  # epoch seconds, request start


class Fetched(NamedTuple):
    """The outcome of asking for one URL."""

    url: str  # asked for
    final_url: str  # after redirects
    status: Optional[int]  # of the final response; None when none came
    headers: Dict[str, str]  # of the final response, names lower-case
    content: Optional[bytes]  # decoded body of a 2xx response
    error: Optional[str]  # why there is nothing to use; None for content or a 304
    exchanges: List[Exchange]

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def retry_after_seconds(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Retry-After as seconds to wait: delta-seconds or an HTTP date; None if absent or bad."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_seconds(policy: FetchPolicy, attempt: int, retry_after: Optional[float]) -> float:
    """Wait before retry number ``attempt`` (0-based): the server's word, else exponential."""
    return retry_after if retry_after is not None else policy.backoff * (2**attempt)


def decode_content(body: bytes, encoding: Optional[str], max_bytes: int) -> bytes:
    """The body without its Content-Encoding (gzip, deflate), at most ``max_bytes``;
    BadInput for an unknown encoding, corrupt data or a body that inflates too far."""
    name = (encoding or "identity").strip().lower()
    if name in ("", "identity"):
        return body
    if name in ("gzip", "x-gzip"):
        modes = [zlib.MAX_WBITS | 16]
    elif name == "deflate":  # zlib-wrapped as the RFC says, or raw as some servers send it
        modes = [zlib.MAX_WBITS, -zlib.MAX_WBITS]
    else:
        raise BadInput(f"unsupported Content-Encoding {name!r}")
    error: Optional[zlib.error] = None
    for wbits in modes:
        inflater = zlib.decompressobj(wbits)
        try:
            data = inflater.decompress(body, max_bytes + 1)
        except zlib.error as failure:
            error = failure
            continue
        if len(data) > max_bytes:
            raise BadInput(f"page too large after {name} decoding (more than {max_bytes} bytes)")
        return data
    raise BadInput(f"corrupt {name} body ({error})")


def delay_from_robots(robots: Optional[Protego], agent: str, policy: FetchPolicy) -> float:
    """Seconds between two requests to a host: the policy's minimum, or the robots.txt
    Crawl-delay / Request-rate when longer (capped at ``max_crawl_delay``)."""
    delay = policy.min_interval
    if robots is not None:
        crawl_delay = robots.crawl_delay(agent)
        rate = robots.request_rate(agent)
        asked = max(crawl_delay or 0.0, (rate.seconds / rate.requests) if rate and rate.requests else 0.0)
        delay = max(delay, min(asked, policy.max_crawl_delay))
    return delay


class Robots(NamedTuple):
    rules: Optional[Protego]  # None: everything allowed (no robots.txt)
    error: Optional[str]  # robots.txt could not be had: nothing allowed
    delay: float
    expires: float  # monotonic seconds


class _Host:
    """One host's turn: one request at a time, starts spaced by its delay."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next_start = 0.0  # monotonic seconds
        self.robots_lock = threading.Lock()
        self.robots: Optional[Robots] = None


class PoliteFetcher:
    """Thread-safe; one per process and policy (``shared_fetcher``)."""

    def __init__(self, policy: FetchPolicy):
        self.policy = policy
        self.agent = policy.user_agent.split("/")[0].split()[0]  # robots.txt product token
        self._pool = urllib3.PoolManager(
            num_pools=max(16, policy.hosts_in_parallel * 2),
            maxsize=1,  # one connection per host: we never ask a host twice at once
            block=False,
            retries=False,
        )
        # sent with every request (urllib3 replaces, not merges, a pool's headers with a request's)
        self._headers = {"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"}
        self._hosts: Dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self.archive_queue: queue.SimpleQueue[Exchange] = queue.SimpleQueue()  # robots.txt exchanges

    def _host(self, host: str) -> _Host:
        with self._hosts_lock:
            state = self._hosts.get(host)
            if state is None:
                state = self._hosts[host] = _Host()
            return state

    def last_request_time(self, host: str) -> float:
        """Epoch seconds before which this host's next request may not start (for a
        worker that fetches the same host next)."""
        state = self._host(host)
        return time.time() + max(0.0, state.next_start - time.monotonic())

    def wait_until(self, host: str, epoch_seconds: float) -> None:
        """No request to ``host`` before this time (another worker asked it just before)."""
        state = self._host(host)
        with state.lock:
            state.next_start = max(state.next_start, time.monotonic() + (epoch_seconds - time.time()))

    @contextmanager
    def _turn(self, host: str, delay: float) -> Iterator[_Host]:
        state = self._host(host)
        with state.lock:
            wait = state.next_start - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            state.next_start = time.monotonic() + delay
            yield state

    def _exchange(self, url: str, headers: Dict[str, str], deadline: float) -> Exchange:
        """One request; raises urllib3 errors and BadInput (too large)."""
        policy = self.policy
        started = time.time()
        request_headers = {**self._headers, **headers}
        response = self._pool.request(
            "GET",
            url,
            headers=request_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            decode_content=False,
            timeout=urllib3.Timeout(connect=policy.timeout, read=policy.timeout),
        )
        try:
            announced = response.headers.get("Content-Length", "").strip()
            if announced.isdigit() and int(announced) > policy.max_bytes:
                raise BadInput(f"page too large ({announced} bytes > {policy.max_bytes} limit)")
            chunks: List[bytes] = []
            received = 0
            for chunk in response.stream(64 * 1024, decode_content=False):
                chunks.append(chunk)
                received += len(chunk)
                if received > policy.max_bytes:
                    raise BadInput(f"page too large (more than {policy.max_bytes} bytes > {policy.max_bytes} limit)")
                if time.monotonic() > deadline:
                    raise BadInput(f"timeout: response not complete after {policy.deadline:g} s")
            kept = [(k, v) for k, v in response.headers.items() if k.lower() not in ("transfer-encoding", "connection")]
            version = {10: "HTTP/1.0", 11: "HTTP/1.1"}.get(getattr(response, "version", 11), "HTTP/1.1")
            return Exchange(
                url=url,
                request_headers=sorted(request_headers.items()),
                status=response.status,
                reason=response.reason or "",
                protocol=version,
                headers=kept,
                body=b"".join(chunks),
                fetched_at=started,
            )
        except BaseException:
            response.close()  # a half-read connection must not go back to the pool
            raise
        finally:
            response.release_conn()

    def _ask(
        self, url: str, headers: Dict[str, str], delay: float
    ) -> Tuple[List[Exchange], Optional[Exchange], Optional[str]]:
        """One URL with retries: (exchanges, last response or None, error or None)."""
        policy = self.policy
        host = host_of(url)
        exchanges: List[Exchange] = []
        for attempt in range(policy.retries + 1):
            with self._turn(host, delay) as state:
                try:
                    exchange = self._exchange(url, headers, time.monotonic() + policy.deadline)
                except BadInput as error:
                    return exchanges, None, str(error)
                except http_errors.NameResolutionError:
                    return exchanges, None, f"DNS lookup failed for {host}"
                except http_errors.NewConnectionError as error:
                    return exchanges, None, f"connection failed: {_short(error)}"
                except http_errors.ConnectTimeoutError:
                    return exchanges, None, f"timeout: no connection after {policy.timeout:g} s"
                except http_errors.ReadTimeoutError:
                    return exchanges, None, f"timeout: no data for {policy.timeout:g} s"
                except (http_errors.ProtocolError, http_errors.SSLError, http_errors.HTTPError) as error:
                    if attempt < policy.retries and isinstance(error, http_errors.ProtocolError):
                        state.next_start = max(
                            state.next_start, time.monotonic() + backoff_seconds(policy, attempt, None)
                        )
                        continue
                    return exchanges, None, f"connection error: {_short(error)}"
                exchanges.append(exchange)
                if exchange.status not in RETRY_STATUSES:
                    return exchanges, exchange, None
                header = dict((k.lower(), v) for k, v in exchange.headers).get("retry-after")
                asked = retry_after_seconds(header)
                if attempt == policy.retries:
                    break
                wait = backoff_seconds(policy, attempt, asked)
                if wait > policy.max_retry_after:
                    return (
                        exchanges,
                        exchange,
                        f"HTTP {exchange.status}: Retry-After {wait:.0f} s exceeds the {policy.max_retry_after:g} s limit",
                    )
                state.next_start = max(state.next_start, time.monotonic() + wait)
        last = exchanges[-1]
        return exchanges, last, f"HTTP {last.status} {last.reason}".strip() + f" after {policy.retries} retries"

    def robots(self, host: str) -> Robots:
        """The host's robots.txt rules, fetched (politely) on first use and cached."""
        state = self._host(host)
        with state.robots_lock:
            if state.robots is not None and state.robots.expires > time.monotonic():
                return state.robots
            state.robots = self._fetch_robots(host)
            if state.robots.delay > self.policy.min_interval:
                # robots.txt itself was asked at the minimum interval; its Crawl-delay
                # counts from that request on
                with state.lock:
                    extra = state.robots.delay - self.policy.min_interval
                    state.next_start = max(state.next_start, state.next_start + extra)
            return state.robots

    def _fetch_robots(self, host: str) -> Robots:
        policy = self.policy
        url = f"{host}/robots.txt"
        expires = time.monotonic() + policy.robots_ttl
        exchange: Optional[Exchange] = None
        error: Optional[str] = None
        for _hop in range(policy.max_redirects + 1):  # RFC 9309: follow at least five redirects
            exchanges, exchange, error = self._ask(url, {"Accept": "text/plain,*/*;q=0.5"}, policy.min_interval)
            for item in exchanges:
                self.archive_queue.put(item)
            if error or exchange is None or exchange.status not in REDIRECT_STATUSES:
                break
            location = dict((k.lower(), v) for k, v in exchange.headers).get("location")
            if not location:
                break
            url = urljoin(url, location)
        short_retry = time.monotonic() + min(policy.robots_ttl, 600.0)
        if error or exchange is None:
            return Robots(None, f"robots.txt unavailable ({error})", policy.min_interval, short_retry)
        if 400 <= exchange.status < 500:
            return Robots(None, None, policy.min_interval, expires)  # no robots.txt: all allowed
        if exchange.status >= 500 or exchange.status in REDIRECT_STATUSES:
            reason = f"HTTP {exchange.status}" if exchange.status >= 500 else "too many redirects"
            return Robots(None, f"robots.txt unavailable ({reason})", policy.min_interval, short_retry)
        try:
            encoding = dict((k.lower(), v) for k, v in exchange.headers).get("content-encoding")
            body = decode_content(exchange.body, encoding, ROBOTS_MAX_BYTES)
        except BadInput:
            body = exchange.body[:ROBOTS_MAX_BYTES]
        rules = Protego.parse(body.decode("utf-8", errors="replace"))
        return Robots(rules, None, delay_from_robots(rules, self.agent, policy), expires)

    def allowed(self, url: str) -> Tuple[bool, Optional[str], float]:
        """(may fetch, why not, the host's delay)."""
        robots = self.robots(host_of(url))
        if robots.error:
            return False, robots.error, robots.delay
        if robots.rules is not None and not robots.rules.can_fetch(url, self.agent):
            return False, "disallowed by robots.txt", robots.delay
        return True, None, robots.delay

    def fetch(self, url: str, accept: str = PAGE_ACCEPT, conditional: Optional[Dict[str, str]] = None) -> Fetched:
        """Asks for ``url`` politely, following redirects; never raises for network trouble."""
        policy = self.policy
        exchanges: List[Exchange] = []
        current = url
        headers = {"Accept": accept, **(conditional or {})}
        for _hop in range(policy.max_redirects + 1):
            if not is_http_url(current):
                return Fetched(
                    url, current, None, {}, None, f"redirect to a non-http(s) URL: {current[:200]}", exchanges
                )
            allowed, why, delay = self.allowed(current)
            if not allowed:
                return Fetched(url, current, None, {}, None, why, exchanges)
            asked, exchange, error = self._ask(current, headers, delay)
            exchanges.extend(asked)
            response_headers = {k.lower(): v for k, v in exchange.headers} if exchange else {}
            status = exchange.status if exchange else None
            if error:
                return Fetched(url, current, status, response_headers, None, error, exchanges)
            assert exchange is not None and status is not None
            if status in REDIRECT_STATUSES and response_headers.get("location"):
                current = urljoin(current, response_headers["location"].strip())
                headers = {"Accept": accept}  # validators belong to the first URL only
                continue
            if status == 304:
                return Fetched(url, current, status, response_headers, None, None, exchanges)
            if not 200 <= status < 300:
                reason = f"HTTP {status} {exchange.reason}".strip()
                return Fetched(url, current, status, response_headers, None, reason, exchanges)
            try:
                content = decode_content(exchange.body, response_headers.get("content-encoding"), policy.max_bytes)
            except BadInput as failure:
                return Fetched(url, current, status, response_headers, None, str(failure), exchanges)
            return Fetched(url, current, status, response_headers, content, None, exchanges)
        return Fetched(url, current, None, {}, None, f"more than {policy.max_redirects} redirects", exchanges)

    def drain_archive(self) -> List[Exchange]:
        """robots.txt exchanges made since the last call (for the WARC archive)."""
        drained: List[Exchange] = []
        while True:
            try:
                drained.append(self.archive_queue.get_nowait())
            except queue.Empty:
                return drained


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:200]


def shared_fetcher(policy: FetchPolicy) -> PoliteFetcher:
    """The process's fetcher for this policy: host spacing and robots.txt are shared by
    every DoFn and thread of the worker."""
    return load_once(f"fetcher:{hash(policy)}", lambda: PoliteFetcher(policy))

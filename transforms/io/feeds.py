"""Feeds and news sitemaps → the items they list, as typed records.

Pure functions, no network: ``parse_feed`` reads one fetched feed document (RSS 0.9x/1.0/2.0
and Atom through feedparser, JSON Feed through ``json``, XML sitemaps, Google News
sitemaps and sitemap indexes through lxml) and ``read_feed_list`` the ``--feeds`` file.
Every item link is normalised with courlan (lower-case host, sorted query, tracking
parameters such as ``utm_*``/``fbclid`` dropped) and its fragment removed, so the same
story under two tracking URLs is fetched once. ``queue_pages`` groups items into one
``HostQueue`` per host, each page once with every link that named it.

No ``from __future__ import annotations`` here: the records' annotations must be real
types for ``RowCoder``.
"""

import gzip
import io
import json
import zlib
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple
from urllib.parse import urldefrag, urljoin, urlsplit

import apache_beam as beam
import courlan
import feedparser
from apache_beam.io.filesystems import FileSystems
from lxml import etree
from lxml import html as lxml_html

from transforms.dates import normalise_published
from transforms.io.decoding import GZIP_MAGIC
from transforms.records import BadInput, RawDocument

STAGE = "fetch"


class FeedItem(NamedTuple):
    """One story a feed lists: where it is, and what the feed says of it."""

    link: str  # absolute URL as the feed gave it (tracking parameters and all): the origin
    url: str  # normalised: what is fetched and de-duplicated
    feed: str  # URL of the feed or sitemap that listed it
    title: Optional[str]
    published: Optional[str]  # ISO-8601, or None
    language: Optional[str]  # declared by the feed (ISO 639-1), or None


class PageRequest(NamedTuple):
    """One page to fetch once, and every distinct link that names it."""

    url: str
    items: List[FeedItem]


class HostQueue(NamedTuple):
    """The pages of one host, fetched one at a time in this order."""

    host: str  # scheme://host[:port]
    pages: List[PageRequest]
    not_before: float  # epoch seconds: the host was last asked for something just before this


for _record in (FeedItem, PageRequest, HostQueue):
    beam.coders.registry.register_coder(_record, beam.coders.RowCoder)


class ParsedFeed(NamedTuple):
    """What one feed document holds."""

    kind: str  # feedparser's version (rss20, atom10, …), "json", "sitemap", "news-sitemap", "sitemapindex"
    items: List[FeedItem]
    sitemaps: List[str]  # child sitemaps of a sitemap index
    unusable: List[Tuple[str, str]]  # (origin, reason) of items that cannot be fetched


FEED_ITEMS_HEADER = "Newsfeed-Items"  # WARC header of an archived page: the feed items it answers


def feed_items_header(url: str, items: List[FeedItem]) -> str:
    """The JSON a page's final response carries (ASCII: WARC headers are one line)."""
    return json.dumps(
        [
            {"origin": i.link, "url": url, "title": i.title, "published": i.published, "language": i.language}
            for i in items
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    )


def documents_from_header(document: RawDocument, value: Optional[str]) -> List[RawDocument]:
    """The page of a WARC response once per feed item named in its ``Newsfeed-Items``
    header; the page alone when it has none (or an unreadable one)."""
    if not value:
        return [document]
    try:
        entries = json.loads(value)
    except json.JSONDecodeError:
        return [document]
    documents = []

    def text(entry: Dict[str, Any], name: str, default: Optional[str]) -> Optional[str]:
        value = entry.get(name, default)
        return value if value is None or isinstance(value, str) else default

    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("origin"), str):
            documents.append(
                document._replace(
                    origin=entry["origin"],
                    url=text(entry, "url", document.url),
                    title=text(entry, "title", None),
                    published=text(entry, "published", None),
                    language=text(entry, "language", None),
                )
            )
    return documents or [document]


MAX_FEED_BYTES = 50 * 1024 * 1024  # a sitemap may list 50,000 URLs (the protocol's own limit)


def host_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL: the unit of politeness and of robots.txt."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def normalise_link(link: str) -> str:
    """The URL a story is fetched and de-duplicated under: courlan's normalisation
    (tracking parameters removed, query sorted, host lower-cased), without fragment."""
    try:
        normalised = courlan.normalize_url(link, strict=False)
    except (ValueError, AttributeError):
        normalised = link
    return urldefrag(normalised)[0]


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _language(code: Optional[str]) -> Optional[str]:
    """ "fr-FR" → "fr"; anything not a two- or three-letter code → None."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def _plain_title(title: Optional[str], is_html: bool = False) -> Optional[str]:
    if not title or not title.strip():
        return None
    if is_html and "<" in title:
        title = lxml_html.fragment_fromstring(title, create_parent="div").text_content()
    return " ".join(title.split()) or None


def _item(feed_url: str, link: str, title: Optional[str], published: Optional[str], language: Optional[str]):
    absolute = urljoin(feed_url, link.strip())
    return FeedItem(
        link=absolute,
        url=normalise_link(absolute),
        feed=feed_url,
        title=title,
        published=normalise_published(published) if published else None,
        language=language,
    )


def _collect(feed_url: str, candidates: Iterable[Tuple[Optional[str], Optional[str], Optional[str], Optional[str]]]):
    """(link, title, published, language) candidates → items, and the unusable ones."""
    items: List[FeedItem] = []
    unusable: List[Tuple[str, str]] = []
    for number, (link, title, published, language) in enumerate(candidates, start=1):
        origin = f"{feed_url}#item-{number}"
        if not link or not link.strip():
            unusable.append((origin, "feed item has no link"))
            continue
        item = _item(feed_url, link, title, published, language)
        if not is_http_url(item.url):
            unusable.append((origin, f"feed item link is not an http(s) URL: {link.strip()[:200]}"))
            continue
        items.append(item)
    return items, unusable


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(element, name: str) -> Optional[str]:
    for child in element:
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def _news_fields(url_element) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """(title, publication_date, language) of a Google News sitemap <url>, if any."""
    for child in url_element:
        if _local(child.tag) == "news":
            language = None
            for publication in child:
                if _local(publication.tag) == "publication":
                    language = _child_text(publication, "language")
            return _child_text(child, "title"), _child_text(child, "publication_date"), _language(language)
    return None, None, None


_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


def _sitemap_root(body: bytes):
    """The root of an XML sitemap or sitemap index, else None."""
    start = body.lstrip()[:512]
    if not start.startswith(b"<"):
        return None
    try:
        root = etree.fromstring(body, parser=_XML_PARSER)
    except etree.XMLSyntaxError:
        return None
    return root if _local(root.tag) in ("urlset", "sitemapindex") else None


def _parse_sitemap(feed_url: str, root) -> ParsedFeed:
    if _local(root.tag) == "sitemapindex":
        children = [_child_text(sitemap, "loc") for sitemap in root if _local(sitemap.tag) == "sitemap"]
        links = [urljoin(feed_url, loc) for loc in children if loc]
        return ParsedFeed("sitemapindex", [], [link for link in links if is_http_url(link)], [])
    candidates = []
    is_news = False
    for url_element in root:
        if _local(url_element.tag) != "url":
            continue
        title, published, language = _news_fields(url_element)
        is_news = is_news or title is not None or published is not None
        # <lastmod> says when the page last changed, not when the story was published
        candidates.append((_child_text(url_element, "loc"), title, published, language))
    items, unusable = _collect(feed_url, candidates)
    return ParsedFeed("news-sitemap" if is_news else "sitemap", items, [], unusable)


def _parse_json_feed(feed_url: str, body: bytes) -> Optional[ParsedFeed]:
    """A JSON Feed (jsonfeed.org 1.x), or None if the body is not one."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"malformed JSON feed: {error}") from error
    if not isinstance(document, dict) or "jsonfeed.org" not in str(document.get("version", "")):
        raise BadInput("JSON document is not a JSON Feed (no jsonfeed.org version)")
    entries = document.get("items")
    if not isinstance(entries, list):
        raise BadInput("malformed JSON feed: 'items' is not a list")
    language = _language(document.get("language") if isinstance(document.get("language"), str) else None)

    def text(entry: dict, name: str) -> Optional[str]:
        value = entry.get(name)
        return value if isinstance(value, str) else None

    candidates = [
        (
            text(entry, "url") or text(entry, "external_url"),
            _plain_title(text(entry, "title")),
            text(entry, "date_published") or text(entry, "date_modified"),
            _language(text(entry, "language")) or language,
        )
        if isinstance(entry, dict)
        else (None, None, None, None)
        for entry in entries
    ]
    items, unusable = _collect(feed_url, candidates)
    return ParsedFeed("json", items, [], unusable)


def _entry_link(entry) -> Optional[str]:
    link = entry.get("link")
    if link:
        return link
    for candidate in entry.get("links", []):  # an Atom entry with only rel="related"/"via" links
        if candidate.get("href"):
            return candidate["href"]
    return entry.get("id") if str(entry.get("id", "")).startswith(("http://", "https://")) else None


def _parse_syndication(feed_url: str, body: bytes) -> ParsedFeed:
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries:
        if parsed.bozo or not parsed.version:
            reason = parsed.get("bozo_exception") or "not RSS, Atom, JSON Feed or a sitemap"
            raise BadInput(f"malformed feed: {' '.join(str(reason).split())[:300]}")
        return ParsedFeed(parsed.version, [], [], [])  # a valid feed with nothing in it today
    language = _language(parsed.feed.get("language"))
    candidates = []
    for entry in parsed.entries:
        detail = entry.get("title_detail") or {}
        candidates.append(
            (
                _entry_link(entry),
                _plain_title(entry.get("title"), is_html="html" in str(detail.get("type", ""))),
                entry.get("published") or entry.get("updated") or entry.get("created"),
                _language(entry.get("language")) or language,
            )
        )
    items, unusable = _collect(feed_url, candidates)
    return ParsedFeed(parsed.version or "unknown", items, [], unusable)


def ungzip_feed(body: bytes, max_bytes: int = MAX_FEED_BYTES) -> bytes:
    """A ``.xml.gz`` sitemap is gzip as a file, not as a Content-Encoding."""
    if not body.startswith(GZIP_MAGIC):
        return body
    try:
        data = gzip.GzipFile(fileobj=io.BytesIO(body)).read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise BadInput(f"corrupt gzip feed: {error}") from error
    if len(data) > max_bytes:
        raise BadInput(f"feed too large after gunzip (more than {max_bytes} bytes)")
    return data


def parse_feed(feed_url: str, body: bytes) -> ParsedFeed:
    """One fetched feed document → its items (or child sitemaps); BadInput if unusable."""
    body = ungzip_feed(body)
    if not body.strip():
        raise BadInput("empty feed document")
    if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        parsed = _parse_json_feed(feed_url, body)
        assert parsed is not None
        return parsed
    root = _sitemap_root(body)
    if root is not None:
        return _parse_sitemap(feed_url, root)
    return _parse_syndication(feed_url, body)


def read_feed_list(path: str) -> Tuple[List[str], List[Tuple[str, str]]]:
    """The ``--feeds`` file: one feed URL a line, ``#`` starts a comment line.

    Returns (feed URLs in file order, each once; (origin, reason) of unusable lines).
    """
    with FileSystems.open(path) as handle:
        text = handle.read().decode("utf-8-sig")
    urls: List[str] = []
    unusable: List[Tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if not is_http_url(entry):
            unusable.append((f"{path}#{number}", f"not an http(s) feed URL: {entry[:200]}"))
        elif entry not in urls:
            urls.append(entry)
    return urls, unusable


def queue_pages(
    items: Iterable[FeedItem], not_before: Optional[Dict[str, float]] = None
) -> Tuple[List[HostQueue], int]:
    """Items → one HostQueue per host (hosts and pages sorted), each page once with
    every distinct link that named it (the first item of a link wins: feeds-file
    order, then feed order). Returns (queues, links repeated verbatim, dropped)."""
    pages: Dict[str, Dict[str, FeedItem]] = {}
    repeated = 0
    for item in items:
        links = pages.setdefault(item.url, {})
        if item.link in links:
            repeated += 1
            continue
        links[item.link] = item
    hosts: Dict[str, List[PageRequest]] = {}
    for url in sorted(pages):
        hosts.setdefault(host_of(url), []).append(PageRequest(url, list(pages[url].values())))
    times = not_before or {}
    queues = [HostQueue(host, hosts[host], times.get(host, 0.0)) for host in sorted(hosts)]
    return queues, repeated

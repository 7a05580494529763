"""transforms.io.feeds: feed and sitemap parsing, link normalisation, the feeds file,
page queues and the replay header (pure functions, no network)."""

from __future__ import annotations

import gzip

import pytest

from tests.support.news_site import atom, news_sitemap, rss, sitemap, sitemap_index
from transforms.io.feeds import (
    FeedItem,
    documents_from_header,
    feed_items_header,
    host_of,
    normalise_link,
    parse_feed,
    queue_pages,
    read_feed_list,
)
from transforms.records import HTML, BadInput, RawDocument

FEED = "https://news.example.com/feeds/world.xml"


def test_rss_items_are_absolute_normalised_and_dated():
    body = rss(
        [
            (
                "/world/2026/03/10/ceasefire.html?utm_source=rss&utm_medium=feed#top",
                "Ceasefire &amp; talks",
                "Tue, 10 Mar 2026 10:00:00 +0100",
            ),
            ("https://News.Example.com/world/flood.html?id=7&fbclid=XYZ", "Flood", "Mon, 09 Mar 2026 18:30:00 GMT"),
        ]
    )
    parsed = parse_feed(FEED, body)
    assert parsed.kind == "rss20"
    first, second = parsed.items
    assert first.link == "https://news.example.com/world/2026/03/10/ceasefire.html?utm_source=rss&utm_medium=feed#top"
    assert first.url == "https://news.example.com/world/2026/03/10/ceasefire.html"
    assert first.title == "Ceasefire & talks"
    assert first.published == "2026-03-10T10:00:00+01:00"
    assert first.language == "en"  # the channel's en-gb
    assert first.feed == FEED
    assert second.url == "https://news.example.com/world/flood.html?id=7"
    assert second.published == "2026-03-09T18:30:00+00:00"


def test_rss_1_0_rdf_feed():
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel rdf:about="https://news.example.com/"><title>Wire</title><link>https://news.example.com/</link></channel>
 <item rdf:about="https://news.example.com/a/1"><title>Port strike ends</title>
   <link>https://news.example.com/a/1</link><dc:date>2026-03-10T06:00:00Z</dc:date><dc:language>fr</dc:language></item>
</rdf:RDF>"""
    parsed = parse_feed(FEED, body)
    assert parsed.kind == "rss10"
    assert [(i.url, i.title, i.published) for i in parsed.items] == [
        ("https://news.example.com/a/1", "Port strike ends", "2026-03-10T06:00:00+00:00")
    ]


def test_atom_entries_and_html_titles():
    body = atom([("https://news.example.com/b/2", "Vote count", "2026-03-10T09:30:00Z")]).replace(
        b"<title>Vote count</title>", b'<title type="html">Vote &lt;em&gt;count&lt;/em&gt; delayed</title>'
    )
    parsed = parse_feed(FEED, body)
    assert parsed.kind == "atom10"
    assert [(i.link, i.title, i.published) for i in parsed.items] == [
        ("https://news.example.com/b/2", "Vote count delayed", "2026-03-10T09:30:00+00:00")
    ]


def test_json_feed():
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "Gazette", "language": "de-DE", "items": ['
        b'{"id": "1", "url": "https://gazette.example.org/x?utm_campaign=a", "title": "Bridge closed",'
        b' "date_published": "2026-03-10T07:00:00+01:00"},'
        b'{"id": "2", "content_text": "no url here"}]}'
    )
    parsed = parse_feed(FEED, body)
    assert parsed.kind == "json"
    assert [(i.url, i.title, i.published, i.language) for i in parsed.items] == [
        ("https://gazette.example.org/x", "Bridge closed", "2026-03-10T07:00:00+01:00", "de")
    ]
    assert parsed.unusable == [(f"{FEED}#item-2", "feed item has no link")]


def test_google_news_sitemap_gives_title_date_and_language():
    body = news_sitemap([("https://news.example.com/c/3", "Dam inspection", "2026-03-09T18:00:00+01:00")])
    parsed = parse_feed("https://news.example.com/sitemap-news.xml", body)
    assert parsed.kind == "news-sitemap"
    (item,) = parsed.items
    assert (item.url, item.title, item.published, item.language) == (
        "https://news.example.com/c/3",
        "Dam inspection",
        "2026-03-09T18:00:00+01:00",
        "en",
    )


def test_plain_and_gzipped_sitemaps_give_links_without_dates():
    body = sitemap([("https://news.example.com/d/4", "2026-03-01"), ("https://news.example.com/d/5", "2026-03-02")])
    for document in (body, gzip.compress(body)):
        parsed = parse_feed("https://news.example.com/sitemap.xml.gz", document)
        assert parsed.kind == "sitemap"
        # <lastmod> is when the page changed, not when the story was published
        assert [(i.url, i.published) for i in parsed.items] == [
            ("https://news.example.com/d/4", None),
            ("https://news.example.com/d/5", None),
        ]


def test_sitemap_index_names_its_sitemaps():
    body = sitemap_index(["https://news.example.com/s1.xml", "/s2.xml.gz", "ftp://elsewhere/s3.xml"])
    parsed = parse_feed("https://news.example.com/sitemap-index.xml", body)
    assert parsed.kind == "sitemapindex" and parsed.items == []
    assert parsed.sitemaps == ["https://news.example.com/s1.xml", "https://news.example.com/s2.xml.gz"]


@pytest.mark.parametrize(
    "body, reason",
    [
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken', "malformed feed"),
        (b"<html><body><p>Our news page</p></body></html>", "malformed feed"),
        (b'{"title": "not a feed"}', "not a JSON Feed"),
        (b"{broken json", "malformed JSON feed"),
        (b"   ", "empty feed"),
        (b"\x1f\x8b\x08\x00broken", "corrupt gzip"),
    ],
)
def test_unusable_feed_documents_raise_bad_input(body, reason):
    with pytest.raises(BadInput, match=reason):
        parse_feed(FEED, body)


def test_a_valid_feed_with_no_items_is_not_an_error():
    parsed = parse_feed(FEED, rss([]))
    assert parsed.kind == "rss20" and parsed.items == [] and parsed.unusable == []


def test_items_without_an_http_link_are_unusable():
    body = rss([("mailto:desk@example.com", "Write to us", "Tue, 10 Mar 2026 10:00:00 GMT")])
    parsed = parse_feed(FEED, body)
    assert parsed.items == []
    assert parsed.unusable == [(f"{FEED}#item-1", "feed item link is not an http(s) URL: mailto:desk@example.com")]


def test_normalise_link_drops_tracking_and_fragment_keeps_the_story():
    assert normalise_link("https://WWW.Example.com/a/story.html?utm_source=x&b=2&a=1&gclid=9#c") == (
        "https://www.example.com/a/story.html?a=1&b=2"
    )
    assert normalise_link("http://127.0.0.1:8080/n.html?ref=rss") == "http://127.0.0.1:8080/n.html"
    assert host_of("http://127.0.0.1:8080/n.html") == "http://127.0.0.1:8080"


def test_feed_list_keeps_order_skips_comments_and_rejects_bad_lines(tmp_path):
    listing = tmp_path / "feeds.txt"
    listing.write_text(
        "# world desks\nhttps://a.example/rss.xml\n\n  https://b.example/atom.xml  \n"
        "https://a.example/rss.xml\nnews.example.com/feed\n",
        encoding="utf-8",
    )
    urls, unusable = read_feed_list(str(listing))
    assert urls == ["https://a.example/rss.xml", "https://b.example/atom.xml"]
    assert unusable == [(f"{listing}#6", "not an http(s) feed URL: news.example.com/feed")]


def _item(link: str, feed: str = FEED, title: str = "t") -> FeedItem:
    return FeedItem(link, normalise_link(link), feed, title, None, None)


def test_queue_pages_fetches_a_story_once_for_its_tracking_links():
    items = [
        _item("https://b.example/x?utm_source=rss"),
        _item("https://a.example/1"),
        _item("https://b.example/x?utm_source=atom", feed="https://b.example/atom"),
        _item("https://b.example/x?utm_source=rss", feed="https://b.example/atom"),  # the same link again
    ]
    queues, repeated = queue_pages(items, {"https://b.example": 123.0})
    assert repeated == 1
    assert [(q.host, q.not_before) for q in queues] == [("https://a.example", 0.0), ("https://b.example", 123.0)]
    (page,) = queues[1].pages
    assert page.url == "https://b.example/x"
    assert [i.link for i in page.items] == ["https://b.example/x?utm_source=rss", "https://b.example/x?utm_source=atom"]


def test_replay_header_gives_one_document_per_item():
    items = [
        _item("https://b.example/x?utm_source=rss", title="Zürich vote"),
        _item("https://b.example/x?utm_source=atom"),
    ]
    header = feed_items_header("https://b.example/x", items)
    assert header.isascii()
    page = RawDocument(origin="pages.warc.gz#0", kind=HTML, body="<html/>", url="https://b.example/x?utm_source=rss")
    documents = documents_from_header(page, header)
    assert [(d.origin, d.url, d.title) for d in documents] == [
        ("https://b.example/x?utm_source=rss", "https://b.example/x", "Zürich vote"),
        ("https://b.example/x?utm_source=atom", "https://b.example/x", "t"),
    ]
    assert documents_from_header(page, None) == [page]
    assert documents_from_header(page, "{not json") == [page]

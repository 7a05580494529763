"""transforms.io.seen: the seen-page ledger with expiry and the feeds' validators."""

from __future__ import annotations

from transforms.io.seen import FeedValidators, SeenLinks

URL = "https://news.example.com/news/harbour-bridge.html"
DAY = 24 * 3600.0


def test_a_seen_page_is_remembered_across_instances_until_it_expires(tmp_path):
    SeenLinks(str(tmp_path), ttl_seconds=7 * DAY).remember(URL, now=1_000_000.0)
    later = SeenLinks(str(tmp_path), ttl_seconds=7 * DAY)  # a restart: a new process, the same state
    assert later.seen(URL, now=1_000_000.0 + 6 * DAY)
    assert not later.seen(URL, now=1_000_000.0 + 8 * DAY)
    assert not later.seen(URL + "?page=2", now=1_000_000.0)


def test_expired_entries_are_deleted(tmp_path):
    seen = SeenLinks(str(tmp_path), ttl_seconds=DAY)
    seen.remember(URL, now=0.0)
    seen.remember(URL + "?id=2", now=10 * DAY)
    assert seen.forget_expired(now=10 * DAY + 1) == 1
    assert len(list((tmp_path / "feeds" / "seen").glob("*.json"))) == 1
    assert seen.seen(URL + "?id=2", now=10 * DAY + 1) and not seen.seen(URL, now=10 * DAY + 1)


def test_a_cut_short_entry_counts_as_not_seen(tmp_path):
    seen = SeenLinks(str(tmp_path), ttl_seconds=DAY)
    seen.remember(URL, now=0.0)
    (entry,) = (tmp_path / "feeds" / "seen").glob("*.json")
    entry.write_text('{"url": "https://news.exa')
    assert not seen.seen(URL, now=1.0)


def test_validators_become_conditional_headers_after_a_restart(tmp_path):
    feed = "https://news.example.com/rss.xml"
    validators = FeedValidators(str(tmp_path))
    assert validators.conditional_headers(feed) == {}
    validators.remember(feed, {"etag": '"v7"', "last-modified": "Tue, 10 Mar 2026 09:30:00 GMT", "server": "x"})
    assert FeedValidators(str(tmp_path)).conditional_headers(feed) == {
        "If-None-Match": '"v7"',
        "If-Modified-Since": "Tue, 10 Mar 2026 09:30:00 GMT",
    }
    validators.remember(feed, {})  # the feed stopped sending validators: ask unconditionally
    assert FeedValidators(str(tmp_path)).conditional_headers(feed) == {}

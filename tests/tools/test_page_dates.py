"""Tests of benchmarks.page_dates: how a found publication date is scored against the gold."""

from collections import Counter

from benchmarks.page_dates import day, page_dates, score


def test_score_counts_right_wrong_and_missing_days():
    counts: Counter = Counter()
    score("2025-03-01", "2025-03-01", counts)  # same day
    score("2025-03-01", "2025-01-01", counts)  # a guessed "January 1st"
    score(None, "2025-01-01", counts)  # a date where the page has none is wrong too
    score("2025-03-01", None, counts)
    score(None, None, counts)
    assert counts == Counter(right=1, wrong=2, missing=1, none_right=1)


def test_day_keeps_the_calendar_day_of_a_date_time():
    assert day("2025-11-23T08:15:00+01:00") == "2025-11-23"
    assert day(None) is None and day("") is None


def test_extensive_search_only_where_the_fast_rules_find_nothing():
    dated = (
        '<html><head><meta property="article:published_time" content="2025-06-02T10:00:00Z"></head>'
        "<body><p>Text.</p></body></html>"
    )
    found = page_dates(dated, None)
    assert found == {"fast": "2025-06-02", "fast_then_extensive": "2025-06-02"}
    # a copyright year is all the page says: the cleanup gives no date, the extensive search guesses one
    undated = (
        "<html><body><article><p>Some text of the article.</p></article>"
        "<footer>© 2024 Example News</footer></body></html>"
    )
    assert page_dates(undated, None) == {"fast": None, "fast_then_extensive": "2024-01-01"}
    assert page_dates("", None) is None

"""Tests of transforms.scrub: per-article boilerplate removal (pure, no Beam).

Every line rule is tested both ways: the boilerplate it must catch and a real
line that looks like it and must stay.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from transforms.dates import OUT_OF_RANGE, UNPARSEABLE, checked_published, fold, parse_date, plausible_moment

NBSP, NNBSP, ZWSP = "\u00a0", "\u202f", "\u200b"


def test_fold():
    assert fold("Élysée, 1er AOÛT, Noël") == "elysee, 1er aout, noel"
    assert fold(unicodedata.normalize("NFD", "février")) == "fevrier"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("le 1er août 2020 à Paris", "2020-08-01"),
        ("Depuis 3 heures 15 septembre 2020", "2020-09-15"),
        ("15 SEPTEMBRE 2020", "2020-09-15"),
        ("12 fevrier 2021", "2021-02-12"),
        ("on September 15, 2020", "2020-09-15"),
        ("15 Sept. 2020", "2020-09-15"),
        ("15/09/2020", "2020-09-15"),
        ("09/15/2020", "2020-09-15"),
        ("2020-09-15T10:00", "2020-09-15"),
        ("le 31 février 2020 puis le 2 mars 2020", "2020-03-02"),  # the first *valid* date
        ("rien ici", None),
        ("le 15 du mois", None),
        ("32/13/2020", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2020-09-15", ("2020-09-15", None)),
        ("Mon, 14 Sep 2020 09:30:00 GMT", ("2020-09-14T09:30:00+00:00", None)),
        ("1990-01-01", ("1990-01-01", None)),  # the earliest day kept
        ("2026-12-07T11:00:00Z", ("2026-12-07T11:00:00+00:00", None)),  # within a day ahead
        ("2026-12-07T13:00:00Z", (None, OUT_OF_RANGE)),
        ("1989-12-31", (None, OUT_OF_RANGE)),
        ("1970-01-01T00:00:00Z", (None, OUT_OF_RANGE)),
        ("2099-01-01", (None, OUT_OF_RANGE)),
        ("9999-12-31T23:59:59+14:00", (None, OUT_OF_RANGE)),
        ("0000-00-00", (None, UNPARSEABLE)),
        ("2020-02-30", (None, UNPARSEABLE)),
        ("not a date", (None, UNPARSEABLE)),
        ("12345678901234567890", (None, UNPARSEABLE)),
        (20200101, (None, UNPARSEABLE)),
        ("", (None, None)),
        ("   ", (None, None)),
        (None, (None, None)),
    ],
)
def test_checked_published(value, expected) -> None:
    assert checked_published(value, now=NOW) == expected


def test_plausible_moment_reads_a_naive_time_as_utc() -> None:
    assert plausible_moment(dt.datetime(2026, 12, 7, 11, 59), NOW)
    assert not plausible_moment(dt.datetime(2026, 12, 7, 12, 1), NOW)
    assert plausible_moment(dt.datetime(2026, 12, 7, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))), NOW)


def test_end_of_day_is_the_last_moment_of_a_reference_day():
    from transforms.dates import end_of_day

    assert end_of_day(None) is None and end_of_day("") is None
    last = end_of_day("2030-02-01")
    assert last is not None and last.isoformat().startswith("2030-02-01T23:59:59")
    # "now" at that day: a date the day after is still plausible, two days after is not
    assert plausible_moment(dt.datetime(2030, 2, 2, 12), last)
    assert not plausible_moment(dt.datetime(2030, 2, 3, 12), last)

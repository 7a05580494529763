"""Tests of transforms.scrub: per-article boilerplate removal (pure, no Beam).

Every line rule is tested both ways: the boilerplate it must catch and a real
line that looks like it and must stay.
"""

from __future__ import annotations

import unicodedata

import pytest

from transforms.dates import fold, parse_date

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

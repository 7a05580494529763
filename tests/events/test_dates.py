"""Tests of transforms.event_dates: date expressions resolved against the publication date."""

import pytest

from transforms.events.dates import event_date

PUBLISHED = "2020-09-18"  # a Friday


@pytest.mark.parametrize(
    "sentence, language, date, precision",
    [
        ("Une base a été la cible d'une attaque à la roquette hier, jeudi 17 septembre.", "fr", "2020-09-17", "day"),
        ("Plusieurs bombes ont explosé vendredi tôt dans la matinée.", "fr", "2020-09-18", "day"),
        ("L'opération a eu lieu ce jeudi 10 septembre, dans la ville de Shirqat.", "fr", "2020-09-10", "day"),
        ("Le 3 septembre, un engin explosif a visé un convoi.", "fr", "2020-09-03", "day"),
        ("Mardi 15 septembre, un véhicule a été visé.", "fr", "2020-09-15", "day"),
        ("Lundi, deux roquettes sont tombées près de l'aéroport.", "fr", "2020-09-14", "day"),
        ("Dans la nuit de mardi à mercredi, deux roquettes sont tombées.", "fr", "2020-09-16", "day"),
        ("Avant-hier, un convoi a été attaqué.", "fr", "2020-09-16", "day"),
        ("Deux jours plus tôt, un convoi avait été visé.", "fr", "2020-09-16", "approx"),
        ("La veille, un autre convoi avait sauté sur une bombe.", "fr", "2020-09-17", "approx"),
        ("Cette semaine, les attaques se sont multipliées.", "fr", "2020-09-14", "week"),
        ("Rockets hit the embassy on Monday.", "en", "2020-09-14", "day"),
        ("Rockets hit the embassy yesterday.", "en", "2020-09-17", "day"),
        ("An IED hit a convoy two days earlier.", "en", "2020-09-16", "approx"),
        ("The attack took place on September 3, 2020.", "en", "2020-09-03", "day"),
        ("Le convoi a été attaqué.", "fr", "2020-09-18", "publication"),
    ],
)
def test_event_date(sentence, language, date, precision):
    found = event_date(sentence, language, PUBLISHED)
    assert (found.date, found.precision) == (date, precision)
    if precision != "publication":
        assert sentence[found.start : found.end] == found.text


def test_a_day_without_year_after_the_article_is_last_year():
    found = event_date("Le 28 décembre, un attentat a frappé la ville.", "fr", "2021-01-05")
    assert found.date == "2020-12-28"


def test_no_publication_date_no_event_date():
    assert event_date("Hier, un attentat a frappé la ville.", "fr", None) is None
    assert event_date("Hier, un attentat.", "fr", "not a date") is None


def test_timestamps_are_accepted():
    assert event_date("Hier, un attentat.", "fr", "2020-09-18T09:30:00+00:00").date == "2020-09-17"


def test_month_expressions_give_the_first_of_the_month():
    assert event_date("l'assassinat de Soleimani en janvier 2020", "fr", "2020-09-13")[:2] == ("2020-01-01", "month")
    assert event_date("près de l'aéroport en janvier, ainsi", "fr", "2020-09-13")[:2] == ("2020-01-01", "month")
    assert event_date("en décembre dernier", "fr", "2020-09-13")[:2] == ("2019-12-01", "month")
    assert event_date("a drone strike in January 2020", "en", "2020-09-13")[:2] == ("2020-01-01", "month")


def test_a_day_beats_a_month():
    assert event_date("Le 3 septembre, comme en janvier, une attaque", "fr", "2020-09-13")[:2] == ("2020-09-03", "day")


def test_weekday_and_day_of_month_without_a_readable_month():
    assert event_date("le lundi 14 spetembre", "fr", "2020-09-15")[:2] == ("2020-09-14", "day")
    assert event_date("on Friday 11", "en", "2020-09-15")[:2] == ("2020-09-11", "day")


def test_a_span_before_the_calendar_gives_no_date_and_no_error():
    # a page on meditation "started about 2500 years ago" once failed its whole events stage:
    # such a span dates nothing, and the sentence falls back to the publication day as any other
    for sentence in ("It is believed to have started about 2500 years ago.", "It happened 9999999 days earlier."):
        assert event_date(sentence, "en", "2023-08-23").precision == "publication"
    assert event_date("It started 30 years ago.", "en", "2023-08-23").date == "1993-01-01"

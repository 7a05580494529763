"""When an event happened: date expressions in a sentence, resolved against the
article's publication date.

News states event dates relative to its own date far more often than in full
("hier", "lundi", "dans la nuit de mardi à mercredi", "deux jours plus tôt",
"yesterday", "on Monday"). We find the expressions with our own patterns
(French and English), and let dateparser resolve the ones it understands with
the publication date as ``RELATIVE_BASE`` and past dates preferred (news
reports what happened). The few it does not resolve are counted here:
"N jours plus tôt / N days earlier" (relative to the publication date, so
approximate), "la veille" (the day before), and "dans la nuit de X à Y" (the
night ends on Y's date, the convention agencies use).

Precision of the result: "day" for an explicit or relative day, "week" for
"cette semaine"/"this week" and "la semaine dernière"/"last week" (date = the
Monday), "approx" for "N days earlier", "month" for "en janvier 2020"/"in January"
(date = the 1st), "year" for "en 2018"/"last year"/"il y a deux ans" (date = 1 January, or 1
October for "fin 2019"/"late 2019" and 1 June for "mi-2019"), and "publication" when the
sentence gives no date and the article's date stands in.

``is_background(date, published)``: an event the text dates before the article's recent past
(``RECENT_DAYS`` before publication, or an earlier year) is background: retold, not news.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import List, NamedTuple, Optional

import dateparser

_WEEKDAYS_FR = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"


_WEEKDAYS_EN = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"


_MONTHS_FR = (
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
)


_MONTHS_EN = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"


# Number words of French and English counts and spans ("deux jours", "three years ago", "cinq morts").
NUMBER_WORDS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "vingt": 20,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
}


# Ordered: the first pattern that matches at a position wins (longest forms first).
_PATTERNS = [
    (
        "night",
        re.compile(
            rf"\bdans\s+la\s+nuit\s+de\s+(?:{_WEEKDAYS_FR})\s+(?:à|a|au)\s+(?P<day>{_WEEKDAYS_FR})(?:\s+\d{{1,2}}(?:er)?\s+(?:{_MONTHS_FR}))?",
            re.I,
        ),
    ),
    (
        "night",
        re.compile(
            rf"\b(?:overnight|during\s+the\s+night)\s+(?:from\s+)?(?:{_WEEKDAYS_EN})\s+(?:to|into)\s+(?P<day>{_WEEKDAYS_EN})",
            re.I,
        ),
    ),
    (
        "explicit",
        re.compile(rf"\b(?:(?:{_WEEKDAYS_FR})\s+)?(?:le\s+)?\d{{1,2}}(?:er)?\s+(?:{_MONTHS_FR})(?:\s+\d{{4}})?", re.I),
    ),
    (
        "explicit",
        re.compile(
            rf"\b(?:(?:{_WEEKDAYS_EN}),?\s+)?(?:{_MONTHS_EN})\.?\s+\d{{1,2}}(?!\d)(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?",
            re.I,
        ),
    ),
    (
        "explicit",
        re.compile(
            rf"\b(?:(?:{_WEEKDAYS_EN}),?\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS_EN})(?:,?\s+\d{{4}})?",
            re.I,
        ),
    ),
    (
        "earlier",
        re.compile(r"\b(?P<n>\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix)\s+jours?\s+plus\s+tôt", re.I),
    ),
    (
        "earlier",
        re.compile(r"\bil\s+y\s+a\s+(?P<n>\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix)\s+jours?", re.I),
    ),
    (
        "earlier",
        re.compile(
            r"\b(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+days?\s+(?:earlier|ago|before)", re.I
        ),
    ),
    ("eve", re.compile(r"\bla\s+veille\b|\bthe\s+day\s+before\b", re.I)),
    ("week", re.compile(r"\bcette\s+semaine\b|\bthis\s+week\b", re.I)),
    ("last_week", re.compile(r"\bla\s+semaine\s+(?:dernière|derniere|passée|passee)\b|\blast\s+week\b", re.I)),
    (
        "relative",
        re.compile(
            r"\bavant-hier\b|\bhier\b|\baujourd['’]hui\b|\bce\s+matin\b|\bcette\s+nuit\b|\bce\s+soir\b|"
            r"\bthe\s+day\s+before\s+yesterday\b|\byesterday\b|\btoday\b|\bthis\s+morning\b|\blast\s+night\b|\btonight\b",
            re.I,
        ),
    ),
    # "le lundi 14 spetembre" (a misspelt month) still names a weekday and a day of the month
    (
        "weekday_day",
        re.compile(rf"\b(?P<weekday>{_WEEKDAYS_FR}|{_WEEKDAYS_EN})\s+(?P<dom>\d{{1,2}})(?:er|st|nd|rd|th)?\b", re.I),
    ),
    # "en janvier 2020", "en janvier dernier", "in January 2020", "last January": a month, not a day
    (
        "month",
        re.compile(
            rf"\b(?:en|début|fin|mi-?|in|early|late|last)\s+(?P<month>{_MONTHS_FR}|{_MONTHS_EN})(?:\s+(?P<year>\d{{4}})|\s+dernier)?\b",
            re.I,
        ),
    ),
    # "en 2018", "fin 2019", "in early 2019", "last year", "l'an dernier", "il y a deux ans": a year,
    # which is how news dates what it retells (never the publication day)
    (
        "year",
        re.compile(
            r"\b(?:(?P<part>début|fin|mi-?|courant|early|late|mid-?)\s*|(?:en|in|during|au\s+cours\s+de|durant|pendant|de|of|the)\s+(?:l['’]année\s+)?)"
            r"(?P<year>(?:1[6-9]|20)\d\d)\b(?!\s*[-/]\d)",
            re.I,
        ),
    ),
    (
        "last_year",
        re.compile(
            r"\bl['’](?:an|année)\s+(?:dernier|derniere|dernière|passé|passee|passée)\b|\blast\s+year\b|\bthe\s+previous\s+year\b",
            re.I,
        ),
    ),
    (
        "years_ago",
        re.compile(
            r"\bil\s+y\s+a\s+(?P<n>\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix)\s+ans\b|"
            r"\b(?P<n2>\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+years?\s+ago\b",
            re.I,
        ),
    ),
    (
        "weekday",
        re.compile(
            rf"\b(?:{_WEEKDAYS_FR})\b(?!\s+\d)|\b(?:on\s+)?(?:{_WEEKDAYS_EN})\b(?!,?\s+(?:{_MONTHS_EN}|\d))", re.I
        ),
    ),
]


class EventDate(NamedTuple):
    date: str  # ISO day
    precision: str  # day, week, approx, month, year, publication
    text: str  # the expression as written ("" for publication)
    start: int  # offsets into the sentence (-1 for publication)
    end: int


def _parse(expression: str, language: str, published: dt.datetime) -> Optional[dt.date]:
    parsed = dateparser.parse(
        expression,
        languages=[language] if language in ("fr", "en") else ["fr", "en"],
        settings={"RELATIVE_BASE": published, "PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False},
    )
    if parsed is None:
        return None
    day = parsed.date()
    # an explicit day without a year that lands after the article is last year's ("le 28 décembre" in January)
    if day > published.date() + dt.timedelta(days=1):
        try:
            day = day.replace(year=day.year - 1)
        except ValueError:
            return None
    return day


def _weekday_on_or_before(published: dt.date, weekday_name: str) -> dt.date:
    names = _WEEKDAYS_FR.split("|") if weekday_name.lower() in _WEEKDAYS_FR else _WEEKDAYS_EN.split("|")
    target = names.index(weekday_name.lower())
    return published - dt.timedelta(days=(published.weekday() - target) % 7)


def _weekday_day(published: dt.date, weekday_name: str, day_of_month: int) -> Optional[dt.date]:
    """The latest day on or before publication (within ~2 months) that is this weekday and this
    day of the month."""
    day = _weekday_on_or_before(published, weekday_name)
    for _ in range(10):
        if day.day == day_of_month:
            return day
        day -= dt.timedelta(days=7)
    return None


def _month_start(published: dt.date, month_name: str, year: Optional[str]) -> Optional[dt.date]:
    """The first day of the named month: of ``year`` when given, else the latest such month
    on or before publication."""
    name = month_name.lower().rstrip(".")
    names_fr = _MONTHS_FR.split("|")
    month = None
    if name in names_fr:
        month = [1, 2, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10, 11, 12, 12][names_fr.index(name)]
    else:
        for number, full in enumerate(
            (
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ),
            start=1,
        ):
            if full.startswith(name[:3]):
                month = number
                break
    if month is None:
        return None
    if year:
        return dt.date(int(year), month, 1)
    return dt.date(published.year if month <= published.month else published.year - 1, month, 1)


def resolve_expression(kind: str, match: re.Match[str], language: str, published: dt.datetime) -> Optional[EventDate]:
    text = match.group(0)
    pub = published.date()
    if kind == "night":
        day = _weekday_on_or_before(pub, match.group("day"))
        explicit = _parse(text[text.lower().rfind(match.group("day").lower()) :], language, published)
        return EventDate((explicit or day).isoformat(), "day", text, match.start(), match.end())
    if kind == "earlier":
        n = match.group("n").lower()
        days = int(n) if n.isdigit() else NUMBER_WORDS.get(n, 0)
        if days > (pub - dt.date.min).days:  # "1,000,000 days earlier": before the calendar, no date
            return None
        return EventDate((pub - dt.timedelta(days=days)).isoformat(), "approx", text, match.start(), match.end())
    if kind == "eve":
        return EventDate((pub - dt.timedelta(days=1)).isoformat(), "approx", text, match.start(), match.end())
    if kind in ("week", "last_week"):
        monday = pub - dt.timedelta(days=pub.weekday()) - dt.timedelta(days=7 if kind == "last_week" else 0)
        return EventDate(monday.isoformat(), "week", text, match.start(), match.end())
    if kind == "weekday_day":
        weekday_day = _weekday_day(pub, match.group("weekday"), int(match.group("dom")))
        return EventDate(weekday_day.isoformat(), "day", text, match.start(), match.end()) if weekday_day else None
    if kind == "month":
        first = _month_start(pub, match.group("month"), match.group("year"))
        return EventDate(first.isoformat(), "month", text, match.start(), match.end()) if first else None
    if kind == "year":
        part = (match.group("part") or "").lower().rstrip("- ")
        month = {"fin": 10, "late": 10, "mi": 6, "mid": 6}.get(part, 1)
        return EventDate(
            dt.date(int(match.group("year")), month, 1).isoformat(), "year", text, match.start(), match.end()
        )
    if kind == "last_year":
        return EventDate(dt.date(pub.year - 1, 1, 1).isoformat(), "year", text, match.start(), match.end())
    if kind == "years_ago":
        n = (match.group("n") or match.group("n2")).lower()
        years = int(n) if n.isdigit() else NUMBER_WORDS.get(n, 1)
        if years >= pub.year:  # "2500 years ago": before year 1 of the calendar, no date
            return None
        return EventDate(dt.date(pub.year - years, 1, 1).isoformat(), "year", text, match.start(), match.end())
    if kind == "weekday":
        name = re.sub(r"^on\s+", "", text, flags=re.I)
        return EventDate(_weekday_on_or_before(pub, name).isoformat(), "day", text, match.start(), match.end())
    parsed = _parse(text, language, published)
    if parsed is None:
        return None
    return EventDate(parsed.isoformat(), "day", text, match.start(), match.end())


def find_dates(sentence: str, language: str, published: dt.datetime) -> List[EventDate]:
    """Every date expression of a sentence, resolved, in text order, without overlaps."""
    found: List[EventDate] = []
    taken: List[range] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(sentence):
            if any(match.start() < r.stop and r.start < match.end() for r in taken):
                continue
            resolved = resolve_expression(kind, match, language, published)
            if resolved is not None:
                found.append(resolved)
                taken.append(range(match.start(), match.end()))
    return sorted(found, key=lambda d: d.start)


def event_date(sentence: str, language: str, published: Optional[str]) -> Optional[EventDate]:
    """The date of the event a sentence reports: its most specific date expression
    (a day beats a week beats an approximation; then the first), else the
    publication day. None when the article has no publication date either."""
    if not published:
        return None
    try:
        base = (
            dt.datetime.fromisoformat(published[:19]) if "T" in published else dt.datetime.fromisoformat(published[:10])
        )
    except ValueError:
        return None
    base = base.replace(tzinfo=None)
    dates = find_dates(sentence, language, base)
    if dates:
        rank = {"day": 0, "week": 1, "approx": 2, "month": 3, "year": 4}
        return min(dates, key=lambda d: (rank[d.precision], d.start))
    return EventDate(base.date().isoformat(), "publication", "", -1, -1)


# An event dated more than this many days before publication is retold, not reported as news.
RECENT_DAYS = 30


def is_background(when: Optional[EventDate], published: Optional[str]) -> bool:
    """The sentence dates its event before the article's recent past ("le 3 janvier dernier" in
    a September article, "fin 2019" in 2020, "in 2018", "last year")."""
    if when is None or not published or when.precision in ("publication", "narrative"):
        return False
    try:
        day = dt.date.fromisoformat(when.date)
        pub = dt.date.fromisoformat(published[:10])
    except ValueError:
        return False
    if when.precision == "year":
        return day.year < pub.year
    return (pub - day).days > RECENT_DAYS

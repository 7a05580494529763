"""Dates, in one place.

* ``normalise_published``: a publication date from a feed, page metadata (htmldate)
  or a Kafka payload as ISO-8601 (a date, or a date-time with its offset); ISO-8601,
  RFC 2822 ("Sun, 13 Sep 2020 10:00:00 GMT") and, as a last resort, dateparser's
  reading of free text ("13 septembre 2020") are understood.
* ``checked_published``: the same, or None with a note saying why ("unparseable", or
  "out_of_range": before 1990 or after now + 1 day, a feed's clock or template error).
* ``to_timestamp``: such a value as a Beam ``Timestamp`` (a bare date is midnight UTC,
  a naive time is UTC), for event time in streaming.
* ``date_matches`` / ``parse_date``: the explicit dates written in French or English
  text (datelines of pasted articles: "15 septembre 2020", "September 15, 2020",
  "2020-09-15", "15/09/2020").

Event dates relative to a publication day ("hier", "on Monday") are resolved in
``transforms.events.dates``.
"""

import datetime as dt
import email.utils
import re
import unicodedata
from typing import Any, List, Optional, Pattern, Sequence, Tuple

from apache_beam.utils.timestamp import Timestamp


def fold(text: str) -> str:
    """Lower case without accents, for date and dateline matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_MONTHS = {
    # French (accents folded away before matching)
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
    # English
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}


_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))


_DAY = r"(?<!\d)(\d{1,2})(?:er|st|nd|rd|th)?"


_YEAR = r"(\d{4})(?!\d)"


# each pattern: (regex on folded text, order of the day/month/year groups)
_DATE_PATTERNS: Sequence[Tuple[Pattern[str], str]] = (
    (re.compile(rf"{_DAY}\s+({_MONTH})\b\.?,?\s+{_YEAR}"), "dmy"),  # 15 septembre 2020, 1er mai 2020
    (re.compile(rf"\b({_MONTH})\b\.?\s+{_DAY},?\s+{_YEAR}"), "mdy"),  # September 15, 2020
    (re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"), "ymd"),  # 2020-09-15
    (re.compile(rf"(?<!\d)(\d{{1,2}})[/.](\d{{1,2}})[/.]{_YEAR}"), "dmy"),  # 15/09/2020, day first
)


def iso_date(year: int, month: int, day: int) -> Optional[str]:
    if not 1900 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def date_matches(folded: str) -> List[Tuple[int, int, str]]:
    """(start, end, ISO date) of every valid date in already ``fold``-ed text."""
    found: List[Tuple[int, int, str]] = []
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(folded):
            parts = dict(zip(order, match.groups()))
            month = _MONTHS[parts["m"]] if not parts["m"].isdigit() else int(parts["m"])
            day, year = int(parts["d"]), int(parts["y"])
            # numeric dates are day first; month first only when day first is impossible
            iso = iso_date(year, month, day) or (iso_date(year, day, month) if parts["m"].isdigit() else None)
            if iso and not any(s <= match.start() < e for s, e, _ in found):
                found.append((match.start(), match.end(), iso))
    return sorted(found)


def parse_date(text: str) -> Optional[str]:
    """The first French or English date in the text as 'YYYY-MM-DD', else None."""
    matches = date_matches(fold(text))
    return matches[0][2] if matches else None


def _parsed(value: Any) -> Optional[dt.datetime]:
    """A datetime (naive when the value had no offset) or a date as midnight, else None."""
    try:
        return _parsed_or_raise(value)
    except Exception:  # noqa: BLE001 — dateparser and email.utils raise odd kinds on hostile text
        return None


def _parsed_or_raise(value: Any) -> Optional[dt.datetime]:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        pass
    try:  # RSS and HTTP dates: "Sun, 13 Sep 2020 10:00:00 GMT"
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    return _free_text(text)


def _free_text(text: str) -> Optional[dt.datetime]:
    """dateparser's reading of a written date ("13 septembre 2020"); never relative
    ("yesterday" means nothing without a reference day)."""
    if len(text) > 64 or not any(c.isdigit() for c in text):
        return None
    import dateparser  # imported on first use: most values are ISO already

    return dateparser.parse(
        text, languages=["fr", "en"], settings={"STRICT_PARSING": True, "PARSERS": ["absolute-time"]}
    )


def normalise_published(value: Any) -> Optional[str]:
    """ISO-8601 of a publication date or date-time, else None.

    A value that is only a date stays a date ("2020-09-15"); a date-time keeps its
    offset when it had one.
    """
    parsed = _parsed(value)
    if parsed is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime) or _ISO_DAY.fullmatch(text):
        return parsed.date().isoformat()
    if text and ":" not in text and parsed.time() == dt.time() and parsed.tzinfo is None:
        return parsed.date().isoformat()  # a written day ("13 septembre 2020") stays a day
    return parsed.isoformat()


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


# No news feed we read predates the web; a date past tomorrow is a clock or template error.
EARLIEST_PUBLISHED = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
LATEST_AHEAD = dt.timedelta(days=1)


UNPARSEABLE = "unparseable"
OUT_OF_RANGE = "out_of_range"


def end_of_day(day: Optional[str]) -> Optional[dt.datetime]:
    """The last moment (UTC) of a ``YYYY-MM-DD`` reference day, or None (then: now)."""
    if not day:
        return None
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, tzinfo=dt.UTC)


def plausible_moment(moment: dt.datetime, now: Optional[dt.datetime] = None) -> bool:
    """True between EARLIEST_PUBLISHED and now + LATEST_AHEAD (a naive moment is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return EARLIEST_PUBLISHED <= moment <= now + LATEST_AHEAD


def checked_published(value: Any, now: Optional[dt.datetime] = None) -> Tuple[Optional[str], Optional[str]]:
    """(``normalise_published(value)``, None), or (None, why) for a value that was given
    but is no usable date: UNPARSEABLE, or OUT_OF_RANGE (see ``plausible_moment``).
    An absent or blank value is (None, None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    parsed = _parsed(value)
    if parsed is None:
        return None, UNPARSEABLE
    if not plausible_moment(parsed, now):
        return None, OUT_OF_RANGE
    return normalise_published(value), None


def to_timestamp(value: Any) -> Optional[Timestamp]:
    """A publication date or date-time as a Timestamp; a bare date is midnight UTC, a
    naive time is UTC."""
    parsed = _parsed(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return Timestamp.from_utc_datetime(parsed.astimezone(dt.UTC))

"""Splitting a plain-text dump of pasted articles into articles (pure, no Beam).

Observed layout (``sample/seed``): each article is

    KICKER LINE(S) IN CAPITALS          -> kicker (a section label counts too)
    Mixed-case headline                 -> title
    body lines, blank-line separated    -> lines
    https://site/2020/09/18/...         -> url (a line holding only a URL)
    separator lines (blank, " ", NBSP)

Splitting:

* the dump has URL-only lines: each ends its article; text after the last URL
  is one more article without URL. If the dump *starts* with a URL line, URLs
  head their articles instead (the other common paste order).
* no URL line: articles are separated by rule lines ("-----", "* * *", "===")
  or by three or more blank lines; a dump of one pasted article is one article.
  Known limit: a run of 3+ blank lines inside an article then splits it.

Inside an article: leading ALL-CAPS lines are the kicker, the next line is the
title; if no mixed-case line follows (or it is a whole paragraph of more than
``TITLE_MAX_WORDS`` words) the last capitals line is the title. The date comes
from the URL path, else from a dateline near the top of the body.
"""

from __future__ import annotations

import re
from typing import Iterator, List, NamedTuple, Optional, Tuple
from urllib.parse import urlsplit

from transforms.clean.scrub import tidy_line
from transforms.dates import date_matches, fold, iso_date

KICKER_JOINER = " | "


TITLE_MAX_WORDS = 30


# a dateline is looked for in this many first non-blank body lines ...
DATELINE_MAX_LINES = 6


# ... and counts when the line is short or the date opens it; a date deep in a
# long line (a caption's "le 2 janvier 2020", a story's event date) does not
DATELINE_SHORT_LINE = 80


DATELINE_EARLY_CHARS = 40


CAPS_RATIO = 0.85


class DumpArticle(NamedTuple):
    origin: str  # f"{dump origin}#{n}", n 1-based
    url: Optional[str]
    title: Optional[str]
    kicker: Optional[str]  # the ALL-CAPS line(s) above the title, joined
    published: Optional[str]  # ISO 'YYYY-MM-DD'
    lines: List[str]  # raw body lines after the title, before the URL line


# a line holding only a URL, optionally labelled ("Source : https://...")
_URL_LINE = re.compile(r"^\s*(?:(?:source|lien|link|url)\s*[:：]\s*)?(https?://[^\s<>\"]+)\s*$", re.IGNORECASE)


_RULE_LINE = re.compile(r"^\s*(?:[-–—=_*~#•·+]\s*){3,}$")


_URL_DATES = (
    re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?=[/?#]|$)"),  # /2020/09/18/
    re.compile(r"(?<!\d)((?:19|20)\d{2})-(\d{2})-(\d{2})(?!\d)"),  # /2020-09-18-title
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})(?=[/?#_.\-]|$)"),  # /20200918/
)


def published_from_url(url: Optional[str]) -> Optional[str]:
    """The date in a URL's path ('/2020/09/18/' -> '2020-09-18'), else None."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    where = parts.path + ("?" + parts.query if parts.query else "")
    for pattern in _URL_DATES:
        for match in pattern.finditer(where):
            iso = iso_date(*map(int, match.groups()))
            if iso:
                return iso
    return None


def find_dateline(lines: List[str], max_lines: int = DATELINE_MAX_LINES) -> Optional[str]:
    """The date of a dateline near the top of an article body, as 'YYYY-MM-DD'.

    French and English month names (accents optional, "1er", abbreviations),
    "September 15, 2020", "15/09/2020" (day first), "2020-09-15".
    """
    texts = [t for t in map(tidy_line, lines) if t][:max_lines]
    for text in texts:
        folded = fold(text)
        for start, _end, iso in date_matches(folded):
            if len(folded) <= DATELINE_SHORT_LINE or start <= DATELINE_EARLY_CHARS:
                return iso
    return None


def _is_gap(line: str) -> bool:
    """Blank (NBSP-only too) or a rule line: structure, not text."""
    return not line.strip() or bool(_RULE_LINE.match(line))


def _is_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) >= CAPS_RATIO * len(letters)


def _url_of(line: str) -> Optional[str]:
    match = _URL_LINE.match(line)
    return match.group(1).strip() if match else None


def _segments(lines: List[str]) -> Iterator[Tuple[List[str], Optional[str]]]:
    """(lines, url) of each article candidate."""
    url_at = [i for i, line in enumerate(lines) if _url_of(line)]
    if url_at:
        first_text = next(i for i, line in enumerate(lines) if not _is_gap(line))
        if first_text == url_at[0]:  # URLs head their articles
            for k, at in enumerate(url_at):
                end = url_at[k + 1] if k + 1 < len(url_at) else len(lines)
                yield lines[at + 1 : end], _url_of(lines[at])
        else:  # URLs end their articles
            start = 0
            for at in url_at:
                yield lines[start:at], _url_of(lines[at])
                start = at + 1
            yield lines[start:], None
        return
    current: List[str] = []
    blanks = 0
    for line in lines:
        if _RULE_LINE.match(line):
            yield current, None
            current, blanks = [], 0
        elif not line.strip():
            blanks += 1
            current.append(line)
        else:
            if blanks >= 3 and any(not _is_gap(line) for line in current):
                yield current, None
                current = []
            blanks = 0
            current.append(line)
    yield current, None


def _parse(lines: List[str], url: Optional[str], origin: str) -> Optional[DumpArticle]:
    text_at = [i for i, line in enumerate(lines) if not _is_gap(line)]
    if not text_at:
        return None
    kickers: List[str] = []
    title: Optional[str] = None
    body_start = len(lines)
    for i in text_at:
        if not _is_caps(lines[i]):
            if len(lines[i].split()) <= TITLE_MAX_WORDS:
                title, body_start = lines[i], i + 1
            else:  # a paragraph, not a headline: the body starts here
                body_start = i
            break
        kickers.append(lines[i])
        body_start = i + 1
    if title is None and kickers:
        title = kickers.pop()
    body = lines[body_start:]
    while body and _is_gap(body[0]):
        body.pop(0)
    while body and _is_gap(body[-1]):
        body.pop()
    kicker = KICKER_JOINER.join(tidy_line(k) for k in kickers) or None
    return DumpArticle(
        origin=origin,
        url=url,
        title=tidy_line(title) if title else None,
        kicker=kicker,
        published=published_from_url(url) or find_dateline(body),
        lines=body,
    )


def split_dump(text: str, origin: str) -> List[DumpArticle]:
    """The articles of a plain-text dump, in order; [] when it holds no text."""
    lines = text.lstrip("\ufeff").splitlines()
    if not any(not _is_gap(line) for line in lines):
        return []
    articles: List[DumpArticle] = []
    for segment, url in _segments(lines):
        article = _parse(segment, url, f"{origin}#{len(articles) + 1}")
        if article is not None:
            articles.append(article)
    return articles

"""Per-article boilerplate removal (pure functions, no Beam).

Every article, whatever its source (HTML-extracted paragraphs, text dumps,
JSONL/Avro bodies), passes through ``scrub_paragraphs``. It removes the lines a
reader would not count as the article's text -- photo captions and credits,
teaser links to other articles, "Lire aussi" lines, bylines, breadcrumbs, view
counters, video prompts, datelines -- and says for each removed line which rule
removed it, so tests and metrics can see why a line went.

The rules are of two kinds:

* line rules (``LINE_RULES``, first match wins): a line judged on its own, by
  compiled FR/EN regex lists, most of them only on short lines so that a real
  paragraph that merely mentions "AFP", "©" or "cliquez ici" is kept;
* context rules, judged on the sequence of surviving lines:
  - ``teaser``: a short headline repeated on consecutive lines (a link shown as
    image alt text and again as link text) -- every copy goes; a long repeated
    paragraph only loses its extra copies (``duplicate``);
  - ``teaser`` too: the line directly after a removed teaser pair when it is the
    linked article's lead -- it ends with "..." or without sentence punctuation,
    or it is a short sentence (at most ``TEASER_LEAD_MAX_WORDS`` words, not
    ending with ":"); in the seed "Les États-Unis prévoient de réduire la
    présence de troupes en Irak." follows the same teaser pair in two articles --
    and the headline after a bare "Lire aussi :" line;
  - ``headline``: an isolated short line (at most ``SHORT_LINE_MAX_WORDS``
    words) with no sentence-final punctuation, not bulleted, whose neighbours
    are not such lines too (a run of them is a list or table and is kept).
    Real paragraphs are sentences ending in . ! ? : ; … » " -- a full short
    sentence is kept unless it sits right under a teaser pair. Known costs: an
    isolated subheading (intertitre) without punctuation is removed too, and so
    is a real sentence of at most ``TEASER_LEAD_MAX_WORDS`` words right under a
    teaser pair; a lead longer than that is kept.

Output lines are tidied (``tidy_line``: NFC, zero-width characters dropped,
whitespace runs collapsed, stripped) but keep the article's typography:
typographic apostrophes and a lone (narrow) no-break space, as French puts
before ":" or inside « », stay as they are. Comparisons use ``normalise_line``,
which folds all of that away.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, FrozenSet, List, Optional, Pattern, Sequence, Tuple

from transforms.dates import date_matches, fold

Removed = Tuple[str, str]  # (rule name, removed line)


# A teaser headline is short; a repeated line longer than this is a pasted
# paragraph and only loses its extra copies.
HEADLINE_MAX_WORDS = 25


# Standalone unpunctuated lines up to this length are headlines/teasers.
SHORT_LINE_MAX_WORDS = 15


# A complete sentence this short right under a teaser pair is the linked article's
# lead; the real paragraphs found there in the seed have 18 words or more.
TEASER_LEAD_MAX_WORDS = 15


_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


_SPACE_RUN = re.compile(r"\s+")


_TYPOGRAPHIC_SPACES = ("\u00a0", "\u202f")


# apostrophe and dash variants fold to ASCII in comparison keys
_KEY_FOLD = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "–": "-", "—": "-", "‐": "-", "‑": "-"})


_QUOTES = re.compile('[«»“”„‟"‹›]')


_SPACE_AROUND_PUNCT = re.compile(r"\s*([^\w\s])\s*")


def tidy_line(line: str) -> str:
    """The line as output: NFC, no zero-width characters, whitespace collapsed, stripped.

    A lone no-break space is French typography (before ":" "?" "»") and stays;
    any other whitespace run becomes one plain space.
    """
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFC", line))
    text = _SPACE_RUN.sub(lambda m: m.group() if m.group() in _TYPOGRAPHIC_SPACES else " ", text)
    return text.strip()


def normalise_line(line: str) -> str:
    """Comparison key of a line: equal keys mean "the same line" to a reader.

    NFKC (folds no-break spaces, "…", ligatures, full-width forms), casefold,
    ’ and ' alike, quotes «»“”" dropped, no space around punctuation
    ("Irak : X !" == "Irak: X!"), whitespace collapsed.
    """
    text = unicodedata.normalize("NFKC", _ZERO_WIDTH.sub("", line)).casefold().translate(_KEY_FOLD)
    text = _SPACE_RUN.sub(" ", _QUOTES.sub(" ", text)).strip()
    return _SPACE_AROUND_PUNCT.sub(r"\1", text)


def paragraphs_from_text(text: str) -> List[str]:
    """An article's plain text as paragraphs.

    Blank lines separate paragraphs; inside a block each line is its own
    paragraph too, because pasted text often lost the blank lines between
    paragraphs (a line break inside a real paragraph is rare in dumps).
    Whitespace-only lines (NBSP included) count as blank.
    """
    return [line for line in map(tidy_line, text.splitlines()) if line]


# Scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar,
# Tibetan): a whole sentence is one whitespace token there.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0002ffff]"
)


# characters per word in those scripts (a Chinese word is 1.5-2 characters, a Thai one 4-6;
# 2 keeps a Chinese headline of ~20 characters short and a Thai sentence long)
UNSPACED_CHARS_PER_WORD = 2


def word_count(text: str) -> int:
    """Words in a line: whitespace tokens, where a token in a script written without
    spaces counts one word per ``UNSPACED_CHARS_PER_WORD`` of its characters."""
    if not _UNSPACED.search(text):
        return len(text.split())
    words = 0
    for token in text.split():
        unspaced = len(_UNSPACED.findall(token))
        words += max(1, -(-unspaced // UNSPACED_CHARS_PER_WORD)) if unspaced else 1
    return words


def _rx(*patterns: str, flags: int = re.IGNORECASE) -> Tuple[Pattern[str], ...]:
    return tuple(re.compile(p, flags) for p in patterns)


_READ_MORE = (
    r"(?:(?:[àa]\s+)?(?:lire|voir)\s+(?:aussi|plus|[ée]galement)|sur\s+le\s+m[êe]me\s+sujet"
    r"|dans\s+la\s+m[êe]me\s+rubrique|pour\s+aller\s+plus\s+loin|(?:read|see)\s+(?:more|also)|also\s+read"
    r"|related(?:\s+(?:articles?|stories|news|content|coverage))?|more\s+on\s+this(?:\s+story)?"
    r"|recommended(?:\s+reading)?)"
)


# "Lire aussi :" alone on its line: the teaser headline is on the next line
READ_MORE_BARE = re.compile(rf"^{_READ_MORE}\s*[:：.\-–—>»]*$", re.IGNORECASE)


READ_MORE = _rx(rf"^{_READ_MORE}\s*[:：\-–—>»|]")


# caption and credit markers; a caption line is dropped whole
CAPTION = _rx(
    # ends with a parenthesised photo marker: (Photo d'archives), (AFP photo), (Illustration)
    r"\([^()]*\b(?:photos?|images?|illustrations?|archives?|capture\s+d['’][ée]cran|screenshot|cr[ée]dits?)\b[^()]*\)$",
    # starts with a caption/credit label
    r"^(?:photos?|images?|illustration|l[ée]gende|cr[ée]dits?(?:\s+photos?)?|photo\s+credits?|caption)\s*[:：]",
)


CAPTION_MAX_WORDS = 80  # the stock caption in the seed is 50 words


# "©AFP", "©AFP/Archives", "©Al-Sumaria News/Illustration": © then a short credit, at the end
_CREDIT_TAIL = re.compile(r"©\s*([^©]*)$")


_CREDIT_MAX_WORDS = 5


_NOT_A_CREDIT = re.compile(r"[.!?;:,«»\"“”]")


COPYRIGHT = _rx(r"^(?:©|\(c\)\s|copyright\b)", r"tous\s+droits\s+r[ée]serv[ée]s", r"all\s+rights\s+reserved")


# an image file name: one token with an underscore or an image extension
IMAGE = _rx(r"^[\w.\-]*_[\w.\-]*$", r"^[\w.\-]+\.(?:jpe?g|png|gif|webp|svg|bmp|tiff?|avif)$")


LINK = _rx(r"^(?:https?://|www\.)\S+$")


# view / comment counters: a bare number, optionally with its unit
COUNTER = _rx(
    r"^\d[\d\s.,]*(?:(?:vues?|views?|lectures?|commentaires?|comments?|partages?|shares?|likes?|r[ée]actions?))?$"
)


BYLINE = (
    *_rx(
        r"^(?:r[ée]daction(?:\s+du\s+site|\s+en\s+ligne|\s+web)?|(?:par\s+)?la\s+r[ée]daction|(?:by\s+)?the\s+editors"
        r"|editorial\s+(?:staff|board)|staff\s+writer|newsroom)\.?$",
        r"^\(?(?:avec|with)\s+(?:l['’])?(?:afp|reuters|ap|dpa|ansa|efe|agences?|agencies)"
        r"(?:\s*(?:,|et|and)\s*(?:l['’])?(?:afp|reuters|ap|dpa|agences?|agencies))*\)?\.?$",
        r"^(?:auteur|autrice|author|journaliste|reporter)\s*[:：]",
    ),
    # "Par Jean Dupont", "By John Smith, Reuters": a capitalised name after the
    # word, nothing that ends a sentence ("Par ailleurs, ..." is lower case)
    *_rx(
        r"^(?i:par|by|propos\s+recueillis\s+par|written\s+by|reported\s+by|de\s+notre\s+(?:envoy[ée]e?\s+sp[ée]ciale?|correspondante?))"
        r"\s+[A-ZÀ-ÖØ-Þ][^.!?;:«»\"“”]*$",
        flags=0,
    ),
)


BYLINE_MAX_WORDS = 10


SOURCE = _rx(r"^\(?sources?\s*[:：][^.!?]*\)?$")


SOURCE_MAX_WORDS = 8


PROMPT = _rx(
    r"\bregardez\b.*\bvid[ée]o",
    r"\bt[ée]l[ée]charge[zr]\b.*\bvid[ée]o",
    r"\b(?:voir|regarder)\s+la\s+vid[ée]o\b",
    r"\bwatch\s+(?:the\s+)?(?:full\s+)?video\b",
    r"^(?:watch|vid[ée]o)\s*[:：]",
    r"\bcliquez\s+ici\b",
    r"\bclick\s+here\b",
    r"\babonnez[-\s]vous\b",
    r"\bsubscribe\s+(?:to|now|here)\b",
    r"\bsuivez[-\s]nous\b",
    r"\bfollow\s+us\b",
    r"\bpartage[rz]?\s+(?:sur|cet\s+article)\b",
    r"\bshare\s+(?:this|on)\b",
    r"\b(?:notre|our)\s+newsletter\b",
    r"\b(?:inscrivez[-\s]vous|sign\s+up)\b",
    r"\blire\s+la\s+suite\b",
    r"\bcontinue\s+reading\b",
    r"^(?:publicit[ée]|advertisement|sponsored|annonce)$",
)


PROMPT_MAX_WORDS = 20


# the PROMPT patterns as one regex: one scan a line (every extracted HTML block is asked)
_PROMPT_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in PROMPT), re.IGNORECASE)


# "Accueil > Monde > Irak", "Irak - Monde arabe - Spécial notre site"
_CRUMB_SEPARATOR = re.compile(r"\s+([-–—>›/])\s+")


_CRUMB_MAX_WORDS = 4


_NOT_A_CRUMB = re.compile(r"[.!?;:,«»\"“”()]")


# words a dateline holds besides the date itself ("Depuis 3 heures 15 septembre 2020",
# "Publié le mardi 15 septembre 2020 à 10h32, mis à jour le ...")
_DATELINE_WORDS = re.compile(
    r"\b(?:publie(?:e)?|mis|mise|a|jour|le|la|du|depuis|il|y|et|heures?|h|minutes?|mins?|secondes?|jours?|semaines?"
    r"|mois|ans?|hier|aujourd'hui|aujourd’hui|maj|published|updated|posted|last|modified|on|at|ago|hours?|days?"
    r"|weeks?|months?|years?|and|yesterday|today|gmt|utc|cet|cest|edt|est|am|pm|lundi|mardi|mercredi|jeudi"
    r"|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
)


_DATELINE_MAX_WORDS = 14


# a French clock time ("10h32", "8h", "10 h 32"); "3 heures" is left to _DATELINE_WORDS
_CLOCK_TIME = re.compile(r"\b\d{1,2}\s*h(?:\s*\d{2})?(?![^\W\d_])")


_LETTER = re.compile(r"[^\W\d_]")


_HAS_ALNUM = re.compile(r"[^\W_]")


def _any(patterns: Sequence[Pattern[str]], text: str) -> bool:
    return any(p.search(text) for p in patterns)


def _short(patterns: Sequence[Pattern[str]], max_words: Optional[int]) -> Callable[[str], bool]:
    """A rule matching one of the patterns, only on lines of at most max_words words."""
    return lambda text: (max_words is None or word_count(text) <= max_words) and _any(patterns, text)


def is_caption(text: str) -> bool:
    if word_count(text) <= CAPTION_MAX_WORDS and _any(CAPTION, text):
        return True
    # © then only a short capitalised credit ("©AFP/Archives", "© Getty Images") ends
    # a caption; "la marque © appartient ..." or "© ... ." inside a sentence does not
    tail = _CREDIT_TAIL.search(text)
    if not tail:
        return False
    credit = tail.group(1).strip()
    return (
        0 < word_count(credit) <= _CREDIT_MAX_WORDS
        and (credit[0].isupper() or credit[0].isdigit())
        and not _NOT_A_CREDIT.search(credit)
    )


# a word each PROMPT pattern needs, matched with the same flag: 1 short line in 16 has one,
# and this list of plain words is scanned twice as fast as the patterns themselves
_PROMPT_WORDS = re.compile(
    "regardez|charge|vid|watch|cliquez|click|abonnez|subscribe|suivez|follow|partage|share|newsletter"
    "|inscrivez|sign|suite|continue|publicit|advertisement|sponsored|annonce",
    re.IGNORECASE,
)


def is_prompt(text: str) -> bool:
    """A call to act (subscribe, follow, click, watch), at most ``PROMPT_MAX_WORDS`` words."""
    return (
        word_count(text) <= PROMPT_MAX_WORDS
        and _PROMPT_WORDS.search(text) is not None
        and _PROMPT_ANY.search(text) is not None
    )


def is_breadcrumb(text: str) -> bool:
    parts = _CRUMB_SEPARATOR.split(text)
    segments, separators = parts[0::2], set(parts[1::2])
    # "A - B" could be a short title; three levels, or an explicit ">" path, make a trail
    if len(segments) < 3 and not separators & {">", "›"}:
        return False
    return all(0 < word_count(s) <= _CRUMB_MAX_WORDS and not _NOT_A_CRUMB.search(s) for s in segments)


def is_dateline(text: str) -> bool:
    """A line holding a date and nothing else but dateline words and numbers."""
    if word_count(text) > _DATELINE_MAX_WORDS:
        return False
    folded = fold(text)
    matches = date_matches(folded)
    if not matches:
        return False
    rest, last = [], 0
    for start, end, _ in matches:
        rest.append(folded[last:start])
        last = end
    rest.append(folded[last:])
    return not _LETTER.search(_DATELINE_WORDS.sub(" ", _CLOCK_TIME.sub(" ", " ".join(rest))))


# line rules in order, first match wins: (rule name, predicate on a tidied line)
LINE_RULES: Sequence[Tuple[str, Callable[[str], bool]]] = (
    ("noise", lambda text: not _HAS_ALNUM.search(text)),  # "* * *", "-----", "…"
    ("readmore", lambda text: bool(READ_MORE_BARE.match(text)) or _short(READ_MORE, 40)(text)),
    ("caption", is_caption),
    ("copyright", _short(COPYRIGHT, 20)),
    ("image", _short(IMAGE, 1)),
    ("link", _short(LINK, 1)),
    ("counter", _short(COUNTER, 4)),
    ("breadcrumb", is_breadcrumb),
    ("byline", _short(BYLINE, BYLINE_MAX_WORDS)),
    ("source", _short(SOURCE, SOURCE_MAX_WORDS)),
    ("prompt", is_prompt),
    ("dateline", is_dateline),
)


def line_rule(text: str) -> Optional[str]:
    """Name of the first line rule a tidied line matches, else None."""
    for name, matches in LINE_RULES:
        if matches(text):
            return name
    return None


# sentence-final punctuation, possibly followed by closing brackets: Latin, CJK (。！？
# and full-width forms, closing 」』), Devanagari danda, Arabic/Urdu, Armenian, Ethiopic,
# Myanmar and Tibetan full stops
_SENTENCE_END = re.compile(r"(?:[.!?:;…»\"”。．！？；：」』｡।॥؟۔։።။།]|[.!?…。！？][)\]）】])$")


_ELLIPSIS_END = re.compile(r"(?:\.{2,}|…)[?!]?$")


_BULLET = re.compile(r"^(?:[-–—•·*▪►✓]|\d{1,2}[.)])\s")


_TRAILING_BRACKETS = re.compile(r"\s*[(\[][^()\[\]]*[)\]]$")


def _headline_like(text: str) -> bool:
    return word_count(text) <= HEADLINE_MAX_WORDS


def _short_unpunctuated(text: str) -> bool:
    return (
        word_count(text) <= SHORT_LINE_MAX_WORDS
        and not _SENTENCE_END.search(text)
        and not _BULLET.match(text)
        and bool(_LETTER.search(text))
    )


def _teaser_lead(text: str) -> bool:
    """A short sentence that can be a teaser's lead: not a list item, not an intro to one."""
    return word_count(text) <= TEASER_LEAD_MAX_WORDS and not _BULLET.match(text) and not text.endswith(":")


def _title_keys(title: Optional[str]) -> FrozenSet[str]:
    """The title, and the title without a trailing "(Débat)" / "[Vidéo]" tag."""
    if not title or not title.strip():
        return frozenset()
    keys = {normalise_line(title), normalise_line(_TRAILING_BRACKETS.sub("", title.strip()))}
    return frozenset(k for k in keys if k)


def _mark_repeats(kept: List[int], keys: List[str], items: List[str], verdict: List[Optional[str]]) -> List[int]:
    """Marks runs of equal consecutive lines; returns the index after each removed teaser run."""
    after_teasers = []
    start = 0
    while start < len(kept):
        end = start
        while end + 1 < len(kept) and keys[kept[end + 1]] == keys[kept[start]]:
            end += 1
        if end > start:
            run = kept[start : end + 1]
            if _headline_like(items[run[0]]):
                for i in run:
                    verdict[i] = "teaser"
                if end + 1 < len(kept):
                    after_teasers.append(kept[end + 1])
            else:
                for i in run[1:]:
                    verdict[i] = "duplicate"
        start = end + 1
    return after_teasers


def _mark_headlines(after_teasers: List[int], items: List[str], verdict: List[Optional[str]]) -> None:
    kept = [i for i, v in enumerate(verdict) if v is None]
    loose = [_short_unpunctuated(items[i]) for i in kept]
    for pos, i in enumerate(kept):
        text = items[i]
        if (
            i in after_teasers
            and _headline_like(text)
            and (loose[pos] or _ELLIPSIS_END.search(text) or _teaser_lead(text))
        ):
            verdict[i] = "teaser"  # the linked article's lead under a teaser pair
        elif loose[pos] and not (pos > 0 and loose[pos - 1]) and not (pos + 1 < len(kept) and loose[pos + 1]):
            verdict[i] = "headline"


def scrub_paragraphs(paragraphs: List[str], title: Optional[str]) -> Tuple[List[str], List[Removed]]:
    """Kept paragraphs (tidied, in order) and the removed ones as (rule, line).

    ``title`` is the article's title; the body repeating it is removed as "title".
    """
    items = [tidy_line(p) for p in paragraphs]
    keys = [normalise_line(text) for text in items]
    title_keys = _title_keys(title)
    verdict: List[Optional[str]] = [None if text else "blank" for text in items]

    for i, text in enumerate(items):
        if verdict[i] is not None:
            continue
        verdict[i] = "title" if keys[i] in title_keys else line_rule(text)
        if verdict[i] == "readmore" and READ_MORE_BARE.match(text):
            following = next((j for j in range(i + 1, len(items)) if verdict[j] is None), None)
            if following is not None and _headline_like(items[following]) and not line_rule(items[following]):
                verdict[following] = "teaser"

    # context rules until nothing changes: a removal can make new neighbours
    while True:
        before = list(verdict)
        kept = [i for i, v in enumerate(verdict) if v is None]
        _mark_headlines(_mark_repeats(kept, keys, items, verdict), items, verdict)
        if verdict == before:
            break

    kept_text = [text for text, v in zip(items, verdict) if v is None]
    removed = [(v, text or paragraphs[i]) for i, (text, v) in enumerate(zip(items, verdict)) if v is not None]
    return kept_text, removed

"""Repairs of a statistical NER's spans: pure functions, text in, spans out.

spaCy's small news models are trained on modern, clean text and make the same
mistakes over and over on scraped and OCR'd news (measured on the HIPE dev sets
by ``benchmarks/ner.py``):

* person spans lose their title: "M. Hagenbeck", "le général McKenzie" come out
  as "Hagenbeck", "McKenzie" (:func:`extend_titles`);
* places and organisations keep a determiner or an elided article: "la France",
  "l’OTAN", "d’Irak" (:func:`trim_span`);
* junk is tagged: elision fragments ("n’"), lowercase words, OCR debris
  ("i. rc-", "¦ v") (:func:`is_junk`);
* a name tagged once in an article is missed further down, and a person's
  family name alone ("Capré" after "Jules Capré") is missed or mislabelled
  (:func:`propagate`);
* the same surface form gets two labels in one article (:func:`vote_labels`).

Every span carries its ``evidence`` (how it was found) so the caller can give
it a confidence; see ``transforms.entities.CONFIDENCE``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

LABELS = ("PER", "ORG", "LOC", "MISC")


# spaCy label -> ours. French models say PER/ORG/LOC/MISC; English ones use OntoNotes.
# Numbers, dates and money are not entities here (events resolve dates themselves).
MODEL_LABELS: Dict[str, str] = {
    "PER": "PER",
    "PERSON": "PER",
    "ORG": "ORG",
    "LOC": "LOC",
    "GPE": "LOC",
    "FAC": "LOC",
    "MISC": "MISC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}


class Span(NamedTuple):
    """A draft mention: char offsets into the article text."""

    start: int
    end: int
    label: str
    evidence: str  # "model", "title", "propagated", "family_name", "gazetteer", "vote", "corpus"


APOSTROPHES = "'\u2019\u02bc\u2018`\u00b4"


_APOS = f"[{APOSTROPHES}]"


# Titles that belong to a person's mention ("M. Hagenbeck", "le général McKenzie").
# Abbreviations take an optional dot; OCR often loses it ("M Capré").
_TITLE_WORDS = (
    # French
    r"M|MM|Mme|Mmes|Mlle|Mlles|Mgr|Me|Dr|Pr|St|Ste|Mad|don|dom|doña|"
    r"monsieur|madame|mademoiselle|messieurs|docteur|professeur|ma[iî]tre|"
    r"généra(?:l|ux)|lieutenant-général|generale?|colonel|lieutenant-colonel|capitaine|commandant|lieutenant|sergent|major|maréchal|amiral|"
    r"président|présidente|ministre|premier ministre|sénateur|député|maire|gouverneur|ambassadeur|"
    r"roi|reine|prince|princesse|comte|comtesse|duc|duchesse|baron|baronne|marquis|empereur|impératrice|"
    r"pape|cardinal|abbé|père|sœur|frère|rabbin|imam|cheikh|ayatollah|"
    # English
    r"Mr|Mrs|Ms|Miss|Sir|Dame|Lord|Lady|Rev|Gen|Col|Capt|Lt|Sgt|Maj|Adm|Sen|Rep|Gov|Pres|"
    r"President|General|Colonel|Captain|Lieutenant|Sergeant|Major|Admiral|Senator|Governor|Ambassador|"
    r"prés|Judge|Justice|Doctor|Prof|Professor|Hon|Ensign|Madam|Father|Bishop|Mayor|Sheriff|Commissioner|Secretary|"
    r"King|Queen|Prince|Princess|Duke|Duchess|Count|Countess|Baron|Pope|Cardinal|Sheikh|Ayatollah"
)


# one or two titles right before the span: "M. le Dr", "Gen."; "MM," and "MM ;" are OCR noise
_TITLES_BEFORE = re.compile(rf"(?:\b(?:{_TITLE_WORDS})\.?[,;]?\s+(?:(?:le|la|the)\s+)?){{1,2}}$", re.IGNORECASE)


_PARTICLE_BEFORE = re.compile(rf"\b(?:de|d{_APOS}|von|van|van der|von der|del|della|da|di|du)\s*$")


_TITLE_AT_START = re.compile(rf"^(?:(?:{_TITLE_WORDS})\.?\s+)+", re.IGNORECASE)


# Case matters for the short abbreviations ("me", "st", "pr" are words); long titles may be lowercase.
_SHORT_TITLES = {
    "m",
    "mm",
    "mme",
    "mmes",
    "mlle",
    "mlles",
    "mgr",
    "me",
    "dr",
    "pr",
    "st",
    "ste",
    "mr",
    "mrs",
    "ms",
    "rev",
    "gen",
    "mad",
    "prof",
    "hon",
    "prés",
    "col",
    "capt",
    "lt",
    "sgt",
    "maj",
    "adm",
    "sen",
    "rep",
    "gov",
    "pres",
}


# Determiners and elided articles that are not part of a place or organisation name.
_LEADING_ARTICLE = re.compile(
    rf"^(?:(?:le|la|les|du|des|the|l{_APOS}|d{_APOS}|qu{_APOS}|à|a|au|aux|en|de|of|in)\s*)+", re.IGNORECASE
)


# Elision fragments glued to the front of any name: "d’Irak", "l’OTAN", "qu’Ankara".
_ELISION = re.compile(rf"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu){_APOS}", re.IGNORECASE)


# Arabic and nobiliary particles may start a name in lowercase: "al-Sadr", "de Gaulle", "von Papen".
_LOWER_PARTICLES = re.compile(
    r"^(?:al|el|ad|an|ar|as|ash|at|az|ibn|bin|ben|abu|de|du|des|von|van|der|den|di|da|dos|la|le)[-\s]\S", re.IGNORECASE
)


_TRAILING_LOWER = re.compile(r"\s(?:[a-zà-ÿ]{1,2}\.|\d+\.?)$")


_WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)


_TRAILING = '.,;:!?»«"“”()[]{}—–-_/\\|¦*•·'


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def trim_span(text: str, span: Span) -> Optional[Span]:
    """Span without surrounding blanks/punctuation, elisions and, for places and
    organisations, leading determiners; None when nothing is left."""
    start, end = span.start, span.end
    while start < end and (text[start].isspace() or text[start] in _TRAILING):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _TRAILING):
        # keep the dot of an abbreviation ("U.S.", "Jr.") and of a title
        if (
            text[end - 1] == "."
            and end - start >= 2
            and text[end - 2].isalpha()
            and (end - start == 2 or not text[end - 3].isalpha() or text[start : end - 1].isupper())
        ):
            break
        end -= 1
    if start >= end:
        return None
    # trailing words in lowercase or digits are not part of a name: "Chassot m.", "Aebersold m. t. 86"
    while True:
        m = _TRAILING_LOWER.search(text, start, end)
        if not m or m.start() <= start:
            break
        end = m.start()
        while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
            end -= 1
    surface = text[start:end]
    if span.label in ("LOC", "ORG", "MISC"):
        m = _LEADING_ARTICLE.match(surface)
        # keep the article when nothing capitalised follows ("La Haye" is kept: "Haye" alone is wrong too,
        # but only if the article itself is capitalised inside a sentence)
        if m and m.end() < len(surface) and not (surface[:1].isupper() and _is_sentence_inner(text, start)):
            start += m.end()
    m = _ELISION.match(text[start:end])
    if m and m.end() < end - start:
        start += m.end()
    return span._replace(start=start, end=end) if start < end else None


def _is_sentence_inner(text: str, start: int) -> bool:
    """True when ``start`` is inside a sentence (a capital there is part of a name, like "La Haye")."""
    before = text[max(0, start - 3) : start].rstrip()
    return bool(before) and before[-1] not in '.!?:«"“\n'


# Capitalised common nouns the models tag on their own ("l'Etat", "le Conseil", "the Union"):
# alone they name no one in particular. Folded (no accents, lowercase).
GENERIC_NOUNS = frozenset(
    """etat etats conseil conseils parlement union empire pays ville villes senat chambre chambres gouvernement
    republique assemblee eglise cour tribunal commission comite ministere armee presse avis roi reine prince
    police justice etat-major capitale commandement region province canton commune departement federation confederation
    state states council parliament government republic assembly church court committee ministry army press
    king queen city county nation""".split()
) | {"premier ministre", "prime minister", "premier consul"}


# One capitalised word with a demonym ending is a nationality, not a place
# ("Français", "Suisses", "Américain", "Vaudois"); known places are checked first by the caller.
_DEMONYM = re.compile(
    r"^[A-ZÀ-Ý][a-zà-ÿ]+(?:ais|aise|ois|oise|ain|aine|ien|ienne|éen|éenne|and|ande|ol|ole|ite|ote|iote|ique|"
    r"ese|ean|ian|ish|ans|ians|eans|ese)s?$"
)


def is_demonym(surface: str) -> bool:
    return bool(_DEMONYM.match(surface)) or surface in ("Suisses", "Suisse alémanique")


def is_junk(text: str, span: Span) -> bool:
    """Spans no reader would call a name: no capital where a name starts, mostly
    non-letters, one letter, or an elision fragment like "n’"."""
    surface = text[span.start : span.end]
    letters = _letters(surface)
    if letters < 2 or letters < 0.6 * len(surface.replace(" ", "")):
        return True
    first_alpha = next((ch for ch in surface if ch.isalpha()), "")
    if first_alpha.islower() and not _LOWER_PARTICLES.match(surface):
        return True
    # two-letter names are acronyms ("UE", "EI") or OCR debris ("Lo", "fr")
    if letters == 2 and not surface.replace(".", "").isupper():
        return True
    if not _TITLE_AT_START.sub("", surface + " ").strip():
        return True  # titles alone: "MM.", "Mme"
    return fold(surface) in GENERIC_NOUNS


def extend_titles(text: str, span: Span) -> Span:
    """A person's span grows left over the titles before it ("M. le Dr Fritz Ehrensberger")."""
    if span.label != "PER":
        return span
    window_start = max(0, span.start - 40)
    before = text[window_start : span.start]
    # a nobiliary particle between the title and the name: "général de Gaulle", "M. von Papen"
    particle = _PARTICLE_BEFORE.search(before)
    if particle:
        before = before[: particle.start()]
    m = _TITLES_BEFORE.search(before)
    if not m:
        return span
    titles = m.group(0)
    first = _WORD.search(titles)
    if first is None:
        return span
    word = first.group(0)
    # "me", "st", "gen" … as plain lowercase words are not titles
    if word.lower() in _SHORT_TITLES and not word[:1].isupper():
        return span
    start = window_start + m.start() + first.start()
    return span._replace(start=start, evidence="title" if span.evidence == "model" else span.evidence)


# Geographic head nouns that are part of a place's name: "canton de Vaud",
# "lac de Neuchâtel", "île de Majorque", "mer Noire", "Lake Geneva", "city of Springfield".
_PLACE_HEADS = (
    r"canton|lac|île|ile|mer|mont|col|vallée|val|rue|place|quai|quartier|village|ville|commune|municipalité|"
    r"district|province|région|département|gouvernorat|golfe|baie|cap|fleuve|rivière|canal|pont|avenue|boulevard|"
    r"gare|port|cathédrale|église|château|palais|camp|base"
)


_PLACE_HEAD_BEFORE = re.compile(
    rf"\b(?:{_PLACE_HEADS})\s+(?:(?:de\s+la|de\s+l{_APOS}|du|des|de|d{_APOS}|of|of\s+the)\s*)?$", re.IGNORECASE
)


_PLACE_HEAD_AT_START = re.compile(
    rf"^(?:{_PLACE_HEADS})\s+(?:(?:de\s+la|de\s+l{_APOS}|du|des|de|d{_APOS}|of|of\s+the)\s*)?(?=\S)", re.IGNORECASE
)


# Likewise for groups: "agence Reuter", "bande Stern", "équipe Kelme", "parti Baas".
_ORG_HEAD_BEFORE = re.compile(
    r"\b(?:agence|bande|équipe|écurie|comité|parti|groupe|milice|brigades?)\s+(?:«\s*)?$", re.IGNORECASE
)


def extend_place_heads(text: str, span: Span) -> Span:
    """A place's (or group's) span grows left over a lowercase head noun: "ville de Hilla", "agence Reuter"."""
    if span.label not in ("LOC", "ORG"):
        return span
    window_start = max(0, span.start - 30)
    pattern = _PLACE_HEAD_BEFORE if span.label == "LOC" else _ORG_HEAD_BEFORE
    m = pattern.search(text[window_start : span.start])
    if not m or not text[window_start + m.start()].islower():
        return span
    return span._replace(start=window_start + m.start())


def follows_place_head(text: str, start: int) -> bool:
    """Whether a name at ``start`` comes right after a lowercase geographic head noun
    ("province de", "port of"): then it names a place."""
    window_start = max(0, start - 30)
    m = _PLACE_HEAD_BEFORE.search(text[window_start:start])
    return m is not None and text[window_start + m.start()].islower()


def strip_place_head(name: str) -> str:
    """The place name without its head noun: "ville de Hilla" -> "Hilla" (for lookups)."""
    if not name[:1].islower():
        return name
    stripped = _PLACE_HEAD_AT_START.sub("", name)
    return stripped or name


def strip_titles(name: str) -> str:
    """The name without leading titles: "M. le général Kenneth McKenzie" -> "Kenneth McKenzie"."""
    stripped = _TITLE_AT_START.sub("", name).strip()
    stripped = re.sub(r"^(?:le|la|the)\s+", "", stripped, flags=re.IGNORECASE)
    stripped = _TITLE_AT_START.sub("", stripped).strip()
    return stripped or name


def _overlaps(spans: Sequence[Span], start: int, end: int) -> bool:
    return any(s.start < end and start < s.end for s in spans)


def _word_bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "-_") and not (after.isalnum() or after in "-_")


def propagate(text: str, spans: List[Span], min_chars: int = 3) -> List[Span]:
    """Adds the untagged occurrences of names already tagged in the same article.

    A name tagged once is the same name further down ("Paradis" tagged in the
    first paragraph, missed in the third). A person's family name alone takes
    the person's label ("Capré" after "Jules Capré"). Only capitalised forms of
    ``min_chars`` letters or more are propagated, matched case-sensitively on
    word boundaries, never inside an existing span.
    """
    forms: Dict[str, Tuple[str, str]] = {}
    for span in spans:
        surface = text[span.start : span.end]
        if _letters(surface) >= min_chars and surface[:1].isupper():
            forms.setdefault(surface, (span.label, "propagated"))
        if span.label == "PER":
            bare = strip_titles(surface)
            if bare != surface and _letters(bare) >= min_chars:
                forms.setdefault(bare, ("PER", "propagated"))  # "Hagenbeck" after "M. Hagenbeck"
            words = _WORD.findall(bare)
            if len(words) >= 2 and _letters(words[-1]) >= min_chars and words[-1][:1].isupper():
                forms.setdefault(words[-1], ("PER", "family_name"))
    if not forms:
        return spans
    added: List[Span] = []
    # longest forms first so "Jules Capré" is placed before "Capré"
    for surface in sorted(forms, key=lambda s: (-len(s), s)):
        label, evidence = forms[surface]
        start = text.find(surface)
        while start != -1:  # str.find: compiling a regex per name costs more than the search
            end = start + len(surface)
            if (
                _word_bounded(text, start, end)
                and not _overlaps(spans, start, end)
                and not _overlaps(added, start, end)
            ):
                added.append(Span(start, end, label, evidence))
            start = text.find(surface, end)
    return sorted(spans + added)


def vote_labels(text: str, spans: List[Span]) -> List[Span]:
    """One label per surface form in an article: the majority among the model's
    own spans (ties: first seen). A place mislabelled once as a person is
    relabelled; evidence becomes "vote" for the changed spans."""
    votes: Dict[str, Counter] = defaultdict(Counter)
    first_label: Dict[str, str] = {}
    for span in spans:
        surface = text[span.start : span.end]
        votes[surface][span.label] += 1
        first_label.setdefault(surface, span.label)
    out = []
    for span in spans:
        counter = votes[text[span.start : span.end]]
        if len(counter) > 1:
            best = max(counter.items(), key=lambda kv: (kv[1], kv[0] == first_label[text[span.start : span.end]]))[0]
            if best != span.label:
                span = span._replace(label=best, evidence="vote")
        out.append(span)
    return out


def remove_overlaps(spans: Iterable[Span]) -> List[Span]:
    """Non-overlapping spans, the longest winning (then the earliest)."""
    chosen: List[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if not _overlaps(chosen, span.start, span.end):
            chosen.append(span)
    return sorted(chosen)


def fold(text: str) -> str:
    """Accent- and case-free form used to compare surface forms."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def repair(text: str, model_spans: Iterable[Span]) -> List[Span]:
    """The article-level repairs in order: trim, drop junk, titles, overlaps,
    propagation, label vote."""
    spans: List[Span] = []
    for span in model_spans:
        trimmed = trim_span(text, span)
        if trimmed is None or is_junk(text, trimmed):
            continue
        if trimmed.label == "LOC" and is_demonym(text[trimmed.start : trimmed.end]):
            trimmed = trimmed._replace(label="MISC", evidence="demonym")
        spans.append(extend_place_heads(text, extend_titles(text, trimmed)))
    spans = remove_overlaps(spans)
    spans = vote_labels(text, spans)
    return propagate(text, spans)

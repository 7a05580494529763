"""The arguments of an event report, pure functions: where (``dominant_country``, the best
place of the sentence, its paragraph or the article), who (actors minus news media
quoted as sources and weapons the tagger reads as names, ``data/not_actors.tsv``),
whom (``find_target``: the noun phrase after "contre/visant/against…") and how many
died (``fatalities``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from functools import cache
from typing import Dict, Optional, Sequence

from transforms.entities.mention import TaggedMention
from transforms.entities.names import surface_key
from transforms.events.dates import NUMBER_WORDS
from transforms.events.modality import _NO_VICTIMS

_KILLED = re.compile(
    r"\b(?P<n>\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|vingt|one|two|three|four|five|"
    r"seven|eight|nine|ten|eleven|twelve|twenty)\s+(?:\w+\s+){0,3}?(?:morts?|tuée?s?|"
    r"victimes|dead|killed|people\s+were\s+killed|deaths)\b",
    re.IGNORECASE,
)


def fatalities(sentence: str) -> Optional[int]:
    """A stated death toll: the largest "N morts/tués/killed", 0 for "aucune victime", else None."""
    if _NO_VICTIMS.search(sentence):
        return 0
    counts = []
    for match in _KILLED.finditer(sentence):
        n = match.group("n").lower()
        counts.append(int(n) if n.isdigit() else NUMBER_WORDS.get(n, 0))
    return max(counts) if counts else None


# The noun phrase an attack was aimed at: up to 7 words after the cue, stopping at punctuation
# or at a clause word.
_TARGET = re.compile(
    r"\b(?:contre|visant|visé|visée|ciblant|ciblé|ciblée|pour\s+cible|sur\s+le\s+passage\s+d['’]|against|targeting|targeted)\s+"
    r"(?P<np>(?:(?:un|une|des|le|la|les|l['’]|d['’]|du|the|a|an)\s*)?[\w’'-]+(?:\s+(?!(?:à|a|au|dans|en|de\s+la\s+ville|près|in|near|on|at|par|by|et|qui|que)\b)[\w’'-]+){0,6})",
    re.IGNORECASE,
)


_TARGET_HEADS = re.compile(
    r"\b(?:convoi|véhicule|ambassade|base|camp|aéroport|patrouille|poste|check-point|caserne|institut|école|"
    r"entreprise|société|bureau|consulat|militaires?|soldats?|troupes?|forces?|police|civils?|manifestants?|"
    r"convoy|vehicle|embassy|base|airport|patrol|checkpoint|barracks|school|company|office|consulate|soldiers?|"
    r"troops|forces|police|civilians|protesters)\b",
    re.IGNORECASE,
)


def find_target(sentence: str) -> Optional[str]:
    """The noun phrase the event was aimed at, when a cue and a target head noun say so."""
    for match in _TARGET.finditer(sentence):
        phrase = _LEADING_DATE.sub("", match.group("np")).strip(" ,;:.")
        if _TARGET_HEADS.search(phrase):
            return phrase
    return None


_PLACE_RANK = {"city": 0, "admin1": 1, "country": 2}


def dominant_country(mentions: Sequence[TaggedMention]) -> Optional[str]:
    """The country most of an article's places are in (cities count, countries named count too)."""
    counts = Counter(m.country for m in mentions if m.label == "LOC" and m.country)
    if not counts:
        return None
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _best_place(mentions: Sequence[TaggedMention], country: Optional[str] = None) -> Optional[TaggedMention]:
    """The most specific place among the mentions, in ``country`` when given: "l'ambassade des
    États-Unis" in a Baghdad story does not put the attack in the United States, nor does a TV
    channel named after a Syrian town (al-Mayadeen)."""
    placed = [
        m for m in mentions if m.label == "LOC" and m.lat is not None and (country is None or m.country == country)
    ]
    if not placed:
        return None
    return min(placed, key=lambda m: (_PLACE_RANK.get(m.precision or "country", 3), m.start))


def _article_place(mentions: Sequence[TaggedMention]) -> Optional[TaggedMention]:
    """The article's most mentioned city, else its most mentioned place."""
    placed = [m for m in mentions if m.label == "LOC" and m.lat is not None]
    if not placed:
        return None
    counts = Counter(m.entity_id for m in placed)
    cities = [m for m in placed if m.precision == "city"]
    pool = cities or placed
    best_id = min(
        {m.entity_id for m in pool}, key=lambda e: (-counts[e], min(m.start for m in pool if m.entity_id == e))
    )
    return next(m for m in pool if m.entity_id == best_id)


# "en Syrie", "au Liban", "à Beyrouth", "in Syria": a place the sentence puts the event in
_LOCATIVE_BEFORE = re.compile(r"\b(?:en|au|aux|à|a|dans|in|at)\s*$", re.IGNORECASE)


def _located_abroad(text: str, here: Sequence[TaggedMention], sentence_start: int) -> Optional[TaggedMention]:
    """A place outside the article's dominant country that the sentence locates its event in
    with a locative preposition; "l'ambassade des États-Unis" is not one, "en Syrie" is."""
    located = [
        m
        for m in here
        if m.label == "LOC"
        and m.lat is not None
        and _LOCATIVE_BEFORE.search(text[max(sentence_start, m.start - 12) : m.start])
    ]
    return _best_place(located)


_DATA = os.path.join(os.path.dirname(__file__), "data")


@cache
def _not_actor_names() -> Dict[str, str]:
    """Names that are never an event's actor: news media quoted as sources, weapons whose
    acronym the tagger reads as an organisation (transforms/data/not_actors.tsv)."""
    names: Dict[str, str] = {}
    with open(os.path.join(_DATA, "not_actors.tsv"), encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and not line.startswith("#"):
                kind, name = line.rstrip("\n").split("\t")
                names[surface_key(name)] = kind
    return names


# "selon l'AFP", "a indiqué à l'AFP", "la chaîne Al-Ikhbariya", "according to Reuters"
_SOURCE_BEFORE = re.compile(
    r"\b(?:selon|d['’]après|indiqué\s+à|déclaré\s+à|confié\s+à|rapporté|cité\w*\s+par|chaîne|agence|canal|"
    r"télévision|journal|quotidien|site|média|according\s+to|told|reported\s+by|agency|channel|newspaper)"
    r"(?:\s+[\w’'-]+){0,4}\s*$",
    re.IGNORECASE,
)


def is_not_actor(mention: TaggedMention, text: str, sentence_start: int) -> bool:
    """A news medium quoted as the source, or a weapon: not who acted."""
    if (
        surface_key(mention.name) in _not_actor_names()
        or surface_key(text[mention.start : mention.end]) in _not_actor_names()
    ):
        return True
    return bool(_SOURCE_BEFORE.search(text[max(sentence_start, mention.start - 40) : mention.start]))


# "ont ciblé lundi 14 septembre un convoi": the date between the verb and its object
_LEADING_DATE = re.compile(
    r"^(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|\d{1,4}(?:er)?|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
    r"novembre|décembre|hier|yesterday|on|le)\b\s*,?\s*)+",
    re.IGNORECASE,
)

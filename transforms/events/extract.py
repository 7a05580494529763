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
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import apache_beam as beam
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
from transforms.events.classify import TypeGuess, classify_events, is_event_sentence
from transforms.events.dates import event_date
from transforms.events.modality import (
    _PERCEIVED,
    did_not_happen,
    only_background,
    only_bare_plurals,
    only_no_victims,
)
from transforms.events.records import EventReport
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


_GENERIC_EVENT_WORD = re.compile(
    r"\b(?:attaque|attentat|explosion|opération|attack|blast|bombing|assault)s?\b", re.IGNORECASE
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
    article: Article, mentions: Sequence[TaggedMention], counters: Optional[Counter] = None
) -> List[EventReport]:
    """The event reports of one article (pure: the DoFn only counts and emits)."""
    counters = counters if counters is not None else Counter()
    language = article.language or "fr"
    in_text = sorted((m for m in mentions if m.field == "text"), key=lambda m: m.start)
    paragraphs = {p.index: (p.start, p.end) for p in article.paragraphs}
    country = dominant_country(in_text)
    fallback = _article_place([m for m in in_text if m.country == country])
    candidates = [
        (index, paragraph, start, end)
        for index, paragraph, start, end in article_sentences(article)
        if is_event_sentence(article.text[start:end], language)
    ]
    sentences = [article.text[start:end] for _, _, start, end in candidates]
    # the cheap rules first, once a sentence: most event-word sentences did not happen (threats,
    # tallies, questions), and "No casualties were reported." is the toll of the report before it
    ruled_out = [
        "not_happened" if did_not_happen(sentence) else "tolls" if only_no_victims(sentence, language) else None
        for sentence in sentences
    ]
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
            near = [
                (abs(candidates[other][0] - index), candidates[other][0] < index, guess_at(other))
                for other in range(len(candidates))
                if other != position and abs(candidates[other][0] - index) <= TYPE_REACH
            ]
            near = [n for n in near if n[2] is not None]
            if not near:
                counters["untyped"] += 1
                continue
            backward = bool(_ANAPHORIC.search(sentence))
            guess = min(near, key=lambda n: (n[0], n[1] != backward))[2]
            assert guess is not None  # near holds typed sentences only
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
        if (
            (when is None or when.precision == "publication")
            and not any(m.label == "LOC" for m in here)
            and only_bare_plurals(sentence, language)
        ):
            counters["not_happened"] += 1
            continue
        # the story's reference time carries forward: "Le 3 septembre, une attaque a visé G4S.
        # Une frappe de missile a ciblé le siège de G4S…" is one day, not the publication day
        if when is not None and when.precision not in ("publication", "month"):
            narrative_date = (index, when)
        elif when is not None and narrative_date and index - narrative_date[0] <= DATE_REACH:
            when = narrative_date[1]._replace(precision="narrative", start=-1, end=-1)
        actors = sorted(
            {m.name for m in here if m.label in ("ORG", "PER") and not is_not_actor(m, article.text, start)}
        )
        target = find_target(sentence)
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
                target=target,
                fatalities=fatalities(sentence),
                confidence=round(confidence, 3),
            )
        )
        counters["reports"] += 1
    return reports


class _ExtractFn(beam.DoFn):
    def __init__(self):
        self.counters = {
            name: Metrics.counter("events", name)
            for name in ("candidates", "not_happened", "tolls", "untyped", "background", "reports", "failed")
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

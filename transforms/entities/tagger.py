"""Entity tagging: statistical NER by language, repaired, canonicalised, geocoded,
then made consistent over the corpus.

Stages (``TagEntities``):

1. ``BatchElements`` → ``_TagArticles``: spaCy's NER for the article's language
   (``MODELS``), loaded once per worker process through ``apache_beam.utils.shared``
   and run with ``nlp.pipe`` over the batch. Only the ``ner`` component is kept:
   in both models it has its own tok2vec, and the parser, tagger and lemmatizer
   would triple the cost for nothing we use. Then the article-level rules
   (``mention_rules``, ``resolve``), the gazetteer (``gazetteer``:
   curated aliases, countries, GeoNames cities) for labels, canonical ids and
   coordinates, metonymy and people's short forms.
2. ``consistency`` (``CountReadings``) (a combine keyed by source × surface key) counts the
   (label, entity) each surface form got across the corpus. Where one reading
   holds at least ``CORPUS_MAJORITY`` of at least ``CORPUS_MIN_VOTES`` mentions,
   the minority mentions are repaired to it (evidence "corpus"). Only contested
   keys reach the side input, so it stays small whatever the corpus size.
   A second combine finds each source's usual country; a place whose article
   named no other country is geocoded again with it (evidence "source_region").
3. ``mentions`` are written as they are; ``entities`` is a combine per
   entity_id (``catalog.MergeEntity``: count, most frequent surface forms).

Articles in a language without a model are counted (``entities/no_model_<lang>``)
and yield no mentions; they are not errors.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared

from transforms.entities.catalog import MergeEntity, to_mention
from transforms.entities.consistency import (
    CONTEXT_EVIDENCE,
    CountReadings,
    UsualCountry,
    _RepairMentions,
    reading,
)
from transforms.entities.mention import TaggedMention
from transforms.entities.models import _LOADS, Models
from transforms.entities.resolve import model_spans, tag_article
from transforms.records import Article, Entity, Mention, Rejected, rejected

# Texts per nlp.pipe batch (spaCy's own batching inside one Beam batch).
PIPE_BATCH = 32


# Beam batches of articles handed to one DoFn call.
MIN_BATCH, MAX_BATCH = 16, 64


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

    def process(self, batch: List[Article]) -> Iterator[Any]:  # TaggedMention, tagged by_article/rejected
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
                self.tokens.inc(len(doc))  # type: ignore[arg-type]
                try:
                    per_article[position].extend(tag_article(articles[position], model_spans(doc), gazetteer))
                except Exception as error:  # noqa: BLE001 - one article's bug must not kill the job
                    failures[position] = _failure(error)
            # titles name entities the body may not repeat ("… liées à la CIA")
            titled = [position for position, a in enumerate(articles) if a.title and position not in failures]
            for index, doc in _pipe_each(nlp, [articles[p].title or "" for p in titled]):
                position = titled[index]
                try:
                    if isinstance(doc, Exception):
                        raise doc
                    self.tokens.inc(len(doc))  # type: ignore[arg-type]
                    per_article[position].extend(
                        tag_article(articles[position], model_spans(doc), gazetteer, field="title")
                    )
                except Exception as error:  # noqa: BLE001
                    failures[position] = _failure(error)
            for position, (article, mentions) in enumerate(zip(articles, per_article)):
                if position in failures:
                    # the article is still written, without entities: its dead letter says why
                    self.failed.inc()
                    yield beam.pvalue.TaggedOutput(
                        REJECTED, rejected(article.origin, "entities", failures[position], article.id)
                    )
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
            | "BatchArticles"
            >> beam.BatchElements(
                min_batch_size=min(MIN_BATCH, self.max_batch_size), max_batch_size=self.max_batch_size
            )
            | "TagArticles"
            >> beam.ParDo(_TagArticles(self._shared)).with_outputs(BY_ARTICLE, REJECTED, main="mentions")
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
        return {
            "mentions": mentions,
            "entities": entities,
            "tagged": tagged,
            "by_article": outputs[BY_ARTICLE],
            "rejected": failed,
        }

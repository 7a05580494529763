"""Tests of transforms.entities: tagging with the real models and gazetteer,
corpus vote, entity table, loads once per worker, and the seed acceptance list."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to

from transforms.entities.consistency import (
    CORPUS_MIN_VOTES,
    apply_corpus_vote,
    apply_source_region,
    corpus_winner,
    reading,
)
from transforms.entities.gazetteer import Gazetteer
from transforms.entities.mention import TaggedMention
from transforms.entities.models import load_model
from transforms.entities.resolve import model_spans, tag_article
from transforms.entities.tagger import TagEntities
from transforms.records import Article, Paragraph


def article(text: str, language: str = "fr", article_id: str = "a1", source: str = "example.org") -> Article:
    return Article(
        id=article_id, origin=f"test:{article_id}", url=None, source=source, title=None, published=None,
        language=language, text=text, paragraphs=[Paragraph(0, 0, len(text), language, False)],
    )


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.fixture(scope="module")
def french():
    return load_model("fr")


@pytest.fixture(scope="module")
def english():
    return load_model("en")


def tag(nlp, gazetteer, text, language="fr"):
    return tag_article(article(text, language), model_spans(nlp(text)), gazetteer)


def by_text(mentions: List[TaggedMention]) -> Dict[str, TaggedMention]:
    return {m.text: m for m in mentions}


# --- tag_article -------------------------------------------------------------------------------


def test_only_ner_is_loaded(french, english):
    assert french.pipe_names == ["ner"]
    assert english.pipe_names == ["ner"]
    assert load_model("xx") is None


def test_french_article_mentions_are_canonical_and_geocoded(french, gazetteer):
    text = (
        "Le général Kenneth McKenzie, chef du CentCom, a visité Bagdad. "
        "Selon McKenzie, les attaques contre les forces des États-Unis en Irak se multiplient."
    )
    mentions = tag(french, gazetteer, text)
    found = by_text(mentions)
    assert found["général Kenneth McKenzie"].label == "PER"
    assert found["McKenzie"].entity_id == found["général Kenneth McKenzie"].entity_id
    assert found["CentCom"].entity_id == gazetteer.canonical("CENTCOM", "ORG").entity_id
    baghdad = found["Bagdad"]
    assert baghdad.label == "LOC" and baghdad.country == "IQ"
    assert abs(baghdad.lat - 33.34) < 0.3 and abs(baghdad.lon - 44.40) < 0.3
    assert found["États-Unis"].entity_id == gazetteer.canonical("United States", "LOC").entity_id
    for m in mentions:
        assert text[m.start:m.end] == m.text
        assert 0 < m.confidence <= 1


def test_elided_forms_and_determiners_are_stripped(french, gazetteer):
    text = "Le retrait d’Irak inquiète l’OTAN, dit la France."
    found = by_text(tag(french, gazetteer, text))
    assert {"Irak", "OTAN", "France"} <= set(found)
    assert found["OTAN"].entity_id == gazetteer.canonical("NATO", "ORG").entity_id


def test_metonymy_capital_acting_is_the_government_not_a_place(french, gazetteer):
    text = "Washington a coupé ses effectifs déployés en Irak de 5 200 à 3 000 militaires."
    found = by_text(tag(french, gazetteer, text))
    washington = found["Washington"]
    assert washington.label == "ORG" and washington.evidence == "metonymy"
    assert washington.entity_id == "gov:US"
    assert washington.lat is None and washington.lon is None
    assert found["Irak"].label == "LOC"


def test_english_article(english, gazetteer):
    text = "President Donald Trump said the United States would cut troops in Iraq. Trump spoke in Washington."
    found = by_text(tag(english, gazetteer, text, "en"))
    assert found["Trump"].entity_id == found["President Donald Trump"].entity_id
    assert found["Trump"].entity_id == gazetteer.canonical("Donald Trump", "PER").entity_id
    assert found["Iraq"].country == "IQ"


# --- corpus vote -------------------------------------------------------------------------------


def _mention(label: str, entity_id: str, source: str = "s", key: str = "bex") -> TaggedMention:
    return TaggedMention("a", source, "text", 0, 3, "Bex", label, entity_id, "Bex", key, "Bex", 0.6, "model",
                         None, None, None, None, None, False)


def test_corpus_winner_needs_votes_and_a_clear_majority():
    loc, per = reading(_mention("LOC", "geonames:1")), reading(_mention("PER", "ent:x"))
    assert corpus_winner({loc: 5}) is None  # nothing to repair
    assert corpus_winner({loc: 1, per: 1}) is None  # too few votes
    assert corpus_winner({loc: 3, per: 2}) is None  # no 2/3 majority
    assert corpus_winner({loc: 4, per: 1}) == loc
    assert CORPUS_MIN_VOTES == 3


def test_apply_corpus_vote_repairs_only_the_minority():
    loc = reading(_mention("LOC", "geonames:1"))
    winners = {("s", "bex"): loc}
    fixed = apply_corpus_vote(_mention("PER", "ent:x"), winners)
    assert (fixed.label, fixed.entity_id, fixed.evidence) == ("LOC", "geonames:1", "corpus")
    same = _mention("LOC", "geonames:1")
    assert apply_corpus_vote(same, winners) is same
    other_source = _mention("PER", "ent:x", source="t")
    assert apply_corpus_vote(other_source, winners) is other_source


def test_a_place_without_context_takes_the_source_region(english, gazetteer):
    text = "The parade went through Washington on Sunday."
    (washington,) = [m for m in tag(english, gazetteer, text, "en") if m.text == "Washington"]
    assert washington.contextless and washington.country == "US"
    moved = apply_source_region(washington, "GB", gazetteer)
    assert moved.country == "GB" and moved.evidence == "source_region"
    assert moved.entity_id != washington.entity_id and moved.entity_id.startswith("geonames:")
    assert apply_source_region(washington, "US", gazetteer) is washington
    assert apply_source_region(washington, None, gazetteer) is washington


def test_article_context_picks_the_city_and_its_id(english, gazetteer):
    text = "Rain fell on Sunderland and Washington, in Tyne and Wear, England."
    found = by_text(tag(english, gazetteer, text, "en"))
    assert found["Washington"].country == "GB" and not found["Washington"].contextless
    assert found["Washington"].entity_id != gazetteer.canonical("Washington", "LOC").entity_id


# --- the transform -----------------------------------------------------------------------------


def _articles(n: int) -> List[Article]:
    texts = [
        ("fr", "Des roquettes sont tombées près de l’ambassade américaine à Bagdad, selon l’OTAN."),
        ("en", "Rockets hit near the US embassy in Baghdad, NATO said on Tuesday."),
        ("de", "Raketen trafen die Botschaft in Bagdad."),
    ]
    return [article(texts[i % 3][1], texts[i % 3][0], f"a{i:03d}") for i in range(n)]


def _run(articles: List[Article], workers: int = 1):
    if workers == 1:
        options = PipelineOptions(["--direct_num_workers=1"])
    else:
        options = PipelineOptions([f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"])
    pipeline = beam.Pipeline(options=options)
    # one Create per article group: many bundles and many batches
    groups = [pipeline | f"Create{i}" >> beam.Create(articles[i:i + 10]) for i in range(0, len(articles), 10)]
    outputs = groups | beam.Flatten() | TagEntities(max_batch_size=4)
    counts = outputs["entities"] | beam.Map(lambda e: (e.id, e.mention_count))
    result = pipeline.run()
    result.wait_until_finish()
    return result, outputs, counts


def _counter(result, name: str) -> int:
    found = result.metrics().query(MetricsFilter().with_namespace("entities").with_name(name))["counters"]
    return sum(c.committed if c.committed is not None else c.attempted for c in found)


def test_models_load_once_per_worker_not_per_bundle():
    result, _, _ = _run(_articles(120))
    # 80 fr/en articles in many batches and bundles, two languages: at most one load each
    assert _counter(result, "articles") == 80
    assert _counter(result, "batches") >= 20
    assert _counter(result, "model_loads") <= 2
    assert _counter(result, "no_model_de") == 40


def test_models_load_once_per_worker_with_two_processes():
    result, _, _ = _run(_articles(120), workers=2)
    assert _counter(result, "articles") == 80
    assert _counter(result, "batches") >= 20
    assert _counter(result, "model_loads") <= 4  # two languages x two worker processes


def test_entity_table_counts_every_mention():
    articles = _articles(6)
    with beam.Pipeline(options=PipelineOptions(["--direct_num_workers=1"])) as pipeline:
        outputs = pipeline | beam.Create(articles) | TagEntities()
        nato = (
            outputs["entities"]
            | beam.Filter(lambda e: "OTAN" in e.aliases or "NATO" in e.aliases)
            | beam.Map(lambda e: (sorted(e.aliases), e.mention_count, e.label))
        )
        assert_that(nato, equal_to([(["NATO", "OTAN"], 4, "ORG")]))


# --- the seed, through the whole batch job -----------------------------------------------------


@pytest.fixture(scope="module")
def seed_run(seed_output):
    return seed_output["entities"], seed_output["mentions"], seed_output["articles"]


def _haversine_km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(a))


SEED_PEOPLE = ["Kenneth McKenzie", "Donald Trump", "Maria Zakharova", "Qassem Soleimani"]
SEED_PLACES = {  # spelling in the seed -> true position
    "Bagdad": (33.34, 44.40), "Nadjaf": (32.03, 44.35), "Hilla": (32.48, 44.42),
    "Diwaniyeh": (31.99, 44.93), "Taji": (33.52, 44.27), "Shirqat": (35.51, 43.23),
}
SEED_ORGS = {  # canonical name -> spellings in the seed that must all land on it
    "CIA": ["CIA"], "G4S": ["G4S"], "Hashd al-Shaabi": ["Hachd al-Chaabi", "Hashd al-Chaabi"],
    "ISIS": ["Daech"], "CENTCOM": ["CentCom", "CENTCOM"], "NATO": ["OTAN"],
}


def _entity_for(entities, mentions, spelling: str) -> set:
    ids = {m["entity_id"] for m in mentions if m["text"] == spelling}
    return ids


def test_seed_people_are_canonical_entities(seed_run):
    entities, _, _ = seed_run
    names = {e["name"] for e in entities if e["label"] == "PER"}
    assert set(SEED_PEOPLE) <= names


def test_seed_places_are_geocoded_in_iraq_within_30_km(seed_run):
    entities, mentions, _ = seed_run
    table = {e["id"]: e for e in entities}
    for spelling, (lat, lon) in SEED_PLACES.items():
        ids = {m["entity_id"] for m in mentions if spelling in m["text"] and m["label"] == "LOC"}
        assert len(ids) == 1, (spelling, ids)
        place = table[ids.pop()]
        assert place["country"] == "IQ", place
        assert _haversine_km(place["lat"], place["lon"], lat, lon) <= 30, place


def test_seed_washington_cutting_troops_is_the_us_government(seed_run):
    _, mentions, articles = seed_run
    texts = {a["id"]: a["text"] for a in articles}
    acting = [m for m in mentions if m["text"] == "Washington" and m["field"] == "text"
              and texts[m["article_id"]][m["end"]:m["end"] + 10] == " a coupé s"]
    assert acting and all(m["entity_id"] == "gov:US" and m["label"] == "ORG" for m in acting)


def test_seed_organisations_are_one_entity_whatever_the_spelling(seed_run):
    entities, mentions, _ = seed_run
    for name, spellings in SEED_ORGS.items():
        ids = set()
        for spelling in spellings:
            ids |= _entity_for(entities, mentions, spelling)
        assert len(ids) == 1, (name, ids)
        entity = next(e for e in entities if e["id"] in ids)
        assert entity["name"] == name


def test_seed_has_no_caption_people(seed_run):
    _, mentions, _ = seed_run
    texts = " | ".join(m["text"] for m in mentions)
    assert "Omar" not in texts and "Pelosi" not in texts


def test_seed_mentions_index_into_their_article(seed_run):
    _, mentions, articles = seed_run
    by_id = {a["id"]: a for a in articles}
    assert {m["field"] for m in mentions} == {"text", "title"}
    for m in mentions:
        assert by_id[m["article_id"]][m["field"]][m["start"]:m["end"]] == m["text"]


# --- dead letters ---------------------------------------------------------------------------------


class _FlakyNlp:
    """A stand-in pipeline whose batch call fails when one text is poisoned."""

    def pipe(self, texts, batch_size=None):
        for text in texts:
            if "POISON" in text:
                raise RuntimeError("tokenizer crashed")
            yield text.split()

    def __call__(self, text):
        if "POISON" in text:
            raise RuntimeError("tokenizer crashed")
        return text.split()


def test_a_failing_text_is_isolated_and_the_batch_goes_on():
    from transforms.entities.tagger import _pipe_each

    out = list(_pipe_each(_FlakyNlp(), ["un deux", "POISON ici", "trois"]))
    assert [position for position, _ in out] == [0, 1, 2]
    assert out[0][1] == ["un", "deux"] and out[2][1] == ["trois"]
    assert isinstance(out[1][1], RuntimeError)


def test_reconcile_counts_annotation_failures_apart():
    from pipelines.batch import format_summary, reconcile

    # 6 candidates: 4 written, 1 rejected by cleanup, 1 duplicate; one written article also has a
    # dead letter from the event stage, so rejected/ holds 2 records
    counters = {"cleanup": {"candidates": 6}, "write": {"articles": 4, "rejected": 2, "duplicates": 1},
                "events": {"failed": 1}}
    totals = reconcile(counters)
    assert (totals["in"], totals["out"], totals["rejected"], totals["duplicates"]) == (6, 4, 1, 1)
    assert totals["annotation_failures"] == 1
    summary = format_summary(counters, 1.0)
    assert "6 = 4 + 1 + 1  OK" in summary and "without entities or events" in summary

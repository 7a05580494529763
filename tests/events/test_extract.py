"""Tests of transforms.events: what counts as an event, clustering (over- and
under-merging), counting, and the seed's events end to end.
"""

from __future__ import annotations

from collections import Counter
from typing import Dict, List

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.events.extract import extract_events

# Read in the seed (sample/seed/000_243c87bbee7a852f.txt), one entry per real event:
# (date, type, place name, true position, articles by the id in their URL). The position is a
# point (matched within 30 km), or a GeoNames admin1 code when the text names only the
# province ("dans la province de Salaheddine": any place in it is as precise as the text). Dates are the days
# the text gives; "dans la nuit" of a 15 September article is the night before, 14–15 September.
SEED_EVENTS = [
    ("2020-09-03", "ART_MISS_ATTACK", "Baghdad", (33.34, 44.40), {"634175"}),  # missile strike on G4S HQ, Qadissiya
    ("2020-09-07", "ART_MISS_ATTACK", "Baghdad", (33.26, 44.23), {"633629"}),  # 3 rockets at Baghdad airport, Monday
    ("2020-09-08", "ART_MISS_ATTACK", "Taji", (33.52, 44.27), {"633629"}),  # missile attack on al-Taji base
    ("2020-09-08", "REM_EXPLOS", "Baghdad", (33.34, 44.40), {"633629"}),  # roadside bomb, US convoy, al-Chaala
    ("2020-09-08", "REM_EXPLOS", "Babil", (32.60, 44.44), {"633629"}),  # bomb on a US convoy at Jabala, Babel
    ("2020-09-10", "ARREST", "Shirqat", (35.51, 43.23), {"633798"}),  # Daech leader arrested in Shirqat
    ("2020-09-12", "ARREST", "Iraq", None, {"633926"}),  # two infiltrators arrested (west Ninawa)
    ("2020-09-13", "REM_EXPLOS", "Salah ad-Din", "IQ.18", {"1874457"}),  # IED, US convoy, two days earlier
    ("2020-09-14", "REM_EXPLOS", "Diwaniyah", (31.99, 44.93), {"634175", "1874457"}),  # IEDs, coalition convoys
    ("2020-09-15", "REM_EXPLOS", "Baghdad", (33.30, 44.35), {"634175", "1874457"}),  # IED, British embassy vehicle
    ("2020-09-15", "ART_MISS_ATTACK", "Baghdad", (33.30, 44.39), {"634175", "1874457"}),  # rockets at US embassy, night
    ("2020-09-17", "ART_MISS_ATTACK", "Baghdad", (33.30, 44.39), {"634363"}),  # rocket attack, base in US embassy
    ("2020-09-18", "REM_EXPLOS", "Najaf", (32.03, 44.35), {"634363"}),  # blast at an American language institute
    ("2020-09-18", "REM_EXPLOS", "Hilla", (32.48, 44.42), {"634363"}),  # bombs on a US convoy near Hilla
    ("2020-09-18", "REM_EXPLOS", "Baghdad", (33.40, 44.38), {"634363"}),  # explosion in north Baghdad (al-Shaab)
]


# The seed's events (issue #6: all its attacks come out once each with all their articles).
# Measured on 2026-12-06 with the learned detector and the general gazetteer (the seed's own
# rows gone from the alias table, issue #7): 13 of 15 matched, each with every article that
# reports it, 16 extracted in scope (precision 0.81); with the English Wikinews labels in the
# detector's training, 17 (0.76): the extra one is the ambush sentence of the real 12 September
# Nineveh operation, typed ARMED_CLASH beside the gold arrest. The Salaheddine convoy IED is placed
# through its head noun ("la province de Salaheddine", ``gazetteer_repairs``). Lost: the
# al-Taji missile attack (spaCy does not tag "al-Taji" and "base militaire d'" is no head
# the rule reads) and the Shirqat arrest, placed at its province. A regression guard at the
# measured value, not the issue's bar (12 attacks of 12), which is not met.
MEASURED_RECALL = 0.86
MEASURED_PRECISION = 0.76


# What the seed test scores: attacks and arrests in Iraq in September 2020.
SCORED_EVENT_TYPES = {"Battles", "Explosions/Remote violence", "Violence against civilians"}


def _in_scope(event: dict) -> bool:
    return (
        (event["event_type"] in SCORED_EVENT_TYPES or event["type"] == "ARREST")
        and event["country"] == "IQ"
        and (event["date"] or "").startswith("2020-09")
    )


def _article_keys(event: dict, urls: Dict[str, str]) -> set:
    return {
        urls[m["article_id"]].rstrip("/").split("/")[-1]
        if "almanar" in urls[m["article_id"]]
        else urls[m["article_id"]].split("/Detail/")[1].split("/")[3]
        for m in event["mentions"]
    }


def _matches(gold, event: dict, urls: Dict[str, str]) -> bool:
    from transforms.events.cluster import haversine_km as km

    date, type_, _, position, articles = gold
    if event["type"] != type_ or not event["date"]:
        return False
    if (
        abs(
            (
                __import__("datetime").date.fromisoformat(event["date"])
                - __import__("datetime").date.fromisoformat(date)
            ).days
        )
        > 1
    ):
        return False
    if isinstance(position, str):
        if event["admin1"] != position:
            return False
    elif position is not None and (event["lat"] is None or km(event["lat"], event["lon"], *position) > 30):
        return False
    return bool(_article_keys(event, urls) & articles)


def seed_event_scores(events: List[dict], articles: List[dict]) -> Dict[str, float]:
    """Precision and recall of the extracted events against SEED_EVENTS (one-to-one matching)."""
    urls = {a["id"]: a["url"] for a in articles}
    extracted = [e for e in events if _in_scope(e)]
    used = set()
    matched_gold = 0
    complete = 0  # matched with every article that reports it
    for gold in SEED_EVENTS:
        for position, event in enumerate(extracted):
            if position not in used and _matches(gold, event, urls):
                used.add(position)
                matched_gold += 1
                complete += _article_keys(event, urls) >= gold[4]
                break
    return {
        "precision": len(used) / len(extracted) if extracted else 0.0,
        "recall": matched_gold / len(SEED_EVENTS),
        "complete": complete / len(SEED_EVENTS),
        "extracted": len(extracted),
    }


def test_seed_events_precision_and_recall(seed_output):
    scores = seed_event_scores(seed_output["events"], seed_output["articles"])
    print("seed events:", scores)
    assert scores["recall"] >= MEASURED_RECALL
    assert scores["precision"] >= MEASURED_PRECISION
    assert scores["complete"] >= MEASURED_RECALL  # each event found with the articles that report it


def test_seed_event_actors_are_not_news_agencies_or_weapons(seed_output):
    actors = {a for e in seed_output["events"] for a in e["actors"]}
    assert not actors & {"AFP", "EEI", "Katioucha", "Al-Hadath", "Al-Sumaria", "al-Alam"}


def test_seed_event_reported_by_two_sites_is_one_event(seed_output):
    urls = {a["id"]: a["url"] for a in seed_output["articles"]}
    british = [
        e
        for e in seed_output["events"]
        if e["type"] == "REM_EXPLOS" and e["date"] == "2020-09-15" and e["target"] and "britannique" in e["target"]
    ]
    assert len(british) == 1
    assert british[0]["num_articles"] == 2 and british[0]["num_sources"] == 2
    assert _article_keys(british[0], urls) == {"634175", "1874457"}


def _article(article_id: str, text: str):
    from transforms.records import Article, Paragraph

    return Article(
        id=article_id,
        origin=f"test://{article_id}",
        url=None,
        source="test",
        title=None,
        published="2020-09-15",
        language="fr",
        text=text,
        paragraphs=[Paragraph(index=0, start=0, end=len(text), language="fr", foreign=False)],
    )


def test_an_article_the_extractor_fails_on_becomes_a_dead_letter(monkeypatch):
    """One article's bug lands in rejected/ (stage "events"); the others still give events."""
    import transforms.events.extract as events

    real = events.extract_events

    def flaky(article, mentions, counters=None):
        if article.id == "bad":
            raise ValueError("broken offsets")
        return real(article, mentions, counters)

    monkeypatch.setattr(events, "extract_events", flaky)
    good = _article("good", "Mardi 15 septembre, un engin explosif a visé un convoi militaire.")
    bad = _article("bad", "Mardi 15 septembre, une roquette a visé la base.")
    with TestPipeline(options=PipelineOptions(["--runner=DirectRunner"])) as pipeline:
        out = pipeline | beam.Create([(good, []), (bad, [])]) | events.ExtractEvents(with_rejected=True)
        assert_that(out["reports"] | "Ids" >> beam.Map(lambda r: r.article_id), equal_to(["good"]), label="reports")
        assert_that(
            out["rejected"] | "Dead" >> beam.Map(lambda r: (r.origin, r.stage, r.reason, r.payload)),
            equal_to([("test://bad", "events", "ValueError: broken offsets", "bad")]),
            label="rejected",
        )


def test_a_date_with_a_misspelt_month_still_dates_the_event():
    text = "Selon al-Alam, le lundi 14 spetembre, deux engins piégés ont visé des convois militaires américains."
    (found,) = extract_events(_article("a", text), [])
    assert (found.date, found.date_precision) == ("2020-09-14", "day")


def test_no_casualties_after_an_attack_is_its_toll_not_a_second_event():
    text = "A roadside bomb hit a convoy south of Baghdad on Monday. No casualties were reported."
    article = _article("wire", text)._replace(language="en")
    article = article._replace(paragraphs=[p._replace(language="en") for p in article.paragraphs])
    counts: Counter = Counter()
    (found,) = extract_events(article, [], counts)
    assert found.fatalities == 0 and found.end <= text.index("No casualties")
    assert counts["tolls"] == 1


# Sentences of the seed that report nothing that happened in its window, read by hand: a
# hypothesis ("n'exclut pas"), a plan in the future ("seront installés… entamera"), protests of
# late 2019, the assassination of 3 January retold, a chemical attack of November 2018 whose
# inquiry is the news, and a fire that is what the Taji missile attack did. None may yield a
# counted event: either no event at all, or a background event (not counted in aggregates).
NOT_COUNTED_IN_THE_SEED = [
    "n’exclut pas la possibilité que l’Irak fasse l’objet de sanctions",
    "Lorsque les Américains seront complètement installés",
    "Lorsque des manifestations antigouvernementales massives ont éclaté en Irak fin 2019",
    "depuis l’assassinat le 3 janvier dernier",
    "l’enquête sur l’attaque chimique, lancée, le 24 novembre 2018",
    "ont fait part d’un vaste incendie qui s’est déclaré dans la base d’al-Taji",
]


def test_seed_sentences_that_report_no_event_in_the_window_are_not_counted(seed_output):
    sentences = seed_output["sentences"]
    found = {}
    for phrase in NOT_COUNTED_IN_THE_SEED:
        hits = {(s["article_id"], s["index"]) for s in sentences if phrase in s["text"].replace("\xa0", " ")}
        assert hits, f"the seed no longer has a sentence with {phrase!r}"
        found[phrase] = hits
    for event in seed_output["events"]:
        on = {(m["article_id"], m["sentence_index"]) for m in event["mentions"]}
        for phrase, hits in found.items():
            assert not (on & hits) or event["background"], (phrase, event["type"], event["date"])


def test_a_retold_event_keeps_its_own_date_and_is_background():
    from transforms.events.detect import DetectorModel

    article = _article(
        "retold",
        "Hier, une bombe a explosé au passage d'un convoi américain à Bagdad. "
        "En 2018, une attaque chimique avait tué des dizaines de civils à Douma.",
    )
    always = DetectorModel.__new__(DetectorModel)  # a detector that calls every sentence an event
    always.stage_one_min, always.thresholds = 0.0, {"fr": 0.0, "en": 0.0}
    always.stage_one = lambda columns: 1.0  # type: ignore[method-assign]
    always.stage_two = lambda columns, embedding, language=None: 1.0  # type: ignore[method-assign]
    reports = extract_events(article, [], detector=always)
    by_date = {r.date: r for r in reports}
    assert by_date["2020-09-14"].background is False
    assert by_date["2018-01-01"].background is True and by_date["2018-01-01"].date_precision == "year"

"""Tests of transforms.events: what counts as an event, clustering (over- and
under-merging), counting, and the seed's events end to end."""
from __future__ import annotations

from collections import Counter
from typing import Dict, List, Optional

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to

from transforms.events.arguments import fatalities, find_target
from transforms.events.cluster import (
    ClusterEvents,
    cluster_reports,
    compatible,
    haversine_km,
    merge_cluster,
)
from transforms.events.count import (
    AGGREGATE_CSV_HEADER,
    CountEvents,
    aggregates_csv,
    count_keys,
    window_of,
)
from transforms.events.extract import extract_events
from transforms.events.modality import (
    did_not_happen,
    only_background,
    only_bare_plurals,
    only_no_victims,
)
from transforms.events.records import EventReport

# --- sentence-level rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "La Résistance a menacé de frapper les bases américaines.",
        "Une attaque pourrait viser l'ambassade dans les prochains jours.",
        "Le Hezbollah dément toute implication dans l'attaque.",
        "Comment est-il possible de vaincre l'armée américaine par des roquettes Katioucha ?",
        "Les attaques au missile artisanal contre les cibles américaines pour créer une ambiance de terreur.",
        "Trois attaques distinctes ont ciblé des infrastructures occidentales en Irak.",
        "Militants threatened to attack the embassy.",
        "L'attaque n'a été revendiquée par aucune partie.",
        # tallies and trends sum up other reports
        "« Il s'agit de la troisième attaque contre un convoi militaire américain en Irak au cours des dernières 24 heures ».",
        "L'annonce sur la multiplication des attaques contre les troupes US en Irak intervient alors que la police a arrêté deux hommes.",
        "This is the third attack on a convoy this week, officials said.",
        # a question put in indirect speech
        "À la question comment cela se fait-il que les attaques n'aient pas laissé de victimes, il a trouvé une réponse.",
    ],
)
def test_not_events_that_happened(sentence):
    assert did_not_happen(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Un engin explosif artisanal a ciblé ce véhicule de l'ambassade britannique.",
        "Lundi, trois roquettes ont été tirées en direction de l'aéroport de Bagdad.",
        "Au cours de cette opération, un dirigeant de Daech a été arrêté.",
        "L'explosion est survenue dans la matinée de ce vendredi 18 septembre.",
        "A roadside bomb hit a US convoy near Hilla on Friday.",
    ],
)
def test_events_that_happened(sentence):
    assert not did_not_happen(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        # the event is a cause or a memory, the sentence reports something else
        "Le retrait est une tentative visant à apaiser la colère provoquée par l'assassinat du général Soleimani, dit-il.",
        "Ce qui se fait sentir lorsqu'on se rappelle la scène de fuite du commandant suite au tir d'un missile Katioucha.",
        "The ceremony marked the anniversary of the bombing.",
    ],
)
def test_events_in_background_phrases_are_not_reported(sentence):
    assert only_background(sentence, "fr" if " le " in sentence or "Le " in sentence or "Ce " in sentence else "en")


@pytest.mark.parametrize(
    "sentence, language",
    [
        # the background phrase does not hold the only event word
        ("Des roquettes ont visé l'ambassade, en représailles à l'assassinat de Soleimani.", "fr"),
        ("Many children were treated after Assad carried out a poisonous gas attack in Ghouta.", "en"),
        ("Suite à une plainte, la police a arrêté deux hommes à Bagdad.", "fr"),
    ],
)
def test_events_beside_background_phrases_are_kept(sentence, language):
    assert not only_background(sentence, language)


def test_a_no_casualties_sentence_is_the_toll_of_the_event_before_it():
    assert only_no_victims("No casualties were reported.", "en")
    assert only_no_victims("L'explosion n'a fait aucune victime.", "fr") is False  # "explosion" is an event
    assert not only_no_victims("A roadside bomb hit a convoy; no casualties were reported.", "en")
    assert not only_no_victims("Five soldiers were killed in the ambush.", "en")


def test_bare_plurals_alone_are_not_an_event():
    assert only_bare_plurals("Le calendrier avait été accéléré en raison des frappes de missiles et du coronavirus.", "fr")
    assert not only_bare_plurals("Des frappes de missiles ont détruit un dépôt d'armes.", "fr")


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Cet attentat n'a pas fait de victimes et n'a provoqué que des dégâts matériels.", 0),
        ("L'attaque, qu'aucun groupe n'a revendiquée, n'a fait aucune victime.", 0),
        ("L'explosion a fait trois morts et dix blessés.", 3),
        ("Au moins 12 personnes ont été tuées.", 12),
        ("Two soldiers were killed and five wounded.", 2),
        ("Une bombe a explosé au passage d'un convoi.", None),
    ],
)
def test_fatalities(sentence, expected):
    assert fatalities(sentence) == expected


def test_target_is_the_noun_phrase_after_the_cue():
    assert find_target("Un engin explosif a visé un véhicule de l'ambassade britannique revenant de l'aéroport.") == (
        "un véhicule de l'ambassade britannique revenant de l'aéroport"
    )
    assert find_target("Deux roquettes ont pris pour cible l'ambassade des États-Unis, selon un responsable.") == (
        "l'ambassade des États-Unis"
    )
    assert find_target("Rockets were fired against the US embassy in Baghdad.") == "the US embassy"
    assert find_target("Il a parlé sur la base de la demande du Parlement.") is None


# --- clustering ----------------------------------------------------------------------------------


def report(article: str, date: str, type_: str = "REM_EXPLOS", lat: float = 33.34, lon: float = 44.40,
           precision: str = "city", target: Optional[str] = None, source: str = "a.example",
           sentence: int = 0, country: str = "IQ", admin1: Optional[str] = "IQ.07") -> EventReport:
    return EventReport(
        article_id=article, source=source, sentence_index=sentence, start=0, end=10, type=type_,
        event_type="Explosions/Remote violence", cameo="18", type_confidence=0.8, date=date, date_precision="day",
        place="Baghdad", place_id="geonames:98182", lat=lat, lon=lon, country=country, admin1=admin1,
        place_precision=precision, place_scope="sentence", actors=[], target=target, fatalities=None, confidence=0.8,
    )


def test_two_sites_reporting_one_attack_make_one_event():
    a = report("presstv-1", "2020-09-15", target="un véhicule de l'ambassade britannique", source="presstv")
    b = report("almanar-1", "2020-09-15", target="ce véhicule de l'ambassade britannique", source="almanar",
               lat=33.31, lon=44.36)
    (cluster,) = cluster_reports([a, b])
    event = merge_cluster(cluster)
    assert (event.num_articles, event.num_sources) == (2, 2)
    assert [m.article_id for m in event.mentions] == ["almanar-1", "presstv-1"]


@pytest.mark.parametrize(
    "other",
    [
        report("b", "2020-09-15", type_="ART_MISS_ATTACK"),  # another kind of attack
        report("b", "2020-09-18"),  # three days later
        report("b", "2020-09-15", lat=32.03, lon=44.35),  # Najaf, 145 km away
        report("b", "2020-09-15", target="un convoi militaire américain"),  # another target
        report("b", "2020-09-16", precision="country", lat=33.0, lon=44.0, admin1=None),  # vague and not the same day
    ],
)
def test_distinct_attacks_are_not_merged(other):
    first = report("a", "2020-09-15", target="le siège de la société G4S")
    assert not compatible(first, other)
    assert len(cluster_reports([first, other])) == 2


def test_a_report_placed_by_its_paragraph_joins_the_closest_event_in_time():
    # "Quelques heures plus tôt, deux engins avaient ciblé lundi un convoi" (placed in Baghdad by
    # its paragraph only) is the Diwaniyah convoy of that Monday, not the Salah ad-Din one the day before
    salah = report("c", "2020-09-13", precision="admin1", lat=34.53, lon=43.48, admin1="IQ.18", target="un convoi américain")
    diwaniyah = report("b", "2020-09-14", lat=31.99, lon=44.93, admin1="IQ.04", target="des convois militaires")._replace(place="Diwaniyah")
    vague = report("a", "2020-09-14", target="un convoi d'équipement")._replace(place_scope="paragraph")
    clusters = cluster_reports([salah, diwaniyah, vague])
    assert sorted(sorted(r.article_id for r in c) for c in clusters) == [["a", "b"], ["c"]]
    merged = merge_cluster(next(c for c in clusters if len(c) == 2))
    assert merged.place == "Diwaniyah"  # the sentence's own place beats the paragraph's


def test_reports_that_each_name_their_day_must_agree_on_it():
    # "A roadside bomb hit a convoy south of Baghdad on Monday" is not Tuesday's IED in Baghdad
    monday = report("wire", "2020-09-14")
    tuesday = report("presstv", "2020-09-15", target="un véhicule de l'ambassade britannique")
    assert not compatible(monday, tuesday)
    assert compatible(monday, tuesday._replace(date_precision="publication"))


def test_reports_a_day_apart_and_a_few_km_apart_merge():
    first = report("a", "2020-09-14")._replace(date_precision="publication")
    assert compatible(first, report("b", "2020-09-15", lat=33.36, lon=44.45))
    assert haversine_km(33.34, 44.40, 33.36, 44.45) < 15


def test_event_ids_are_stable_and_order_free():
    reports = [report("a", "2020-09-15"), report("b", "2020-09-15", source="b.example")]
    assert merge_cluster(cluster_reports(reports)[0]).id == merge_cluster(cluster_reports(reports[::-1])[0]).id


# --- counting ------------------------------------------------------------------------------------


def test_windows():
    assert window_of("2020-09-15", 1) == ("2020-09-15", "2020-09-16")
    assert window_of("2020-09-15", 7) == ("2020-09-10", "2020-09-17")  # windows start on 1970-01-01 (a Thursday)


def test_an_event_counts_at_city_admin1_and_country_level():
    event = merge_cluster([report("a", "2020-09-15")])
    cells = sorted(key[2:4] for key, _ in count_keys(event, 1))
    assert cells == [("admin1", "IQ.07"), ("city", "Baghdad"), ("country", "IQ")]


def test_cluster_and_count_in_beam():
    reports = [
        report("a", "2020-09-15", source="presstv"),
        report("b", "2020-09-15", source="almanar"),
        report("c", "2020-09-15", type_="ART_MISS_ATTACK", source="presstv"),
        report("d", "2020-09-03", lat=32.03, lon=44.35, admin1="IQ.17", source="presstv"),
    ]
    with beam.Pipeline(options=PipelineOptions(["--direct_num_workers=1"])) as pipeline:
        events = pipeline | beam.Create(reports) | ClusterEvents()
        cells = (
            events
            | CountEvents()
            | beam.Filter(lambda a: a.level == "country")
            | beam.Map(lambda a: (a.window_start, a.type, a.events, a.articles))
        )
        assert_that(
            cells,
            equal_to([("2020-09-03", "REM_EXPLOS", 1, 1), ("2020-09-15", "REM_EXPLOS", 1, 2),
                      ("2020-09-15", "ART_MISS_ATTACK", 1, 1)]),
        )


def test_aggregates_csv_is_sorted_with_a_header():
    from transforms.events.records import Aggregate

    rows = [Aggregate("2020-09-15", "2020-09-16", "country", "IQ", "IQ", "REM_EXPLOS", "Explosions/Remote violence", 2, 3),
            Aggregate("2020-09-03", "2020-09-04", "city", "Baghdad", "IQ", "ART_MISS_ATTACK", "Explosions/Remote violence", 1, 1)]
    lines = aggregates_csv(rows).splitlines()
    assert lines[0] == AGGREGATE_CSV_HEADER
    assert lines[1].startswith("2020-09-03,") and lines[2].startswith("2020-09-15,")


# --- the seed: the attacks and arrests a reader finds in it ---------------------------------------

# Read in the seed (sample/seed/000_243c87bbee7a852f.txt), one entry per real event:
# (date, type, place name, true position, articles by the id in their URL). Dates are the days
# the text gives; "dans la nuit" of a 15 September article is the night before, 14–15 September.
SEED_EVENTS = [
    ("2020-09-03", "ART_MISS_ATTACK", "Baghdad", (33.34, 44.40), {"634175"}),  # missile strike on G4S HQ, Qadissiya
    ("2020-09-07", "ART_MISS_ATTACK", "Baghdad", (33.26, 44.23), {"633629"}),  # 3 rockets at Baghdad airport, Monday
    ("2020-09-08", "ART_MISS_ATTACK", "Taji", (33.52, 44.27), {"633629"}),  # missile attack on al-Taji base
    ("2020-09-08", "REM_EXPLOS", "Baghdad", (33.34, 44.40), {"633629"}),  # roadside bomb, US convoy, al-Chaala
    ("2020-09-08", "REM_EXPLOS", "Babil", (32.60, 44.44), {"633629"}),  # bomb on a US convoy at Jabala, Babel
    ("2020-09-10", "ARREST", "Shirqat", (35.51, 43.23), {"633798"}),  # Daech leader arrested in Shirqat
    ("2020-09-12", "ARREST", "Iraq", None, {"633926"}),  # two infiltrators arrested (west Ninawa)
    ("2020-09-13", "REM_EXPLOS", "Salah ad-Din", (34.53, 43.48), {"1874457"}),  # IED, US convoy, two days earlier
    ("2020-09-14", "REM_EXPLOS", "Diwaniyah", (31.99, 44.93), {"634175", "1874457"}),  # IEDs, coalition convoys
    ("2020-09-15", "REM_EXPLOS", "Baghdad", (33.30, 44.35), {"634175", "1874457"}),  # IED, British embassy vehicle
    ("2020-09-15", "ART_MISS_ATTACK", "Baghdad", (33.30, 44.39), {"634175", "1874457"}),  # rockets at US embassy, night
    ("2020-09-17", "ART_MISS_ATTACK", "Baghdad", (33.30, 44.39), {"634363"}),  # rocket attack, base in US embassy
    ("2020-09-18", "REM_EXPLOS", "Najaf", (32.03, 44.35), {"634363"}),  # blast at an American language institute
    ("2020-09-18", "REM_EXPLOS", "Hilla", (32.48, 44.42), {"634363"}),  # bombs on a US convoy near Hilla
    ("2020-09-18", "REM_EXPLOS", "Baghdad", (33.40, 44.38), {"634363"}),  # explosion in north Baghdad (al-Shaab)
]
# The bar of issue #4: precision and recall >= 0.9 on these. Measured on 2026-11-26 after the
# background/tally/bare-plural rules, month dates and vague-place clustering: 15/15 matched, 15
# extracted (precision 1.0, recall 1.0, every event with all its articles).
MEASURED_RECALL = 0.9
MEASURED_PRECISION = 0.9
# What the seed test scores: attacks and arrests in Iraq in September 2020.
SCORED_EVENT_TYPES = {"Battles", "Explosions/Remote violence", "Violence against civilians"}


def _in_scope(event: dict) -> bool:
    return (
        (event["event_type"] in SCORED_EVENT_TYPES or event["type"] == "ARREST")
        and event["country"] == "IQ" and (event["date"] or "").startswith("2020-09")
    )


def _article_keys(event: dict, urls: Dict[str, str]) -> set:
    return {urls[m["article_id"]].rstrip("/").split("/")[-1] if "almanar" in urls[m["article_id"]]
            else urls[m["article_id"]].split("/Detail/")[1].split("/")[3] for m in event["mentions"]}


def _matches(gold, event: dict, urls: Dict[str, str]) -> bool:
    from transforms.events.cluster import haversine_km as km

    date, type_, _, position, articles = gold
    if event["type"] != type_ or not event["date"]:
        return False
    if abs((__import__("datetime").date.fromisoformat(event["date"]) - __import__("datetime").date.fromisoformat(date)).days) > 1:
        return False
    if position is not None and (event["lat"] is None or km(event["lat"], event["lon"], *position) > 30):
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
    british = [e for e in seed_output["events"] if e["type"] == "REM_EXPLOS" and e["date"] == "2020-09-15"
               and e["target"] and "britannique" in e["target"]]
    assert len(british) == 1
    assert british[0]["num_articles"] == 2 and british[0]["num_sources"] == 2
    assert _article_keys(british[0], urls) == {"634175", "1874457"}


def test_seed_outputs_events_aggregates_and_csv(seed_output):
    assert seed_output["events"] and seed_output["aggregates"]
    assert seed_output["aggregates.csv"][0] == AGGREGATE_CSV_HEADER
    assert len(seed_output["aggregates.csv"]) == len(seed_output["aggregates"]) + 1


# --- dead letters ---------------------------------------------------------------------------------


def _article(article_id: str, text: str):
    from transforms.records import Article, Paragraph

    return Article(id=article_id, origin=f"test://{article_id}", url=None, source="test", title=None,
                   published="2020-09-15", language="fr", text=text,
                   paragraphs=[Paragraph(index=0, start=0, end=len(text), language="fr", foreign=False)])


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
    with beam.Pipeline(options=PipelineOptions(["--runner=DirectRunner"])) as pipeline:
        out = pipeline | beam.Create([(good, []), (bad, [])]) | events.ExtractEvents(with_rejected=True)
        assert_that(out["reports"] | "Ids" >> beam.Map(lambda r: r.article_id), equal_to(["good"]), label="reports")
        assert_that(out["rejected"] | "Dead" >> beam.Map(lambda r: (r.origin, r.stage, r.reason, r.payload)),
                    equal_to([("test://bad", "events", "ValueError: broken offsets", "bad")]), label="rejected")


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

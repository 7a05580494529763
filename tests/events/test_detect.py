"""Tests of transforms.events.detect: the detector's features and its two stages."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from transforms.events.detect import (
    DIM,
    DetectorModel,
    article_terms,
    cue_names,
    decide,
    load_detector,
    modality_veto,
    scoped_veto,
    term_indices,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "sentence, cue",
    [
        ("Militants threatened to attack the embassy.", "en_threat"),
        ("An attack could target the embassy in the coming days.", "en_modal"),
        ("The group denied any involvement in the attack.", "en_deny"),
        ("Protesters plan to march on Saturday.", "en_plan"),
        ("Will they attack again?", "question"),
        ("No one was arrested.", "en_negation"),
        ("Attacks are common in the area.", "en_generic"),
        ("A roadside bomb exploded near the convoy on Friday.", "en_time"),
        ("Une attaque pourrait viser l'ambassade.", "fr_conditional"),
        ("La Résistance entamera la deuxième étape de ses opérations.", "fr_future"),
        ("Le Hezbollah dément toute implication dans l'attaque.", "fr_deny"),
        ("Un quotidien n'exclut pas la possibilité de sanctions.", "fr_hypothesis"),
        ("Les syndicats appellent à manifester jeudi.", "fr_call"),
        ("La Résistance a menacé de frapper les bases américaines.", "fr_threat"),
        ("Trois roquettes ont été tirées hier sur l'aéroport.", "fr_past"),
        ("Les attentats se multiplient dans la région.", "fr_generic"),
    ],
)
def test_grammar_cues(sentence, cue):
    assert cue in cue_names(sentence)


@pytest.mark.parametrize(
    "sentence, future",
    [
        ("The minister is due to arrive in Baghdad on Monday.", True),
        ("Talks were due to resume before the attack.", True),
        ("Moscow cancels meeting with top US diplomat due to new sanctions", False),
        ("Flights were cancelled due to the storm.", False),
        ("They're now due to meet in Geneva.", True),
        ("The delay is due to the storm.", False),
        ("The closure was due to 300 cases of cholera.", False),
    ],
)
def test_due_to_is_the_future_only_after_a_form_of_be(sentence, future):
    assert ("en_going_to" in cue_names(sentence, "en")) is future


def test_a_plain_past_report_has_no_modality_cue():
    cues = set(cue_names("Lundi, trois roquettes ont été tirées en direction de l'aéroport de Bagdad."))
    assert "fr_past" in cues and not cues & {"fr_conditional", "fr_future", "fr_threat", "fr_deny", "question"}


def test_terms_carry_the_article_context():
    terms = article_terms(
        ["Hier, une bombe a explosé à Bagdad.", "Le président pourrait démissionner."],
        "fr",
        "Attentat à Bagdad",
        "2020-09-10",
        [["LOC"], ["PER"]],
    )
    first, second = set(terms[0]), set(terms[1])
    assert {"lex:REM_EXPLOS", "title:any", "ent:LOC", "date:day", "pos:0", "lang:fr"} <= first
    assert {"prev:any", "cue:fr_conditional", "ent:PER"} <= second and "lex:any" not in second
    dated = set(article_terms(["En 2018, une bombe avait explosé."], "fr", None, "2020-09-10")[0])
    assert {"date:year", "date:before"} <= dated


def test_hashed_columns_are_sorted_unique_and_the_same_in_another_process():
    columns = term_indices(["w:bombe", "w:bombe", "cue:fr_past"])
    assert len(columns) == 2 and list(columns) == sorted(columns) and columns.max() < DIM
    code = "from transforms.events.detect import term_indices; print(term_indices(['w:bombe', 'cue:fr_past']).tolist())"
    other = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"},
    )
    assert other.stdout.strip() == str([int(c) for c in columns])


def test_the_encoder_runs_only_on_what_the_first_stage_keeps():
    model = DetectorModel.__new__(DetectorModel)
    model.stage_one_min, model.thresholds = 0.5, {"en": 0.7}
    model.stage_one = lambda columns: 0.9 if len(columns) else 0.1  # type: ignore[method-assign]
    model.stage_two = lambda columns, embedding, language=None: float(embedding[0])  # type: ignore[method-assign]
    asked = []

    def embed(positions):
        asked.extend(positions)
        return np.array([[0.8], [0.6]])

    decisions = decide(model, [np.array([1]), np.array([], dtype=np.int64), np.array([2])], embed, "en")
    assert asked == [0, 2]
    assert [d.is_event for d in decisions] == [True, False, False]
    confident = decide(
        model, [np.array([1]), np.array([2])], lambda positions: np.array([[0.8], [0.95]]), "en", ["en_modal"] * 2
    )
    assert [d.is_event for d in confident] == [False, True]  # a very confident model overrules a tense veto
    threat = decide(
        model, [np.array([1]), np.array([2])], lambda positions: np.array([[0.8], [0.99]]), "en", ["en_threat"] * 2
    )
    assert [d.is_event for d in threat] == [False, False]  # never a threat, a plan or a question
    assert [d.veto for d in threat] == ["en_threat", "en_threat"]
    denial = decide(
        model, [np.array([1]), np.array([2])], lambda positions: np.array([[0.8], [0.95]]), "en", ["en_deny"] * 2
    )
    assert [d.is_event for d in denial] == [False, True]  # "denied his group was responsible for the attack"
    assert [d.stage for d in decisions] == [2, 1, 2]
    assert model.threshold("de") == 0.7  # another language takes the strictest cut


def test_the_shipped_detector_keeps_a_report_and_turns_down_threats_plans_and_adverts():
    from transforms.events.resources import encode

    model = load_detector()
    assert model.stage_one_min < min(model.thresholds.values()) <= 1.0

    def detected(sentence, language):
        columns = [term_indices(article_terms([sentence], language, None, "2020-09-18")[0])]
        veto = [modality_veto(cue_names(sentence))]
        return decide(model, columns, lambda positions: encode([sentence]), language, veto)[0].is_event

    assert detected("A roadside bomb exploded near a US convoy in Hilla on Friday, killing two soldiers.", "en")
    assert detected("Hier, une bombe a explosé au passage d'un convoi américain à Bagdad, tuant deux soldats.", "fr")
    for sentence, language in (
        ("Militants threatened to attack the embassy if the troops stay.", "en"),
        ("The laundry bag is made of durable cotton and ships in two days.", "en"),
        ("Protesters plan to march on the parliament next week.", "en"),
        ("Will the militia attack the base again?", "en"),
        ("La Résistance pourrait frapper les bases américaines l'an prochain.", "fr"),
        ("Les syndicats appellent à manifester jeudi devant le ministère.", "fr"),
        ("Le Hezbollah dément toute implication dans l'attentat.", "fr"),
    ):
        assert not detected(sentence, language), sentence


def test_modality_vetoes():
    assert modality_veto(["en_threat", "en_past"]) == "en_threat"
    assert modality_veto(["fr_conditional"]) == "fr_conditional"
    assert modality_veto(["fr_conditional", "fr_past"]) is None  # "a dit qu'il aurait…" after a past report
    assert modality_veto(["fr_generic"]) == "fr_generic" and modality_veto(["fr_generic", "fr_time"]) is None
    assert modality_veto(["en_past", "en_time"]) is None
    # a denial beside a threat or a question: the veto no model overrules wins
    assert modality_veto(["en_deny", "en_threat", "en_past"]) == "en_threat"
    assert modality_veto(["en_deny", "question"]) == "question"
    assert modality_veto(["fr_deny", "fr_threat"]) == "fr_threat"
    assert modality_veto(cue_names("The group denied responsibility and threatened new attacks.")) == "en_threat"


def test_a_modality_vetoes_only_the_clauses_in_its_scope():
    def veto(sentence: str, language: str = "en"):
        return scoped_veto(sentence, language, cue_names(sentence, language))

    # the event is reported in a clause of its own; the threat is the reaction to it
    assert veto("US expels 35 Russian diplomats: Moscow vows revenge") is None
    assert veto("Spain threatens retaliation after Russia expels two diplomats") is None
    assert veto("La police a arrêté deux hommes ; le groupe menace de riposter.", "fr") is None
    # every clause that names the event is under the modality: still vetoed
    assert veto("The rebels threatened to attack the town.") == "en_threat"
    assert veto("Le groupe menace de frapper la ville, selon un communiqué.", "fr") == "fr_threat"
    assert veto("Will the army attack the town?") == "question"
    # no modality cue: nothing to scope
    assert veto("Police arrested two men on Monday.") is None


def test_a_language_with_its_own_stage_two_model_uses_it_and_others_use_the_default():
    width = 4
    zeros = np.zeros(DIM, np.float32)
    arrays = {
        "stage_one_coef": zeros,
        "stage_one_intercept": np.zeros(1, np.float32),
        "dense_mean": np.zeros(width, np.float32),
        "dense_scale": np.ones(width, np.float32),
        "stage_two_coef": zeros,
        "stage_two_dense": np.zeros(width, np.float32),
        "stage_two_intercept": np.array([-2.0], np.float32),  # the default model: p = 0.12
        "stage_two_coef_en": zeros,
        "stage_two_dense_en": np.zeros(width, np.float32),
        "stage_two_intercept_en": np.array([2.0], np.float32),  # English's own: p = 0.88
    }
    meta = {"stage_one_min": 0.1, "thresholds": {"en": 0.5, "fr": 0.5}, "stage_two_languages": ["en"]}
    model = DetectorModel(meta, arrays)
    columns, embedding = np.array([1, 5]), np.ones(width, np.float32)
    assert model.stage_two(columns, embedding, "en") == pytest.approx(0.881, abs=1e-3)
    assert model.stage_two(columns, embedding, "fr") == pytest.approx(0.119, abs=1e-3)
    assert model.stage_two(columns, embedding, "de") == model.stage_two(columns, embedding, "fr")
    # an artefact without per-language models (format 1) reads as before
    del meta["stage_two_languages"]
    assert DetectorModel(meta, arrays).stage_two(columns, embedding, "en") == pytest.approx(0.119, abs=1e-3)

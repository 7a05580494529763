"""Tests of transforms.language: langdetect wrapper, article/paragraph languages, DetectLanguage."""

import json
import os
import pathlib
import subprocess
import sys

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.records import CleanedArticle
from transforms.text import language
from transforms.text.language import (
    DetectLanguage,
    LanguagedArticle,
    article_sample,
    detect_article_languages,
    detect_language,
    normalize_code,
)

REPO = pathlib.Path(__file__).resolve().parents[2]

CAPTION = (
    "US Rep. Ilhan Omar (D-MN) (L) talks with Speaker of the House Nancy Pelosi (D-CA) during a rally "
    "with fellow Democrats before voting on H.R. 1, or the People Act, on the East Steps of the US Capitol "
    "on March 08, 2019 in Washington, DC."
)
FR_PARAGRAPHS = [
    "La présidente de la Chambre des représentants a défendu mardi le projet de loi démocrate "
    "sur la réforme électorale, qui vise à faciliter l’inscription sur les listes et à encadrer "
    "le financement des campagnes.",
    CAPTION,
    "Photo : AFP",
    "Selon plusieurs élus, le texte n’a cependant aucune chance d’être adopté par le Sénat, où "
    "les républicains disposent de la majorité. « C’est une question de principe », a-t-elle "
    "pourtant répété devant la presse.",
    "Le vote doit avoir lieu vendredi.",
]
EN_TEXT = (
    "The government announced on Tuesday a series of measures intended to support household "
    "purchasing power, as inflation continues to weigh on budgets across the country."
)
DE_TEXT = (
    "Die Bundesregierung hat am Dienstag eine Reihe von Maßnahmen angekündigt, die die Kaufkraft "
    "der Haushalte stützen sollen, während die Inflation weiter auf den Budgets lastet."
)


# --- detect_language -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (FR_PARAGRAPHS[0], "fr"),
        (FR_PARAGRAPHS[3], "fr"),
        (CAPTION, "en"),
        (EN_TEXT, "en"),
        (DE_TEXT, "de"),
        ("Il a dit qu’il viendrait demain à l’école avec ses enfants.", "fr"),
        ("中华人民共和国是工人阶级领导的、以工农联盟为基础的人民民主专政的社会主义国家。", "zh"),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "Photo : AFP", "12 345 678 — 2019-03-08", "!!! ??? ...", "Bonjour à tous"])
def test_detect_language_none_when_too_short_or_no_letters(text):
    assert detect_language(text) is None


def test_detect_language_none_on_langdetect_exception():
    # 20+ letters of a script no langdetect profile knows (Cherokee), so langdetect
    # raises LangDetectException("No features in text.").
    from langdetect.lang_detect_exception import LangDetectException

    text = "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ ᎠᏍᎦᏯ ᎠᎨᏯ ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ"
    assert language.count_letters(text) >= language.MIN_LETTERS
    detector = language._get_factory().create()
    detector.append(text)
    with pytest.raises(LangDetectException):
        detector.detect()
    assert detect_language(text) is None


def test_typographic_apostrophes_do_not_change_the_answer():
    typographic = "C’est aujourd’hui qu’il l’a dit à l’Assemblée, et c’est l’essentiel."
    straight = typographic.replace("’", "'")
    assert detect_language(typographic) == detect_language(straight) == "fr"
    assert language.detect_language_with_probability(typographic) == language.detect_language_with_probability(straight)


def test_long_text_is_capped_and_still_detected():
    text = " ".join([FR_PARAGRAPHS[0]] * 100)  # ~20,000 chars
    assert len(text) > 10 * language.MAX_CHARS
    assert detect_language(text) == "fr"


@pytest.mark.parametrize(
    "code, expected",
    [
        ("zh-cn", "zh"),
        ("zh-tw", "zh"),
        ("FR", "fr"),
        ("en_US", "en"),
        ("en-GB", "en"),
        ("", None),
        (None, None),
        ("??", None),
    ],
)
def test_normalize_code(code, expected):
    assert normalize_code(code) == expected


# --- article sample --------------------------------------------------------------------------


def test_article_sample_is_whole_text_when_short():
    assert article_sample(["un", "deux"]) == "un\n\ndeux"


def test_article_sample_spreads_over_long_articles():
    paragraphs = [f"{i}" * 400 for i in range(10)]
    sample = article_sample(paragraphs)
    assert len(sample) <= language.MAX_CHARS
    firsts = [part[0] for part in sample.split("\n\n")]
    assert firsts[0] == "0" and firsts[-1] == "9" and len(firsts) >= 3


def test_article_language_not_decided_by_a_long_foreign_lead():
    # An English caption longer than MAX_CHARS on top of a longer French article.
    english_lead = " ".join([CAPTION] * 5)
    french = [FR_PARAGRAPHS[0], FR_PARAGRAPHS[3]] * 4
    article_language, languages, foreign = detect_article_languages([english_lead] + french, None)
    assert article_language == "fr"
    assert languages[0] == "en" and foreign[0] is True
    assert foreign[1:] == [False] * len(french)


# --- detect_article_languages ----------------------------------------------------------------


def test_french_article_with_english_caption():
    article_language, languages, foreign = detect_article_languages(FR_PARAGRAPHS, "fr")
    assert article_language == "fr"
    assert languages == ["fr", "en", "fr", "fr", "fr"]
    assert foreign == [False, True, False, False, False]


def test_short_paragraphs_inherit_article_language():
    # "Le vote doit avoir lieu vendredi." and "Photo : AFP" are too short to decide.
    paragraphs = [EN_TEXT, "Photo : AFP", "Le vote doit avoir lieu vendredi."]
    article_language, languages, foreign = detect_article_languages(paragraphs, "fr")
    assert article_language == "en"  # detected beats declared
    assert languages == ["en", "en", "en"]
    assert foreign == [False, False, False]


def test_declared_language_when_detection_impossible():
    assert detect_article_languages(["Photo : AFP", "12/03/2019"], "FR") == ("fr", ["fr", "fr"], [False, False])


def test_undetermined_article():
    assert detect_article_languages(["Photo : AFP", "—"], None) == (None, [None, None], [False, False])
    assert detect_article_languages([], None) == (None, [], [])


def test_paragraphs_detected_when_article_has_no_language():
    # The whole text is decidable here, so this checks paragraphs get their own language.
    article_language, languages, foreign = detect_article_languages([DE_TEXT, "Foto: dpa"], None)
    assert article_language == "de"
    assert languages == ["de", "de"]
    assert foreign == [False, False]


# --- determinism across processes ------------------------------------------------------------

_DETERMINISM_SCRIPT = """
import json, sys
from transforms.text.language import detect_article_languages, detect_language_with_probability
texts = json.loads(sys.stdin.read())
print(json.dumps({
    "articles": [detect_article_languages(paragraphs, None) for paragraphs in texts],
    "probabilities": [detect_language_with_probability(p) for paragraphs in texts for p in paragraphs],
}))
"""

# Short, mixed and borderline texts, where langdetect's random sampling shows.
_DETERMINISM_INPUT = [
    FR_PARAGRAPHS,
    [EN_TEXT, DE_TEXT],
    ["Il est parti with his friends to the stadium hier soir.", "Der Mann ist heute nach Paris gefahren."],
    ["Ciao a tutti, oggi parliamo di cucina e di vino.", "Olá a todos, hoje falamos de cozinha."],
]


def _run_detection_in_subprocess(hash_seed: str) -> dict:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=str(REPO))
    completed = subprocess.run(
        [sys.executable, "-c", _DETERMINISM_SCRIPT],
        input=json.dumps(_DETERMINISM_INPUT),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_detection_is_deterministic_across_processes():
    first = _run_detection_in_subprocess("1")
    second = _run_detection_in_subprocess("2")
    assert first == second
    # ... and equal to this process's answers.
    here = json.loads(
        json.dumps(
            {
                "articles": [detect_article_languages(paragraphs, None) for paragraphs in _DETERMINISM_INPUT],
                "probabilities": [
                    language.detect_language_with_probability(p) for ps in _DETERMINISM_INPUT for p in ps
                ],
            }
        )
    )
    assert first == here
    assert first["articles"][0] == ["fr", ["fr", "en", "fr", "fr", "fr"], [False, True, False, False, False]]


def test_repeated_calls_are_identical():
    text = "Il est parti with his friends to the stadium hier soir."
    answers = {language.detect_language_with_probability(text) for _ in range(5)}
    assert len(answers) == 1


# --- DetectLanguage --------------------------------------------------------------------------


def _cleaned(id_, paragraphs, declared=None):
    return CleanedArticle(
        id=id_,
        origin=f"feed.jsonl#{id_}",
        url=f"https://example.org/{id_}",
        source="example.org",
        title=None,
        published="2019-03-08",
        declared_language=declared,
        paragraphs=paragraphs,
    )


def test_detect_language_transform():
    inputs = [
        _cleaned("fr-1", FR_PARAGRAPHS, "fr"),
        _cleaned("en-1", [EN_TEXT, "Photo : AFP"], None),
        _cleaned("declared-1", ["Photo : AFP"], "de"),
        _cleaned("none-1", ["12/03/2019"], None),
    ]
    pipeline = test_pipeline.TestPipeline()
    output = pipeline | beam.Create(inputs) | DetectLanguage()
    assert_that(
        output | beam.Map(lambda r: (r.article.id, r.language, list(r.paragraph_languages), list(r.foreign))),
        equal_to(
            [
                ("fr-1", "fr", ["fr", "en", "fr", "fr", "fr"], [False, True, False, False, False]),
                ("en-1", "en", ["en", "en"], [False, False]),
                ("declared-1", "de", ["de"], [False]),
                ("none-1", None, [None], [False]),
            ]
        ),
        label="languages",
    )
    assert_that(
        output | beam.Map(lambda r: (type(r).__name__, r.article.id, list(r.article.paragraphs))),
        equal_to([("LanguagedArticle", a.id, a.paragraphs) for a in inputs]),
        label="articles_carried",
    )
    result = pipeline.run()
    result.wait_until_finish()
    counters = {
        c.key.metric.name: c.committed
        for c in result.metrics().query(MetricsFilter().with_namespace("language"))["counters"]
    }
    assert counters["articles_fr"] == 1
    assert counters["articles_en"] == 1
    assert counters["articles_de"] == 1
    assert counters["articles_undetermined"] == 1
    assert counters["articles_from_declared"] == 1
    assert counters["foreign_paragraphs"] == 1
    assert counters["paragraphs"] == 9


def test_languaged_article_uses_row_coder():
    coder = beam.coders.registry.get_coder(LanguagedArticle)
    assert isinstance(coder, beam.coders.RowCoder)
    record = LanguagedArticle(_cleaned("x", ["a", "b"], None), None, ["fr", None], [False, True])
    decoded = coder.decode(coder.encode(record))
    assert decoded.article.paragraphs == ["a", "b"]
    assert list(decoded.paragraph_languages) == ["fr", None]
    assert list(decoded.foreign) == [False, True]
    assert decoded.language is None


def test_function_words_spare_langdetect_only_when_plain():
    from transforms.text.language import plainly_in

    french = "Le convoi a été touché par une bombe dans le quartier, selon les sources de la police."
    assert plainly_in(french, "fr")
    # a foreign quote, a Spanish paragraph, a short caption: langdetect decides
    assert not plainly_in("The embassy was hit by two rockets, said the officials of the coalition.", "fr")
    assert not plainly_in("El convoy fue atacado por una bomba en la carretera de la ciudad que está al norte.", "fr")
    assert not plainly_in("Photo : AFP", "fr")
    assert not plainly_in(french, "de")  # no function-word list: always asks langdetect

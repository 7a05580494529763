"""Tests of transforms.event_types: data files, lexicon matching, French and English typing,
the model artefact, and the training script's determinism. Sentences are written for
these tests (no CASE-2021 text is copied here).
"""

import pytest

from transforms.events.lexicon import fold, stem, words


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Arrêtés à l’Élysée", ["arretes", "a", "l", "elysee"]),
        ("attentat-suicide", ["attentat", "suicide"]),
        ("CESSEZ-LE-FEU", ["cessez", "le", "feu"]),
        ("d'un engin explosif", ["d", "un", "engin", "explosif"]),
    ],
)
def test_words_fold_case_accents_apostrophes_and_hyphens(text, expected):
    assert words(text) == expected


def test_fold_removes_accents_only():
    assert fold("Frappe AÉRIENNE à Mossoul") == "frappe aerienne a mossoul"


@pytest.mark.parametrize(
    "word,language,expected",
    [
        ("roquettes", "fr", "roquette"),
        ("engins", "fr", "engin"),
        ("feux", "fr", "feu"),
        ("obus", "fr", "obu"),  # the same on both sides, so "obus" still matches "obus"
        ("clashes", "en", "clash"),
        ("rallies", "en", "rally"),
        ("bombs", "en", "bomb"),
        ("crisis", "en", "crisis"),
        ("gas", "en", "gas"),
    ],
)
def test_stem_strips_plurals(word, language, expected):
    assert stem(word, language) == expected

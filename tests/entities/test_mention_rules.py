"""Tests of transforms.mention_rules: span repairs as pure functions."""

import pytest

from transforms.entities.mention_rules import (
    Span,
    extend_titles,
    is_demonym,
    is_junk,
    propagate,
    remove_overlaps,
    repair,
    strip_titles,
    trim_span,
    vote_labels,
)


def span_of(text, surface, label, evidence="model", occurrence=0):
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    return Span(start, start + len(surface), label, evidence)


def surfaces(text, spans):
    return [(text[s.start : s.end], s.label) for s in spans]


# --- trim_span ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, surface, label, expected",
    [
        ("Il arrive de la France demain.", "la France", "LOC", "France"),
        ("Les troupes d’Irak reculent.", "d’Irak", "LOC", "Irak"),
        ("Un sommet de l'OTAN s'ouvre.", "l'OTAN", "ORG", "OTAN"),
        ("He met the United States envoy.", "the United States", "LOC", "United States"),
        ("Résultats : Chassot m. 3e.", "Chassot m.", "PER", "Chassot"),
        ("« Bagdad », dit-il.", "« Bagdad »", "LOC", "Bagdad"),
        ("The U.S. Army said so.", "U.S. Army", "ORG", "U.S. Army"),
    ],
)
def test_trim_span(text, surface, label, expected):
    trimmed = trim_span(text, span_of(text, surface, label))
    assert text[trimmed.start : trimmed.end] == expected


def test_trim_span_keeps_capitalised_article_inside_a_sentence():
    text = "Le tribunal siège à La Haye depuis 1946."
    trimmed = trim_span(text, span_of(text, "La Haye", "LOC"))
    assert text[trimmed.start : trimmed.end] == "La Haye"


def test_trim_span_of_punctuation_only_is_none():
    assert trim_span("a « » b", Span(2, 5, "LOC", "model")) is None


# --- is_junk / demonyms ------------------------------------------------------------------------


@pytest.mark.parametrize("surface", ["n’", "fr", "i. rc-", "¦ v", "Lo", "Etat", "Conseil", "Parlement", "galais"])
def test_junk(surface):
    text = f"x {surface} y"
    assert is_junk(text, span_of(text, surface, "LOC"))


@pytest.mark.parametrize("surface", ["EI", "Bagdad", "al-Sadr", "de Gaulle", "CIA", "Hachd al-Chaabi"])
def test_not_junk(surface):
    text = f"x {surface} y"
    assert not is_junk(text, span_of(text, surface, "ORG"))


@pytest.mark.parametrize(
    "word, expected",
    [("Français", True), ("Suisses", True), ("Américain", True), ("Vaudois", True), ("Irak", False), ("Bagdad", False)],
)
def test_demonym(word, expected):
    assert is_demonym(word) is expected


# --- titles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, surface, expected",
    [
        ("fournis par M. Hagenbeck, le célèbre", "Hagenbeck", "M. Hagenbeck"),
        ("a déclaré le général Kenneth McKenzie, chef", "Kenneth McKenzie", "général Kenneth McKenzie"),
        ("selon MM. Emile Schaeffer et", "Emile Schaeffer", "MM. Emile Schaeffer"),
        ("said Gen. Kenneth McKenzie on", "Kenneth McKenzie", "Gen. Kenneth McKenzie"),
        ("appelez-moi Capré", "Capré", "Capré"),
        ("dis-le me Capré", "Capré", "Capré"),  # "me" in lowercase is a pronoun, not Maître
    ],
)
def test_extend_titles(text, surface, expected):
    extended = extend_titles(text, span_of(text, surface, "PER"))
    assert text[extended.start : extended.end] == expected


def test_extend_titles_only_for_people():
    text = "le général Motors"
    span = span_of(text, "Motors", "ORG")
    assert extend_titles(text, span) == span


@pytest.mark.parametrize(
    "name, expected",
    [
        ("M. le général Kenneth McKenzie", "Kenneth McKenzie"),
        ("Gen. McKenzie", "McKenzie"),
        ("Donald Trump", "Donald Trump"),
        ("Mme Zakharova", "Zakharova"),
    ],
)
def test_strip_titles(name, expected):
    assert strip_titles(name) == expected


# --- propagation and votes ---------------------------------------------------------------------


def test_propagate_adds_missed_occurrences_and_family_names():
    text = "Jules Capré a prévu la pluie. Paradis est venu. Capré avait raison, dit Paradis."
    spans = [span_of(text, "Jules Capré", "PER"), span_of(text, "Paradis", "PER")]
    out = propagate(text, spans)
    assert surfaces(text, out) == [("Jules Capré", "PER"), ("Paradis", "PER"), ("Capré", "PER"), ("Paradis", "PER")]
    assert [s.evidence for s in out] == ["model", "model", "family_name", "propagated"]


def test_propagate_respects_word_boundaries_and_case():
    text = "Irak. Les irakiens et l'Irakienne; Irak."
    out = propagate(text, [span_of(text, "Irak", "LOC")])
    assert surfaces(text, out) == [("Irak", "LOC"), ("Irak", "LOC")]


def test_vote_labels_majority_wins():
    text = "Bex, Bex et Bex."
    spans = [Span(0, 3, "LOC", "model"), Span(5, 8, "PER", "model"), Span(12, 15, "LOC", "model")]
    out = vote_labels(text, spans)
    assert [s.label for s in out] == ["LOC", "LOC", "LOC"]
    assert out[1].evidence == "vote"


def test_remove_overlaps_longest_wins():
    spans = [Span(0, 5, "PER", "model"), Span(3, 12, "ORG", "model"), Span(20, 25, "LOC", "model")]
    assert remove_overlaps(spans) == [Span(3, 12, "ORG", "model"), Span(20, 25, "LOC", "model")]


def test_repair_pipeline_on_a_news_sentence():
    text = "Selon M. Hagenbeck, la France et l’OTAN ont parlé. Hagenbeck a ri. Les Français aussi."
    spans = [
        span_of(text, "Hagenbeck", "PER"),
        span_of(text, "la France", "LOC"),
        span_of(text, "l’OTAN", "ORG"),
        span_of(text, "Français", "LOC"),
        span_of(text, "n", "LOC", occurrence=2),  # junk one-letter span
    ]
    out = repair(text, spans)
    assert surfaces(text, out) == [
        ("M. Hagenbeck", "PER"),
        ("France", "LOC"),
        ("OTAN", "ORG"),
        ("Hagenbeck", "PER"),
        ("Français", "MISC"),
    ]

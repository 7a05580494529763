"""Tests of transforms.events.modality: background phrases and "no casualties" tolls."""

from __future__ import annotations

import pytest

from transforms.events.modality import only_background, only_no_victims


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

"""Tests of transforms.events: what counts as an event, clustering (over- and
under-merging), counting, and the seed's events end to end.
"""

from __future__ import annotations

import pytest

from transforms.events.modality import (
    did_not_happen,
    only_background,
    only_bare_plurals,
    only_no_victims,
)


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
    assert only_bare_plurals(
        "Le calendrier avait été accéléré en raison des frappes de missiles et du coronavirus.", "fr"
    )
    assert not only_bare_plurals("Des frappes de missiles ont détruit un dépôt d'armes.", "fr")

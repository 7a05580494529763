"""Tests of transforms.events: what counts as an event, clustering (over- and
under-merging), counting, and the seed's events end to end.
"""

from __future__ import annotations

import pytest

from transforms.events.arguments import fatalities, find_target


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

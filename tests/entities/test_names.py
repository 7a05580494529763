"""Tests of transforms.gazetteer: surface keys, the alias table, canonical ids, geocoding."""

import os

import pytest

from transforms.entities import gazetteer as gz
from transforms.entities.gazetteer import Gazetteer
from transforms.entities.names import (
    display_name,
    entity_hash,
    surface_key,
    surface_keys,
)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.mark.parametrize(
    "text,key",
    [
        ("d’Irak", "irak"),
        ("l’OTAN", "otan"),
        ("L'OTAN", "otan"),
        ("la France", "france"),
        ("les États-Unis", "etats unis"),
        ("the United States", "united states"),
        ("The United States", "united states"),
        ("Etats-Unis", "etats unis"),
        ("HACHD AL-CHAABI", "hachd al chaabi"),
        ("Hachd  al–Chaabi.", "hachd al chaabi"),
        ("Kata'ib Hizbullah", "kataib hizbullah"),
        ("Kata’ib Hizbullah", "kataib hizbullah"),
        ("Kataëb Hezbollah", "kataeb hezbollah"),
        ("U.S.", "us"),
        ("(U.S.)", "us"),
        ("Washington, D.C.", "washington dc"),
        ("St. Louis", "st louis"),
        ("« Daech »", "daech"),
        ("Sāmarrā’", "samarra"),
        ("Ḩadīthah", "hadithah"),
        ("Aïn al-Asad", "ain al asad"),
        ("Łódź", "lodz"),
        ("Straße", "strasse"),
        ("G4S", "g4s"),
        ("AT&T", "at&t"),
        ("Bagdad\n", "bagdad"),
        ("le", "le"),  # an article alone is a word, not an article
        ("", ""),
        ("…", ""),
    ],
)
def test_surface_key(text, key):
    assert surface_key(text) == key


def test_surface_keys_is_surface_key_on_each():
    texts = ["d’Irak", "Al-Hillah", "U.S.A.", "line\nbreak", "", "l'", "rock ' n roll", "Le Havre", "Orth a.d.Donau"]
    assert surface_keys(texts) == [surface_key(t) for t in texts]
    assert surface_keys([]) == []


def test_display_name_drops_sentence_articles_only():
    assert display_name("l’Organisation mondiale de la santé", "ORG") == "Organisation mondiale de la santé"
    assert display_name("la  Coalition ", "ORG") == "Coalition"
    assert display_name("Le Monde", "ORG") == "Le Monde"
    assert display_name("« Jean Dupont »", "PER") == "Jean Dupont"


def _rows(name):
    with open(os.path.join(gz.DATA_DIR, name), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        return header, [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def test_alias_table_is_well_formed():
    header, rows = _rows("aliases.tsv")
    assert header[:7] == ["entity_id", "name", "label", "lat", "lon", "country", "aliases"]
    ids = [r["entity_id"] for r in rows]
    assert len(ids) == len(set(ids))
    owner = {}
    for row in rows:
        assert row["label"] in gz.LABELS
        assert row["entity_id"].split(":")[0] in ("wikidata", "geonames", "alias")
        is_place = bool(row["country"])
        assert is_place == bool(row["precision"]) == (row["label"] == "LOC"), row["entity_id"]
        assert bool(row["lat"]) == bool(row["lon"]), row["entity_id"]
        if is_place:
            assert row["precision"] in gz.PRECISIONS
            assert row["lat"] or row["precision"] == "country", row["entity_id"]  # a country's point is GeoNames'
        if row["lat"]:
            assert -90 <= float(row["lat"]) <= 90 and -180 <= float(row["lon"]) <= 180
        for alias in [row["name"]] + [a for a in row["aliases"].split("|") if a]:
            key = surface_key(alias)
            assert key, (row["entity_id"], alias)
            # One key, one entity: otherwise which one a spelling names depends on file order.
            assert owner.setdefault(key, row["entity_id"]) == row["entity_id"], alias


def test_unknown_entities_get_stable_ids(gazetteer):
    dupont = gazetteer.canonical("Jean-Pierre Dupont", "PER")
    assert dupont.entity_id == entity_hash("PER", "jean pierre dupont")
    assert dupont.entity_id.startswith("ent:") and len(dupont.entity_id) == 4 + 12
    assert gazetteer.canonical("Jean Pierre  Dupont", "PER").entity_id == dupont.entity_id
    # The label is part of the id: a PER and an ORG of one name are two entities.
    assert gazetteer.canonical("Jean-Pierre Dupont", "ORG").entity_id != dupont.entity_id
    assert gazetteer.canonical("la Coalition", "ORG").name == "Coalition"

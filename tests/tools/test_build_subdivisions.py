"""Tests of tools.build_subdivisions: name handling, matching, and the table it wrote."""

import json
import os

import pycountry
import pytest

from tools import build_subdivisions as bs
from transforms.entities import gazetteer as gz


@pytest.mark.parametrize(
    "name,names",
    [
        ("Catalunya [Cataluña]", ["Catalunya", "Cataluña"]),
        ("Wales [Cymru GB-CYM]", ["Wales", "Cymru"]),
        ("Asturias, Principado de", ["Asturias, Principado de", "Asturias"]),
        ("Amānat al ‘Āşimah [city]", ["Amānat al ‘Āşimah"]),
        ("Texas", ["Texas"]),
    ],
)
def test_iso_names(name, names):
    assert bs.iso_names(name) == names


def test_other_names_keeps_latin_english_and_french_names_not_codes():
    text = "نينوى (ara), Nineveh (eng), Ninive (fra), ALA (eng), Hoparkiya d’Ninwe (syc)"
    assert bs.other_names(text) == ["Nineveh", "Ninive"]
    assert bs.other_names(None) == []


def test_name_keys_drop_type_words_and_arabic_articles():
    assert bs.name_keys("Salah ad Din Governorate") == {"salah ad din governorate", "salah ad din"}
    assert "anbar" in bs.name_keys("Al Anbār")


def test_similarity():
    assert bs.similarity({"anbar"}, {"anbar"}) == 1.0
    assert bs.similarity({"centre"}, {"centre val loire"}) == 0.9  # one starts the other
    assert bs.similarity({"cher"}, {"centre"}) < bs.SPATIAL_MIN_SIMILARITY


def test_match_country_is_one_to_one_and_uses_the_point_to_break_ties():
    subs = [
        bs.Subdivision("XX-A", "XX", None, "Province", ["Alpha"], [], (10.0, 10.0)),
        bs.Subdivision("XX-B", "XX", None, "Province", ["Alpho"], [], (20.0, 20.0)),
    ]
    cities = [bs.City(10.0, 10.0, 5000, "XX.01"), bs.City(20.0, 20.0, 5000, "XX.02")]
    # "Alpho" is as close to both names (0.8, under 0.9 alone): its point says XX.02
    matched = bs.match_country(subs, {"XX.01": "Alpha", "XX.02": "Alpha Province"}, cities)
    assert matched["XX-A"][0] == "XX.01"
    assert matched["XX-B"][0] == "XX.02" and matched["XX-B"][2]


def test_split_names():
    common = {"plateau", "maritime"}
    alone, headed = bs.split_names(["Plateau", "Plateau State", "Red Sea", "Central", "Anbar", "Maritime"], common)
    assert alone == ["Plateau State", "Anbar"]
    assert headed == ["Plateau", "Red Sea", "Maritime"]  # "Central" is not indexed at all


def test_covered_takes_the_children_of_an_unmatched_region():
    codes = {"IQ-AR": ["IQ.11"], "IQ-DA": ["IQ.08"]}
    children = {"IQ-KR": ["IQ-AR", "IQ-DA"]}
    assert bs.covered("IQ-KR", codes, children) == ["IQ.08", "IQ.11"]
    assert bs.covered("IQ-AR", codes, children) == ["IQ.11"]
    assert bs.covered("IQ-XX", codes, children) == []


def test_weighted_centre_crosses_the_antimeridian():
    lat, lon = bs.weighted_centre([bs.City(0.0, 179.0, 100, "A"), bs.City(0.0, -179.0, 100, "A")])
    assert abs(lat) < 1e-6 and abs(abs(lon) - 180.0) < 1e-6


def test_written_table_agrees_with_pycountry_and_geonames():
    with open(os.path.join(gz.GEONAMES_DATA_DIR, "cities1000.json"), encoding="utf-8") as f:
        admin1 = {f"{c['countrycode']}.{c['admin1code']}" for c in json.load(f).values() if c.get("admin1code")}
    rows = list(gz._read_tsv(gz.SUBDIVISIONS_PATH))
    assert len(rows) > 3000
    assert len({r["code"] for r in rows}) == len(rows)
    for row in rows:
        sub = pycountry.subdivisions.get(code=row["code"])
        assert sub is not None and sub.country_code == row["country"], row["code"]
        assert all(code in admin1 and code.startswith(row["country"] + ".") for code in row["admin1"].split("|"))
        assert row["names"] or row["head_names"] or row["name"], row["code"]

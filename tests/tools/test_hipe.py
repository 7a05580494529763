"""Tests of benchmarks.hipe: reading CLEF-HIPE-2020 TSV documents."""

from pathlib import Path

from benchmarks.hipe import read_hipe

HEADER = "TOKEN\tNE-COARSE-LIT\tNE-COARSE-METO\tNE-FINE-LIT\tNE-FINE-METO\tNE-FINE-COMP\tNE-NESTED\tNEL-LIT\tNEL-METO\tMISC\n"


def _token(text: str, tag: str = "O", misc: str = "_") -> str:
    return "\t".join([text, tag, "O", "O", "O", "O", "O", "_", "_", misc]) + "\n"


def test_each_document_keeps_its_own_metadata_and_a_hash_token(tmp_path: Path):
    tsv = tmp_path / "hipe.tsv"
    tsv.write_text(
        HEADER
        + "# language = en\n# newspaper = sn1\n# date = 1790-03-03\n# document_id = sn1-1790-03-03-a-i0001\n"
        + _token("Boston", "B-loc")
        + _token("#", misc="NoSpaceAfter")
        + _token("1")
        + "\n# language = en\n# newspaper = sn2\n# date = 1880-01-20\n# document_id = sn2-1880-01-20-a-i0002\n"
        + _token("Troops")
        + _token("left"),
        encoding="utf-8",
    )
    first, second = read_hipe(tsv)
    # the metadata lines of the next document must not overwrite those of the one before
    assert (first.id, first.newspaper, first.date) == ("sn1-1790-03-03-a-i0001", "sn1", "1790-03-03")
    assert (second.id, second.newspaper, second.date) == ("sn2-1880-01-20-a-i0002", "sn2", "1880-01-20")
    # a token "#" is text, not a metadata line
    assert first.text.rstrip() == "Boston #1"
    assert first.gold == {(0, 6, "LOC")}
    assert second.text.rstrip() == "Troops left"

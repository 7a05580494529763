"""Checkpointing and grouping records through files across a shuffle."""

from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

import transforms.io.spill as checkpoint
from transforms.io.sinks import write_lines_gz
from transforms.io.spill import (
    CheckpointToFiles,
    GroupThroughFiles,
    group_line,
    merge_groups,
    read_back,
)
from transforms.records import CleanedArticle

ARTICLES = [
    CleanedArticle(
        f"id{n}",
        f"feed.txt#{n}",
        None if n % 2 else f"https://site.fr/{n}",
        "site.fr",
        "Titre « guillemets »",
        None,
        "fr",
        [f"Paragraphe {n} d’essai.", "Deuxième ligne."],
    )
    for n in range(40)
]


@pytest.mark.parametrize("spill_bytes", [4 * 2**20, 300])
def test_records_come_back_whole_and_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill_bytes: int) -> None:
    monkeypatch.setattr(checkpoint, "SPILL_BYTES", spill_bytes)  # 300: a file every couple of records
    with TestPipeline() as p:
        back = p | beam.Create(ARTICLES) | CheckpointToFiles(str(tmp_path), "articles", CleanedArticle)
        assert_that(back, equal_to(ARTICLES))
    files = list((tmp_path / "_spill" / "checkpoint-articles").glob("*.jsonl.gz"))
    assert files and (len(files) > 5) == (spill_bytes == 300)


def test_read_back_streams_one_file(tmp_path: Path) -> None:
    with TestPipeline() as p:
        _ = p | beam.Create(ARTICLES[:3]) | CheckpointToFiles(str(tmp_path), "a", CleanedArticle)
    (path,) = (tmp_path / "_spill" / "checkpoint-a").glob("*.jsonl.gz")
    assert sorted(read_back(str(path), CleanedArticle)) == sorted(ARTICLES[:3])


PAIRS = [(f'clé {n % 7}\t"{n % 3}', {"n": n, "texte": "« é »\n"}) for n in range(60)] + [("", [1, None])]


def _grouped(pairs):
    groups = {}
    for key, value in pairs:
        groups.setdefault(key, []).append(value)
    return sorted((key, sorted(values, key=json.dumps)) for key, values in groups.items())


@pytest.mark.parametrize("spill_bytes", [4 * 2**20, 200])
def test_group_through_files_groups_like_a_group_by_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill_bytes: int
) -> None:
    # 200 bytes: a spill every few pairs, and shards merge their files in rounds of two
    monkeypatch.setattr(checkpoint, "SPILL_BYTES", spill_bytes)
    if spill_bytes == 200:
        monkeypatch.setattr(checkpoint, "MERGE_FAN_IN", 2)
    with TestPipeline() as p:
        pairs = p | beam.Create(PAIRS)
        through_files = pairs | "Files" >> GroupThroughFiles(str(tmp_path), "t", shards=3)
        in_memory = pairs | "Memory" >> GroupThroughFiles(None, "t")
        expected = _grouped(PAIRS)
        normalise = lambda kv: (kv[0], sorted(kv[1], key=json.dumps))  # noqa: E731
        assert_that(through_files | "NormFiles" >> beam.Map(normalise), equal_to(expected), label="files")
        assert_that(in_memory | "NormMemory" >> beam.Map(normalise), equal_to(expected), label="memory")
    assert list((tmp_path / "_spill" / "group-t").glob("*.jsonl.gz"))


def test_merge_groups_streams_sorted_keys_with_values_in_line_order(tmp_path: Path) -> None:
    first, second = str(tmp_path / "a.jsonl.gz"), str(tmp_path / "b.jsonl.gz")
    write_lines_gz(first, sorted([group_line("b", 2), group_line("a", 1), group_line("b\t", 0)]))
    write_lines_gz(second, sorted([group_line("b", 1), group_line("c", [3])]))
    assert list(merge_groups([first, second])) == [("a", [1]), ("b", [1, 2]), ("b\t", [0]), ("c", [[3]])]

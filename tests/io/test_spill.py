"""Checkpointing and grouping records through files across a shuffle."""

from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

import transforms.io.spill as checkpoint
from transforms.io.shards import entry_order, shard_entry
from transforms.io.spill import (
    AUTO,
    OFF,
    CheckpointToFiles,
    GroupThroughFiles,
    SpillEntries,
    check_spill_dir,
    group_line,
    merge_entries,
    merge_groups,
    read_back,
    spill_directory,
    wants_spill,
    write_lines_gz,
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
    files = list((tmp_path / "checkpoint-articles").glob("*.jsonl.gz"))
    assert files and (len(files) > 5) == (spill_bytes == 300)


def test_read_back_streams_one_file(tmp_path: Path) -> None:
    with TestPipeline() as p:
        _ = p | beam.Create(ARTICLES[:3]) | CheckpointToFiles(str(tmp_path), "a", CleanedArticle)
    (path,) = (tmp_path / "checkpoint-a").glob("*.jsonl.gz")
    assert sorted(read_back(str(path), CleanedArticle)) == sorted(ARTICLES[:3])


def test_without_a_spill_dir_records_pass_on_typed() -> None:
    with TestPipeline() as p:
        back = p | beam.Create(ARTICLES) | CheckpointToFiles(None, "articles", CleanedArticle)
        assert back.element_type == CleanedArticle
        assert_that(back, equal_to(ARTICLES))


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
    assert list((tmp_path / "group-t").glob("*.jsonl.gz"))


def test_merge_groups_streams_sorted_keys_with_values_in_line_order(tmp_path: Path) -> None:
    first, second = str(tmp_path / "a.jsonl.gz"), str(tmp_path / "b.jsonl.gz")
    write_lines_gz(first, sorted([group_line("b", 2), group_line("a", 1), group_line("b\t", 0)]))
    write_lines_gz(second, sorted([group_line("b", 1), group_line("c", [3])]))
    assert list(merge_groups([first, second])) == [("a", [1]), ("b", [1, 2]), ("b\t", [0]), ("c", [[3]])]


def test_spill_entries_merge_back_in_shard_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoint, "SPILL_BYTES", 400)  # a file every few entries
    monkeypatch.setattr(checkpoint, "MERGE_FAN_IN", 2)  # merge rounds
    entries = [shard_entry(article, lambda a: (a.source, int(a.id[2:]))) for article in ARTICLES]
    spill = SpillEntries(str(tmp_path))
    spill.start_bundle()
    paths = [path for entry in reversed(entries) for _, path in spill.process((0, entry))]
    paths += [value.value[1] for value in spill.finish_bundle()]
    assert len(paths) > 4
    merged = list(merge_entries(paths, str(tmp_path), 0))
    assert merged == sorted(entries, key=entry_order)  # ids 0, 1, 2 … 39 as numbers, not as text
    assert all(Path(path).exists() for path in paths)  # inputs kept for a retry


def test_spill_is_on_by_default_on_the_direct_runner_only() -> None:
    assert wants_spill(AUTO, None) and wants_spill(AUTO, "DirectRunner")
    assert wants_spill(AUTO, "apache_beam.runners.direct.direct_runner.BundleBasedDirectRunner")
    for runner in ("FlinkRunner", "DataflowRunner", "PrismRunner", "PortableRunner"):
        assert not wants_spill(AUTO, runner)
        assert wants_spill("/mnt/scratch", runner)  # an explicit directory is the user's choice
    assert not wants_spill(OFF, None) and not wants_spill("", "DirectRunner")


def test_spill_dir_never_inside_the_output_nor_remote(tmp_path: Path) -> None:
    check_spill_dir(AUTO, str(tmp_path / "out"))
    check_spill_dir(str(tmp_path / "scratch"), str(tmp_path / "out"))
    check_spill_dir(str(tmp_path / "out-scratch"), str(tmp_path / "out"))  # a sibling, not inside
    with pytest.raises(ValueError, match="inside --output"):
        check_spill_dir(str(tmp_path / "out" / "tmp"), str(tmp_path / "out"))
    with pytest.raises(ValueError, match="local directory"):
        check_spill_dir("gs://bucket/spill", str(tmp_path / "out"))


def test_spill_directory_is_fresh_and_removed_after_the_run(tmp_path: Path) -> None:
    with spill_directory(str(tmp_path / "scratch"), "DirectRunner") as directory:
        assert directory is not None and Path(directory).parent == tmp_path / "scratch"
        (Path(directory) / "group-x").mkdir()
        (Path(directory) / "group-x" / "00000-a.jsonl.gz").write_bytes(b"")
    assert not Path(directory).exists() and (tmp_path / "scratch").exists()
    with spill_directory(AUTO, "FlinkRunner") as directory:
        assert directory is None

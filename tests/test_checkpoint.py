"""Checkpointing articles through files across a shuffle."""
from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

import transforms.checkpoint as checkpoint
from transforms.checkpoint import CheckpointToFiles, read_back
from transforms.records import CleanedArticle

ARTICLES = [
    CleanedArticle(f"id{n}", f"feed.txt#{n}", None if n % 2 else f"https://site.fr/{n}", "site.fr", "Titre « guillemets »",
                   None, "fr", [f"Paragraphe {n} d’essai.", "Deuxième ligne."])
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

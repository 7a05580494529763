"""Tests of the source step: pure readers first, then ReadNewsFeeds on a TestPipeline.

Every fixture is generated in tmp_path (or in memory), so nothing outside the repo is needed.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.support.documents import (
    ARTICLE,
    FRENCH,
    SPANISH,
    avro_bytes,
    documents,
    jsonl_bytes,
    read_path,
    rejects,
    warc_bytes,
)
from transforms.io import sources
from transforms.io.sources import ReadNewsFeeds, match_files
from transforms.records import DUMP, HTML, TEXT, RawDocument, Rejected


def test_match_files_expands_directories_recursively(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    for name in ("a.html", "sub/b.txt", "sub/deeper/c.jsonl"):
        (tmp_path / name).write_text("x")
    expected = {str(tmp_path / n) for n in ("a.html", "sub/b.txt", "sub/deeper/c.jsonl")}
    assert {m.path for m in match_files(str(tmp_path))} == expected
    assert {m.path for m in match_files(str(tmp_path) + "/")} == expected
    assert [m.path for m in match_files(str(tmp_path / "*.html"))] == [str(tmp_path / "a.html")]
    assert match_files(str(tmp_path / "nothing*.xml")) == []
    assert match_files(str(tmp_path / "missing.html")) == []


@pytest.fixture()
def feed_dir(tmp_path: Path) -> Path:
    """One file of each kind, a nested one, and a couple of bad ones."""
    root = tmp_path / "feeds"
    (root / "nested").mkdir(parents=True)
    (root / "page.html").write_bytes(FRENCH.encode("cp1252"))
    (root / "nested" / "page.html.gz").write_bytes(gzip.compress(SPANISH.encode("utf-8")))
    (root / "dump.txt").write_bytes("Titre\n\nCafé crème.".encode("cp1252"))
    (root / "feed.jsonl").write_bytes(jsonl_bytes([{"id": "j1", "text": "Body"}, "{bad"]))
    (root / "crawl.warc.gz").write_bytes(warc_bytes(True))
    (root / "articles.avro").write_bytes(avro_bytes([ARTICLE]))
    (root / "slides.pdf").write_bytes(b"%PDF-1.4")
    (root / "empty.html").write_bytes(b"")
    return root


def expected_read(root: Path):
    warc = read_path(root / "crawl.warc.gz")
    documents_ = [
        (str(root / "page.html"), HTML),
        (str(root / "nested" / "page.html.gz"), HTML),
        (str(root / "dump.txt"), DUMP),
        (str(root / "feed.jsonl") + "#1", TEXT),
        (str(root / "articles.avro") + "#1", TEXT),
    ] + [(d.origin, d.kind) for d in documents(warc)]
    rejected_ = [
        (str(root / "feed.jsonl") + "#2", "invalid JSON"),
        (str(root / "slides.pdf"), "unsupported input type"),
        (str(root / "empty.html"), "empty file"),
    ] + [(r.origin, r.reason.split(":")[0][:20]) for r in rejects(warc)]
    return documents_, rejected_


def reason_key(record: Rejected):
    for prefix in ("invalid JSON", "unsupported input type", "empty file", "no file matches pattern"):
        if record.reason.startswith(prefix):
            return record.origin, prefix
    return record.origin, record.reason.split(":")[0][:20]


def counters(result) -> dict:
    """Counters of namespace "read", summed over steps (two steps count "rejected")."""
    totals: dict = {}
    for counter in result.metrics().query()["counters"]:
        if counter.key.metric.namespace == "read":
            totals[counter.key.metric.name] = totals.get(counter.key.metric.name, 0) + counter.committed
    return totals


def test_read_news_feeds_pipeline(feed_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected_docs, expected_rejects = expected_read(feed_dir)
    missing = str(feed_dir / "nothing-*.html")
    monkeypatch.setattr(sources, "LISTING_PATHS", 3)  # several listings, spread over the readers
    pipeline = TestPipeline()
    read = pipeline | ReadNewsFeeds([str(feed_dir), missing, str(feed_dir / "*.html")])
    assert read["documents"].element_type == RawDocument and read["rejected"].element_type == Rejected
    assert_that(read["documents"] | beam.Map(lambda d: (d.origin, d.kind)), equal_to(expected_docs), label="Documents")
    assert_that(
        read["rejected"] | beam.Map(reason_key),
        equal_to(expected_rejects + [(missing, "no file matches pattern")]),
        label="Rejected",
    )
    result = pipeline.run()
    result.wait_until_finish()
    assert counters(result) == {"files": 8, "documents": len(expected_docs), "rejected": len(expected_rejects) + 1}


def test_read_news_feeds_takes_a_pcollection_of_patterns(feed_dir: Path) -> None:
    with TestPipeline() as pipeline:
        patterns = pipeline | beam.Create([str(feed_dir / "*.html"), str(feed_dir / "nested")])
        read = patterns | ReadNewsFeeds()
        assert_that(
            read["documents"] | beam.Map(lambda d: d.origin),
            equal_to([str(feed_dir / "page.html"), str(feed_dir / "nested" / "page.html.gz")]),
            label="Documents",
        )
        assert_that(
            read["rejected"] | beam.Map(lambda r: (r.origin, r.reason)),
            equal_to([(str(feed_dir / "empty.html"), "empty file")]),
            label="Rejected",
        )


def test_read_news_feeds_needs_patterns() -> None:
    with pytest.raises(ValueError):
        TestPipeline() | ReadNewsFeeds([])


def test_exact_paths_are_read_as_given_even_with_glob_characters(tmp_path: Path) -> None:
    # a dated run's planned inputs: file names, never patterns ("[1]" would be a glob class)
    odd = tmp_path / "dépêche[1].jsonl"
    odd.write_bytes(jsonl_bytes([{"id": "j1", "text": "Body"}]))
    (tmp_path / "other.jsonl").write_bytes(jsonl_bytes([{"id": "j2", "text": "Other"}]))
    with TestPipeline() as pipeline:
        read = pipeline | ReadNewsFeeds([str(odd), str(odd)], exact_paths=True)
        assert_that(read["documents"] | beam.Map(lambda d: d.record_id), equal_to(["j1"]), label="Documents")
        assert_that(read["rejected"], equal_to([]), label="Rejected")


def test_unopenable_reason_for_fifos_directories_and_vanished_files(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jsonl")
    (tmp_path / "dir.html").mkdir()
    (tmp_path / "page.html").write_text("<p>x</p>")
    assert sources.unopenable_reason(str(tmp_path / "pipe.jsonl")) == "not read: a FIFO"
    assert sources.unopenable_reason(str(tmp_path / "dir.html")) == "not read: a directory"
    assert sources.unopenable_reason(str(tmp_path / "page.html")) is None
    assert sources.unopenable_reason(str(tmp_path / "gone.html")).startswith("file vanished between listing")
    assert sources.unopenable_reason("gs://bucket/page.html") is None  # remote: left to open


def test_read_file_turns_vanished_and_unopenable_files_into_rejections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_file = sources._ReadFile(1 << 20)
    (gone,) = read_file.process(str(tmp_path / "gone.html"))
    assert gone.tag == "rejected" and gone.value.reason.startswith("file vanished between listing and reading")
    locked = tmp_path / "locked.html"
    locked.write_text("<p>x</p>")

    def refuse(path, compression_type=None):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(sources.FileSystems, "open", refuse)  # as for a non-root user on a 000 file
    (denied,) = read_file.process(str(locked))
    assert denied.value == Rejected(str(locked), "read", "file cannot be read: permission denied", "")


def test_read_news_feeds_reports_what_the_listing_skips(tmp_path: Path) -> None:
    root = tmp_path / "feeds"
    root.mkdir()
    (root / "page.html").write_bytes(FRENCH.encode("utf-8"))
    os.symlink("/nonexistent/a.html", root / "dangling.html")
    os.mkfifo(root / "pipe.jsonl")
    os.close(os.open(os.fsencode(root) + b"/caf\xe9.html", os.O_CREAT | os.O_WRONLY))
    pipeline = TestPipeline()
    read = pipeline | ReadNewsFeeds([str(root)])
    assert_that(read["documents"] | beam.Map(lambda d: d.origin), equal_to([str(root / "page.html")]), label="Docs")
    assert_that(
        read["rejected"] | beam.Map(lambda r: (r.origin, r.reason)),
        equal_to(
            [
                (str(root / "dangling.html"), "dangling symlink: not read"),
                (str(root / "pipe.jsonl"), "not read: a FIFO"),
                (f"{root}/caf\\xe9.html", "file name is not UTF-8: not read"),
            ]
        ),
        label="Rejected",
    )
    result = pipeline.run()
    result.wait_until_finish()
    assert counters(result) == {"files": 2, "documents": 1, "rejected": 3, "skipped_entries": 1}


def test_a_listing_that_fails_costs_its_pattern_visibly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(pattern: str):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sources, "match_files", broken)
    (output,) = sources._ListFiles().process([str(tmp_path)])
    assert output.value.reason == f"cannot list {tmp_path}: OSError: [Errno 5] Input/output error"


def test_listing_a_tree_deeper_than_the_recursion_limit(tmp_path: Path) -> None:
    path = str(tmp_path)
    for _ in range(1100):
        path = os.path.join(path, "n")
        os.mkdir(path)
    (Path(path) / "bottom.html").write_text("<p>x</p>")
    (listing,) = sources._ListFiles().process([str(tmp_path)])
    assert listing == [str(Path(path) / "bottom.html")]
    os.unlink(Path(path) / "bottom.html")
    while path != str(tmp_path):  # shutil.rmtree recurses too
        os.rmdir(path)
        path = os.path.dirname(path)

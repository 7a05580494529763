"""The entries a listing leaves out (dangling symlinks, loops, symlinked directories,
names that are not UTF-8) become dead letters instead of vanishing."""

from __future__ import annotations

import os
from pathlib import Path

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.io.sources import match_files
from transforms.io.unlisted import ReportSkipped, printable_path, skipped_entries, undecodable_name


def make_tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "page.html").write_text("<p>x</p>")
    (root / "sub" / "story.txt").write_text("x")
    os.symlink("/nonexistent/feed.jsonl", root / "dangling.jsonl")
    os.symlink("loop.html", root / "loop.html")
    os.symlink("../sub", root / "sub" / "again")
    os.symlink("page.html", root / "alias.html")  # resolves: listed, not skipped
    return root


def test_skipped_entries_are_exactly_what_the_listing_leaves_out(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "in")
    listed = {m.path for m in match_files(str(root))}
    assert listed == {str(root / n) for n in ("page.html", "alias.html", "sub/story.txt")}
    assert sorted(skipped_entries(str(root))) == [
        (str(root / "dangling.jsonl"), "dangling symlink: not read"),
        (str(root / "loop.html"), "symlink loop: not read"),
        (str(root / "sub" / "again"), "symlink to a directory: not followed (give the directory itself as --input)"),
    ]


def test_skipped_entries_follow_the_pattern_and_ignore_remote_or_missing_paths(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "in")
    assert [p for p, _ in skipped_entries(str(root / "*.html"))] == [str(root / "loop.html")]
    assert [p for p, _ in skipped_entries(str(root / "sub") + "/")] == [str(root / "sub" / "again")]
    assert list(skipped_entries(str(root / "page.html"))) == []  # a plain file
    assert list(skipped_entries(str(tmp_path / "missing"))) == []
    assert list(skipped_entries("gs://bucket/feeds/*.jsonl")) == []


def test_names_that_are_not_utf8_are_told_and_printed_escaped(tmp_path: Path) -> None:
    name = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.html")
    assert undecodable_name(name) and not undecodable_name(str(tmp_path / "café.html"))
    assert printable_path(name) == f"{tmp_path}/caf\\xe9.html"


def test_report_skipped_gives_one_rejection_per_entry_over_overlapping_patterns(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "in")
    with TestPipeline() as pipeline:
        rejected = (
            pipeline
            | beam.Create([[str(root), str(root / "*.html"), str(root / "sub")]])
            | ReportSkipped()
            | beam.Map(lambda r: (r.origin.rsplit("/", 1)[-1], r.stage, r.reason.split(":")[0]))
        )
        assert_that(
            rejected,
            equal_to(
                [
                    ("dangling.jsonl", "read", "dangling symlink"),
                    ("loop.html", "read", "symlink loop"),
                    ("again", "read", "symlink to a directory"),
                ]
            ),
        )


def test_walk_goes_deeper_than_the_recursion_limit_and_reports_unlistable_directories(
    tmp_path: Path, monkeypatch
) -> None:
    path = str(tmp_path / "in")
    os.mkdir(path)
    for _ in range(1100):
        path = os.path.join(path, "n")
        os.mkdir(path)
    os.symlink("/nonexistent", os.path.join(path, "deep-dangling.html"))
    assert [p.rsplit("/", 1)[-1] for p, _ in skipped_entries(str(tmp_path / "in"))] == ["deep-dangling.html"]
    real_scandir = os.scandir
    locked = os.path.join(str(tmp_path / "in"), "n")

    def scandir(directory):
        if directory == locked:  # what a 000 directory does to a user who is not root
            raise PermissionError(13, "Permission denied", directory)
        return real_scandir(directory)

    monkeypatch.setattr(os, "scandir", scandir)
    assert list(skipped_entries(str(tmp_path / "in"))) == [
        (locked, "directory cannot be listed (PermissionError: Permission denied): its files not read")
    ]
    os.unlink(os.path.join(path, "deep-dangling.html"))
    while path != str(tmp_path):  # shutil.rmtree recurses too
        os.rmdir(path)
        path = os.path.dirname(path)

"""Injected faults for the batch job: steps that fail their first attempt, then succeed.

Each fault fires once: its first attempt creates a marker file (O_EXCL, so two threads or
processes cannot both be first) in a directory of the test, and every later attempt finds
it. The faults are patched into the step's class; runners that run the SDK harness in
the test's process (BundleBasedDirectRunner, Flink with LOOPBACK) run the patched code.

- ``articles-mid-write``: the articles shard writer dies after writing the first record
  of a shard (a worker lost mid-write: a half-written temporary is left);
- ``sentences-after-publish``: the sentences shard writer dies right after its shard file
  was renamed into place (a worker lost before the runner committed the bundle);
- ``segment-stage``: the segmentation stage dies on one article, after the articles
  before it in its bundle were emitted downstream.
"""

import os
from pathlib import Path
from typing import Iterator, List, TypeVar

import pytest

import transforms.io.sinks as sinks
import transforms.text.segment as segment

FAULTS = ("articles-mid-write", "sentences-after-publish", "segment-stage")

T = TypeVar("T")


class InjectedFault(RuntimeError):
    """The failure of a first attempt, raised on purpose."""


class FirstAttempts:
    """Remembers, in marker files, which faults already fired."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def first(self, fault: str) -> bool:
        """True exactly once per fault: on its first attempt."""
        try:
            os.close(os.open(self.directory / fault, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True

    def fired(self) -> List[str]:
        return sorted(path.name for path in self.directory.iterdir())


def _fail_after_first(items: Iterator[T], attempts: FirstAttempts, fault: str) -> Iterator[T]:
    for n, item in enumerate(items):
        # from the second record on, so the temporary holds a half-written shard
        if n == 1 and attempts.first(fault):
            raise InjectedFault(f"{fault}: first attempt dies mid-write")
        yield item


def inject_batch_faults(monkeypatch: pytest.MonkeyPatch, attempts: FirstAttempts, failing_origin: str) -> None:
    """Patches the three faults into the batch job's classes (see the module doc);
    ``failing_origin``: the article the segmentation stage fails on."""
    write_entries = sinks._WriteShard.entries
    write_shard = sinks._WriteShard.process
    segment_article = segment._SegmentFn.process

    def entries(self, shard, values):
        produced = write_entries(self, shard, values)
        if self._kind == "articles":
            return _fail_after_first(produced, attempts, "articles-mid-write")
        return produced

    def process_shard(self, keyed):
        written = list(write_shard(self, keyed))
        if self._kind == "sentences" and attempts.first("sentences-after-publish"):
            raise InjectedFault(f"sentences-after-publish: first attempt dies after publishing {written}")
        yield from written

    def process_article(self, languaged):
        if languaged.article.origin == failing_origin and attempts.first("segment-stage"):
            raise InjectedFault(f"segment-stage: first attempt dies on {failing_origin}")
        yield from segment_article(self, languaged)

    monkeypatch.setattr(sinks._WriteShard, "entries", entries)
    monkeypatch.setattr(sinks._WriteShard, "process", process_shard)
    monkeypatch.setattr(segment._SegmentFn, "process", process_article)

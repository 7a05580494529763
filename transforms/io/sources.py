"""``ReadNewsFeeds``: files, directories or globs → ``RawDocument`` records and dead letters.

Matches every pattern once, spreads the files over the workers in listings and
calls ``formats.read_documents`` on each file.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from typing import Iterator, List, Optional, Sequence, Set, Union

import apache_beam as beam
from apache_beam.io.filesystem import BeamIOError, CompressionTypes, FileMetadata
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from transforms.io.formats import DEFAULT_MAX_BYTES, REJECTED, STAGE, printable, read_documents
from transforms.io.unlisted import ReportSkipped, printable_path, undecodable_name
from transforms.records import RawDocument, Rejected, rejected

_GLOB_CHARS = re.compile(r"[*?\[]")


def match_files(pattern: str) -> List[FileMetadata]:
    """Files matching a glob; a directory (or a pattern ending in '/') means every file below it."""
    if not _GLOB_CHARS.search(pattern):
        local_dir = FileSystems.get_scheme(pattern) is None and os.path.isdir(pattern)
        # Object stores have no directories: a plain name that is no object is a prefix.
        if pattern.endswith(("/", "\\")) or local_dir or not FileSystems.exists(pattern):
            pattern = FileSystems.join(pattern.rstrip("/\\") or "/", "**")
    metadata = FileSystems.match([pattern])[0].metadata_list
    return [m for m in metadata if not m.path.endswith(("/", "\\"))]


def _deep_match(pattern: str) -> List[FileMetadata]:
    """match_files with room for os.walk, which recurses once per directory level in
    Python 3.11: a tree 1,000 directories deep must not fail the listing."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        return match_files(pattern)
    finally:
        sys.setrecursionlimit(limit)


LISTING_PATHS = 64  # files per listing: the unit of work one reader takes


class _ListFiles(beam.DoFn):
    """All patterns at once → listings of at most LISTING_PATHS file paths, sorted,
    each path once (overlapping patterns read a file once); a pattern that matches
    nothing gives a dead letter. The runner's shuffle then carries one small element
    per LISTING_PATHS files, not one per file."""

    def __init__(self, exact_paths: bool = False):
        self._rejected = Metrics.counter(STAGE, "rejected")
        self._exact_paths = exact_paths

    def process(self, patterns: List[str]) -> Iterator[Union[List[str], TaggedOutput]]:
        seen: Set[str] = set()
        if self._exact_paths:
            seen.update(patterns)
            patterns = []
        for pattern in patterns:
            try:
                files = _deep_match(pattern)
            except Exception as error:  # noqa: BLE001 — a listing that fails costs its pattern, visibly
                self._rejected.inc()
                reason = f"cannot list {pattern}: {type(error).__name__}: {str(error)[:300]}"
                yield TaggedOutput(REJECTED, rejected(printable_path(pattern), STAGE, reason))
                continue
            if not files:
                self._rejected.inc()
                yield TaggedOutput(REJECTED, rejected(pattern, STAGE, f"no file matches pattern {pattern}"))
            seen.update(m.path for m in files)
        for path in sorted(p for p in seen if undecodable_name(p)):  # no Beam coder can carry it
            self._rejected.inc()
            yield TaggedOutput(REJECTED, rejected(printable_path(path), STAGE, "file name is not UTF-8: not read"))
        paths = sorted(p for p in seen if not undecodable_name(p))
        for start in range(0, len(paths), LISTING_PATHS):
            yield paths[start : start + LISTING_PATHS]


def unopenable_reason(path: str) -> Optional[str]:
    """Why a listed local path cannot be read as a file (gone, a FIFO or device that
    would block or never end, a directory), else None; remote paths are left to open."""
    if FileSystems.get_scheme(path) is not None:
        return None
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return _open_error_reason(error)
    if stat.S_ISREG(mode):
        return None
    kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
    return f"not read: {kind}"


def _open_error_reason(error: BaseException) -> str:
    cause = error
    if isinstance(error, BeamIOError) and error.exception_details:
        cause = next(iter(error.exception_details.values()))
    if isinstance(cause, FileNotFoundError):
        return "file vanished between listing and reading (or a dangling symlink)"
    if isinstance(cause, PermissionError):
        return "file cannot be read: permission denied"
    return f"file cannot be opened ({type(cause).__name__}: {cause})"


class _ReadFile(beam.DoFn):
    def __init__(self, max_bytes: int):
        self._max_bytes = max_bytes
        self._files = Metrics.counter(STAGE, "files")
        self._documents = Metrics.counter(STAGE, "documents")
        self._rejected = Metrics.counter(STAGE, "rejected")

    def process(self, path: str) -> Iterator[Union[RawDocument, TaggedOutput]]:
        self._files.inc()
        # a file gone since the listing, unreadable or no regular file costs that file only
        reason = unopenable_reason(path)
        if reason is None:
            try:
                # Raw bytes: read_documents sniffs gzip itself and turns bad gzip into dead letters.
                fileobj = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
            except (OSError, BeamIOError) as error:
                reason = _open_error_reason(error)
        if reason is not None:
            self._rejected.inc()
            yield TaggedOutput(REJECTED, printable(rejected(path, STAGE, reason)))
            return
        with fileobj:
            for item in read_documents(path, fileobj, self._max_bytes):
                if isinstance(item, Rejected):
                    self._rejected.inc()
                    yield TaggedOutput(REJECTED, item)
                else:
                    self._documents.inc()
                    yield item


class ReadNewsFeeds(beam.PTransform):
    """Files, directories or globs → ``{"documents": RawDocument, "rejected": Rejected}``.

    Apply to the pipeline with patterns (``p | ReadNewsFeeds(["in/**"])``) or,
    without, to a PCollection of patterns (``patterns | ReadNewsFeeds()``).
    A directory means every file below it; a pattern matching nothing, a file
    that vanished, cannot be opened or is no regular file (FIFO), an entry the
    listing skips (dangling symlink, symlink loop, symlink to a directory, a name
    that is not UTF-8), an unreadable file or record gives a Rejected (stage
    "read"). Counters in namespace "read": files, documents, rejected,
    skipped_entries.

    The patterns are matched together; the files travel to the readers in
    listings of LISTING_PATHS paths. ``exact_paths``: the patterns are file paths to
    read as they are, unmatched (a dated run's planned inputs, ``transforms.io.ledger``).
    """

    def __init__(
        self,
        patterns: Union[str, Sequence[str], None] = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        exact_paths: bool = False,
    ):
        super().__init__()
        self._patterns = [patterns] if isinstance(patterns, str) else (list(patterns) if patterns is not None else None)
        self._max_bytes = max_bytes
        self._exact_paths = exact_paths

    def expand(self, pbegin_or_patterns):
        if isinstance(pbegin_or_patterns, beam.pvalue.PBegin):
            if not self._patterns:
                raise ValueError("ReadNewsFeeds applied to a pipeline needs at least one pattern")
            patterns = pbegin_or_patterns | "Patterns" >> beam.Create(self._patterns).with_output_types(str)
        elif self._patterns is not None:
            raise ValueError("give ReadNewsFeeds patterns either as argument or as input PCollection, not both")
        else:
            patterns = pbegin_or_patterns
        all_patterns = patterns | "AllPatterns" >> beam.combiners.ToList().with_output_types(List[str])
        # what the listing leaves out (dangling symlinks, loops) becomes a dead letter too;
        # exact paths are files, not patterns: there is no listing to leave anything out
        skipped = (
            all_patterns | "ReportSkipped" >> beam.FlatMap(lambda _: []).with_output_types(Rejected)
            if self._exact_paths
            else all_patterns | "ReportSkipped" >> ReportSkipped()
        )
        listed = all_patterns | "Match" >> beam.ParDo(_ListFiles(self._exact_paths)).with_output_types(
            List[str], rejected=Rejected
        ).with_outputs(REJECTED, main="listings")
        # the shuffle spreads the listings over the workers
        spread = listed.listings | "SpreadListings" >> beam.Reshuffle()
        paths = spread | "Paths" >> beam.FlatMap(lambda listing: listing).with_output_types(str)
        read = paths | "Read" >> (
            beam.ParDo(_ReadFile(self._max_bytes))
            .with_output_types(RawDocument, rejected=Rejected)
            .with_outputs(REJECTED, main="documents")
        )
        rejected_all = (listed[REJECTED], skipped, read[REJECTED]) | "AllRejected" >> beam.Flatten().with_output_types(
            Rejected
        )
        return {"documents": read.documents, "rejected": rejected_all}

"""``ReadNewsFeeds``: files, directories or globs → ``RawDocument`` records and dead letters.

Matches every pattern once, spreads the files over the workers in listings and
calls ``formats.read_documents`` on each file.
"""

from __future__ import annotations

import os
import re
from typing import Iterator, List, Sequence, Set, Union

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes, FileMetadata
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from transforms.io.formats import DEFAULT_MAX_BYTES, REJECTED, STAGE, read_documents
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
            files = match_files(pattern)
            if not files:
                self._rejected.inc()
                yield TaggedOutput(REJECTED, rejected(pattern, STAGE, f"no file matches pattern {pattern}"))
            seen.update(m.path for m in files)
        paths = sorted(seen)
        for start in range(0, len(paths), LISTING_PATHS):
            yield paths[start : start + LISTING_PATHS]


class _ReadFile(beam.DoFn):
    def __init__(self, max_bytes: int):
        self._max_bytes = max_bytes
        self._files = Metrics.counter(STAGE, "files")
        self._documents = Metrics.counter(STAGE, "documents")
        self._rejected = Metrics.counter(STAGE, "rejected")

    def process(self, path: str) -> Iterator[Union[RawDocument, TaggedOutput]]:
        self._files.inc()
        # Raw bytes: read_documents sniffs gzip itself and turns bad gzip into dead letters.
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fileobj:
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
    A directory means every file below it; a pattern matching nothing, an
    unreadable file or record gives a Rejected (stage "read"). Counters in
    namespace "read": files, documents, rejected.

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
        listed = (
            patterns
            | "AllPatterns" >> beam.combiners.ToList().with_output_types(List[str])
            | "Match"
            >> beam.ParDo(_ListFiles(self._exact_paths))
            .with_output_types(List[str], rejected=Rejected)
            .with_outputs(REJECTED, main="listings")
        )
        # the shuffle spreads the listings over the workers
        spread = listed.listings | "SpreadListings" >> beam.Reshuffle()
        paths = spread | "Paths" >> beam.FlatMap(lambda listing: listing).with_output_types(str)
        read = paths | "Read" >> (
            beam.ParDo(_ReadFile(self._max_bytes))
            .with_output_types(RawDocument, rejected=Rejected)
            .with_outputs(REJECTED, main="documents")
        )
        rejected_all = (listed[REJECTED], read[REJECTED]) | "AllRejected" >> beam.Flatten().with_output_types(Rejected)
        return {"documents": read.documents, "rejected": rejected_all}

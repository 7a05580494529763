"""The input entries a listing leaves out, as dead letters, so none goes missing unseen.

Beam's local file listing (``FileSystems.match``) walks directories without following
symlinks and silently drops every entry it cannot stat: a dangling symlink, a symlink
loop, a file removed while listing, a directory it cannot list; a symlink to a directory
is not entered. And a file name that is not UTF-8 cannot cross a Beam coder at all. ``skipped_entries`` finds the
first kind below a local pattern, ``undecodable_name``/``printable_path`` the second;
``ReportSkipped`` (in ``ReadNewsFeeds``) turns them into ``Rejected`` records, stage
"read", counted with the other read rejections.
"""

from __future__ import annotations

import errno
import os
import re
from typing import Iterator, List, Optional, Set, Tuple

import apache_beam as beam
from apache_beam.io.filesystem import FileSystem
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from transforms.records import Rejected, rejected

STAGE = "read"


_GLOB_CHARS = re.compile(r"[*?\[]")


def undecodable_name(path: str) -> bool:
    """True for a path holding a lone surrogate: a local name that is not UTF-8."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def printable_path(path: str) -> str:
    """The path with undecodable bytes written as \\xNN, as ``ls -b`` would."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def _skip_reason(path: str, is_dir_entry: bool) -> Optional[str]:
    """Why the listing left this entry out, or None if it lists it."""
    if is_dir_entry:  # os.walk lists a symlink to a directory there, and does not enter it
        return (
            "symlink to a directory: not followed (give the directory itself as --input)"
            if os.path.islink(path)
            else None
        )
    try:
        os.stat(path)
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symlink loop: not read"
        if error.errno == errno.ENOENT:
            return "dangling symlink: not read" if os.path.islink(path) else "file vanished while listing"
        return f"cannot be listed ({type(error).__name__}: {error.strerror})"


def _walk_root_and_regex(pattern: str) -> Optional[Tuple[str, Optional[re.Pattern]]]:
    """The directory to walk for a local pattern and the regex its paths must match (as
    ``sources.match_files`` and Beam's ``match`` read the pattern); None when the pattern
    names no local directory."""
    if FileSystems.get_scheme(pattern) is not None:
        return None  # object stores have no symlinks
    if not _GLOB_CHARS.search(pattern):
        root = pattern.rstrip("/\\") or "/"
        return (root, None) if os.path.isdir(root) else None
    prefix = re.match(r"^[^[*?]*", pattern).group(0)  # type: ignore[union-attr]
    root = os.path.dirname(prefix) or "."
    return (root, re.compile(FileSystem.translate_pattern(pattern))) if os.path.isdir(root) else None


def _walk(root: str) -> Iterator[Tuple[str, bool, Optional[OSError]]]:
    """(path, is a directory entry as os.walk sees it, error) for every entry below root,
    depth first without recursion (os.walk recurses once per level in Python 3.11); a
    directory that cannot be listed comes with its error."""
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                found = sorted((entry.name, _is_dir(entry)) for entry in entries)
        except OSError as error:
            if directory != root:
                yield directory, True, error
            continue
        for name, is_dir in found:
            path = os.path.join(directory, name)
            yield path, is_dir, None
            if is_dir and not os.path.islink(path):
                stack.append(path)


def _is_dir(entry) -> bool:
    try:
        return entry.is_dir()  # follows symlinks, as os.walk does; a loop raises
    except OSError:
        return False


def skipped_entries(pattern: str) -> Iterator[Tuple[str, str]]:
    """(path, reason) for every entry under a local pattern that the listing leaves out."""
    found = _walk_root_and_regex(pattern)
    if found is None:
        return
    root, regex = found
    for path, is_dir_entry, error in _walk(root):
        if regex is not None and not regex.match(path):
            continue
        reason: Optional[str] = _skip_reason(path, is_dir_entry)
        if error is not None:
            reason = f"directory cannot be listed ({type(error).__name__}: {error.strerror}): its files not read"
        if reason:
            yield path, reason


class _ReportSkipped(beam.DoFn):
    """All patterns at once → one Rejected per entry the listing left out (each once)."""

    def __init__(self) -> None:
        self._rejected = Metrics.counter(STAGE, "rejected")
        self._skipped = Metrics.counter(STAGE, "skipped_entries")

    def process(self, patterns: List[str]) -> Iterator[Rejected]:
        seen: Set[str] = set()
        for pattern in patterns:
            for path, reason in skipped_entries(pattern):
                if path not in seen:
                    seen.add(path)
                    self._rejected.inc()
                    self._skipped.inc()
                    yield rejected(printable_path(path), STAGE, reason)


class ReportSkipped(beam.PTransform):
    """The list of all input patterns → a Rejected per input entry the listing skips."""

    def expand(self, all_patterns):
        return all_patterns | "Walk" >> beam.ParDo(_ReportSkipped()).with_output_types(Rejected)

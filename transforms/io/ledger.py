"""The run ledger of a dated output: one manifest per run date under ``OUTPUT/_runs/``.

``OUTPUT/_runs/YYYY-MM-DD.json`` says what the run of that date read, how, with which
code, what it published and whether its books balanced. The ledger is the set of these
manifests; nothing else is kept, so there is no second file to keep in step.

A manifest goes through three states, each written whole (temporary name, rename):

- ``started``: written by the launcher before the pipeline runs. It claims the run's
  inputs, so an incremental run of another date started meanwhile skips them, and a
  retry of a failed run reads exactly the same inputs.
- ``published``: written by the pipeline's last step once the partition is in place
  (``partitions.PublishPartition``): every published file with its size and digest.
- ``complete``: the launcher adds the counters and the reconciliation when it waited
  for the job (a Flex Template launch does not wait; its manifest stays ``published``).

Incremental runs (``plan_inputs``): a file that any run date of this output already
read is skipped, by path; a rerun of a date reads the inputs of its first run again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import pathlib
import re
import subprocess
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence

from apache_beam.io.filesystems import FileSystems

from transforms.io.sinks import publish
from transforms.io.sources import match_files

RUNS_DIR = "_runs"


STARTED, PUBLISHED, COMPLETE = "started", "published", "complete"


RUN_DATE_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


_MANIFEST_NAME = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})\.json$")


class InputFile(NamedTuple):
    """One input file as the ledger records it."""

    path: str
    bytes: int
    mtime: float


class InputPlan(NamedTuple):
    """The files a run reads, and why the others were left out."""

    inputs: List[InputFile]
    skipped: Dict[str, str]  # path -> the run date that already read it
    changed: List[str]  # skipped paths whose size differs from what that run recorded
    rerun: bool  # the inputs are those of this date's first run


def parse_run_date(text: str) -> str:
    """``YYYY-MM-DD`` that is a real day (2020-02-30 is refused)."""
    if not re.fullmatch(RUN_DATE_PATTERN, text):
        raise ValueError(f"run date must be YYYY-MM-DD, got {text!r}")
    dt.date.fromisoformat(text)  # raises on a day the month does not have
    return text


def manifest_path(output: str, run_date: str) -> str:
    return FileSystems.join(output, RUNS_DIR, f"{run_date}.json")


def read_manifests(output: str) -> Dict[str, Dict[str, Any]]:
    """Every run manifest of this output, by run date."""
    pattern = FileSystems.join(output, RUNS_DIR, "*.json")
    manifests: Dict[str, Dict[str, Any]] = {}
    for metadata in FileSystems.match([pattern])[0].metadata_list:
        name = _MANIFEST_NAME.match(metadata.path.replace("\\", "/").rsplit("/", 1)[-1])
        if not name:
            continue
        with FileSystems.open(metadata.path) as handle:
            manifests[name.group(1)] = json.loads(handle.read().decode("utf-8"))
    return dict(sorted(manifests.items()))


def write_manifest(output: str, manifest: Dict[str, Any]) -> str:
    """Writes the manifest under its run date, whole or not at all."""
    path = manifest_path(output, manifest["run_date"])
    data = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    publish(path, lambda handle: handle.write(data))
    return path


def match_inputs(patterns: Sequence[str]) -> List[InputFile]:
    """The files the patterns match (directories recursively), each once, sorted."""
    found: Dict[str, InputFile] = {}
    for pattern in patterns:
        for metadata in match_files(pattern):
            found[metadata.path] = InputFile(
                metadata.path, int(metadata.size_in_bytes), round(float(metadata.last_updated_in_seconds), 3)
            )
    return [found[path] for path in sorted(found)]


def recorded_inputs(manifest: Dict[str, Any]) -> List[InputFile]:
    return [InputFile(i["path"], int(i["bytes"]), float(i["mtime"])) for i in manifest.get("inputs", [])]


def plan_inputs(
    run_date: str, matched: Iterable[InputFile], manifests: Dict[str, Dict[str, Any]], incremental: bool
) -> InputPlan:
    """Which files the run of ``run_date`` reads (see the module docstring).

    Not incremental: every matched file. Incremental, first run of the date: the
    matched files no other run date read. Incremental rerun: the inputs recorded by
    the date's first run, whatever the patterns match now.
    """
    matched = list(matched)
    if not incremental:
        return InputPlan(matched, {}, [], False)
    if run_date in manifests:
        return InputPlan(recorded_inputs(manifests[run_date]), {}, [], True)
    read_by: Dict[str, InputFile] = {}
    read_on: Dict[str, str] = {}
    for other, manifest in manifests.items():
        for recorded in recorded_inputs(manifest):
            read_by[recorded.path], read_on[recorded.path] = recorded, other
    inputs = [f for f in matched if f.path not in read_by]
    skipped = {f.path: read_on[f.path] for f in matched if f.path in read_by}
    changed = [f.path for f in matched if f.path in read_by and f.bytes != read_by[f.path].bytes]
    return InputPlan(inputs, skipped, changed, False)


def missing_inputs(inputs: Iterable[InputFile]) -> List[str]:
    """Recorded inputs that are gone or no longer the same size: a rerun cannot
    reproduce its first run without them."""
    missing = []
    for recorded in inputs:
        found = FileSystems.match([recorded.path])[0].metadata_list
        if not found or int(found[0].size_in_bytes) != recorded.bytes:
            missing.append(recorded.path)
    return missing


def earlier_partitions(
    run_date: str, manifests: Dict[str, Dict[str, Any]], lookback_days: int, kind: str = "events"
) -> List[Dict[str, Any]]:
    """Published partitions of the ``lookback_days`` run dates before ``run_date``, with
    their files of ``kind``: [{"run_date", "files"}], oldest first."""
    first = (dt.date.fromisoformat(run_date) - dt.timedelta(days=lookback_days)).isoformat()
    prefix = f"{kind}/"
    partitions = []
    for other, manifest in sorted(manifests.items()):
        if not first <= other < run_date or manifest.get("status") not in (PUBLISHED, COMPLETE):
            continue
        files = [f["path"] for f in manifest.get("published", {}).get("files", []) if f["path"].startswith(prefix)]
        if files:
            partitions.append({"run_date": other, "files": files})
    return partitions


_CODE_DIRS = ("pipelines", "transforms", "schemas")


def source_digest(root: Optional[pathlib.Path] = None) -> str:
    """blake2b of the job's own source and data files (what a worker runs), so two
    launches can tell whether they ran the same code, with or without git."""
    root = root or pathlib.Path(__file__).resolve().parents[2]
    digest = hashlib.blake2b(digest_size=16)
    for directory in _CODE_DIRS:
        for path in sorted((root / directory).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def code_version() -> Dict[str, Optional[str]]:
    """The package version, the git commit when run from a checkout (``+dirty`` with
    uncommitted changes) and the source digest."""
    root = pathlib.Path(__file__).resolve().parents[2]
    try:
        package: Optional[str] = importlib.metadata.version("newsfeed-beam")
    except importlib.metadata.PackageNotFoundError:
        package = None
    commit: Optional[str] = None
    if (root / ".git").exists():
        try:
            head = subprocess.run(
                ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
            ).stdout.strip()
            dirty = subprocess.run(
                ["git", "-C", str(root), "status", "--porcelain", "--", *_CODE_DIRS],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            commit = head + ("+dirty" if dirty else "")
        except (OSError, subprocess.CalledProcessError):
            commit = None
    return {"package": package, "git": commit, "source_digest": source_digest(root)}


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def started_manifest(
    run_date: str,
    run_id: str,
    plan: InputPlan,
    patterns: Sequence[str],
    options: Dict[str, Any],
    cross_run: Dict[str, Any],
    previous: Optional[Dict[str, Any]],
) -> Dict[str, Any]:
    """The manifest the launcher writes before the pipeline runs."""
    manifest: Dict[str, Any] = {
        "run_date": run_date,
        "status": STARTED,
        "run_id": run_id,
        "code_version": code_version(),
        "options": options,
        "patterns": list(patterns),
        "inputs": [i._asdict() for i in plan.inputs],
        "rerun": plan.rerun,
        "skipped_inputs": {
            "count": len(plan.skipped),
            "by_run_date": _count_by(plan.skipped.values()),
            "changed_since_read": plan.changed,
        },
        "cross_run": cross_run,
        "timings": {"started": now()},
    }
    if previous is not None:
        manifest["previous"] = {
            "run_id": previous.get("run_id"),
            "status": previous.get("status"),
            "code_version": previous.get("code_version"),
            "options": previous.get("options"),
            "published": previous.get("published", {}).get("at"),
        }
        manifest["previous_files"] = previous.get("published", {}).get("files", [])
    return manifest


def _count_by(values: Iterable[str]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def published_manifest(manifest: Dict[str, Any], files: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The manifest once the partition is in place: its files, and for a rerun whether
    they are byte-identical to the previous run's."""
    done = {key: value for key, value in manifest.items() if key != "previous_files"}
    done["status"] = PUBLISHED
    previous_files = manifest.get("previous_files")
    done["published"] = {
        "at": now(),
        "files": files,
        "identical_to_previous": None if not previous_files else _digests(previous_files) == _digests(files),
    }
    done["timings"] = dict(manifest.get("timings", {}), published=done["published"]["at"])
    return done


def _digests(files: Iterable[Dict[str, Any]]) -> Dict[str, str]:
    return {f["path"]: f["blake2b"] for f in files}


def completed_manifest(manifest: Dict[str, Any], summary: Dict[str, Any]) -> Dict[str, Any]:
    """The published manifest with the run's counters and reconciliation
    (``pipelines.summary.summary_document``)."""
    done = dict(manifest)
    done["status"] = COMPLETE
    done["runner"] = summary["runner"]
    done["counters"] = summary["counters"]
    done["reconciliation"] = summary["reconciliation"]
    done["timings"] = dict(manifest.get("timings", {}), finished=now(), seconds=summary["seconds"])
    return done


def check_manifest(manifest: Optional[Dict[str, Any]], run_date: str) -> List[str]:
    """What is wrong with a run date's manifest for a scheduler's check ([] = fine)."""
    if manifest is None:
        return [f"no manifest for {run_date}"]
    problems = []
    if manifest.get("status") != COMPLETE:
        problems.append(f"status is {manifest.get('status')!r}, not {COMPLETE!r}")
    books = manifest.get("reconciliation") or {}
    if not books.get("balanced"):
        problems.append(
            "reconciliation does not balance: in = out + rejected + duplicates: "
            f"{books.get('in')} = {books.get('out')} + {books.get('rejected')} + {books.get('duplicates')}"
        )
    return problems


def check_published_files(output: str, manifest: Dict[str, Any]) -> List[str]:
    """Published files that are gone or changed size since the run, and partitions
    without their ``_SUCCESS`` marker."""
    problems = []
    files = manifest.get("published", {}).get("files", [])
    for recorded in files:
        found = FileSystems.match([FileSystems.join(output, recorded["path"])])[0].metadata_list
        if not found:
            problems.append(f"missing {recorded['path']}")
        elif int(found[0].size_in_bytes) != recorded["bytes"]:
            problems.append(f"{recorded['path']} has {found[0].size_in_bytes} bytes, the run wrote {recorded['bytes']}")
    for directory in sorted({f["path"].rsplit("/", 1)[0] for f in files}):
        if not FileSystems.exists(FileSystems.join(output, directory, "_SUCCESS")):
            problems.append(f"no _SUCCESS in {directory}")
    return problems

"""The fuzz battery (tests/support/hostile.py) through the batch job on DirectRunner: every
case alone, then all of them in one job. Each run must finish, put every unit where the
case says (articles/, rejected/ with its reasons, duplicates/) and balance its books:
``in = out + rejected + duplicates``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, List

import pytest

from pipelines.batch import reconcile, run
from tests.support import hostile
from tests.support.setup_guard import in_ci, missing_setup
from transforms.io import sources

PROC_READABLE = Path("/proc/sys/vm/compact_memory").exists() and Path("/proc/self/mem").exists()


def written(out: Path) -> Dict[str, List[dict]]:
    """The records of each kind the job wrote (JSON Lines)."""
    records: Dict[str, List[dict]] = {}
    for kind in ("articles", "rejected", "duplicates"):
        records[kind] = [
            json.loads(line)
            for path in sorted((out / kind).glob("part-*"))
            for line in path.read_text("utf-8").splitlines()
        ]
    return records


def run_job(inputs: Path, out: Path, monkeypatch: pytest.MonkeyPatch, vanish: List[Path], *extra: str):
    """The batch job in this process; the files in ``vanish`` are removed right after listing."""
    real_match = sources.match_files

    def match_then_remove(pattern: str):
        files = real_match(pattern)
        for path in vanish:
            path.unlink(missing_ok=True)
        return files

    monkeypatch.setattr(sources, "match_files", match_then_remove)
    _, counters = run(
        ["--input", str(inputs), "--output", str(out), "--format", "jsonl", "--direct_running_mode=in_memory", *extra],
        save_main_session=False,
    )
    return counters


def counter(counters: Dict[str, Dict[str, int]], name: str) -> int:
    stage, _, metric = name.partition("/")
    return counters.get(stage, {}).get(metric, 0)


def assert_balanced(counters: Dict[str, Dict[str, int]]) -> Dict[str, int]:
    totals = reconcile(counters)
    assert totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"], totals
    return totals


def _skip_unless_possible(case: hostile.Case) -> None:
    if case.needs_proc and not PROC_READABLE:  # fails under CI (Linux has them), skips elsewhere
        missing_setup("needs /proc entries that cannot be read (Linux)")


@pytest.mark.parametrize("case", hostile.CASES, ids=lambda case: case.name)
def test_hostile_input_alone(case: hostile.Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _skip_unless_possible(case)
    inputs = hostile.build(case, tmp_path / "in")
    try:
        vanish = [inputs / case.vanish] if case.vanish else []
        counters = run_job(inputs, tmp_path / "out", monkeypatch, vanish, "--skip_entities")
    finally:
        hostile.unlock(inputs)
    records = written(tmp_path / "out")
    totals = assert_balanced(counters)
    landed = {kind: len(records[kind]) for kind in ("articles", "rejected", "duplicates")}
    assert landed == {"articles": case.articles, "rejected": case.rejected, "duplicates": case.duplicates}, records[
        "rejected"
    ]
    assert totals["in"] == case.articles + case.rejected + case.duplicates
    reasons = [r["reason"] for r in records["rejected"]]
    for expected in case.reasons:
        assert any(re.match(expected, reason) for reason in reasons), (expected, reasons)
    for name, value in case.counters.items():
        assert counter(counters, name) == value, name
    for record in records["rejected"]:
        assert record["stage"] in ("read", "cleanup") and record["origin"].startswith(str(inputs))
    if case.check:
        case.check(records)


def test_all_hostile_inputs_in_one_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case side by side in one input directory, through the whole job (entities and
    events too): nothing kills it, and every case's units are all accounted for."""
    if not PROC_READABLE and in_ci():
        missing_setup("needs /proc entries that cannot be read (Linux)")  # CI runs every case
    cases = [case for case in hostile.CASES if not case.needs_proc or PROC_READABLE]
    root = tmp_path / "in"
    directories = {case.name: hostile.build(case, root) for case in cases}
    try:
        vanish = [directories[case.name] / case.vanish for case in cases if case.vanish]
        counters = run_job(root, tmp_path / "out", monkeypatch, vanish)
    finally:
        hostile.unlock(root)
    records = written(tmp_path / "out")
    totals = assert_balanced(counters)
    assert totals["in"] == sum(case.articles + case.rejected + case.duplicates for case in cases)
    assert totals["out"] == len(records["articles"]) and totals["duplicates"] == len(records["duplicates"])
    for case in cases:
        prefix = f"{directories[case.name]}/"
        landed = {kind: sum(r["origin"].startswith(prefix) for r in records[kind]) for kind in records}
        # boilerplate learnt across cases may only move an article to rejected/, never lose it
        assert landed["articles"] + landed["rejected"] + landed["duplicates"] == (
            case.articles + case.rejected + case.duplicates
        ), (case.name, landed)
        if case.check:
            case.check({kind: [r for r in records[kind] if r["origin"].startswith(prefix)] for kind in records})

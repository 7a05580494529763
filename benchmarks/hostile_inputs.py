"""Reliability figures: every hostile input of the fuzz battery through the batch job.

    python -m benchmarks.hostile_inputs [--cases NAME …] [--skip_together] [--results FILE]

For each case of ``tests/support/hostile.py`` (built from a fixed seed, nothing
downloaded): builds its files, runs ``pipelines.batch`` on DirectRunner in this
process (``--skip_entities``, JSON Lines output), and records where its units landed
(articles/, rejected/ with each distinct reason, duplicates/), the reconciliation
``in = out + rejected + duplicates``, whether that matches what the case expects, and
the wall time. Then all cases side by side in one job, entities and events included.
Prints a Markdown table (the one in docs/reliability.md) and writes
benchmarks/results/hostile_inputs.json.

A file removed between listing and reading is simulated as the test does: the listing
function is wrapped to delete it right after it has been listed.
"""

from __future__ import annotations

import argparse
import json
import logging
import pathlib
import re
import shutil
import sys
import tempfile
import time
from typing import Dict, List

from pipelines.batch import reconcile, run
from tests.support import hostile
from transforms.io import sources

RESULTS = pathlib.Path(__file__).parent / "results" / "hostile_inputs.json"


def _written(out: pathlib.Path) -> Dict[str, List[dict]]:
    return {
        kind: [
            json.loads(line)
            for path in sorted((out / kind).glob("part-*"))
            for line in path.read_text("utf-8").splitlines()
        ]
        for kind in ("articles", "rejected", "duplicates")
    }


def _run(inputs: pathlib.Path, out: pathlib.Path, vanish: List[pathlib.Path], whole: bool) -> tuple:
    real_match = sources.match_files

    def match_then_remove(pattern: str):
        files = real_match(pattern)
        for path in vanish:
            path.unlink(missing_ok=True)
        return files

    sources.match_files = match_then_remove  # type: ignore[assignment]
    argv = ["--input", str(inputs), "--output", str(out), "--format", "jsonl", "--direct_running_mode=in_memory"]
    started = time.monotonic()
    try:
        _, counters = run(argv + ([] if whole else ["--skip_entities"]), save_main_session=False)
    finally:
        sources.match_files = real_match  # type: ignore[assignment]
    return counters, time.monotonic() - started


def _reason_kind(reason: str) -> str:
    """A reason without the parts that name one file (offsets, sizes, bytes)."""
    short = re.sub(r"\(b'.*?'\)|\d{2,}", "N", reason.split(";")[0])
    return short[:90]


def measure_case(case: hostile.Case, root: pathlib.Path) -> dict:
    inputs = hostile.build(case, root / "in")
    try:
        counters, seconds = _run(inputs, root / "out", [inputs / case.vanish] if case.vanish else [], whole=False)
    finally:
        hostile.unlock(inputs)
    records = _written(root / "out")
    totals = reconcile(counters)
    landed = {kind: len(records[kind]) for kind in records}
    return {
        "case": case.name,
        "totals": totals,
        "landed": landed,
        "balanced": totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"],
        "as_expected": landed == {"articles": case.articles, "rejected": case.rejected, "duplicates": case.duplicates},
        "reasons": sorted({_reason_kind(r["reason"]) for r in records["rejected"]}),
        "notes": {
            f"{stage}/{name}": value
            for stage, names in counters.items()
            for name, value in names.items()
            if value and (name.startswith("published_") or name in ("url_unparseable", "skipped_entries"))
        },
        "seconds": round(seconds, 1),
    }


def measure_together(cases: List[hostile.Case], root: pathlib.Path) -> dict:
    directories = {case.name: hostile.build(case, root / "in") for case in cases}
    vanish = [directories[c.name] / c.vanish for c in cases if c.vanish]
    try:
        counters, seconds = _run(root / "in", root / "out", vanish, whole=True)
    finally:
        hostile.unlock(root / "in")
    totals = reconcile(counters)
    records = _written(root / "out")
    expected_in = sum(c.articles + c.rejected + c.duplicates for c in cases)
    return {
        "case": "all together (whole job)",
        "totals": totals,
        "landed": {kind: len(records[kind]) for kind in records},
        "balanced": totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"],
        "in_as_expected": totals["in"] == expected_in,
        "expected_in": expected_in,
        "seconds": round(seconds, 1),
    }


def table(rows: List[dict]) -> str:
    lines = [
        "| case | in | articles | rejected | duplicates | books balance | as expected | s | rejection reasons, notes |",
        "|---|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for row in rows:
        t, landed = row["totals"], row["landed"]
        expected = row.get("as_expected", row.get("in_as_expected"))
        why = "; ".join(row.get("reasons", [])[:4] + [f"{k}={v}" for k, v in row.get("notes", {}).items()])
        lines.append(
            f"| {row['case']} | {t['in']} | {landed['articles']} | {landed['rejected']} | {landed['duplicates']} | "
            f"{'yes' if row['balanced'] else 'NO'} | {'yes' if expected else 'NO'} | {row['seconds']} | {why} |"
        )
    return "\n".join(lines)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="*", help="only these cases (default: all)")
    parser.add_argument("--skip_together", action="store_true", help="no run of all cases in one job")
    parser.add_argument("--results", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.ERROR)
    cases = [c for c in hostile.CASES if not args.cases or c.name in args.cases]
    rows = []
    for case in cases:
        root = pathlib.Path(tempfile.mkdtemp(prefix=f"hostile-{case.name}-"))
        try:
            rows.append(measure_case(case, root))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    if not args.skip_together:
        root = pathlib.Path(tempfile.mkdtemp(prefix="hostile-all-"))
        try:
            rows.append(measure_together(cases, root))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(table(rows))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if all(r["balanced"] and r.get("as_expected", r.get("in_as_expected")) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

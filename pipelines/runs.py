"""The run ledger of a dated output (``OUTPUT/_runs/``), for people and schedulers.

    python -m pipelines.runs OUT                   # one line per run date
    python -m pipelines.runs OUT --check 2020-09-16  # exit 1 unless that run is complete,
                                                   # balanced and its files all there
    python -m pipelines.runs OUT --show 2020-09-16   # the manifest, without its file list

``--check`` is the Airflow DAG's check task: it reads the manifest through Beam's
filesystems, so ``gs://`` outputs work from the job's own environment.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Optional

from transforms.io import ledger


def ledger_line(run_date: str, manifest: Dict[str, Any]) -> str:
    written = (manifest.get("counters") or {}).get("write", {})
    books = manifest.get("reconciliation") or {}
    identical = (manifest.get("published") or {}).get("identical_to_previous")
    balanced = "-" if not books else ("OK" if books.get("balanced") else "MISMATCH")
    return (
        f"{run_date}  {manifest.get('status', '?'):<9}  {len(manifest.get('inputs', [])):>6}  "
        f"{written.get('articles', '-')!s:>8}  {written.get('events', '-')!s:>6}  {written.get('repeats', '-')!s:>7}  "
        f"{balanced:<8}  {'-' if identical is None else ('yes' if identical else 'NO')}"
    )


def ledger_table(manifests: Dict[str, Dict[str, Any]]) -> str:
    lines = ["run_date    status     inputs  articles  events  repeats  books     rerun identical"]
    lines += [ledger_line(run_date, manifest) for run_date, manifest in manifests.items()]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", help="the job's --output (local path or gs://…)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", metavar="RUN_DATE", help="exit 1 unless this run is complete and balanced")
    group.add_argument("--show", metavar="RUN_DATE", help="print this run's manifest (without the file list)")
    args = parser.parse_args(argv)
    manifests = ledger.read_manifests(args.output)
    if args.check:
        manifest = manifests.get(args.check)
        problems = ledger.check_manifest(manifest, args.check)
        if manifest is not None:
            problems += ledger.check_published_files(args.output, manifest)
        if problems:
            print(f"run {args.check} of {args.output}: NOT OK", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        assert manifest is not None
        books = manifest["reconciliation"]
        print(
            f"run {args.check}: complete, {len(manifest['published']['files'])} files present, "
            f"in = out + rejected + duplicates: {books['in']} = {books['out']} + {books['rejected']} + "
            f"{books['duplicates']}  OK"
        )
        return 0
    if args.show:
        if args.show not in manifests:
            print(f"no manifest for {args.show} under {args.output}", file=sys.stderr)
            return 1
        shown = dict(manifests[args.show])
        published = dict(shown.get("published") or {})
        if "files" in published:
            published["files"] = f"{len(published['files'])} files (see {ledger.manifest_path(args.output, args.show)})"
        shown["published"] = published
        print(json.dumps(shown, indent=2, ensure_ascii=False))
        return 0
    print(ledger_table(manifests))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The launcher's side of a dated run (``--run_date``, ``--incremental``): choose the
inputs from the ledger before the pipeline runs, complete the manifest after.

The pipeline itself writes into a staging directory and publishes the partition as its
last step (``transforms.io.partitions``); see ``transforms.io.ledger`` for the manifest.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from transforms.io import ledger, partitions

AGGREGATES_CSV = "aggregates_csv"  # aggregates.csv of a dated run: <output>/aggregates_csv/dt=…/aggregates.csv


class DatedRun(NamedTuple):
    """What the pipeline of a dated run needs from its launcher."""

    run_date: str
    staging: str
    inputs: List[str]  # the files to read, exactly (no pattern matching)
    earlier_event_files: List[Tuple[str, str]]  # (run date, path) of earlier partitions' events/ files
    manifest: Dict[str, Any]  # the ``started`` manifest, completed by the publish step


# the job's own options that change what a run writes (recorded in the manifest)
RECORDED_OPTIONS = (
    "format",
    "num_shards",
    "boilerplate_min_articles",
    "event_window_days",
    "include_background",
    "skip_entities",
    "incremental",
    "event_lookback_days",
)


RUN_DATE_FIELD = "{run_date}"


def expand_patterns(patterns: List[str], run_date: str) -> List[str]:
    """``{run_date}`` in an input pattern stands for the run date: inputs kept in one
    folder per day (``feeds/{run_date}/``) give each date its own files, which is what
    a backfill of past dates needs (a flat folder gives the first date every file)."""
    return [pattern.replace(RUN_DATE_FIELD, run_date) for pattern in patterns]


def recorded_options(options: Any, runner: str) -> Dict[str, Any]:
    recorded = {name: getattr(options, name) for name in RECORDED_OPTIONS}
    recorded["runner"] = runner
    return recorded


def cross_run_plan(
    run_date: str,
    manifests: Dict[str, Dict[str, Any]],
    previous: Optional[Dict[str, Any]],
    options: Any,
) -> Dict[str, Any]:
    """Which earlier partitions' events this run de-duplicates against. A rerun of an
    incremental date compares with the partitions its first run compared with, so
    it writes the same files even when an earlier date was backfilled since."""
    if options.skip_entities:
        return {"events": "not de-duplicated across run dates: --skip_entities writes no events", "partitions": []}
    if options.event_lookback_days == 0:
        return {"events": "not de-duplicated across run dates: --event_lookback_days 0", "partitions": []}
    if previous is not None and options.incremental and "partitions" in previous.get("cross_run", {}):
        earlier = previous["cross_run"]["partitions"]
    else:
        earlier = ledger.earlier_partitions(run_date, manifests, options.event_lookback_days)
    return {
        "events": (
            "de-duplicated against the events/ partitions below: an event that one of them holds "
            "(same rule as within a run: same type, at most a day apart, same place, compatible target) "
            "goes to repeats/ with that event's id and is not counted again"
        ),
        "lookback_days": options.event_lookback_days,
        "partitions": earlier,
    }


def plan_dated_run(options: Any, patterns: List[str], runner: str) -> DatedRun:
    """Reads the ledger, picks the inputs, writes the ``started`` manifest."""
    output, run_date = options.output, options.run_date
    manifests = ledger.read_manifests(output)
    previous = manifests.get(run_date)
    matched = ledger.match_inputs(patterns) if not (options.incremental and previous) else []
    plan = ledger.plan_inputs(run_date, matched, manifests, options.incremental)
    if plan.rerun:
        missing = ledger.missing_inputs(plan.inputs)
        if missing:
            raise SystemExit(
                f"cannot rerun {run_date}: {len(missing)} input(s) of its first run are gone or changed, "
                f"e.g. {missing[0]} (see {ledger.manifest_path(output, run_date)})"
            )
    cross_run = cross_run_plan(run_date, manifests, previous, options)
    run_id = uuid.uuid4().hex[:12]
    partitions.remove_staging(output, run_date)  # what crashed attempts at this date left
    manifest = ledger.started_manifest(
        run_date, run_id, plan, patterns, recorded_options(options, runner), cross_run, previous
    )
    ledger.write_manifest(output, manifest)
    earlier_files = [
        (p["run_date"], f"{output.rstrip('/')}/{path}") for p in cross_run["partitions"] for path in p["files"]
    ]
    return DatedRun(
        run_date=run_date,
        staging=partitions.staging_path(output, run_date, run_id),
        inputs=[i.path for i in plan.inputs],
        earlier_event_files=earlier_files,
        manifest=manifest,
    )


def describe_plan(dated: DatedRun) -> str:
    manifest = dated.manifest
    skipped = manifest["skipped_inputs"]
    lines = [
        f"run date {dated.run_date}: {len(dated.inputs)} input file(s)"
        + (" (the inputs of its first run)" if manifest["rerun"] else "")
        + (f", {skipped['count']} skipped (read by {', '.join(skipped['by_run_date'])})" if skipped["count"] else "")
    ]
    if skipped["changed_since_read"]:
        lines.append(
            f"warning: {len(skipped['changed_since_read'])} skipped file(s) changed size since an earlier run read "
            f"them, e.g. {skipped['changed_since_read'][0]}"
        )
    previous_options = (manifest.get("previous") or {}).get("options")
    if previous_options and previous_options != manifest["options"]:
        changed = sorted(k for k in manifest["options"] if previous_options.get(k) != manifest["options"][k])
        lines.append(f"warning: options differ from the previous run of this date: {', '.join(changed)}")
    return "\n".join(lines)


def finish_dated_run(output: str, run_date: str, summary: Dict[str, Any]) -> Dict[str, Any]:
    """Adds the counters and the reconciliation to the manifest the pipeline published."""
    published = ledger.read_manifests(output).get(run_date)
    if published is None or published.get("status") != ledger.PUBLISHED:
        raise RuntimeError(f"the pipeline ended but {ledger.manifest_path(output, run_date)} was not published")
    done = ledger.completed_manifest(published, summary)
    ledger.write_manifest(output, done)
    return done


def describe_published(output: str, manifest: Dict[str, Any]) -> str:
    published = manifest["published"]
    kinds = sorted({f["path"].split("/", 1)[0] for f in published["files"]})
    identical = published.get("identical_to_previous")
    return (
        f"published dt={manifest['run_date']}: {len(published['files'])} files in {len(kinds)} record kinds; "
        f"manifest {ledger.manifest_path(output, manifest['run_date'])}"
        + ("" if identical is None else f"; identical to the previous run: {'yes' if identical else 'NO'}")
    )

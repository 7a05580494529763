"""``--summary_json FILE``: a run's counters and reconciliation as JSON, for schedulers,
dashboards and ``pipelines.report``.

    {"job": "batch", "seconds": 12.3, "runner": "DirectRunner",
     "reconciliation": {"in": 16, "out": 14, "rejected": 1, "duplicates": 1, "annotation_failures": 0, "balanced": true},
     "counters": {"read": {"documents": 6, …}, …}}
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

Counters = Dict[str, Dict[str, int]]


class SummaryOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--summary_json",
            help="write the run's counters and reconciliation to this JSON file (local path or gs://…)",
        )


def summary_document(
    job: str, counters: Counters, reconciliation: Dict[str, int], seconds: float, runner: str
) -> Dict[str, Any]:
    books = dict(reconciliation)
    books["balanced"] = books.get("in", 0) == books.get("out", 0) + books.get("rejected", 0) + books.get(
        "duplicates", 0
    )
    return {
        "job": job,
        "runner": runner,
        "seconds": round(seconds, 1),
        "reconciliation": books,
        "counters": {stage: dict(sorted(names.items())) for stage, names in sorted(counters.items())},
    }


def write_summary_json(
    options: PipelineOptions, job: str, counters: Counters, reconciliation: Dict[str, int], seconds: float
) -> None:
    """Writes the summary when --summary_json was given."""
    path = options.view_as(SummaryOptions).summary_json
    if not path:
        return
    runner = options.view_as(StandardOptions).runner
    name = runner if isinstance(runner, str) else type(runner).__name__ if runner else "DirectRunner"
    document = summary_document(job, counters, reconciliation, seconds, name)
    with FileSystems.create(path) as handle:
        handle.write((json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

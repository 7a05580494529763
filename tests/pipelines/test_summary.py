"""pipelines.summary: --summary_json, and the batch job writing it."""

import json
from pathlib import Path

from apache_beam.options.pipeline_options import PipelineOptions

from pipelines import batch
from pipelines.summary import summary_document, write_summary_json

ROOT = Path(__file__).parents[2]


def test_summary_document_balances_the_books():
    counters = {"write": {"articles": 3}, "read": {"rejected": 1, "documents": 4}}
    books = {"in": 5, "out": 3, "rejected": 1, "duplicates": 1, "annotation_failures": 0}
    document = summary_document("batch", counters, books, 12.34, "DirectRunner")
    assert document == {
        "job": "batch",
        "runner": "DirectRunner",
        "seconds": 12.3,
        "reconciliation": dict(books, balanced=True),
        "counters": {"read": {"documents": 4, "rejected": 1}, "write": {"articles": 3}},
    }
    assert not summary_document("batch", {}, dict(books, out=2), 1.0, "x")["reconciliation"]["balanced"]


def test_no_file_without_the_flag(tmp_path):
    write_summary_json(PipelineOptions([]), "batch", {}, {}, 1.0)
    path = tmp_path / "deep" / "summary.json"
    write_summary_json(PipelineOptions(["--summary_json", str(path)]), "stream", {}, {"in": 0}, 1.0)
    assert json.loads(path.read_text())["job"] == "stream"


def test_batch_job_writes_its_counters_and_reconciliation(tmp_path):
    path = tmp_path / "summary.json"
    _, counters = batch.run(
        ["--input", str(ROOT / "sample/html/*.htm*"), "--output", str(tmp_path / "out"), "--skip_entities"]
        + ["--summary_json", str(path), "--quiet"],
        save_main_session=False,
    )
    summary = json.loads(path.read_text(encoding="utf-8"))
    assert summary["reconciliation"] == {
        "in": 3,
        "out": 3,
        "rejected": 0,
        "duplicates": 0,
        "annotation_failures": 0,
        "balanced": True,
    }
    assert summary["counters"]["read"] == {"documents": 3, "files": 3}
    assert summary["counters"] == {stage: dict(sorted(v.items())) for stage, v in sorted(counters.items())}

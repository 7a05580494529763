"""pipelines.runs: the ledger table and the scheduler's check."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.runs import main
from transforms.io import ledger


def complete(run_date: str, balanced: bool = True) -> dict:
    return {
        "run_date": run_date,
        "status": "complete",
        "inputs": [{"path": "/feeds/a.jsonl", "bytes": 3, "mtime": 1.0}],
        "published": {
            "files": [{"path": f"articles/dt={run_date}/part-0.parquet", "bytes": 4, "blake2b": "x"}],
            "identical_to_previous": None,
        },
        "counters": {"write": {"articles": 2, "events": 1, "repeats": 0}},
        "reconciliation": {"in": 3, "out": 2, "rejected": 1 if balanced else 0, "duplicates": 0, "balanced": balanced},
    }


def publish(out: Path, manifest: dict) -> None:
    partition = out / "articles" / f"dt={manifest['run_date']}"
    partition.mkdir(parents=True)
    (partition / "part-0.parquet").write_bytes(b"1234")
    (partition / "_SUCCESS").write_bytes(b"")
    ledger.write_manifest(str(out), manifest)


def test_check_passes_a_complete_balanced_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    publish(tmp_path, complete("2020-09-15"))
    assert main([str(tmp_path), "--check", "2020-09-15"]) == 0
    assert "in = out + rejected + duplicates: 3 = 2 + 1 + 0  OK" in capsys.readouterr().out


def test_check_fails_an_unbalanced_or_missing_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    publish(tmp_path, complete("2020-09-15", balanced=False))
    assert main([str(tmp_path), "--check", "2020-09-15"]) == 1
    assert "reconciliation does not balance: in = out + rejected + duplicates: 3 = 2 + 0 + 0" in capsys.readouterr().err
    assert main([str(tmp_path), "--check", "2020-09-16"]) == 1
    assert "no manifest for 2020-09-16" in capsys.readouterr().err


def test_check_fails_when_a_published_file_is_gone(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    publish(tmp_path, complete("2020-09-15"))
    (tmp_path / "articles" / "dt=2020-09-15" / "part-0.parquet").unlink()
    assert main([str(tmp_path), "--check", "2020-09-15"]) == 1
    assert "missing articles/dt=2020-09-15/part-0.parquet" in capsys.readouterr().err


def test_the_table_and_show(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    publish(tmp_path, complete("2020-09-15"))
    ledger.write_manifest(str(tmp_path), {"run_date": "2020-09-16", "status": "started", "inputs": []})
    assert main([str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["2020-09-15", "complete", "1", "2", "1", "0", "OK", "-"]
    assert lines[2].split() == ["2020-09-16", "started", "0", "-", "-", "-", "-", "-"]
    assert main([str(tmp_path), "--show", "2020-09-15"]) == 0
    assert '"files": "1 files' in capsys.readouterr().out

"""Parity: the batch job over the bundled sample gives the same records on DirectRunner,
Flink embedded (job server's mini-cluster) and a local Flink session cluster.

Needs the jars and the Flink distribution that `make flink-setup` (deploy/flink/fetch.sh)
caches; without them the test is skipped with that hint, except under CI (CI=true),
where a missing setup is a failure. Each run is a subprocess, as a user would start it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

from tests.support.setup_guard import missing_setup

ROOT = Path(__file__).resolve().parents[2]
FLINK_DIR = ROOT / "deploy" / "flink"
SAMPLE_INPUTS = ["sample/seed/*.txt", "sample/html/*.htm*", "sample/feeds/*.jsonl"]
RECORD_DIRS = ("articles", "sentences", "mentions", "entities", "events", "aggregates", "duplicates", "rejected")
RUN_TIMEOUT = 600

pytestmark = [pytest.mark.flink, pytest.mark.slow]


def flink_env() -> Dict[str, str]:
    """Paths from deploy/flink/env.sh (the one place that names versions and the cache)."""
    out = subprocess.run(
        ["bash", "-c", f"source {FLINK_DIR / 'env.sh'} && env -0"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    return {
        key: env[key] for key in ("FLINK_JOB_SERVER_JAR", "FLINK_JOB_SERVER_DIR", "FLINK_HOME_DIR", "FLINK_RUN_ROOT")
    }


def require_setup() -> Dict[str, str]:
    paths = flink_env()
    missing = [
        path
        for path in (
            Path(paths["FLINK_JOB_SERVER_DIR"]) / ".complete",
            Path(paths["FLINK_JOB_SERVER_JAR"]),
            Path(paths["FLINK_HOME_DIR"]) / ".complete",
        )
        if not path.exists()
    ]
    if shutil.which("java") is None:
        missing.append(Path("java (a JDK 17 on PATH)"))
    if missing:
        reason = "Flink runner not set up (run `make flink-setup`, i.e. deploy/flink/fetch.sh); missing: " + ", ".join(
            str(p) for p in missing
        )
        missing_setup(reason)
    return paths


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_batch(output: Path, extra: List[str]) -> float:
    """Runs `python -m pipelines.batch` on the sample; returns wall seconds."""
    args = [sys.executable, "-m", "pipelines.batch"]
    for pattern in SAMPLE_INPUTS:
        args += ["--input", pattern]
    args += ["--output", str(output), "--format", "jsonl"] + extra
    started = time.monotonic()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    seconds = time.monotonic() - started
    assert proc.returncode == 0, (
        f"{' '.join(extra) or 'DirectRunner'} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    )
    assert "in = out + rejected + duplicates" in proc.stdout and "OK" in proc.stdout, proc.stdout
    return seconds


def sorted_records(output: Path) -> Dict[str, List[str]]:
    """Every record kind as sorted canonical JSON lines, plus aggregates.csv's sorted rows."""
    kinds: Dict[str, List[str]] = {}
    for kind in RECORD_DIRS:
        lines = []
        for part in sorted((output / kind).glob("part-*")):
            with part.open(encoding="utf-8") as handle:
                lines += [json.dumps(json.loads(line), sort_keys=True) for line in handle if line.strip()]
        kinds[kind] = sorted(lines)
    csv_rows = (output / "aggregates.csv").read_text(encoding="utf-8").splitlines()
    kinds["aggregates.csv"] = csv_rows[:1] + sorted(csv_rows[1:])
    return kinds


def assert_same(expected: Dict[str, List[str]], actual: Dict[str, List[str]], runner: str) -> None:
    for kind, records in expected.items():
        got = actual[kind]
        only_direct = sorted(set(records) - set(got))[:3]
        only_flink = sorted(set(got) - set(records))[:3]
        assert got == records, (
            f"{runner}: {kind} differs ({len(records)} on DirectRunner, {len(got)} here)\n"
            f"only on DirectRunner: {only_direct}\nonly on {runner}: {only_flink}"
        )


def test_batch_parity_direct_flink_embedded_flink_cluster(tmp_path: Path) -> None:
    paths = require_setup()
    flink_common = [
        "--runner=FlinkRunner",
        "--flink_version=1.19",
        f"--flink_job_server_jar={paths['FLINK_JOB_SERVER_JAR']}",
        "--parallelism=2",
    ]
    timings = {}

    timings["direct"] = run_batch(tmp_path / "direct", [])
    expected = sorted_records(tmp_path / "direct")
    assert expected["articles"], "the sample gave no articles on DirectRunner"

    timings["flink-embedded"] = run_batch(tmp_path / "embedded", flink_common + ["--flink_master=[local]"])
    assert_same(expected, sorted_records(tmp_path / "embedded"), "Flink embedded")

    rest_port, rpc_port = free_port(), free_port()
    start = subprocess.run(
        ["bash", str(FLINK_DIR / "start-cluster.sh"), "--rest-port", str(rest_port), "--rpc-port", str(rpc_port)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    run_dir = Path(paths["FLINK_RUN_ROOT"]) / f"cluster-{rest_port}"
    try:
        assert start.returncode == 0, f"cluster did not start:\n{start.stdout}\n{start.stderr}"
        timings["flink-cluster"] = run_batch(
            tmp_path / "cluster",
            flink_common + [f"--flink_master=localhost:{rest_port}", "--environment_type=LOOPBACK"],
        )
        assert_same(expected, sorted_records(tmp_path / "cluster"), "Flink session cluster")
    finally:
        subprocess.run(
            ["bash", str(FLINK_DIR / "stop-cluster.sh"), "--rest-port", str(rest_port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    shutil.rmtree(run_dir, ignore_errors=True)
    print("wall seconds:", {name: round(seconds, 1) for name, seconds in timings.items()})

"""The batch job on Beam's Prism runner gives the DirectRunner's records.

Prism is a Go binary built from the Go module proxy by scripts/build_prism.sh
(into .cache/bin/, or PRISM_LOCATION if set); the first run on a fresh machine
builds it (a few minutes on two cores). The Python SDK worker runs in this
process (PrismRunner's default LOOPBACK environment), so both runs use the same
code. Outputs are JSON Lines; records are compared as sorted lists per kind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from pipelines import batch
from pipelines.peek import read_records
from tests.support.setup_guard import missing_setup

pytestmark = [pytest.mark.prism, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_INPUTS = ["sample/seed/*.txt", "sample/html/*.htm*", "sample/feeds/*.jsonl"]


def prism_location() -> str:
    """The Prism binary: $PRISM_LOCATION, else built (once) by scripts/build_prism.sh."""
    explicit = os.environ.get("PRISM_LOCATION")
    if explicit:
        if not os.access(explicit, os.X_OK):
            pytest.fail(f"PRISM_LOCATION={explicit} is not an executable")
        return explicit
    if shutil.which("go") is None and not (ROOT / ".cache" / "bin" / "prism").exists():
        missing_setup("Prism is not built and go is not installed (scripts/build_prism.sh needs it)")
    built = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build_prism.sh")], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    if built.returncode != 0:
        pytest.fail(f"scripts/build_prism.sh failed ({built.returncode}):\n{built.stderr[-3000:]}")
    return built.stdout.strip().splitlines()[-1]


def prism_args(binary: str) -> List[str]:
    """Beam options for a PrismRunner run in a process that also runs DirectRunner pipelines.

    PrismRunner keeps one job server per process, made from the options of the first
    pipeline that asked for one, and the DirectRunner asks first (it tries Prism before
    the FnApiRunner) without a --prism_location: every later PrismRunner run would then
    try to download Prism from GitHub and fail offline ("Unable to fetch remote prism
    binary"). disable_prism_server_singleton gives each run its own job server.
    """
    return ["--runner=PrismRunner", f"--prism_location={binary}", "--experiments=disable_prism_server_singleton"]


@pytest.fixture(scope="module")
def prism_binary() -> str:
    return prism_location()


def run_sample(output: Path, *beam_args: str) -> Dict[str, Dict[str, int]]:
    args = [arg for pattern in SAMPLE_INPUTS for arg in ("--input", str(ROOT / pattern))]
    _, counters = batch.run([*args, "--output", str(output), "--format", "jsonl", *beam_args], save_main_session=False)
    return counters


def records_by_kind(output: Path) -> Dict[str, List[str]]:
    """Every record kind as a sorted list of canonical JSON lines, plus the CSV's lines."""
    kinds: Dict[str, List[str]] = {}
    for kind in batch.RECORD_KINDS:
        directory = output / kind
        if directory.is_dir():
            kinds[kind] = sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in read_records(directory))
    csv = output / "aggregates.csv"
    if csv.exists():
        kinds["aggregates.csv"] = csv.read_text(encoding="utf-8").splitlines()
    return kinds


@pytest.fixture(scope="module")
def both_runs(prism_binary: str, tmp_path_factory: pytest.TempPathFactory):
    direct_out = tmp_path_factory.mktemp("direct")
    prism_out = tmp_path_factory.mktemp("prism")
    direct_counters = run_sample(direct_out, "--runner=DirectRunner")
    prism_counters = run_sample(prism_out, *prism_args(prism_binary))
    return (records_by_kind(direct_out), direct_counters), (records_by_kind(prism_out), prism_counters)


def test_prism_records_equal_direct_runner(both_runs):
    (direct, _), (prism, _) = both_runs
    assert direct["articles"], "the sample job wrote no article"
    assert sorted(prism) == sorted(direct)
    for kind in direct:
        assert prism[kind] == direct[kind], f"{kind}: Prism and DirectRunner records differ"


def test_prism_counters_reconcile(both_runs):
    """Prism returns the job's user counters (plus Beam's own "beam" namespace ones)."""
    (_, direct_counters), (_, prism_counters) = both_runs
    # the DirectRunner itself runs pipelines on Prism when it finds a binary; Prism adds
    # counters in a "beam" namespace (element counts, msecs) that the FnApiRunner does not
    assert "beam" not in direct_counters, "the DirectRunner side ran on Prism: nothing was compared"
    assert "beam" in prism_counters
    totals = batch.reconcile(prism_counters)
    assert totals["in"] > 0
    assert totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"]
    assert totals == batch.reconcile(direct_counters)
    for stage in ("read", "cleanup", "write"):
        assert prism_counters.get(stage) == direct_counters.get(stage), stage

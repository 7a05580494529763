"""Retried work gives the same files: the batch job with steps that fail their first attempt
(tests/support/faults.py: a shard writer dying mid-write, another dying right after
publishing its file, the segmentation stage dying mid-bundle) still writes every record,
byte for byte what a clean run writes; and the job writes nothing under --output but its
outputs (temporaries of them included, each renamed into place or removed).

DirectRunner: Beam's BundleBasedDirectRunner retries a failed bundle (up to 4 attempts);
the FnApiRunner does not retry at all. It runs the SDK harness in this process, so the
patched faults fire and the audit hook (tests/support/writes.py) sees every file it
writes. Flink: the embedded mini-cluster with the restart strategy of
deploy/flink/conf (fixed delay; Beam applies --number_of_execution_retries to streaming
jobs only) and the LOOPBACK harness in this process.
"""

import json
import re
from pathlib import Path
from typing import Dict, List

import pytest

from pipelines import batch
from tests.runners.test_flink import require_setup
from tests.support.faults import FAULTS, FirstAttempts, inject_batch_faults
from tests.support.writes import WriteRecorder

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_INPUTS = ["sample/seed/*.txt", "sample/html/*.htm*", "sample/feeds/*.jsonl"]

_TEMPORARY = re.compile(r"^(?:(?P<dir>[a-z]+)/)?\.(?P<name>[^/]+)\.[0-9a-f]{32}\.tmp$")

pytestmark = pytest.mark.slow


def run_sample(output: Path, *beam_args: str) -> Dict[str, Dict[str, int]]:
    args = [arg for pattern in SAMPLE_INPUTS for arg in ("--input", str(ROOT / pattern))]
    _, counters = batch.run([*args, "--output", str(output), "--format", "jsonl", *beam_args], save_main_session=False)
    return counters


def output_files(directory: Path) -> Dict[str, bytes]:
    """Every file under the directory (hidden ones too), by relative path."""
    return {str(path.relative_to(directory)): path.read_bytes() for path in directory.rglob("*") if path.is_file()}


def clean_run(tmp_path_factory: pytest.TempPathFactory, *extra: str) -> Dict[str, bytes]:
    """The files of a clean run on the default DirectRunner."""
    out = tmp_path_factory.mktemp("clean")
    run_sample(out, *extra)
    files = output_files(out)
    assert len([name for name in files if name.startswith("articles/")]) == 4
    return files


@pytest.fixture(scope="module")
def spine_reference(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, bytes]:
    """Cleanup to segmentation only (--skip_entities): the DirectRunner tests, kept short."""
    return clean_run(tmp_path_factory, "--skip_entities")


@pytest.fixture(scope="module")
def whole_reference(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, bytes]:
    return clean_run(tmp_path_factory)


def segment_victim(reference: Dict[str, bytes]) -> str:
    """An article of the seed dump (not the first): the segmentation stage fails on it."""
    origins = sorted(
        json.loads(line)["origin"]
        for name, data in reference.items()
        if name.startswith("articles/")
        for line in data.decode("utf-8").splitlines()
    )
    seed = [origin for origin in origins if "seed" in origin]
    return seed[len(seed) // 2]


def temporary_of(path: str) -> str:
    """The output a temporary name stands for ("" when the name is no temporary)."""
    match = _TEMPORARY.match(path)
    if not match:
        return ""
    return f"{match['dir']}/{match['name']}" if match["dir"] else match["name"]


def check_writes_only_outputs(recorder: WriteRecorder, outputs: List[str], expect_abandoned: bool) -> None:
    """Every file written under --output is a temporary of an output; every rename puts a
    temporary in place of its output; the only directories made are the record kinds'."""
    writes = [e.path for e in recorder.events if e.kind == "write"]
    renames = [(e.path, e.target) for e in recorder.events if e.kind == "rename"]
    made = {e.path for e in recorder.events if e.kind == "mkdir"}
    assert writes, "the recorder saw no write: the job did not write in this process"
    assert [path for path in writes if temporary_of(path) not in outputs] == []
    assert [(source, target) for source, target in renames if temporary_of(source) != target] == []
    assert sorted({target for _, target in renames}) == sorted(outputs)
    assert made <= {".", *batch.RECORD_KINDS}  # the output directory itself and one per record kind
    abandoned = set(writes) - {source for source, _ in renames}
    # the writer that died mid-write left a temporary, removed once every shard was in place
    assert bool(abandoned) == expect_abandoned
    removed = {e.path for e in recorder.events if e.kind == "remove"}
    assert abandoned <= removed


def check_retried_run(out: Path, attempts: FirstAttempts, reference: Dict[str, bytes]) -> None:
    assert attempts.fired() == sorted(FAULTS), "a fault never fired: nothing was retried"
    files = output_files(out)
    assert sorted(files) == sorted(reference)
    # nothing else under --output: no spill or listing directory, no leftover temporary
    assert {path.name for path in out.iterdir()} <= set(batch.RECORD_KINDS) | {"aggregates.csv"}
    different = [name for name in reference if files[name] != reference[name]]
    assert different == [], f"retried run wrote other bytes in {different}"


@pytest.mark.parametrize("spill_dir", ["auto", "none"])
def test_direct_runner_retries_failed_bundles_to_identical_files(
    spine_reference: Dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill_dir: str
) -> None:
    attempts = FirstAttempts(tmp_path / "attempts")
    inject_batch_faults(monkeypatch, attempts, segment_victim(spine_reference))
    out = tmp_path / "out"
    with WriteRecorder(str(out)) as recorder:
        run_sample(out, "--skip_entities", "--runner=BundleBasedDirectRunner", f"--spill_dir={spill_dir}")
    check_retried_run(out, attempts, spine_reference)
    check_writes_only_outputs(recorder, sorted(spine_reference), expect_abandoned=True)


@pytest.mark.flink
# the harness threads of the killed attempts end with gRPC errors: expected here
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_flink_retries_failed_tasks_to_identical_files_and_writes_only_outputs(
    whole_reference: Dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = require_setup()
    attempts = FirstAttempts(tmp_path / "attempts")
    inject_batch_faults(monkeypatch, attempts, segment_victim(whole_reference))
    out = tmp_path / "out"
    with WriteRecorder(str(out)) as recorder:
        counters = run_sample(
            out,
            "--runner=FlinkRunner",
            "--flink_version=1.19",
            f"--flink_job_server_jar={paths['FLINK_JOB_SERVER_JAR']}",
            "--flink_master=[local]",
            f"--flink_conf_dir={ROOT / 'deploy' / 'flink' / 'conf'}",
            "--parallelism=2",
        )
    check_retried_run(out, attempts, whole_reference)
    check_writes_only_outputs(recorder, sorted(whole_reference), expect_abandoned=True)
    totals = batch.reconcile(counters)
    assert totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"]

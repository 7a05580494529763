"""What the deploy tests need, built once by the project's own scripts into .cache/:
the Airflow environment (deploy/airflow/build-env.sh) and the Flink operator's CRD
schemas (deploy/flink/k8s/fetch-crds.sh). Both are idempotent; the first build of the
Airflow environment takes a few minutes, later sessions reuse it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _script_output(script: str) -> Path:
    done = subprocess.run(["bash", str(ROOT / script)], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        pytest.fail(f"{script} failed:\n{done.stderr[-4000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def airflow_venv() -> Path:
    return _script_output("deploy/airflow/build-env.sh")


@pytest.fixture(scope="session")
def flink_operator_crds() -> Path:
    return _script_output("deploy/flink/k8s/fetch-crds.sh")

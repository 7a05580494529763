"""The newsfeed_daily DAG in the project's own Airflow 3 environment (built once by
deploy/airflow/build-env.sh): it loads with no import error, and ``airflow dags test``
runs it for two consecutive dates over a growing input directory on the DirectRunner,
giving two partitions and two manifests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from transforms.io import ledger

pytestmark = [pytest.mark.deploy, pytest.mark.slow]

ROOT = Path(__file__).parents[2]
DAGS = ROOT / "deploy" / "airflow" / "dags"
SEED = ROOT / "tests" / "fixtures" / "seed" / "000_243c87bbee7a852f.txt"
DAY1, DAY2 = "2020-09-15", "2020-09-16"

DAGBAG = """
import json, pathlib, sys
from airflow.dag_processing.dagbag import BundleDagBag
folder = pathlib.Path(sys.argv[1])
# how Airflow 3 parses a DAG bundle: its folder on sys.path (newsfeed_commands.py beside the DAG)
bag = BundleDagBag(dag_folder=folder, bundle_path=folder)
dag = bag.dags.get("newsfeed_daily")
print(json.dumps({
    "import_errors": bag.import_errors,
    "dag_ids": sorted(bag.dag_ids),
    "catchup": dag.catchup,
    "max_active_runs": dag.max_active_runs,
    "timetable": type(dag.timetable).__name__,
    "summary": dag.timetable.summary,
    "tasks": {t.task_id: {"retries": t.retries, "depends_on_past": t.depends_on_past,
                          "downstream": sorted(t.downstream_task_ids)} for t in dag.tasks},
}))
"""


def airflow_env(home: Path, config: Dict) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "PYTHON"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW_VAR_NEWSFEED_RUNNER="DirectRunner",
        AIRFLOW_VAR_NEWSFEED_CONFIG=json.dumps(config),
    )
    return env


def airflow(venv: Path, env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(venv / "bin" / "airflow"), *args],
        env=env,
        cwd=env["AIRFLOW_HOME"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_dag_bag_loads_with_no_import_errors(airflow_venv: Path, tmp_path: Path) -> None:
    env = airflow_env(tmp_path, {"input": ["x"], "output": "y"})
    done = subprocess.run(
        [str(airflow_venv / "bin" / "python"), "-c", DAGBAG, str(DAGS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    bag = json.loads(done.stdout.strip().splitlines()[-1])
    assert bag["import_errors"] == {}
    assert bag["dag_ids"] == ["newsfeed_daily"]
    assert bag["catchup"] is True and bag["max_active_runs"] == 1
    assert bag["timetable"] == "CronDataIntervalTimetable" and bag["summary"] == "0 1 * * *"
    assert bag["tasks"] == {
        "run_batch": {"retries": 2, "depends_on_past": True, "downstream": ["check_run"]},
        "check_run": {"retries": 0, "depends_on_past": True, "downstream": []},
    }


def test_dags_test_runs_two_consecutive_dates_over_a_growing_directory(airflow_venv: Path, tmp_path: Path) -> None:
    feeds, out, home = tmp_path / "feeds", tmp_path / "out", tmp_path / "airflow"
    feeds.mkdir()
    home.mkdir()
    shutil.copy(SEED, feeds / "seed.txt")
    config = {
        "python": sys.executable,  # the project's environment runs the job; Airflow's never imports Beam
        "project_dir": str(ROOT),
        "input": [str(feeds)],
        "output": str(out),
        "format": "parquet",
        "extra_args": ["--skip_entities"],  # the pipeline's events are tested elsewhere; this is about scheduling
    }
    env = airflow_env(home, config)
    airflow(airflow_venv, env, "db", "migrate")
    first = airflow(airflow_venv, env, "dags", "test", "newsfeed_daily", DAY1)
    (feeds / "wire-2020-09-16.jsonl").write_text(
        json.dumps({"id": "w1", "url": "https://wire.example.org/w1", "text": "Une roquette a visé Bassora mercredi."})
        + "\n",
        encoding="utf-8",
    )
    second = airflow(airflow_venv, env, "dags", "test", "newsfeed_daily", DAY2)
    for done, day in ((first, DAY1), (second, DAY2)):
        logs = done.stdout + done.stderr
        assert f"run {day}: complete" in logs  # the check task ran and passed
        assert "state=success" in logs
    manifests = ledger.read_manifests(str(out))
    assert list(manifests) == [DAY1, DAY2]
    assert [Path(i["path"]).name for i in manifests[DAY1]["inputs"]] == ["seed.txt"]
    assert [Path(i["path"]).name for i in manifests[DAY2]["inputs"]] == ["wire-2020-09-16.jsonl"]
    for day, articles in ((DAY1, 10), (DAY2, 1)):
        manifest = manifests[day]
        assert manifest["status"] == "complete" and manifest["reconciliation"]["balanced"]
        assert manifest["counters"]["write"]["articles"] == articles
        assert (out / "articles" / f"dt={day}" / "_SUCCESS").exists()
    assert sorted(p.name for p in (out / "articles").iterdir()) == [f"dt={DAY1}", f"dt={DAY2}"]

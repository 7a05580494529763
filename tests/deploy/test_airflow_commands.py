"""The newsfeed_daily DAG's commands (deploy/airflow/dags/newsfeed_commands.py), without
Airflow: what each runner variable makes the tasks run."""

from __future__ import annotations

import importlib.util
import shlex
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.batch import BatchOptions

ROOT = Path(__file__).parents[2]
_spec = importlib.util.spec_from_file_location(
    "newsfeed_commands", ROOT / "deploy" / "airflow" / "dags" / "newsfeed_commands.py"
)
assert _spec and _spec.loader
commands = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(commands)

CONFIG = {
    "python": "/srv/newsfeed/.venv/bin/python",
    "project_dir": "/srv/newsfeed",
    "input": ["/data/feeds/"],
    "output": "/data/newsfeed",
    "runner_options": {
        "FlinkRunner": {"flink_master": "newsfeed-flink-rest:8081", "flink_submit_uber_jar": True},
        "DataflowRunner": {"project": "p", "region": "europe-west1", "temp_location": "gs://b/tmp"},
    },
}


def test_direct_runner_command_is_an_incremental_dated_run() -> None:
    command = commands.batch_command(CONFIG, "DirectRunner", "2020-09-16")
    assert command == [
        "/srv/newsfeed/.venv/bin/python",
        "-m",
        "pipelines.batch",
        "--input=/data/feeds/",
        "--output=/data/newsfeed",
        "--format=parquet",
        "--num_shards=4",
        "--run_date=2020-09-16",
        "--incremental",
        "--runner=DirectRunner",
    ]
    # the job parses every flag the DAG gives it
    options = PipelineOptions(command[3:]).view_as(BatchOptions)
    assert (options.run_date, options.incremental, options.format, options.input) == (
        "2020-09-16",
        True,
        "parquet",
        ["/data/feeds/"],
    )


def test_flink_and_dataflow_take_their_options_with_defaults() -> None:
    flink = commands.batch_command(CONFIG, "FlinkRunner", "2020-09-16")
    assert flink[-6:] == [
        "--runner=FlinkRunner",
        "--flink_master=newsfeed-flink-rest:8081",
        "--flink_version=1.19",
        "--environment_type=LOOPBACK",
        "--parallelism=2",
        "--flink_submit_uber_jar",
    ]
    dataflow = commands.batch_command(CONFIG, "DataflowRunner", "2020-09-16")
    assert dataflow[-5:] == [
        "--runner=DataflowRunner",
        "--setup_file=./setup.py",
        "--project=p",
        "--region=europe-west1",
        "--temp_location=gs://b/tmp",
    ]


def test_missing_settings_are_said() -> None:
    with pytest.raises(ValueError, match="DataflowRunner needs newsfeed_config.runner_options.DataflowRunner: project"):
        commands.batch_command({"input": ["x"], "output": "o"}, "DataflowRunner", "2020-09-16")
    with pytest.raises(ValueError, match="newsfeed_runner must be one of"):
        commands.batch_command(CONFIG, "SparkRunner", "2020-09-16")
    with pytest.raises(ValueError, match="input"):
        commands.batch_command({"output": "o"}, "DirectRunner", "2020-09-16")


def test_the_check_and_the_shell_line() -> None:
    check = commands.check_command(CONFIG, "2020-09-16")
    assert check[1:] == ["-m", "pipelines.runs", "/data/newsfeed", "--check", "2020-09-16"]
    line = commands.shell(
        commands.batch_command({**CONFIG, "input": ["/data/my feeds/*.jsonl"]}, "DirectRunner", "d"), CONFIG
    )
    assert line.startswith("cd /srv/newsfeed && exec /srv/newsfeed/.venv/bin/python -m pipelines.batch")
    assert shlex.split(line)[7] == "--input=/data/my feeds/*.jsonl"  # quoted: no word splitting, no globbing

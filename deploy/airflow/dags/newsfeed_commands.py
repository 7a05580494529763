"""The shell commands of the newsfeed_daily DAG, built from its two Variables.

Kept apart from the DAG file and free of Airflow imports, so the project's own tests
check them without an Airflow environment (tests/deploy/test_airflow_commands.py).

``newsfeed_runner``: DirectRunner, FlinkRunner or DataflowRunner.
``newsfeed_config`` (JSON), for example::

    {"python": "/srv/newsfeed/.venv/bin/python", "project_dir": "/srv/newsfeed",
     "input": ["/data/feeds/"], "output": "/data/newsfeed", "format": "parquet",
     "runner_options": {"FlinkRunner": {"flink_master": "flink-rest:8081"}}}

Runner options not given take the defaults below; DataflowRunner needs ``project``,
``region`` and ``temp_location``.
"""

from __future__ import annotations

import shlex
from typing import Any, Dict, List, Mapping

RUNNERS = ("DirectRunner", "FlinkRunner", "DataflowRunner")

DEFAULT_RUNNER_OPTIONS: Dict[str, Dict[str, Any]] = {
    "DirectRunner": {},
    # the session cluster of deploy/flink (make flink-cluster-start), SDK harness in the launching process
    "FlinkRunner": {
        "flink_master": "localhost:8081",
        "flink_version": "1.19",
        "environment_type": "LOOPBACK",
        "parallelism": 2,
    },
    "DataflowRunner": {"setup_file": "./setup.py"},
}

REQUIRED_RUNNER_OPTIONS = {"DataflowRunner": ("project", "region", "temp_location")}


def runner_flags(runner: str, options: Mapping[str, Any]) -> List[str]:
    """``--name=value`` per option; ``true`` gives a bare ``--name``, ``false``/None nothing."""
    flags = []
    for name, value in options.items():
        if value is True:
            flags.append(f"--{name}")
        elif value is not False and value is not None:
            flags.append(f"--{name}={value}")
    return flags


def runner_options(config: Mapping[str, Any], runner: str) -> Dict[str, Any]:
    if runner not in RUNNERS:
        raise ValueError(f"newsfeed_runner must be one of {', '.join(RUNNERS)}, got {runner!r}")
    options = dict(DEFAULT_RUNNER_OPTIONS[runner])
    options.update((config.get("runner_options") or {}).get(runner) or {})
    missing = [name for name in REQUIRED_RUNNER_OPTIONS.get(runner, ()) if not options.get(name)]
    if missing:
        raise ValueError(f"{runner} needs newsfeed_config.runner_options.{runner}: {', '.join(missing)}")
    return options


def batch_command(config: Mapping[str, Any], runner: str, run_date: str) -> List[str]:
    """The job for one run date, incremental, on the chosen runner."""
    inputs = config.get("input") or []
    if isinstance(inputs, str):
        inputs = [inputs]
    if not inputs or not config.get("output"):
        raise ValueError("newsfeed_config needs input (a list of patterns) and output")
    command = [config.get("python", "python"), "-m", "pipelines.batch"]
    command += [f"--input={pattern}" for pattern in inputs]
    command += [
        f"--output={config['output']}",
        f"--format={config.get('format', 'parquet')}",
        f"--num_shards={config.get('num_shards', 4)}",
        f"--run_date={run_date}",
        "--incremental",
        f"--runner={runner}",
    ]
    command += runner_flags(runner, runner_options(config, runner))
    command += [str(argument) for argument in config.get("extra_args") or []]
    return command


def check_command(config: Mapping[str, Any], run_date: str) -> List[str]:
    """Fails unless the run date's manifest is complete, balanced and its files there."""
    return [config.get("python", "python"), "-m", "pipelines.runs", str(config["output"]), "--check", run_date]


def shell(command: List[str], config: Mapping[str, Any]) -> str:
    """The command as one shell line, run from the project directory (``-m pipelines…``)."""
    line = shlex.join(command)
    project_dir = config.get("project_dir")
    return f"cd {shlex.quote(str(project_dir))} && exec {line}" if project_dir else f"exec {line}"

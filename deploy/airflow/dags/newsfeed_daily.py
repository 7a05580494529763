"""newsfeed_daily: the batch job once a day, incrementally, into dt= partitions.

For each day D (``{{ ds }}``), after it ends (01:00 UTC the next day), ``run_batch``
runs ``python -m pipelines.batch --run_date D --incremental`` on the runner the
``newsfeed_runner`` Variable names (DirectRunner, FlinkRunner against the session
cluster, DataflowRunner): the input files no earlier run date read go to
``<output>/<kind>/dt=D/``, its manifest to ``<output>/_runs/D.json``. ``check_run``
then fails the DAG run unless that manifest is complete, its books balance
(in = out + rejected + duplicates) and every published file is there.

One run at a time, in date order (``max_active_runs=1``, ``depends_on_past``): an
incremental run claims the files no earlier run read, and the cross-run event
de-duplication reads the partitions of the days before. ``catchup`` runs every day
since START_DATE; ``airflow backfill create`` fills a range. A retry or a rerun of a
day reads the inputs of its first run again and writes the same files.

Settings: the ``newsfeed_runner`` and ``newsfeed_config`` Variables (read when a task
runs, not when the file is parsed); see newsfeed_commands.py. The Airflow environment
is the project's own (deploy/airflow/build-env.sh); the tasks run the job with the
project's Python, so Airflow and Beam never share an environment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, Optional

import newsfeed_commands as commands
import pendulum
from airflow.sdk import DAG, Variable, task
from airflow.timetables.interval import CronDataIntervalTimetable

DAG_ID = "newsfeed_daily"

# the first day to process; catchup schedules every day from here (set it to your data's first day)
START_DATE = pendulum.datetime(2020, 9, 1, tz="UTC")


def _config() -> Dict[str, Any]:
    return Variable.get("newsfeed_config", deserialize_json=True)


def _runner() -> str:
    return Variable.get("newsfeed_runner", default="DirectRunner")


with DAG(
    dag_id=DAG_ID,
    description="News-feed batch job, one dt= partition per day (incremental)",
    # the interval [D 01:00, D+1 01:00) is day D's: ds = D, run once it is over
    schedule=CronDataIntervalTimetable("0 1 * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=True,
    max_active_runs=1,
    default_args={
        "depends_on_past": True,
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=5),
        "retry_exponential_backoff": True,
    },
    tags=["newsfeed", "beam"],
    doc_md=__doc__,
) as dag:

    @task.bash(task_id="run_batch", execution_timeout=dt.timedelta(hours=6))
    def run_batch(ds: Optional[str] = None) -> str:
        config = _config()
        return commands.shell(commands.batch_command(config, _runner(), str(ds)), config)

    # a failed check is not retried: the same manifest gives the same answer
    @task.bash(task_id="check_run", retries=0)
    def check_run(ds: Optional[str] = None) -> str:
        config = _config()
        return commands.shell(commands.check_command(config, str(ds)), config)

    run_batch() >> check_run()

"""deploy/dataflow/metadata.json against the job: every template parameter is a flag of
the job with the same help text and the same validation pattern, and the patterns
accept and refuse what the job accepts and refuses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict, List

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.batch import BatchOptions
from pipelines.flags import Matching
from pipelines.template import template_argv

pytestmark = pytest.mark.deploy

DATAFLOW = Path(__file__).parents[2] / "deploy" / "dataflow"
METADATA = json.loads((DATAFLOW / "metadata.json").read_text(encoding="utf-8"))
PARAMETERS = {p["name"]: p for p in METADATA["parameters"]}
BOOLEAN_PATTERN = "^(true|false)$"
# job flags a template does not offer, and why
NOT_IN_TEMPLATE = {"spill_dir": "DirectRunner only: Dataflow uses its own shuffle"}


def job_flags() -> Dict[str, argparse.Action]:
    parser = argparse.ArgumentParser()
    BatchOptions._add_argparse_args(parser)
    return {a.dest: a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)}


def help_text(action: argparse.Action) -> str:
    return action.help % {"default": action.default} if "%(" in (action.help or "") else str(action.help)


def patterns(action: argparse.Action) -> List[str]:
    """The job's own validation of a flag, as regular expressions."""
    if isinstance(action.type, Matching):
        return [action.type.pattern]
    if action.choices:
        return ["^(" + "|".join(action.choices) + ")$"]
    if isinstance(action, argparse._StoreTrueAction):
        return [BOOLEAN_PATTERN]
    return []


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_each_parameter_is_a_job_flag_with_the_same_meaning_and_pattern(name: str) -> None:
    flags = job_flags()
    assert name in flags, f"{name} is no flag of pipelines.batch"
    parameter, action = PARAMETERS[name], flags[name]
    assert parameter["helpText"] == help_text(action)
    assert parameter.get("regexes", []) == patterns(action)
    assert parameter["isOptional"] is (name not in ("input", "output"))


def test_every_job_flag_is_offered_or_left_out_for_a_reason() -> None:
    assert set(job_flags()) == set(PARAMETERS) | set(NOT_IN_TEMPLATE)


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("run_date", ["2020-09-16", "2024-02-29"], ["2020-9-16", "16/09/2020", "2020-13-01"]),
        ("num_shards", ["1", "64"], ["0", "-1", "4.0", ""]),
        ("boilerplate_min_articles", ["2", "15"], ["1", "0", "x"]),
        ("event_window_days", ["1", "7"], ["0", "1d"]),
        ("event_lookback_days", ["0", "7"], ["-1", "a"]),
        ("format", ["avro", "jsonl", "parquet"], ["csv", "Parquet", ""]),
        ("incremental", ["true", "false"], ["yes", "1", ""]),
        ("skip_entities", ["true", "false"], ["TRUE"]),
    ],
)
def test_the_pattern_and_the_job_agree(name: str, good: List[str], bad: List[str]) -> None:
    import re

    (pattern,) = PARAMETERS[name]["regexes"]
    for value in good:
        assert re.fullmatch(pattern, value), value
        argv = template_argv([f"--{name}={value}"])
        options = PipelineOptions(argv).view_as(BatchOptions)
        assert getattr(options, name) is not None or value == "false"
    for value in bad:
        assert not re.fullmatch(pattern, value), value


def test_the_calendar_is_the_job_s_last_word() -> None:
    # the pattern lets 2021-02-29 through (no calendar in a regex); the job refuses it
    import re

    assert re.fullmatch(PARAMETERS["run_date"]["regexes"][0], "2021-02-29")
    with pytest.raises(SystemExit):
        _ = PipelineOptions(["--run_date=2021-02-29"]).view_as(BatchOptions).run_date


def test_the_image_and_the_launcher() -> None:
    dockerfile = (DATAFLOW / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM gcr.io/dataflow-templates-base/python311-template-launcher-base" in dockerfile
    assert "FROM apache/beam_python3.11_sdk:${BEAM_VERSION}" in dockerfile and "ARG BEAM_VERSION=2.77.0" in dockerfile
    assert "ENV FLEX_TEMPLATE_PYTHON_PY_FILE=/template/main.py" in dockerfile
    main = (DATAFLOW / "main.py").read_text(encoding="utf-8")
    assert "from pipelines.template import main" in main
    lock = (DATAFLOW.parents[1] / "requirements.lock").read_text(encoding="utf-8")
    assert "apache-beam==2.77.0 " in lock  # the SDK image's version
    assert "pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert METADATA["streaming"] is False


@pytest.mark.parametrize("image", ["deploy/dataflow/Dockerfile", "deploy/flink/k8s/Dockerfile"])
def test_each_image_copies_what_setup_py_reads_before_installing(image: str) -> None:
    """setup.py reads requirements.txt (install_requires) and MANIFEST.in includes it: an image
    that copies only the lock fails at `pip install .`; both install the runtime from the lock."""
    root = DATAFLOW.parents[1]
    text = (root / image).read_text(encoding="utf-8")
    before_install = text[: text.index("pip install --no-cache-dir --no-deps .")]
    copied = {name for line in before_install.splitlines() if line.startswith("COPY ") for name in line.split()[1:-1]}
    assert {"requirements.txt", "requirements.lock", "setup.py", "MANIFEST.in"} <= copied
    assert "--require-hashes --no-deps -r requirements.lock" in before_install
    assert '(HERE / "requirements.txt")' in (root / "setup.py").read_text(encoding="utf-8")

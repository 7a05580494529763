"""The Flex Template entry point: boolean parameters as the job's flags."""

from __future__ import annotations

import pytest

from pipelines.template import boolean_flags, template_argv


def test_the_job_s_boolean_flags() -> None:
    assert boolean_flags() == {"--include_background", "--skip_entities", "--incremental"}


def test_true_becomes_the_bare_flag_and_false_disappears() -> None:
    argv = [
        "--input=gs://b/feeds/",
        "--incremental=true",
        "--skip_entities=false",
        "--include_background=True",
        "--run_date=2020-09-16",
        "--runner=DataflowRunner",
    ]
    assert template_argv(argv) == [
        "--input=gs://b/feeds/",
        "--incremental",
        "--include_background",
        "--run_date=2020-09-16",
        "--runner=DataflowRunner",
    ]
    assert template_argv(["--incremental"]) == ["--incremental"]  # already a bare flag


def test_other_boolean_values_are_refused() -> None:
    with pytest.raises(SystemExit, match="--incremental takes true or false"):
        template_argv(["--incremental=yes"])

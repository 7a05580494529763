"""The Kubernetes manifests of deploy/flink/k8s/, validated offline: core objects
against kubernetes-validate's bundled schemas (strict), the FlinkDeployment against the
Flink Kubernetes Operator 1.10.0 CRD schema from Maven Central (and its pod templates as
core Pods); the CronJob runs the job with flags the job has."""

from __future__ import annotations

import argparse
import copy
import re
from pathlib import Path

import pytest

from pipelines.batch import BatchOptions
from tools.validate_manifests import DEFAULT_VERSIONS, crd_schemas, load_documents, validate_document

pytestmark = pytest.mark.deploy

K8S = Path(__file__).parents[2] / "deploy" / "flink" / "k8s"
MANIFESTS = sorted(K8S.glob("*.yaml"))


def test_there_are_the_three_manifests() -> None:
    assert [p.name for p in MANIFESTS] == ["batch-cronjob.yaml", "batch-job.yaml", "flink-session.yaml"]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_is_valid(path: Path, flink_operator_crds: Path) -> None:
    custom = crd_schemas(flink_operator_crds)
    assert ("flink.apache.org/v1beta1", "FlinkDeployment") in custom
    for document in load_documents(path):
        assert validate_document(document, custom) == [], f"{path.name}: {document['kind']}"


def test_mistakes_are_caught(flink_operator_crds: Path) -> None:
    custom = crd_schemas(flink_operator_crds)
    (cronjob,) = load_documents(K8S / "batch-cronjob.yaml")
    typo = copy.deepcopy(cronjob)
    typo["spec"]["jobTemplate"]["spec"]["backofLimit"] = 2  # misspelt: the API server would drop it silently
    assert validate_document(typo, custom) == [
        f"Kubernetes {version}: spec.jobTemplate.spec: Additional properties are not allowed ('backofLimit' was unexpected)"
        for version in DEFAULT_VERSIONS
    ]
    (flink,) = load_documents(K8S / "flink-session.yaml")
    wrong = copy.deepcopy(flink)
    wrong["spec"]["flinkVersion"] = "v1_99"
    wrong["spec"]["taskManager"]["replica"] = 2
    wrong["spec"]["taskManager"]["podTemplate"]["spec"]["containers"][1]["port"] = 50000
    problems = validate_document(wrong, custom)
    assert any("flinkVersion" in p and "v1_99" in p for p in problems)
    assert any("spec.taskManager.replica: unknown field" in p for p in problems)
    assert any("podTemplate" in p and "port" in p for p in problems)


def test_the_cronjob_runs_the_daily_incremental_job_with_flags_the_job_has() -> None:
    (cronjob,) = load_documents(K8S / "batch-cronjob.yaml")
    spec = cronjob["spec"]
    assert spec["schedule"] == "0 1 * * *" and spec["timeZone"] == "Etc/UTC" and spec["concurrencyPolicy"] == "Forbid"
    container = spec["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    script = container["args"][0]
    parser = argparse.ArgumentParser()
    BatchOptions._add_argparse_args(parser)
    job_flags = {option for action in parser._actions for option in action.option_strings}
    used = set(re.findall(r"(--[a-z_]+)", script.split("pipelines.runs")[0]))
    assert {"--run_date", "--incremental", "--format", "--input", "--output", "--num_shards"} <= used & job_flags
    assert "--environment_type=EXTERNAL" in script and "--flink_master=newsfeed-flink-rest:8081" in script
    assert "pipelines.runs" in script and "--check" in script  # fails the Job when the books do not balance
    (session,) = load_documents(K8S / "flink-session.yaml")
    assert f"{session['metadata']['name']}-rest:8081" in script  # the operator's REST service of that cluster

"""tools.validate_manifests on small documents: strict core validation, CRD schemas
with unknown fields, pod templates inside custom resources."""

from __future__ import annotations

from pathlib import Path

from tools.validate_manifests import crd_schemas, main, unknown_fields, validate_document

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.org}
spec:
  group: example.org
  names: {kind: Widget, plural: widgets}
  versions:
    - name: v1
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
                labels: {type: object, additionalProperties: {type: string}}
                free: {type: object, x-kubernetes-preserve-unknown-fields: true}
                podTemplate: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""

CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}


def test_core_objects_are_checked_strictly() -> None:
    assert validate_document(CONFIG_MAP, {}) == []
    wrong = dict(CONFIG_MAP, dataa={"a": "b"})
    problems = validate_document(wrong, {})
    assert problems and all("dataa" in p or "Additional properties" in p for p in problems)


def test_custom_resources_need_their_crd(tmp_path: Path) -> None:
    (tmp_path / "widgets.yml").write_text(CRD)
    custom = crd_schemas(tmp_path)
    widget = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}}
    assert validate_document(widget, custom) == []
    assert validate_document(widget, {}) == [
        "no schema for custom resource Widget (example.org/v1): give its CRD directory"
    ]
    bad = {**widget, "spec": {"size": "big", "colour": "red", "labels": {"a": 1}, "free": {"anything": 1}}}
    problems = validate_document(bad, custom)
    assert "spec.size: 'big' is not of type 'integer'" in problems
    assert "spec.colour: unknown field" in problems
    assert "spec.labels.a: 1 is not of type 'string'" in problems
    assert not any("anything" in p for p in problems)  # preserved unknown fields are allowed


def test_pod_templates_inside_a_custom_resource_are_core_pods(tmp_path: Path) -> None:
    (tmp_path / "widgets.yml").write_text(CRD)
    pod = {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "c", "image": "i", "portz": []}]}}
    widget = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"podTemplate": pod}}
    problems = validate_document(widget, crd_schemas(tmp_path), versions=("1.30.0",))
    assert (
        len(problems) == 1 and problems[0].startswith("spec.podTemplate: Kubernetes 1.30.0") and "portz" in problems[0]
    )


def test_unknown_fields_walks_lists() -> None:
    schema = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {"a": {}}}}},
    }
    assert list(unknown_fields({"items": [{"a": 1}, {"b": 2}]}, schema)) == ["items[1].b: unknown field"]


def test_the_command_line(tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n")
    assert main([str(good)]) == 0
    assert "ConfigMap c: OK" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: [1]\n")
    assert main([str(bad)]) == 1

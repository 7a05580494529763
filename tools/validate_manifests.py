"""Validates Kubernetes manifests offline: core objects against the schemas that
``kubernetes-validate`` bundles (strict: an unknown field is an error), custom
resources against the CRD schemas of their operator (the Flink Kubernetes Operator's,
fetched by ``deploy/flink/k8s/fetch-crds.sh``), pod templates inside them as core Pods.

    python -m tools.validate_manifests deploy/flink/k8s/*.yaml --crds .cache/flink-operator/1.10.0

CRD schemas leave unknown fields to the API server, which drops them silently; here
an unknown field is an error too, as ``kubectl apply --validate=strict`` would say.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import jsonschema
import kubernetes_validate
import yaml

# the Kubernetes versions checked by default: the oldest with CronJob timeZone (GA in
# 1.27) and the newest kubernetes-validate knows
DEFAULT_VERSIONS = ("1.27.0", kubernetes_validate.latest_version())

# where a FlinkDeployment carries pod templates the operator merges into its pods
POD_TEMPLATE_PATHS = (
    ("spec", "podTemplate"),
    ("spec", "jobManager", "podTemplate"),
    ("spec", "taskManager", "podTemplate"),
)

Key = Tuple[str, str]  # (apiVersion, kind)


def load_documents(path: pathlib.Path) -> List[Dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def crd_schemas(crd_dir: pathlib.Path) -> Dict[Key, Dict[str, Any]]:
    """{(group/version, kind): openAPIV3Schema} of every CustomResourceDefinition file."""
    schemas: Dict[Key, Dict[str, Any]] = {}
    for path in sorted(crd_dir.glob("*.yml")) + sorted(crd_dir.glob("*.yaml")):
        for crd in load_documents(path):
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schemas[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return schemas


def unknown_fields(document: Any, schema: Dict[str, Any], where: str = "") -> Iterator[str]:
    """Fields the schema does not declare, where it declares its properties and keeps
    no unknown ones (``x-kubernetes-preserve-unknown-fields``, ``additionalProperties``)."""
    if isinstance(document, dict):
        properties = schema.get("properties")
        open_ended = schema.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in schema
        for key, value in document.items():
            path = f"{where}.{key}" if where else key
            if properties is not None and key in properties:
                yield from unknown_fields(value, properties[key], path)
            elif "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
                yield from unknown_fields(value, schema["additionalProperties"], path)
            elif properties is not None and not open_ended:
                yield f"{path}: unknown field"
    elif isinstance(document, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(document):
            yield from unknown_fields(item, schema["items"], f"{where}[{index}]")


def _at(document: Dict[str, Any], path: Sequence[str]) -> Optional[Any]:
    for key in path:
        if not isinstance(document, dict) or key not in document:
            return None
        document = document[key]
    return document


def validate_custom(document: Dict[str, Any], schema: Dict[str, Any], versions: Sequence[str]) -> List[str]:
    """A custom resource against its CRD schema (and its pod templates as core Pods)."""
    problems = [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in jsonschema.Draft7Validator(schema).iter_errors(document)
    ]
    # apiVersion, kind and metadata are every object's, declared by no CRD
    body = {key: value for key, value in document.items() if key not in ("apiVersion", "kind", "metadata")}
    problems += list(unknown_fields(body, schema))
    for path in POD_TEMPLATE_PATHS:
        template = _at(document, path)
        if template is not None:
            problems += [f"{'.'.join(path)}: {p}" for p in validate_core(template, versions)]
    return problems


def validate_core(document: Dict[str, Any], versions: Sequence[str]) -> List[str]:
    problems = []
    for version in versions:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(
                f"Kubernetes {version}: {'.'.join(str(p) for p in error.path) or '(root)'}: {error.message}"
            )
    return problems


def validate_document(
    document: Dict[str, Any], custom: Dict[Key, Dict[str, Any]], versions: Sequence[str] = DEFAULT_VERSIONS
) -> List[str]:
    """Every problem of one manifest document ([] = valid)."""
    key = (document.get("apiVersion", ""), document.get("kind", ""))
    if key in custom:
        return validate_custom(document, custom[key], versions)
    if "." in key[0].split("/")[0]:
        return [f"no schema for custom resource {key[1]} ({key[0]}): give its CRD directory"]
    return validate_core(document, versions)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifests", nargs="+", type=pathlib.Path)
    parser.add_argument("--crds", type=pathlib.Path, action="append", default=[], help="directory of CRD files")
    parser.add_argument("--kubernetes", action="append", help=f"version(s) to check (default: {DEFAULT_VERSIONS})")
    args = parser.parse_args(argv)
    custom: Dict[Key, Dict[str, Any]] = {}
    for directory in args.crds:
        custom.update(crd_schemas(directory))
    versions = args.kubernetes or DEFAULT_VERSIONS
    failed = 0
    for path in args.manifests:
        for document in load_documents(path):
            name = f"{path}: {document.get('kind')} {document.get('metadata', {}).get('name')}"
            problems = validate_document(document, custom, versions)
            print(f"{name}: {'OK' if not problems else 'INVALID'}")
            for problem in problems:
                print(f"  {problem}")
            failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

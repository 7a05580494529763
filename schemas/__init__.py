"""Avro schemas of the output contract (``*.avsc`` beside this file)."""

import copy
import functools
import json
import pathlib
from typing import Any, Dict

_HERE = pathlib.Path(__file__).parent


@functools.cache
def _schema_text(name: str) -> str:
    return (_HERE / f"{name}.avsc").read_text(encoding="utf-8")


def load_schema(name: str) -> Dict[str, Any]:
    """The Avro schema ``schemas/<name>.avsc`` (e.g. "article") as a fresh dict.

    Fresh on every call: callers (fastavro.parse_schema) may mutate it.
    """
    return copy.deepcopy(json.loads(_schema_text(name)))

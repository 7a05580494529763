"""Avro schemas of the output contract (``*.avsc`` beside this file)."""
import functools
import json
import pathlib
from typing import Any, Dict

_HERE = pathlib.Path(__file__).parent


@functools.lru_cache(maxsize=None)
def load_schema(name: str) -> Dict[str, Any]:
    """The parsed Avro schema ``schemas/<name>.avsc`` (e.g. "article")."""
    return json.loads((_HERE / f"{name}.avsc").read_text(encoding="utf-8"))

"""Parquet shards with Arrow schemas derived from the Avro ones in ``schemas/``.

The Arrow schema is built from the ``.avsc`` file itself (never written by hand), so
the two formats cannot drift: same field names and order, ``["null", X]`` unions as
nullable columns, arrays as lists, nested records as structs, and each field's Avro
``doc`` kept as the column's metadata. DuckDB, pandas, Spark and BigQuery read the
files as they are.

The same records always give the same bytes: rows go into row groups of a fixed
size in the order given, and nothing in the file depends on the time, the host or
the path (pyarrow writes no timestamp; ``created_by`` names the pyarrow version,
which ``requirements.txt`` pins through Beam).
"""

import functools
from typing import Any, BinaryIO, Dict, Iterable, Iterator, List

import pyarrow as pa
import pyarrow.parquet as pq

from schemas import load_schema

ROW_GROUP_ROWS = 10_000  # rows per row group: bounded memory while a shard streams by

COMPRESSION = "snappy"  # the format's usual codec; every reader has it

_PRIMITIVES = {
    "string": pa.string(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "bytes": pa.binary(),
}


def _arrow_type(avro_type: Any) -> pa.DataType:
    if isinstance(avro_type, str):
        if avro_type not in _PRIMITIVES:
            raise ValueError(f"no Arrow type for Avro type {avro_type!r}")
        return _PRIMITIVES[avro_type]
    kind = avro_type.get("type")
    if kind == "array":
        item_type, item_nullable = _field_type(avro_type["items"])
        return pa.list_(pa.field("element", item_type, nullable=item_nullable))
    if kind == "record":
        return pa.struct([_arrow_field(field) for field in avro_type["fields"]])
    return _arrow_type(kind)


def _field_type(avro_type: Any) -> "tuple[pa.DataType, bool]":
    """(Arrow type, nullable) of an Avro type; only ``["null", X]`` unions have a meaning here."""
    if isinstance(avro_type, list):
        others = [branch for branch in avro_type if branch != "null"]
        if len(others) != 1 or len(avro_type) != 2:
            raise ValueError(f'only ["null", X] unions map to Parquet, got {avro_type!r}')
        return _arrow_type(others[0]), True
    return _arrow_type(avro_type), False


def _arrow_field(field: Dict[str, Any]) -> pa.Field:
    arrow_type, nullable = _field_type(field["type"])
    metadata = {"doc": field["doc"]} if field.get("doc") else None
    return pa.field(field["name"], arrow_type, nullable=nullable, metadata=metadata)


@functools.cache
def arrow_schema(name: str) -> pa.Schema:
    """The Arrow schema mirroring ``schemas/<name>.avsc``."""
    avro = load_schema(name)
    return pa.schema([_arrow_field(field) for field in avro["fields"]])


def _row_groups(records: Iterable[Dict[str, Any]]) -> Iterator[List[Dict[str, Any]]]:
    group: List[Dict[str, Any]] = []
    for record in records:
        group.append(record)
        if len(group) == ROW_GROUP_ROWS:
            yield group
            group = []
    if group:
        yield group


def write_parquet(handle: BinaryIO, records: Iterable[Dict[str, Any]], schema_name: str) -> None:
    """Streams records (plain dicts with the schema's fields) into a Parquet file; an
    empty input still gives a valid file with the schema and no rows."""
    schema = arrow_schema(schema_name)
    with pq.ParquetWriter(handle, schema, compression=COMPRESSION) as writer:
        for group in _row_groups(records):
            batch = pa.RecordBatch.from_pylist(group, schema=schema)
            batch.validate(full=True)
            writer.write_batch(batch, row_group_size=ROW_GROUP_ROWS)


def read_parquet(handle: BinaryIO) -> Iterator[Dict[str, Any]]:
    """The rows of a Parquet file as plain dicts, row group by row group."""
    parquet = pq.ParquetFile(handle)
    for group in range(parquet.num_row_groups):
        yield from parquet.read_row_group(group).to_pylist()

"""Parquet shards: Arrow schemas mirror the Avro ones, same records give the same bytes,
and DuckDB and pandas read what WriteRecords writes."""

from __future__ import annotations

import io
import pathlib
import subprocess
import sys

import apache_beam as beam
import duckdb  # requirements-dev.txt
import pandas
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

import schemas
from schemas import load_schema
from transforms.io import parquet
from transforms.io.parquet import arrow_schema, read_parquet, write_parquet
from transforms.io.sinks import WriteRecords, encode_shard, read_shard
from transforms.records import Rejected

SCHEMAS = sorted(p.stem for p in pathlib.Path(schemas.__file__).parent.glob("*.avsc"))

EVENT = {
    "id": "e1",
    "type": "REM_EXPLOS",
    "event_type": "Explosions/Remote violence",
    "cameo": None,
    "date": "2020-09-15",
    "date_precision": "day",
    "place": "Baghdad",
    "lat": 33.34,
    "lon": 44.4,
    "country": "IQ",
    "admin1": None,
    "place_precision": "city",
    "actors": ["Hashd al-Shaabi"],
    "target": "un convoi",
    "fatalities": 2,
    "confidence": 0.9,
    "background": False,
    "mentions": [{"article_id": "a1", "sentence_index": 3, "start": 10, "end": 80}],
    "num_articles": 1,
    "num_sources": 1,
}


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_avro_schema_has_its_arrow_mirror(name: str) -> None:
    avro = load_schema(name)
    schema = arrow_schema(name)
    assert schema.names == [field["name"] for field in avro["fields"]]
    for field in avro["fields"]:
        nullable = isinstance(field["type"], list) and "null" in field["type"]
        assert schema.field(field["name"]).nullable == nullable, field["name"]


def test_event_columns_have_the_avro_types_and_docs() -> None:
    schema = arrow_schema("event")
    assert schema.field("id").type == pa.string() and not schema.field("id").nullable
    assert schema.field("fatalities").type == pa.int32() and schema.field("fatalities").nullable
    assert schema.field("lat").type == pa.float64() and schema.field("background").type == pa.bool_()
    assert schema.field("actors").type == pa.list_(pa.field("element", pa.string(), nullable=False))
    mention = schema.field("mentions").type.value_type
    assert [f.name for f in mention] == ["article_id", "sentence_index", "start", "end"]
    assert schema.field("id").metadata == {b"doc": b"stable: hash of the event's first report"}


def test_records_read_back_equal_and_the_bytes_are_the_same_every_time() -> None:
    first = encode_shard([EVENT], "event", "parquet", "events/part-00000-of-00001.parquet")
    again = encode_shard([EVENT], "event", "parquet", "elsewhere/part-9.parquet")
    assert first == again  # nothing depends on the name, the time or the host
    assert list(read_parquet(io.BytesIO(first))) == [EVENT]


def test_the_bytes_do_not_depend_on_the_process() -> None:
    code = (
        "import hashlib; from tests.io.test_parquet import EVENT; from transforms.io.sinks import encode_shard; "
        "print(hashlib.sha1(encode_shard([EVENT], 'event', 'parquet', 'p')).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_an_empty_shard_is_a_valid_file_with_the_schema() -> None:
    data = encode_shard([], "article", "parquet", "articles/part-0")
    table = pq.read_table(io.BytesIO(data))
    assert table.num_rows == 0 and table.schema.names == arrow_schema("article").names


def test_a_missing_required_value_fails_loudly() -> None:
    with pytest.raises(pa.ArrowInvalid, match="origin"):
        write_parquet(io.BytesIO(), [{"origin": None, "stage": "read", "reason": "x", "payload": ""}], "rejected")


def test_row_groups_have_a_fixed_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 3)
    rows = [{"origin": f"in/{n}", "stage": "read", "reason": "empty file", "payload": ""} for n in range(7)]
    buffer = io.BytesIO()
    write_parquet(buffer, rows, "rejected")
    metadata = pq.ParquetFile(io.BytesIO(buffer.getvalue())).metadata
    assert [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)] == [3, 3, 1]
    assert list(read_parquet(io.BytesIO(buffer.getvalue()))) == rows


def test_unions_other_than_null_x_are_refused() -> None:
    with pytest.raises(ValueError, match="unions"):
        parquet._field_type(["string", "int"])


def test_write_records_as_parquet_reads_in_duckdb_and_pandas(tmp_path: pathlib.Path) -> None:
    records = [Rejected(f"in/{n}.html", "read", "empty file", "") for n in range(5)]
    with TestPipeline() as p:
        _ = (
            p
            | beam.Create(records)
            | WriteRecords(
                str(tmp_path),
                "rejected",
                "rejected",
                key=lambda r: r.origin,
                sort_key=lambda r: r.origin,
                fmt="parquet",
                num_shards=2,
            )
        )
    files = sorted((tmp_path / "rejected").glob("*.parquet"))
    assert [f.name for f in files] == ["part-00000-of-00002.parquet", "part-00001-of-00002.parquet"]
    assert sorted(r["origin"] for f in files for r in read_shard(str(f))) == [r.origin for r in records]
    rows = duckdb.sql(f"SELECT count(*), min(origin) FROM read_parquet('{tmp_path}/rejected/*.parquet')").fetchall()
    assert rows == [(5, "in/0.html")]
    frame = pandas.read_parquet(tmp_path / "rejected")
    assert sorted(frame["origin"]) == [r.origin for r in records] and list(frame.columns) == list(Rejected._fields)

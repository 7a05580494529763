"""Records cross stages as typed rows: every field of every RowCoder record has a real
schema type (no ``pythonsdk_any`` field, which a Java runner or transform cannot read)."""

from typing import Iterator, List

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability import common_urns
from apache_beam.portability.api import schema_pb2
from apache_beam.typehints.schemas import PYTHON_ANY_URN, named_tuple_to_schema

from pipelines.batch import BatchOptions, build_pipeline
from transforms.clean.dedup import DedupKey
from transforms.entities.mention import TaggedMention
from transforms.events.records import Aggregate, Event, EventRef, EventReport
from transforms.records import (
    Article,
    CleanedArticle,
    Duplicate,
    Entity,
    Mention,
    Paragraph,
    RawDocument,
    Rejected,
    Sentence,
)
from transforms.streaming.records import EventSighting, FeedFile, StreamAggregate, StreamCluster
from transforms.text.language import LanguagedArticle

RECORD_TYPES = [
    RawDocument,
    CleanedArticle,
    Paragraph,
    Article,
    Sentence,
    Rejected,
    Duplicate,
    Mention,
    Entity,
    DedupKey,
    LanguagedArticle,
    TaggedMention,
    EventReport,
    EventRef,
    Event,
    Aggregate,
    StreamAggregate,
    EventSighting,
    FeedFile,
    StreamCluster,
]


def field_types(schema: schema_pb2.Schema) -> Iterator[schema_pb2.FieldType]:
    """Every field type of a schema, nested rows and array elements included."""
    for field in schema.fields:
        yield from _types(field.type)


def _types(field_type: schema_pb2.FieldType) -> Iterator[schema_pb2.FieldType]:
    yield field_type
    kind = field_type.WhichOneof("type_info")
    if kind == "array_type":
        yield from _types(field_type.array_type.element_type)
    elif kind == "iterable_type":
        yield from _types(field_type.iterable_type.element_type)
    elif kind == "row_type":
        yield from field_types(field_type.row_type.schema)
    elif kind == "logical_type":
        yield from _types(field_type.logical_type.representation)


def untyped_fields(schema: schema_pb2.Schema) -> List[schema_pb2.FieldType]:
    return [
        t
        for t in field_types(schema)
        if t.WhichOneof("type_info") == "logical_type" and t.logical_type.urn == PYTHON_ANY_URN
    ]


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda t: t.__name__)
def test_every_record_field_has_a_real_schema_type(record_type) -> None:
    assert isinstance(beam.coders.registry.get_coder(record_type), beam.coders.RowCoder)
    schema = named_tuple_to_schema(record_type)
    assert [field.name for field in schema.fields] == list(record_type._fields)
    assert untyped_fields(schema) == []


def test_optional_and_nested_fields_map_to_nullable_and_row_types() -> None:
    fields = {field.name: field.type for field in named_tuple_to_schema(Article).fields}
    assert fields["id"].atomic_type == schema_pb2.STRING and not fields["id"].nullable
    assert fields["url"].atomic_type == schema_pb2.STRING and fields["url"].nullable
    paragraph = fields["paragraphs"].array_type.element_type.row_type.schema
    assert [(f.name, f.type.atomic_type) for f in paragraph.fields][:3] == [
        ("index", schema_pb2.INT64),
        ("start", schema_pb2.INT64),
        ("end", schema_pb2.INT64),
    ]
    event = {field.name: field.type for field in named_tuple_to_schema(Event).fields}
    assert event["confidence"].atomic_type == schema_pb2.DOUBLE
    assert event["fatalities"].atomic_type == schema_pb2.INT64 and event["fatalities"].nullable


def test_a_nested_record_survives_the_row_coder() -> None:
    article = Article(
        id="a1",
        origin="feed.jsonl#3",
        url=None,
        source="site.fr",
        title="Titre",
        published="2020-09-15",
        language="fr",
        text="Un.\n\nDeux.",
        paragraphs=[Paragraph(0, 0, 3, "fr", False), Paragraph(1, 5, 10, None, True)],
    )
    coder = beam.coders.registry.get_coder(Article)
    decoded = coder.decode(coder.encode(article))
    assert tuple(decoded[:8]) == tuple(article[:8])
    assert [tuple(p) for p in decoded.paragraphs] == [tuple(p) for p in article.paragraphs]


def test_the_batch_job_hands_the_runner_typed_row_coders_only() -> None:
    # what a Java runner (Flink's job server) sees: beam:coder:row:v1 with typed schemas,
    # no Python-only coder wrapping our rows
    options = PipelineOptions(["--input", "in/*.html", "--output", "out"])
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, options.view_as(BatchOptions))
    coders = pipeline.to_runner_api().components.coders
    rows = [coder for coder in coders.values() if coder.spec.urn == common_urns.coders.ROW.urn]
    schemas = [schema_pb2.Schema.FromString(coder.spec.payload) for coder in rows]
    names = {tuple(field.name for field in schema.fields) for schema in schemas}
    assert tuple(Article._fields) in names and tuple(CleanedArticle._fields) in names
    assert tuple(Rejected._fields) in names and tuple(Event._fields) in names
    assert [schema for schema in schemas if untyped_fields(schema)] == []

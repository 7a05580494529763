"""Typed records that cross pipeline stages.

Every record is a ``typing.NamedTuple`` registered with Beam's ``RowCoder`` so it
crosses process and runner boundaries (Flink, Dataflow) with a schema-aware,
deterministic encoding. Field names mirror the Avro schemas in ``schemas/``.
"""

from typing import List, NamedTuple, Optional

import apache_beam as beam

# Kinds of RawDocument.kind
HTML = "html"  # a whole web page; goes through main-text extraction
DUMP = "dump"  # a plain-text dump of one or more pasted articles; split first
TEXT = "text"  # the body of one article already as text (JSONL / Avro records)


class RawDocument(NamedTuple):
    """One unit read from a feed, before any cleanup."""

    origin: str  # input path, "#n" suffix for the n-th unit of a multi-unit file
    kind: str  # HTML, DUMP or TEXT
    body: str  # decoded HTML, dump text or article text
    url: Optional[str] = None
    title: Optional[str] = None
    published: Optional[str] = None  # ISO-8601 when the feed gave one
    source: Optional[str] = None
    language: Optional[str] = None  # declared by the feed, not detected
    record_id: Optional[str] = None  # the feed's own id, kept as the article id


class CleanedArticle(NamedTuple):
    """An article after per-article cleanup: metadata plus clean paragraphs."""

    id: str
    origin: str
    url: Optional[str]
    source: Optional[str]
    title: Optional[str]
    published: Optional[str]
    declared_language: Optional[str]
    paragraphs: List[str]


class Paragraph(NamedTuple):
    index: int  # type: ignore[assignment]  # the contract's field name shadows tuple.index
    start: int  # char offsets into Article.text
    end: int
    language: Optional[str]
    foreign: bool  # True when its language differs from the article's


class Article(NamedTuple):
    """A clean article as written to ``articles/``."""

    id: str
    origin: str
    url: Optional[str]
    source: Optional[str]
    title: Optional[str]
    published: Optional[str]
    language: Optional[str]
    text: str  # paragraphs separated by one blank line
    paragraphs: List[Paragraph]


class Sentence(NamedTuple):
    """A sentence as written to ``sentences/``; offsets index into Article.text."""

    article_id: str
    index: int  # type: ignore[assignment]  # the contract's field name shadows tuple.index
    paragraph: int
    start: int
    end: int
    text: str
    language: Optional[str]


class Rejected(NamedTuple):
    """A dead letter: an input or record a stage could not use, and why."""

    origin: str
    stage: str
    reason: str
    payload: str  # truncated to PAYLOAD_LIMIT characters


class Duplicate(NamedTuple):
    """An article copy dropped by de-duplication."""

    origin: str
    duplicate_of: str  # id of the kept article
    rule: str  # "url" or "body"


class Mention(NamedTuple):
    """An entity mention as written to ``mentions/``; offsets index into Article.text
    (or Article.title when ``field`` is "title")."""

    article_id: str
    field: str  # "text" or "title"
    start: int
    end: int
    text: str
    label: str  # PER, ORG, LOC or MISC
    entity_id: str
    confidence: float
    evidence: str  # how it was found: model, title, propagated, family_name, gazetteer, vote, corpus …


class Entity(NamedTuple):
    """A canonical entity as written to ``entities/``: one per entity_id over the corpus."""

    id: str
    name: str
    label: str
    aliases: List[str]  # surface forms seen, most frequent first
    lat: Optional[float]
    lon: Optional[float]
    country: Optional[str]  # ISO 3166-1 alpha-2, places only
    admin1: Optional[str]
    precision: Optional[str]  # city, admin1 or country
    mention_count: int


PAYLOAD_LIMIT = 2000


def rejected(origin: str, stage: str, reason: str, payload: object = "") -> Rejected:
    """Builds a Rejected record with a printable, truncated payload."""
    if isinstance(payload, bytes):
        text = payload[:PAYLOAD_LIMIT].decode("utf-8", errors="replace")
    else:
        text = str(payload)[:PAYLOAD_LIMIT]
    return Rejected(origin=origin, stage=stage, reason=reason, payload=text)


for _record in (RawDocument, CleanedArticle, Paragraph, Article, Sentence, Rejected, Duplicate, Mention, Entity):
    beam.coders.registry.register_coder(_record, beam.coders.RowCoder)


class BadInput(ValueError):
    """Raised by pure functions for input that cannot become an article.

    DoFns turn it into a ``Rejected`` record; any other exception is a bug and
    fails loudly.
    """

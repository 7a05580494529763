"""``TaggedMention``: a mention with everything the corpus vote, the entity table and
the event stage need (offsets, label, canonical entity, place data, evidence).
"""

from typing import NamedTuple, Optional

import apache_beam as beam


class TaggedMention(NamedTuple):
    """A mention with what the corpus vote and the entity table need."""

    article_id: str
    source: str
    field: str  # "text" or "title"
    start: int
    end: int
    text: str
    label: str
    entity_id: str
    name: str
    key: str
    alias: str  # the name as written, without titles or head nouns: an alias of the entity
    confidence: float
    evidence: str
    lat: Optional[float]
    lon: Optional[float]
    country: Optional[str]
    admin1: Optional[str]
    precision: Optional[str]
    contextless: bool  # geocoded without any other country in its article (the source's region may decide)


beam.coders.registry.register_coder(TaggedMention, beam.coders.RowCoder)

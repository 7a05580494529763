"""The entity table: one canonical ``Entity`` per ``entity_id`` over the corpus, merged
from its mentions by a combine (name, label, aliases most frequent first, place data).
"""

from __future__ import annotations

from collections import Counter
from typing import Optional

import apache_beam as beam

from transforms.entities.consistency import reading
from transforms.entities.mention import TaggedMention
from transforms.records import Entity, Mention

MAX_ALIASES = 20


class MergeEntity(beam.CombineFn):
    """Mentions of one entity_id -> its Entity: count and surface forms."""

    def create_accumulator(self):
        return [None, Counter()]  # [reading, Counter(surface form)]

    def add_input(self, accumulator, element: TaggedMention):
        current = reading(element)
        if accumulator[0] is None or repr(current) < repr(accumulator[0]):
            accumulator[0] = current  # the same for every mention of an id but for ties: keep the smallest
        accumulator[1][element.alias] += 1
        return accumulator

    def merge_accumulators(self, accumulators):
        merged = self.create_accumulator()
        for info, forms in accumulators:
            if info is not None and (merged[0] is None or repr(info) < repr(merged[0])):
                merged[0] = info
            merged[1].update(forms)
        return merged

    def extract_output(self, accumulator) -> Optional[Entity]:
        info, forms = accumulator
        if info is None:
            return None
        label, entity_id, name, lat, lon, country, admin1, precision = info
        aliases = [form for form, _ in sorted(forms.items(), key=lambda kv: (-kv[1], kv[0]))][:MAX_ALIASES]
        return Entity(
            id=entity_id,
            name=name,
            label=label,
            aliases=aliases,
            lat=lat,
            lon=lon,
            country=country,
            admin1=admin1,
            precision=precision,
            mention_count=sum(forms.values()),
        )


def to_mention(m: TaggedMention) -> Mention:
    return Mention(
        article_id=m.article_id,
        field=m.field,
        start=m.start,
        end=m.end,
        text=m.text,
        label=m.label,
        entity_id=m.entity_id,
        confidence=m.confidence,
        evidence=m.evidence,
    )

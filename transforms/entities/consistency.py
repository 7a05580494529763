"""Corpus-level consistency of mentions.

A combine keyed by (source, surface key) counts the readings (label, entity) each
surface form got across the corpus. Where one reading holds at least
``CORPUS_MAJORITY`` of at least ``CORPUS_MIN_VOTES`` mentions, the minority mentions
are repaired to it (evidence "corpus"). Only contested keys reach the side input, so
it stays small whatever the corpus size. A second combine finds each source's usual
country; a place whose article named no other country is geocoded again with it
(evidence "source_region").
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared

from transforms.entities.gazetteer import Gazetteer
from transforms.entities.mention import TaggedMention
from transforms.entities.models import Models
from transforms.entities.resolve import CONFIDENCE, place_canonical

# Corpus-level consistency: the winning reading of a surface form needs this
# share of at least this many votes before minority mentions are repaired.
CORPUS_MAJORITY = 2 / 3


CORPUS_MIN_VOTES = 3


Reading = Tuple[str, str, str, Optional[float], Optional[float], Optional[str], Optional[str], Optional[str]]


def reading(m: TaggedMention) -> Reading:
    """What a vote is about: label, entity and its place."""
    return (m.label, m.entity_id, m.name, m.lat, m.lon, m.country, m.admin1, m.precision)


class CountValues(beam.CombineFn):
    """value -> count in a plain dict; merges add up. Subclasses say what to extract."""

    def create_accumulator(self) -> Dict:
        return {}

    def add_input(self, accumulator, element):
        accumulator[element] = accumulator.get(element, 0) + 1
        return accumulator

    def merge_accumulators(self, accumulators):
        merged: Dict = {}
        for accumulator in accumulators:
            for key, count in accumulator.items():
                merged[key] = merged.get(key, 0) + count
        return merged


class CountReadings(CountValues):
    """Votes of one surface form: reading -> count."""

    def extract_output(self, accumulator) -> Optional[Reading]:
        return corpus_winner(accumulator)


def corpus_winner(votes: Dict[Reading, int]) -> Optional[Reading]:
    """The reading that should replace the others, or None when there is nothing
    to repair (one reading only, too few votes, or no clear majority)."""
    if len(votes) < 2:
        return None
    total = sum(votes.values())
    best, count = min(votes.items(), key=lambda kv: (-kv[1], repr(kv[0])))
    if total >= CORPUS_MIN_VOTES and count >= CORPUS_MAJORITY * total:
        return best
    return None


# Decisions taken from the mention's own context, which a corpus majority must not undo.
CONTEXT_EVIDENCE = ("metonymy",)


def apply_corpus_vote(mention: TaggedMention, winners: Dict[Tuple[str, str], Reading]) -> TaggedMention:
    if mention.evidence in CONTEXT_EVIDENCE:
        return mention
    winner = winners.get((mention.source, mention.key))
    if winner is None or reading(mention) == winner:
        return mention
    label, entity_id, name, lat, lon, country, admin1, precision = winner
    return mention._replace(
        label=label,
        entity_id=entity_id,
        name=name,
        lat=lat,
        lon=lon,
        country=country,
        admin1=admin1,
        precision=precision,
        evidence="corpus",
        confidence=CONFIDENCE["corpus"],
    )


class UsualCountry(CountValues):
    """Countries of a source's geocoded places -> the most frequent one (ties: smallest code)."""

    def extract_output(self, accumulator) -> Optional[str]:
        if not accumulator:
            return None
        return min(accumulator.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def apply_source_region(mention: TaggedMention, region: Optional[str], gazetteer: Gazetteer) -> TaggedMention:
    """A place its article gave no context for is geocoded again with the source's
    usual country: "Paris" in a Texan local paper's one-line brief. The region is not the
    article's context: it does not open the transliteration fallback."""
    if not mention.contextless or mention.label != "LOC" or not region or mention.country == region:
        return mention
    place = gazetteer.geocode(mention.alias, region=region)
    if place is None or (place.lat, place.lon) == (mention.lat, mention.lon):
        return mention
    canonical = place_canonical(gazetteer.canonical(mention.alias, "LOC"), place)
    return mention._replace(
        entity_id=canonical.entity_id,
        name=canonical.name,
        lat=place.lat,
        lon=place.lon,
        country=place.country,
        admin1=place.admin1,
        precision=place.precision,
        evidence="source_region",
        confidence=CONFIDENCE["source_region"],
    )


class _RepairMentions(beam.DoFn):
    """Corpus-level repairs: the surface-form vote, then the source's usual region."""

    def __init__(self, shared_handle: shared.Shared):
        self._shared_handle = shared_handle
        self.corpus_repairs = Metrics.counter("entities", "corpus_repairs")
        self.region_repairs = Metrics.counter("entities", "region_repairs")

    def setup(self):
        self._models = self._shared_handle.acquire(Models)

    def process(self, mention: TaggedMention, winners, regions):
        fixed = apply_corpus_vote(mention, winners)
        if fixed is not mention:
            self.corpus_repairs.inc()
        placed = apply_source_region(fixed, regions.get(fixed.source), self._models.gazetteer)
        if placed is not fixed:
            self.region_repairs.inc()
        yield placed

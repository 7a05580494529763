"""Tests of transforms.entities: tagging with the real models and gazetteer,
corpus vote, entity table, loads once per worker, and the seed acceptance list.
"""

from __future__ import annotations

from transforms.entities.consistency import (
    apply_corpus_vote,
    corpus_winner,
    reading,
)
from transforms.entities.mention import TaggedMention


def _mention(label: str, entity_id: str, source: str = "s", key: str = "bex") -> TaggedMention:
    return TaggedMention(
        "a",
        source,
        "text",
        0,
        3,
        "Bex",
        label,
        entity_id,
        "Bex",
        key,
        "Bex",
        0.6,
        "model",
        None,
        None,
        None,
        None,
        None,
        False,
    )


def test_corpus_winner_needs_votes_and_a_clear_majority():
    loc, per = reading(_mention("LOC", "geonames:1")), reading(_mention("PER", "ent:x"))
    assert corpus_winner({loc: 5}) is None  # nothing to repair
    assert corpus_winner({loc: 1, per: 1}) is None  # too few votes
    assert corpus_winner({loc: 3, per: 2}) is None  # no 2/3 majority
    assert corpus_winner({loc: 4, per: 1}) == loc


def test_apply_corpus_vote_repairs_only_the_minority():
    loc = reading(_mention("LOC", "geonames:1"))
    winners = {("s", "bex"): loc}
    fixed = apply_corpus_vote(_mention("PER", "ent:x"), winners)
    assert (fixed.label, fixed.entity_id, fixed.evidence) == ("LOC", "geonames:1", "corpus")
    same = _mention("LOC", "geonames:1")
    assert apply_corpus_vote(same, winners) is same
    other_source = _mention("PER", "ent:x", source="t")
    assert apply_corpus_vote(other_source, winners) is other_source

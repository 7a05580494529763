"""Shard and order of a record in the output."""

import hashlib
import json
from typing import List, NamedTuple, Optional

from transforms.io.shards import entry_order, plain_key, shard_entry, shard_of, to_plain


class _Span(NamedTuple):
    start: int
    end: int


class _Note(NamedTuple):
    origin: str
    spans: List[_Span]
    label: Optional[str]


def test_shard_of_is_stable_and_in_range() -> None:
    # a content hash (blake2b), never Python's per-process hash(): the same shard in every worker
    assert shard_of("a", 4) == int.from_bytes(hashlib.blake2b(b"a", digest_size=8).digest(), "big") % 4
    assert {shard_of(str(n), 4) for n in range(100)} == {0, 1, 2, 3}


def test_to_plain_turns_nested_records_into_dicts_in_field_order() -> None:
    note = _Note("feed.jsonl#2", [_Span(0, 4), _Span(5, 9)], None)
    assert to_plain(note) == {
        "origin": "feed.jsonl#2",
        "spans": [{"start": 0, "end": 4}, {"start": 5, "end": 9}],
        "label": None,
    }
    assert list(to_plain(note)) == ["origin", "spans", "label"]


def test_plain_key_sorts_none_first_as_an_empty_string() -> None:
    assert plain_key(("a", None, (1, 2))) == ["a", "", [1, 2]]


def test_entries_sort_by_key_then_by_record_text() -> None:
    notes = [_Note("b", [], "LOC"), _Note("a", [], "PER"), _Note("a", [], "LOC"), _Note("a", [_Span(10, 2)], None)]
    entries = [shard_entry(note, lambda n: n.origin) for note in notes]
    assert entries[0] == ('"b"', json.dumps(to_plain(notes[0])))
    ordered = [json.loads(record) for _, record in sorted(entries, key=entry_order)]
    # key "a" first; among equal keys the record's JSON text decides, whatever the input order
    assert [(n["origin"], n["label"]) for n in ordered] == [("a", "LOC"), ("a", "PER"), ("a", None), ("b", "LOC")]
    assert sorted(reversed(entries), key=entry_order) == sorted(entries, key=entry_order)


def test_numeric_sort_keys_sort_as_numbers() -> None:
    entries = [shard_entry(_Span(n, n), lambda s: (s.start,)) for n in (10, 9, 100)]
    assert [json.loads(r)["start"] for _, r in sorted(entries, key=entry_order)] == [9, 10, 100]

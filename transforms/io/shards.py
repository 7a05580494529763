"""Where a record goes in the output, and in which order: its shard and its place in it.

Replays must write byte-identical files, so a record's shard is a content hash of
its key (never the bundle or worker it happened to travel in), and a shard's
records are sorted by a sort key, ties broken by the record's own JSON text.
Records travel to the shard writers as *entries*: (sort key JSON, record JSON),
two strings that any coder and any runner carry unchanged.
"""

import hashlib
import json
from typing import Any, Callable, Tuple

Entry = Tuple[str, str]  # (sort key as JSON, record as JSON)


def to_plain(record: Any) -> Any:
    """NamedTuples (nested ones too) as plain dicts, in schema field order."""
    if isinstance(record, tuple) and hasattr(record, "_fields"):
        return {name: to_plain(value) for name, value in zip(record._fields, record)}
    if isinstance(record, list):
        return [to_plain(item) for item in record]
    return record


def shard_of(key: str, num_shards: int) -> int:
    """The shard of a key: blake2b, the same in every process (Python's hash() is seeded)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % num_shards


def plain_key(value: Any) -> Any:
    """A sort key as JSON-safe nested lists (None sorts as "")."""
    if isinstance(value, (tuple, list)):
        return [plain_key(v) for v in value]
    return "" if value is None else value


def shard_entry(record: Any, sort_key: Callable[[Any], Any]) -> Entry:
    """The entry a record travels as to its shard writer."""
    return (
        json.dumps(plain_key(sort_key(record)), ensure_ascii=False),
        json.dumps(to_plain(record), ensure_ascii=False),
    )


def entry_order(entry: Entry) -> Tuple[Any, str]:
    """The order of entries in a shard: by sort key, then by the record's JSON text, so
    equal sort keys never leave the order to the bundle a record travelled in."""
    return json.loads(entry[0]), entry[1]

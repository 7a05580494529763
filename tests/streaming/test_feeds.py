"""Tests of transforms.streaming and pipelines.stream: pure functions first, then one
TestStream run (on-time, early, late and too-late articles, a duplicate) and the
directory feed's ledger across a restart.
"""

from __future__ import annotations

import json
from pathlib import Path

from apache_beam.utils.timestamp import Timestamp

from transforms.io.kafka import KafkaRecord
from transforms.records import RawDocument, Rejected
from transforms.streaming.feeds import (
    document_from_kafka,
    enter_in_ledger,
    kafka_record_parts,
    new_files,
)


def ts(iso: str) -> Timestamp:
    return Timestamp.from_rfc3339(iso)


def test_kafka_values_become_documents_or_dead_letters():
    value = json.dumps({"id": "k1", "url": "https://x.example/a", "text": "Body.", "published": "2020-09-14"}).encode()
    doc = document_from_kafka("kafka:articles/0/7", value)
    assert isinstance(doc, RawDocument) and (doc.origin, doc.record_id, doc.published) == (
        "kafka:articles/0/7",
        "k1",
        "2020-09-14",
    )
    for bad, reason in (
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "not an object"),
        (b'{"title": "x"}', "no text"),
        (None, "tombstone"),
    ):
        dead = document_from_kafka("kafka:articles/0/8", bad)
        assert isinstance(dead, Rejected) and dead.stage == "read" and reason in dead.reason
    record = {"topic": "articles", "partition": 3, "offset": 42, "value": value, "timestamp": 1600075800000}
    assert kafka_record_parts(record, "articles") == ("kafka:articles/3/42", value, ts("2020-09-14T09:30:00Z"))
    read = KafkaRecord("articles", 3, 42, None, value, 1600075800000)
    assert kafka_record_parts(read, "articles") == ("kafka:articles/3/42", value, ts("2020-09-14T09:30:00Z"))
    assert kafka_record_parts(read._replace(timestamp=0), "articles")[2] is None  # 0: no Kafka timestamp


def test_new_files_skip_the_ledger_and_files_still_being_written(tmp_path):
    feed, state = tmp_path / "feed", tmp_path / "state"
    feed.mkdir()
    for name in ("a.jsonl", "b.jsonl", ".c.jsonl", "d.jsonl.tmp", "e.pdf"):
        (feed / name).write_text("{}\n")
    found = new_files(str(feed), str(state))
    assert [Path(f.path).name for f in found] == ["a.jsonl", "b.jsonl"]
    entry = enter_in_ledger(str(state), found[0])
    assert entry == enter_in_ledger(str(state), found[0])  # idempotent
    assert [Path(f.path).name for f in new_files(str(feed), str(state))] == ["b.jsonl"]


def doc(origin: str, url: str, text: str, published: str, source: str) -> RawDocument:
    return RawDocument(origin=origin, kind="text", body=text, url=url, title=None, published=published, source=source)


def test_the_poller_forgets_files_once_they_are_in_the_ledger(tmp_path):
    """The directory poller's claims are bounded by the files in flight: a file is
    handed out once, and forgotten when it enters the ledger or disappears."""
    from transforms.streaming.feeds import _PollDirectory, still_claimed

    feed, state = tmp_path / "feed", tmp_path / "state"
    feed.mkdir()
    for n in range(50):
        (feed / f"{n:02d}.jsonl").write_text("{}\n")
    poller = _PollDirectory(str(feed), str(state))
    poller.setup()
    first = list(poller.process(0))
    assert len(first) == 50 and len(poller._claimed) == 50
    assert list(poller.process(1)) == []  # listed again before they were read: not handed out twice
    for feed_file in first[:45]:
        enter_in_ledger(str(state), feed_file)
    (feed / "49.jsonl").unlink()
    (feed / "50.jsonl").write_text("{}\n")
    assert [Path(f.path).name for f in poller.process(2)] == ["50.jsonl"]
    assert sorted(Path(p).name for p in poller._claimed) == ["45.jsonl", "46.jsonl", "47.jsonl", "48.jsonl", "50.jsonl"]
    # a thousand files read one poll after another: the claims never exceed one poll's worth
    peak = 0
    for batch in range(20):
        for n in range(50):
            (feed / f"b{batch:02d}-{n:02d}.jsonl").write_text("{}\n")
        for feed_file in poller.process(3 + batch):
            enter_in_ledger(str(state), feed_file)
        peak = max(peak, len(poller._claimed))
    list(poller.process(99))
    assert peak <= 55 and len(poller._claimed) == 5
    assert still_claimed({"a", "b"}, []) == set()

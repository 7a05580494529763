"""reporting.gather: what the page gets from each layout."""

import json

from reporting.gather import find_summary, gather
from reporting.outputs import locate
from tests.support.run_outputs import event, sample_records, write_batch, write_jsonl


def test_batch_output_in_avro(tmp_path):
    write_batch(tmp_path, sample_records(), fmt="avro")
    content = gather(locate(tmp_path), str(tmp_path))
    assert content.counts == {"events": 3, "entities": 3, "mentions": 0, "articles": 3, "rejected": 2, "duplicates": 1}
    assert [r.id for r in content.events] == ["e3", "e2", "e1"]
    assert content.events[2].sentences[1].source == "almanar.example"
    assert [t.rows[0]["name"] for t in content.entities] == ["Kenneth McKenzie", "Hashd al-Shaabi", "Baghdad"]
    assert content.map_spec is not None and content.timeline_spec is not None
    assert content.timeline.focus == ("2020-09-14", "2020-09-18")


def test_streaming_snapshot_has_no_entities_and_says_so(tmp_path):
    latest = tmp_path / "latest" / "events"
    write_jsonl(latest / "20200914T000000Z--20200914T001500Z.jsonl", [event("e1")])
    write_jsonl(latest / "20200915T000000Z--20200915T001500Z.jsonl", [event("e1", articles=("a1", "a2"))])
    content = gather(locate(tmp_path), str(tmp_path))
    assert content.layout == "streaming" and content.counts["events"] == 1
    assert content.events[0].articles == 2
    assert any("2 event versions" in note for note in content.notes)
    assert content.entities[0].total == 0


def test_summary_found_beside_the_output_or_in_run_manifests(tmp_path):
    write_batch(tmp_path, {"events": [event("e1")]}, partition="2020-09-14")
    run = locate(tmp_path, "2020-09-14")
    assert find_summary(run) is None
    runs = tmp_path / "_runs"
    runs.mkdir()
    (runs / "2020-09-13.json").write_text(json.dumps({"counters": {}}))
    (runs / "2020-09-14.json").write_text(json.dumps({"counters": {"read": {"files": 1}}}))
    (runs / "2020-09-14.log.json").write_text("not json")
    assert find_summary(run) == runs / "2020-09-14.json"
    (tmp_path / "summary.json").write_text("{}")
    assert find_summary(run) == tmp_path / "summary.json"

"""Tests of benchmarks.typing_gate and the per-document run of tools.event_stage it shares."""

import pytest

from benchmarks import typing_gate
from tools.event_data import Document, Row
from tools.event_stage import run_document, scored_rows
from transforms.events.classify import classify_events, load_model
from transforms.events.detect import load_detector

QUIET = "The company said its quarterly profit rose on strong demand for software."


def test_a_gate_is_set_on_a_copy():
    model = load_model()
    shipped = dict(model.fusion)
    open_gate = typing_gate.with_gate(model, 0.0)
    assert open_gate.fusion["min_probability"] == 0.0
    assert model.fusion == shipped and open_gate.classes == model.classes


def test_gate_zero_types_every_sentence_and_a_high_gate_only_lexicon_cued_ones():
    model = load_model()
    assert classify_events([QUIET], "en", typing_gate.with_gate(model, 0.0))[0] is not None
    assert classify_events([QUIET], "en", typing_gate.with_gate(model, 0.99)) == [None]
    cued = "A roadside bomb exploded as an army convoy passed"
    assert classify_events([cued], "en", typing_gate.with_gate(model, 0.99))[0].type == "REM_EXPLOS"


def _document(texts, labels):
    rows = [
        Row("en-wikinews", "t1", "Bomb hits convoy", "2020-05-04", "en", i, text, "train", label, None, None)
        for i, (text, label) in enumerate(zip(texts, labels))
    ]
    return Document("en-wikinews", "t1", "Bomb hits convoy", "2020-05-04", "en", "train", rows)


def test_a_document_run_gives_one_detection_per_sentence_and_the_reported_types():
    doc = _document(
        [
            "A roadside bomb exploded on Monday as an army convoy passed near Kandahar, killing three soldiers.",
            QUIET,
            "Officials said the investigation would continue.",
        ],
        ["event", "none", "none"],
    )
    detections, reported = run_document(doc, [], load_detector(), load_model())
    assert len(detections) == 3 and detections[0].is_event and not detections[1].is_event
    assert reported == {0: "REM_EXPLOS"}
    rows = scored_rows(doc, detections, reported)
    assert [r[:4] for r in rows] == [("en-wikinews/t1", "en", i, doc.rows[i].label) for i in range(3)]
    assert [r[5] for r in rows] == [d.probability for d in detections]


def test_gates_out_of_range_are_refused():
    with pytest.raises(SystemExit):
        typing_gate.main(["--gates", "1.5"])

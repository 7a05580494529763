"""Tests of tools.event_stage: event-level counting of the whole stage's reports at a cut."""

from tools.event_stage import event_level


def test_event_level_counts_events_per_document_and_type_at_the_cut():
    scored = [
        # an eventful document: one arrest told in two sentences, found through the second
        ("d1", "en", 0, "event", "ARREST", 0.3, None),
        ("d1", "en", 1, "event", "ARREST", 0.8, "ARREST"),
        ("d1", "en", 2, "none", None, 0.1, None),
        # a quiet document (3 sentences, no event) with one false report at 0.6
        ("d2", "en", 0, "none", None, 0.6, "ATTACK"),
        ("d2", "en", 1, "none", None, 0.0, None),
        ("d2", "en", 2, "unsure", None, 0.9, "ATTACK"),
        # another language is not counted
        ("d3", "fr", 0, "event", "ATTACK", 0.9, "ATTACK"),
    ]
    at_half = event_level(scored, "en", 0.5)
    assert (at_half["gold"], at_half["predicted"], at_half["recall"], at_half["precision"]) == (1, 2, 1.0, 0.5)
    assert at_half["false_events_per_100_quiet"] == 100.0
    # at 0.7 the false report is gone, and at 0.9 the arrest too
    assert event_level(scored, "en", 0.7)["precision"] == 1.0
    assert event_level(scored, "en", 0.9) == {
        "precision": 0.0,
        "recall": 0.0,
        "false_events_per_100_quiet": 0.0,
        "gold": 1,
        "predicted": 0,
        "right": 0,
        "quiet_documents": 1,
        "quiet_false_events": 0,
    }


def test_each_folds_typing_models_learn_from_every_train_document_but_the_folds_own(monkeypatch):
    from types import SimpleNamespace

    import numpy as np

    from tools import event_stage, train_event_detector, train_event_types
    from tools.event_data import documents, read_rows

    keys = sorted(d.key for d in documents(read_rows(), split="train"))
    some = keys[:: max(len(keys) // 10, 1)][:10]
    data = SimpleNamespace(scored=np.ones(4 * len(some), dtype=bool), groups=np.repeat(some, 4))
    typed_from = []
    monkeypatch.setattr(train_event_detector, "fit_arrays", lambda data, rows: {"rows": rows})
    monkeypatch.setattr(train_event_types, "fit_fold_models", lambda documents: typed_from.append(documents))
    folds = list(event_stage.fold_parts(data))
    assert len(folds) == len(typed_from) == train_event_detector.FOLDS
    held = [{doc.key for doc in held_out} for _, held_out, _ in folds]
    assert set().union(*held) == set(some)
    for documents_typed, held_out, (arrays, _, _) in zip(typed_from, held, folds):
        assert not set(documents_typed) & held_out
        assert set(documents_typed) | held_out == set(keys)
        assert not set(data.groups[arrays["rows"]]) & held_out


def test_a_document_run_types_with_the_model_it_is_given(monkeypatch):
    from tests.tools.test_typing_gate import _document
    from tools.event_stage import run_document
    from transforms.events import extract
    from transforms.events.detect import load_detector

    given = []

    def recording_classify(sentences, language, model=None, embeddings=None):
        given.append(model)
        return [None] * len(sentences)

    monkeypatch.setattr(extract, "classify_events", recording_classify)
    doc = _document(["A roadside bomb exploded on Monday near Kandahar, killing three soldiers."], ["event"])
    sentinel = object()
    detections, reported = run_document(doc, [], load_detector(), sentinel)
    assert detections[0].is_event and given == [sentinel] and reported == {}

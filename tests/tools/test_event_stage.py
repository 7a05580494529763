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

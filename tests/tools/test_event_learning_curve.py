"""Tests of benchmarks.event_learning_curve: nested document shares, out-of-fold scoring."""

import numpy as np
import pytest

from benchmarks import event_learning_curve as curve
from tests.tools.test_train_event_detector import ORDINARY, _training_set
from tools import train_event_detector as trainer


def test_document_shares_are_nested_and_stable():
    keys = [f"en-wikinews/{i}" for i in range(200)]
    half = {k for k in keys if curve.document_share(k) < 0.5}
    quarter = {k for k in keys if curve.document_share(k) < 0.25}
    assert quarter < half < set(keys)
    assert 60 < len(half) < 140  # a hash, not an order: about half
    assert all(curve.document_share(k) == curve.document_share(k) for k in keys)


def test_the_whole_share_is_the_trainers_cross_validation():
    data = _training_set()
    _, second = trainer.cross_validate(data)
    np.testing.assert_allclose(curve.out_of_fold(data, 1.0), second)


def test_a_smaller_share_learns_from_fewer_documents_and_never_from_the_scored_fold(monkeypatch):
    data = _training_set()
    fitted_rows = []
    real_fit = trainer.fit

    def recording_fit(X, y, C):
        fitted_rows.append(X.shape[0])
        return real_fit(X, y, C)

    monkeypatch.setattr(trainer, "fit", recording_fit)
    curve.out_of_fold(data, 1.0)
    whole = list(fitted_rows)
    fitted_rows.clear()
    second = curve.out_of_fold(data, 0.5)
    assert sum(fitted_rows) < sum(whole)
    assert np.all(second[:ORDINARY] > 0)  # every labelled sentence scored
    assert np.all(second[ORDINARY:] == 0)  # training-only sentences never


def test_no_model_learns_from_the_documents_it_scores(monkeypatch):
    from sklearn.model_selection import GroupKFold

    data = _training_set()
    learned = []
    real_rows = trainer.model_rows

    def recording_rows(data, rows, language=None):
        out = real_rows(data, rows, language)
        learned.append(set(data.groups[out]))
        return out

    monkeypatch.setattr(trainer, "model_rows", recording_rows)
    curve.out_of_fold(data, 0.75)
    labelled = np.flatnonzero(data.scored)
    per_fold = len(trainer.training_only_languages(data)) + 2  # stage one, stage two, each own stage two
    folds = list(GroupKFold(trainer.FOLDS).split(labelled, groups=data.groups[labelled]))
    assert len(learned) == per_fold * len(folds)
    for i, (_, test) in enumerate(folds):
        scored = set(data.groups[labelled[test]])
        assert all(not groups & scored for groups in learned[i * per_fold : (i + 1) * per_fold])


def test_recall_at_precision():
    labels = np.array([1, 1, 0, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    assert curve.recall_at_precision(scores, labels, 1.0) == pytest.approx(2 / 3)
    assert curve.recall_at_precision(scores, labels, 0.75) == 1.0


def test_fractions_out_of_range_are_refused():
    with pytest.raises(SystemExit):
        curve.main(["--fractions", "0"])

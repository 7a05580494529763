"""Tests of tools.train_event_detector: what cross-validation scores and what each model learns from."""

from types import SimpleNamespace

import numpy as np
from scipy import sparse

from tools import train_event_detector as trainer

ORDINARY = 40  # 10 documents of 4 sentences (one event each), half English, half French
EXTRA = 8  # English training-only event sentences


def _training_set() -> SimpleNamespace:
    labels = np.array([1 if i % 4 == 0 else 0 for i in range(ORDINARY)] + [1] * EXTRA)
    languages = np.array(["en" if i < ORDINARY // 2 else "fr" for i in range(ORDINARY)] + ["en"] * EXTRA)
    features = sparse.csr_matrix(np.random.default_rng(0).random((len(labels), 6)) + labels[:, None])
    scored = np.array([True] * ORDINARY + [False] * EXTRA)
    return SimpleNamespace(
        scored=scored,
        is_case=np.zeros(len(labels), dtype=bool),
        training_only=~scored,
        labels=labels,
        languages=languages,
        groups=np.array([f"doc{i // 4}" for i in range(ORDINARY)] + [f"extra{i}" for i in range(EXTRA)]),
        sparse=features,
        dense=np.zeros((len(labels), 0)),
        stage_two_matrix=lambda rows=None: features if rows is None else features[rows],
    )


def test_training_only_rows_train_their_language_and_are_never_scored(monkeypatch):
    data = _training_set()
    fitted = []
    real_fit = trainer.fit

    def recording_fit(X, y, C):
        fitted.append(X.shape[0])
        return real_fit(X, y, C)

    monkeypatch.setattr(trainer, "fit", recording_fit)
    first, second = trainer.cross_validate(data)
    # every ordinary sentence gets an out-of-fold probability, no training-only one does
    assert np.all(second[:ORDINARY] > 0) and not second[ORDINARY:].any() and not first[ORDINARY:].any()
    # per fold: stage one and the default stage two on the other folds' 32 ordinary sentences;
    # the English stage two on those and the 8 English training-only sentences
    assert fitted == [32, 32, 40] * trainer.FOLDS


def test_fit_arrays_stores_a_stage_two_model_for_the_training_only_language(monkeypatch):
    data = _training_set()
    monkeypatch.setattr(trainer, "DIM", 6)  # the toy features stand for the hashed terms
    arrays = trainer.fit_arrays(data, np.arange(ORDINARY + EXTRA))
    assert {"stage_two_coef", "stage_two_coef_en", "stage_two_intercept_en"} <= set(arrays)
    assert "stage_two_coef_fr" not in arrays
    # the English model saw 8 more event sentences, so it is not the default model
    assert not np.allclose(arrays["stage_two_coef"], arrays["stage_two_coef_en"])
    assert trainer.training_only_languages(data) == ["en"]

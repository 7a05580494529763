"""Tests of tools.train_page_mode's pure parts (the full run needs ../shared data)."""

from __future__ import annotations

import numpy as np

from benchmarks.extraction import PageScore
from tools.train_page_mode import _choose, _fit, _standardise, cross_validate


def test_standardise_leaves_constant_columns_unscaled():
    mean, scale = _standardise(np.array([[1.0, 5.0], [3.0, 5.0]]))
    assert mean.tolist() == [2.0, 5.0]
    assert scale.tolist() == [1.0, 1.0]


def test_choose_takes_the_precision_score_at_or_above_the_threshold():
    precision, recall = PageScore(9, 1, 0), PageScore(9, 5, 0)
    assert _choose(np.array([0.5, 0.49]), [(precision, recall)] * 2) == [precision, recall]


def test_fit_and_cross_validate_learn_a_separable_rule():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    y = (x[:, 0] > 0).astype(int)
    w = np.ones(60)
    mean, scale, model = _fit(x, y, w, 1.0)
    assert (model.predict((x - mean) / scale) == y).mean() > 0.9
    # precision wins exactly where x0 > 0: a good model chooses right on unseen folds
    good, bad = PageScore(10, 0, 0), PageScore(0, 10, 10)
    scores = [(good, bad) if label else (bad, good) for label in y]
    sites = [f"site{i}" for i in range(60)]
    assert cross_validate(x, y, w, sites, scores, 1.0) > 0.9

"""Fully nested CV of the event-type stack: the word-vector views' C and the meta C
chosen inside each training fold.

    python -m benchmarks.events_nested [--data ../shared/data/events/case2021-task2-dev.tsv] [--seeds 0 1 2]

Same outer folds as ``benchmarks.events`` (stratified 5-fold, shuffle seeds 0/1/2) and
the same inner CV as ``fit_inputs`` (5 folds, seed 0) for the meta model's training
scores. Inside each outer training fold, every candidate — C of the md word-vector view
(0.003/0.01/0.1, standardised), the GloVe view (C 0.1/1 raw, 0.01/0.1 standardised) and
the meta C (0.1/0.3/1) — is scored by a CV of the meta model over those inner scores
(folds seeded 1, as ``fit_inputs`` picks a meta C); the best is refitted on the training
fold and types the test fold. Nothing from the test fold is used. Prints the median
[min-max] over seeds of the pooled out-of-fold weighted F1, and which settings were
picked.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from typing import Dict, List, Optional, Sequence

import numpy as np

from benchmarks.events import folds_of, weighted_f1
from tools.train_event_types import (
    CHOSEN,
    DEFAULT_DATA,
    GLOVE_VIEW,
    SEED,
    VECTOR_VIEW,
    ClassifierSpec,
    _folds,
    fit_view,
    read_case,
)
from transforms.events.features import prepare

META_C = (0.1, 0.3, 1.0)
VECTOR_CANDIDATES = {
    f"md C={c}": VECTOR_VIEW._replace(classifier=ClassifierSpec("linearsvc", C=c)) for c in (0.003, 0.01, 0.1)
}
GLOVE_CANDIDATES = {
    **{
        f"glove C={c}": GLOVE_VIEW._replace(classifier=ClassifierSpec("linearsvc", C=c), standardize=False)
        for c in (0.1, 1.0)
    },
    **{
        f"glove std C={c}": GLOVE_VIEW._replace(classifier=ClassifierSpec("linearsvc", C=c), standardize=True)
        for c in (0.01, 0.1)
    },
}


def view_scores(spec, inputs, labels, train, test, base):
    """(inner out-of-fold scores of the training texts, scores of the test texts)."""
    tr_labels = [labels[i] for i in train]
    Z = np.zeros((len(train), len(set(labels))))
    for itr, ite in _folds(tr_labels, CHOSEN.inner_folds, SEED):
        view = fit_view(spec, [inputs[train[i]] for i in itr], [tr_labels[i] for i in itr], base)
        Z[ite] = [view.scores(inputs[train[i]]) for i in ite]
    view = fit_view(spec, [inputs[i] for i in train], tr_labels, base)
    return Z, np.array([view.scores(inputs[i]) for i in test])


def meta(C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=5000)


def inner_f1(Z: np.ndarray, y: np.ndarray, C: float) -> float:
    predicted = np.empty(len(y), dtype=object)
    for itr, ite in _folds(list(y), CHOSEN.inner_folds, SEED + 1):
        predicted[ite] = meta(C).fit(Z[itr], y[itr]).predict(Z[ite])
    return weighted_f1(list(y), list(predicted), sorted(set(y)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    started = time.perf_counter()
    texts, labels = read_case(args.data)
    classes = sorted(set(labels))
    y = np.asarray(labels)
    inputs = prepare(texts)
    fixed_views = [v for v in CHOSEN.views if v not in (VECTOR_VIEW, GLOVE_VIEW)]
    scores: List[float] = []
    picks: Counter = Counter()
    for seed in args.seeds:
        predicted = np.empty(len(labels), dtype=object)
        for train, test in folds_of(labels, seed):
            fixed = [view_scores(v, inputs, labels, train, test, CHOSEN.base) for v in fixed_views]
            vectors: Dict[str, tuple] = {
                name: view_scores(v, inputs, labels, train, test, CHOSEN.base) for name, v in VECTOR_CANDIDATES.items()
            }
            gloves: Dict[str, tuple] = {
                name: view_scores(v, inputs, labels, train, test, CHOSEN.base) for name, v in GLOVE_CANDIDATES.items()
            }
            best = None
            for vname, vpair in vectors.items():
                for gname, gpair in gloves.items():
                    Z = np.hstack([z for z, _ in fixed] + [vpair[0], gpair[0]])
                    for C in META_C:
                        f1 = inner_f1(Z, y[train], C)
                        if best is None or f1 > best[0]:
                            best = (f1, vname, gname, C)
            _, vname, gname, C = best
            picks[(vname, gname, f"meta C={C}")] += 1
            Z = np.hstack([z for z, _ in fixed] + [vectors[vname][0], gloves[gname][0]])
            S = np.hstack([s for _, s in fixed] + [vectors[vname][1], gloves[gname][1]])
            predicted[test] = meta(C).fit(Z, y[train]).predict(S)
        scores.append(weighted_f1(labels, list(predicted), classes))
        print(f"seed {seed}: {scores[-1]:.4f}", flush=True)
    print(
        f"FULLY NESTED (honest): weighted F1 {np.median(scores):.4f} median over seeds {args.seeds}, "
        f"[{min(scores):.4f}-{max(scores):.4f}]  ({time.perf_counter() - started:.0f} s)"
    )
    for pick, n in picks.most_common():
        print(f"  picked {n:2d}x: {', '.join(pick)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Train the English event-type model and write ``transforms/data/event_model.zip``.

    python -m benchmarks.train_event_types [--data ../shared/data/events/case2021-task2-dev.tsv]
                                           [--output transforms/data/event_model.zip]

Data: the 509 CASE-2021 task 2 snippets (``id``, ``EventSnippet``, ``SubType``).
Features and classifier are ``CHOSEN`` below, the setting with the best 5-fold
cross-validated weighted F1 in ``python -m benchmarks.events`` (which reports the
others it tried). Deterministic: vocabularies are sorted, the solvers are
deterministic or seeded, and the zip has fixed timestamps, so two runs write the
same bytes (tests/test_event_types.py trains twice and compares).

Needs scikit-learn (a dev/benchmark dependency; the pipeline's inference is numpy only).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from scipy import sparse

from transforms.event_types import (
    MODEL_PATH,
    EventTypeModel,
    FeatureConfig,
    TfidfBlock,
    char_terms,
    load_lexicon,
    model_words,
    word_terms,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "events" / "case2021-task2-dev.tsv"
SEED = 0


class ClassifierSpec(NamedTuple):
    kind: str  # "logreg", "linearsvc", "sgd_log", "sgd_modified_huber"
    C: float = 10.0  # inverse regularisation (logreg, linearsvc); SGD uses alpha = 1 / (C * n)
    class_weight: Optional[str] = None  # None or "balanced"


class TrainingSetup(NamedTuple):
    features: FeatureConfig
    classifier: ClassifierSpec
    min_df: int  # terms seen in fewer training snippets are dropped (keeps the artefact small)
    fusion: Dict  # see transforms.event_types.fuse


# The setting kept by benchmarks/events.py: best 5-fold CV weighted F1 with each
# snippet's single-snippet triggers off (0.771; 0.848 with the whole lexicon; model
# alone 0.709). Through classify_event with min_probability 0.75: 0.850 / 0.764.
# The lexicon is fused with the model's output (p + q, q = lexicon scores summing to 1)
# rather than fed to it as features: as good on the corrected score, and the model
# stays independent of the lexicon. temperature: the softmax temperature with the
# lowest out-of-fold log loss for this model; min_probability: a sentence with no
# lexicon cue is typed only from this model probability on (above 99% of the cue-less
# sentences of 60 English articles of ../shared/data/extraction; costs no CASE snippet).
CHOSEN = TrainingSetup(
    features=FeatureConfig(word_ngrams=(1, 2), char_ngrams=(2, 5), stem_words=True),
    classifier=ClassifierSpec("logreg", C=20.0, class_weight="balanced"),
    min_df=2,
    fusion={"kind": "sum", "beta": 1.0, "temperature": 2.0, "min_probability": 0.75},
)


def read_case(path: str) -> Tuple[List[str], List[str]]:
    """(snippets, labels) of a CASE-2021 task 2 TSV, in file order."""
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            texts.append(row["EventSnippet"].strip())
            labels.append(row["SubType"].strip())
    return texts, labels


def lexicon_scores(texts: Sequence[str]) -> List[Dict[str, float]]:
    lexicon = load_lexicon("en")
    return [lexicon.match(text).scores for text in texts]


def _make_classifier(spec: ClassifierSpec, n_samples: int):
    # Imported here so importing this module (for CHOSEN, read_case) needs no sklearn.
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.svm import LinearSVC

    if spec.kind == "logreg":
        return LogisticRegression(C=spec.C, class_weight=spec.class_weight, max_iter=5000)
    if spec.kind == "linearsvc":
        return LinearSVC(C=spec.C, class_weight=spec.class_weight, random_state=SEED, max_iter=20000)
    if spec.kind.startswith("sgd_"):
        return SGDClassifier(
            loss=spec.kind[len("sgd_") :],
            alpha=1.0 / (spec.C * n_samples),
            class_weight=spec.class_weight,
            max_iter=200,
            tol=None,
            random_state=SEED,
        )
    raise ValueError(f"unknown classifier {spec.kind!r}")


def _matrix(model: EventTypeModel, texts: Sequence[str], scores: Sequence[Dict[str, float]]) -> sparse.csr_matrix:
    data, indices, indptr = [], [], [0]
    for text, lex in zip(texts, scores):
        columns, values = model.features(text, lex)
        order = np.argsort(columns, kind="stable")
        indices.append(columns[order])
        data.append(values[order])
        indptr.append(indptr[-1] + len(columns))
    return sparse.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=(len(texts), model.n_features)
    )


def fit(
    texts: Sequence[str],
    labels: Sequence[str],
    setup: TrainingSetup,
    scores: Optional[Sequence[Dict[str, float]]] = None,
) -> EventTypeModel:
    """Vocabularies, idf and classifier fitted on ``texts`` only."""
    config = setup.features
    tokens = [model_words(text, config) for text in texts]
    words_block = TfidfBlock.fit([word_terms(t, config) for t in tokens], setup.min_df, config.sublinear_tf)
    chars_block = None
    if config.char_ngrams is not None:
        chars_block = TfidfBlock.fit([char_terms(t, config) for t in tokens], setup.min_df, config.sublinear_tf)
    classes = sorted(set(labels))
    n_features = len(words_block) + (len(chars_block) if chars_block else 0)
    n_features += len(classes) if config.lexicon_weight else 0
    # A placeholder model gives the feature rows; the classifier's weights replace it.
    placeholder = np.zeros((len(classes), n_features)), np.zeros(len(classes))
    shell = EventTypeModel(config, words_block, chars_block, classes, *placeholder, setup.fusion)
    if scores is None and config.lexicon_weight:
        scores = lexicon_scores(texts)
    X = _matrix(shell, texts, scores or [{}] * len(texts))
    classifier = _make_classifier(setup.classifier, len(texts))
    classifier.fit(X, np.asarray(labels))
    if list(classifier.classes_) != classes:
        raise AssertionError("classifier classes out of order")
    coef, intercept = classifier.coef_, classifier.intercept_
    if len(classes) == 2:  # binary sklearn models keep one row; only in tiny test sets
        coef, intercept = np.vstack([-coef, coef]) / 2.0, np.concatenate([-intercept, intercept]) / 2.0
    return EventTypeModel(config, words_block, chars_block, classes, coef, intercept, setup.fusion)


def train(data: str, output: str, setup: TrainingSetup = CHOSEN) -> str:
    """Fit on the whole file, save, return the artefact's sha256."""
    texts, labels = read_case(data)
    model = fit(texts, labels, setup)
    model.save(output)
    with open(output, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--output", default=MODEL_PATH)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    digest = train(args.data, args.output)
    size = os.path.getsize(args.output)
    print(f"wrote {args.output}: {size:,} bytes, sha256 {digest}, {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

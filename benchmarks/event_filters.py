"""How many real event reports the event stage throws away: CASE-2021 snippets with no event.

    python -m benchmarks.event_filters [--folds 5] [--show]

Every CASE-2021 task 2 snippet reports an event that happened, so a snippet that yields no
event report is a recall loss of the detector (and of the rules after it: tolls, untyped).
The detector is trained on the CASE snippets too, so this is cross-validated: stratified
folds of the snippets, each fold scored by a detector fitted (as
``tools/train_event_detector.py`` fits it, same thresholds) on the labelled train split and
the other folds only. Each snippet is an article of its own (English, no title, no date,
entities from the pipeline's tagger). Also the whole stage's typing: weighted F1 of the
first report's type against the gold type, a snippet without a report counting as a miss,
typed by an English typing model fitted without the fold's snippets
(``tools.train_event_types.fit_fold_models``: the other snippets and the labelled train news
events, as the shipped one), so that no snippet is typed by a model that learned it. The
trigger lexicon fused with it was written reading this file: that part is not held out.
Writes benchmarks/results/event-filters.json.
"""

import argparse
import json
import sys
from collections import Counter
from typing import List, Optional, Sequence

import numpy as np

from tools.event_data import REPO, iter_case_folds, read_case
from tools.train_event_detector import TrainingSet, fit_arrays
from tools.train_event_types import fit_fold_models
from transforms.events.detect import DetectorModel, load_detector
from transforms.events.extract import extract_events
from transforms.records import Article, Paragraph

RESULTS = REPO / "benchmarks" / "results" / "event-filters.json"


def snippet_article(snippet_id: str, text: str) -> Article:
    return Article(
        f"case-{snippet_id}",
        f"case/{snippet_id}",
        None,
        "case",
        None,
        None,
        "en",
        text,
        [Paragraph(0, 0, len(text), "en", False)],
    )


def drop_reason(counts: Counter) -> str:
    """Why a snippet yielded no report: a modality veto turned down a confident detection, the
    detector scored it under the cut, or the rules after detection (type, toll) let it go."""
    if counts["vetoed"]:
        return "vetoed (modality)"
    return (
        "not detected (stage one or under the cut)" if not counts["detected"] else "detected, no report (untyped/toll)"
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--show", action="store_true", help="print each dropped snippet and why")
    args = parser.parse_args(argv)
    from sklearn.metrics import f1_score

    from transforms.entities.models import Models
    from transforms.entities.resolve import model_spans, tag_article

    shipped = load_detector()
    data = TrainingSet()
    snippets = read_case()
    case_rows = np.flatnonzero(data.is_case)
    labelled = np.flatnonzero(~data.is_case)
    models = Models()
    nlp = models.get("en")
    reported: List[bool] = [False] * len(snippets)
    typed: List[str] = ["NONE"] * len(snippets)
    reasons: Counter = Counter()
    for fold, test in enumerate(iter_case_folds(snippets, args.folds)):
        held = set(test)
        rows = np.concatenate([labelled, [case_rows[i] for i in range(len(snippets)) if i not in held]])
        detector = DetectorModel(shipped.meta, fit_arrays(data, rows))
        typing = fit_fold_models(snippets={i for i in range(len(snippets)) if i not in held})
        for i in test:
            article = snippet_article(snippets[i].id, snippets[i].text)
            mentions = tag_article(article, model_spans(nlp(article.text)), models.gazetteer)
            counts: Counter = Counter()
            reports = extract_events(article, mentions, counts, detector=detector, type_model=typing.english)
            reported[i] = bool(reports)
            if reports:
                typed[i] = reports[0].type
            else:
                reason = drop_reason(counts)
                reasons[reason] += 1
                if args.show:
                    print(f"  dropped {snippets[i].id} ({reason}): {snippets[i].text[:200]}", flush=True)
        print(f"fold {fold + 1}: {sum(reported[i] for i in test)} of {len(test)} snippets reported", flush=True)
    dropped = len(snippets) - sum(reported)
    gold = [s.type for s in snippets]
    report = {
        "snippets": len(snippets),
        "folds": args.folds,
        "dropped": dropped,
        "dropped_share": round(dropped / len(snippets), 4),
        "why_dropped": dict(reasons),
        "whole_stage_weighted_f1": round(float(f1_score(gold, typed, average="weighted", zero_division=0)), 4),
    }
    print(json.dumps(report, indent=1))
    with open(args.results, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(report, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

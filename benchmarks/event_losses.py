"""Where the event stage loses real events, on the train split, with out-of-fold detectors.

    python -m benchmarks.event_losses [--low_cut 0.2]

The held-out test split says *how much* recall the stage has (``benchmarks/event_detection.py``);
this says *where* it goes, without reading the test split. The labelled train documents are cut
into the 5 folds (grouped by document) ``tools/train_event_detector.py`` cross-validates with;
each fold goes through the whole stage (``extract_events``: both detector stages, the modality
vetoes, typing, tolls, tallies…) with a detector fitted on the other folds and the CASE-2021
snippets, exactly as shipped otherwise.

Each gold ``event`` sentence ends in one of: ``reported``; ``stage_one`` (the cheap stage let it
go); ``below_cut`` (stage two scored it under the language's cut); ``veto:<cue>`` (a modality
veto turned it down); ``after_detection`` (detected, but no report: untyped, negated, a tally,
a consequence). Event-level precision / recall / false events per 100 quiet documents are
counted as ``benchmarks/event_detection.py`` counts them.

Then the same run at a low cut (``--low_cut``, stage one opened as far) gives every sentence's
out-of-fold probability, and the cut sweep shows what each cut would give: the frontier the
shipped cut sits on. A sentence reported at the low cut counts as reported at a higher cut when
its probability reaches it (the neighbour typing and tallies may differ slightly).
Writes benchmarks/results/event-losses.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from benchmarks.event_detection import QUIET_MIN_SENTENCES, as_article, tag
from tools.event_data import REPO, documents, read_rows
from tools.train_event_detector import FOLDS, TrainingSet, fit_arrays
from transforms.events import extract as extract_module
from transforms.events.detect import Detection, DetectorModel, load_detector

RESULTS = REPO / "benchmarks" / "results" / "event-losses.json"
SWEEP = (0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7)

# (document key, language, sentence index, gold label, gold type, probability, reported type)
Scored = Tuple[str, str, int, str, Optional[str], float, Optional[str]]


def out_of_fold_runs(data: TrainingSet, meta: Dict, models) -> Tuple[Dict[str, Counter], List[Scored]]:
    """Every train document through the whole stage with the detector of the folds without it."""
    from sklearn.model_selection import GroupKFold

    docs = {d.key: d for d in documents(read_rows(), split="train")}
    labelled = np.flatnonzero(data.scored)
    case = np.flatnonzero(~data.scored)  # CASE snippets and training-only sources: always trained on
    seen: List[List[Detection]] = []
    real_decide = extract_module.decide

    def keep_detections(*args, **kwargs):
        out = real_decide(*args, **kwargs)
        seen.append(out)
        return out

    fates: Dict[str, Counter] = defaultdict(Counter)
    scored: List[Scored] = []
    extract_module.decide = keep_detections  # type: ignore[assignment]
    try:
        for train, test in GroupKFold(FOLDS).split(labelled, groups=data.groups[labelled]):
            detector = DetectorModel(meta, fit_arrays(data, np.concatenate([labelled[train], case])))
            for key in sorted(set(data.groups[labelled[test]])):
                doc = docs[key]
                article, spans = as_article(doc)
                reports = extract_module.extract_events(article, tag(article, models), Counter(), detector=detector)
                detections = seen.pop()
                reported = {}
                for report in reports:
                    for i, (start, end) in enumerate(spans):
                        if start <= report.start < end:
                            reported[i] = report.type
                cut = detector.threshold(doc.lang)
                for i, row in enumerate(doc.rows):
                    d = detections[i]
                    if row.label == "event":
                        fates[doc.lang][
                            "reported"
                            if i in reported
                            else "stage_one"
                            if d.stage == 1
                            else "below_cut"
                            if d.probability < cut
                            else f"veto:{d.veto}"
                            if d.veto
                            else "after_detection"
                        ] += 1
                    scored.append((key, doc.lang, i, row.label, row.type, d.probability, reported.get(i)))
    finally:
        extract_module.decide = real_decide  # type: ignore[assignment]
    return fates, scored


def event_level(scored: Sequence[Scored], language: str, cut: float = 0.0) -> Dict[str, float]:
    """Event-level figures as benchmarks/event_detection.py counts them, for reports at ``cut``."""
    by_doc: Dict[str, List[Scored]] = defaultdict(list)
    for s in scored:
        if s[1] == language:
            by_doc[s[0]].append(s)
    c: Counter = Counter()
    for rows in by_doc.values():
        labels = {i: label for _, _, i, label, _, _, _ in rows}
        gold: Dict[Optional[str], set] = defaultdict(set)
        predicted: Dict[str, set] = defaultdict(set)
        for _, _, i, label, type_, p, reported in rows:
            if label == "event":
                gold[type_].add(i)
            if reported is not None and p >= cut and label != "unsure":
                predicted[reported].add(i)
        hit = {i for members in predicted.values() for i in members}
        c["gold"] += len(gold)
        c["found"] += sum(1 for members in gold.values() if members & hit)
        c["predicted"] += len(predicted)
        c["right"] += sum(1 for members in predicted.values() if any(labels[i] == "event" for i in members))
        if len(rows) >= QUIET_MIN_SENTENCES and not gold:
            c["quiet"] += 1
            c["quiet_false"] += len(predicted)
    return {
        "precision": round(c["right"] / c["predicted"], 3) if c["predicted"] else 0.0,
        "recall": round(c["found"] / c["gold"], 3) if c["gold"] else 0.0,
        "false_events_per_100_quiet": round(100 * c["quiet_false"] / c["quiet"], 1) if c["quiet"] else 0.0,
        "gold": c["gold"],
        "predicted": c["predicted"],
    }


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--low_cut", type=float, default=0.2, help="the cut of the sweep's run (stage one opened too)")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(list(argv))
    from transforms.entities.models import Models

    models = Models()
    shipped = load_detector()
    data = TrainingSet()
    result: Dict = {"folds": FOLDS, "split": "train", "shipped_cuts": shipped.thresholds, "by_language": {}}
    fates, scored = out_of_fold_runs(data, shipped.meta, models)
    low_meta = dict(shipped.meta, thresholds={k: args.low_cut for k in shipped.thresholds}, stage_one_min=0.0)
    _, low = out_of_fold_runs(data, low_meta, models)
    for language in ("en", "fr"):
        result["by_language"][language] = {
            "gold_event_sentences": dict(sorted(fates[language].items())),
            "shipped": event_level(scored, language),
            "sweep": {str(cut): event_level(low, language, cut) for cut in SWEEP if cut >= args.low_cut},
        }
    print(json.dumps(result, indent=1))
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(result, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

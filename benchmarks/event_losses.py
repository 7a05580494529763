"""Where the event stage loses real events, on the train split, with out-of-fold detectors.

    python -m benchmarks.event_losses [--low_cut 0.2]

The held-out test split says *how much* recall the stage has (``benchmarks/event_detection.py``);
this says *where* it goes, without reading the test split. The labelled train documents are cut
into the 5 folds (grouped by document) ``tools/train_event_detector.py`` cross-validates with;
each fold goes through the whole stage (``extract_events``: both detector stages, the modality
vetoes, typing, tolls, tallies…) with a detector fitted on the other folds and the CASE-2021
snippets, and typing models fitted without the fold's events (``tools.event_stage.fold_parts``),
exactly as shipped otherwise.

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
from typing import Dict, Sequence

from tools.event_data import REPO
from tools.event_stage import event_level, out_of_fold_runs
from tools.train_event_detector import FOLDS, TrainingSet
from transforms.events.detect import load_detector

RESULTS = REPO / "benchmarks" / "results" / "event-losses.json"
SWEEP = (0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7)


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

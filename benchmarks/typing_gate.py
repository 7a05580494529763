"""The typing gate: should a detected sentence the typing model is unsure of be reported?

    python -m benchmarks.typing_gate [--gates 0 0.3 0.4 0.5 0.6 0.7]

A detected sentence that no lexicon cue names, and to whose best type the typing model gives
less than ``min_probability`` (the gate; the shipped models say 0.5), goes untyped, and so
unreported unless a detected neighbour lends it its type (``transforms.events.classify.fuse``).
The gate predates the learned detector. This measures it the way the detector's cuts are
chosen: every train document through the whole stage out of fold (``tools.event_stage``: the
detector and the typing models of the folds without it, vetoes and grouping included), once per
gate value (0: every detected sentence typed), and for each the cut
``tools.train_event_detector.choose_threshold`` would choose and the figures there. One pass
per fold: the documents are tagged once and run once per gate. The test split is never read.
Writes ``benchmarks/results/typing-gate.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

RESULTS = Path(__file__).resolve().parent / "results" / "typing-gate.json"
GATES = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7)


def with_gate(model, gate: float):
    """The typing model with its gate at ``gate`` (a shallow copy: the fold's views are shared)."""
    import copy

    gated = copy.copy(model)
    gated.fusion = dict(model.fusion, min_probability=gate)
    return gated


def gate_runs(data, models, gates: Sequence[float]) -> Dict[float, List]:
    """Per gate, what the whole stage reports on every train document out of fold
    (``tools.event_stage.Scored`` rows), every cut opened as ``stage_sweep`` opens them."""
    from tools.event_stage import as_article, fold_parts, run_document, scored_rows, tag
    from tools.train_event_detector import LOW_CUT, detector_meta
    from transforms.events.detect import DetectorModel

    meta = detector_meta(data, 0.0, {"en": LOW_CUT, "fr": LOW_CUT})
    scored: Dict[float, List] = {gate: [] for gate in gates}
    for fold, (arrays, held_out, typing) in enumerate(fold_parts(data)):
        detector = DetectorModel(meta, arrays)
        for doc in held_out:
            article, _ = as_article(doc)
            mentions = tag(article, models)
            for gate in gates:
                model = with_gate(typing.for_language(doc.lang), gate)
                detections, reported = run_document(doc, mentions, detector, model)
                scored[gate].extend(scored_rows(doc, detections, reported))
        print(f"fold {fold + 1}: {len(held_out)} documents", flush=True)
    return scored


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gates", type=float, nargs="+", default=list(GATES))
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)
    if any(not 0 <= g < 1 for g in args.gates):
        parser.error(f"--gates must lie in [0, 1), not {args.gates}")
    from tools.train_event_detector import TrainingSet, choose_threshold
    from transforms.entities.models import Models

    started = time.perf_counter()
    data = TrainingSet()
    runs = gate_runs(data, Models(), sorted(set(args.gates)))
    rows = []
    for gate, scored in runs.items():
        row: Dict = {"gate": gate, "by_language": {}}
        for language in ("en", "fr"):
            cut, figures = choose_threshold(scored, language)
            row["by_language"][language] = dict(figures, cut=cut)
            print(
                f"gate {gate:.2f} {language}: cut {cut:.2f}, events {figures['precision']:.3f} / "
                f"{figures['recall']:.3f}, {figures['false_events_per_100_quiet']} false per 100 quiet "
                f"({figures['false_events_per_100_quiet_news']} on news)",
                flush=True,
            )
        rows.append(row)
    report = {
        "what": "the typing gate (min_probability) against the cut chosen and the whole stage's out-of-fold "
        "event figures there, train split",
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }
    Path(args.results).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

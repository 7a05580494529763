"""Event detection on the held-out test split of ``benchmarks/data/events/``, French and English.

    python -m benchmarks.event_detection [--split test] [--output benchmarks/results/event-detection.json]

Each test document goes through what the batch job does to an article after segmentation:
``TagEntities``' per-article tagging (spaCy NER + gazetteer) and ``extract_events`` (the shipped
detector, typing, dates, background). Nothing here was used to train or tune anything: the
test split is read by this script only.

Measured, per language (and per source in the JSON):

* sentence level: a sentence is predicted an event when it yields an event report; gold is the
  ``event`` label (``unsure`` sentences are left out);
* event level: a gold event is the set of ``event`` sentences of one document with one type;
  it is found when the job reports any of its sentences. A predicted event is the set of
  reports of one document with one type; it is right when any of its sentences is a gold
  ``event`` sentence (whatever the type: typing is scored apart);
* false events per 100 quiet articles: documents of at least 3 sentences with no gold event
  (single-sentence GSD items are not articles), predicted events per 100 such documents;
* typing: weighted F1 of the reported type against the gold type on correctly detected
  sentences; background: agreement with the gold flag on them;
* speed: milliseconds of ``extract_events`` per document (models loaded before timing).

The per-language figures are those of ordinary text: a training-only source
(``tools.event_data.TRAINING_ONLY_SOURCES``, sentences picked from protest news for their
events) is scored in ``by_source`` only.
"""

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from tools.event_data import REPO, TRAINING_ONLY_SOURCES, Document, documents, read_rows
from tools.event_stage import QUIET_MIN_SENTENCES, as_article, tag
from tools.train_event_detector import prf
from transforms.events.extract import extract_events

RESULTS = REPO / "benchmarks" / "results" / "event-detection.json"


def weighted_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return round(float(f1_score(gold, predicted, average="weighted", zero_division=0)), 4) if gold else 0.0


def evaluate(docs: Sequence[Document], models) -> Dict:
    by_lang: Dict[str, Counter] = defaultdict(Counter)
    by_source: Dict[str, Counter] = defaultdict(Counter)
    typing: Dict[str, Tuple[List[str], List[str]]] = defaultdict(lambda: ([], []))
    background: Dict[str, Counter] = defaultdict(Counter)
    timings: List[float] = []
    for doc in docs:
        article, spans = as_article(doc)
        mentions = tag(article, models)
        started = time.perf_counter()
        reports = extract_events(article, mentions)
        timings.append((time.perf_counter() - started) * 1000)
        predicted: Dict[int, Tuple[str, bool]] = {}
        for report in reports:
            for i, (start, end) in enumerate(spans):
                if start <= report.start < end:
                    predicted[i] = (report.type, report.background)
        gold = {i: r for i, r in enumerate(doc.rows) if r.label == "event"}
        ignored = {i for i, r in enumerate(doc.rows) if r.label == "unsure"}
        counts = Counter()
        for i in range(len(doc.rows)):
            if i in ignored:
                continue
            counts[
                "tp" if i in gold and i in predicted else "fn" if i in gold else "fp" if i in predicted else "tn"
            ] += 1
        gold_events = defaultdict(set)
        for i, r in gold.items():
            gold_events[r.type].add(i)
        predicted_events = defaultdict(set)
        for i, (type_, _) in predicted.items():
            if i not in ignored:
                predicted_events[type_].add(i)
        counts["gold_events"] += len(gold_events)
        counts["found_events"] += sum(1 for members in gold_events.values() if members & set(predicted))
        counts["predicted_events"] += len(predicted_events)
        counts["right_events"] += sum(1 for members in predicted_events.values() if members & set(gold))
        if len(doc.rows) >= QUIET_MIN_SENTENCES and not gold:
            counts["quiet_articles"] += 1
            counts["quiet_false_events"] += len(predicted_events)
        by_source[doc.source].update(counts)
        # a training-only source (sentences picked for their events) is scored on its own, so that
        # it does not stand in the per-language figures for ordinary news
        if doc.source in TRAINING_ONLY_SOURCES:
            continue
        by_lang[doc.lang].update(counts)
        for i in set(gold) & set(predicted):
            typing[doc.lang][0].append(gold[i].type or "")
            typing[doc.lang][1].append(predicted[i][0])
            background[doc.lang]["agree" if bool(gold[i].background) == predicted[i][1] else "disagree"] += 1

    def summary(c: Counter) -> Dict:
        out = {
            "sentences": prf(c["tp"], c["fp"], c["fn"]),
            "events": {
                "precision": round(c["right_events"] / c["predicted_events"], 4) if c["predicted_events"] else 0.0,
                "recall": round(c["found_events"] / c["gold_events"], 4) if c["gold_events"] else 0.0,
                "gold": c["gold_events"],
                "predicted": c["predicted_events"],
            },
            "quiet_articles": c["quiet_articles"],
            "false_events_per_100_quiet_articles": round(100 * c["quiet_false_events"] / c["quiet_articles"], 1)
            if c["quiet_articles"]
            else None,
        }
        return out

    result = {"by_language": {}, "by_source": {s: summary(c) for s, c in sorted(by_source.items())}}
    for lang, c in sorted(by_lang.items()):
        result["by_language"][lang] = summary(c)
        result["by_language"][lang]["typing_weighted_f1"] = weighted_f1(*typing[lang])
        result["by_language"][lang]["typed_events"] = len(typing[lang][0])
        agree = background[lang]
        total = agree["agree"] + agree["disagree"]
        result["by_language"][lang]["background_agreement"] = round(agree["agree"] / total, 4) if total else None
    result["ms_per_document"] = {
        "median": round(statistics.median(timings), 2),
        "mean": round(statistics.mean(timings), 2),
        "documents": len(timings),
    }
    return result


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="test", choices=("test", "train"))
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(list(argv))
    from transforms.entities.models import Models
    from transforms.events.classify import load_model, load_multilingual_model
    from transforms.events.detect import load_detector

    models = Models()
    load_detector(), load_model(), load_multilingual_model()
    docs = documents(read_rows(), split=args.split)
    started = time.perf_counter()
    result = evaluate(docs, models)
    result["split"] = args.split
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result["by_language"], indent=1))
    print(f"ms per document: {result['ms_per_document']}")
    Path(args.output).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

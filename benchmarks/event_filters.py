"""How many real event reports the "did not happen" filters throw away.

    python -m benchmarks.event_filters [--tsv ../shared/data/events/case2021-task2-dev.tsv]

Every CASE-2021 snippet reports an event that happened, so a snippet whose every event
sentence is dropped by ``did_not_happen`` (threats, denials, plans, questions, generic
statements, tallies) or ``only_background`` (the event only named as a cause or a
memory) is a recall loss of those rules. ``only_bare_plurals`` applies in the pipeline only to
sentences with no date and no place; here it is counted for sentences with no date (places
need NER), so that column is an upper bound. Writes benchmarks/results/event-filters.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import pathlib
import sys
from collections import Counter
from typing import List, Optional

from transforms.events.classify import is_event_sentence
from transforms.events.dates import find_dates
from transforms.events.modality import (
    did_not_happen,
    only_background,
    only_bare_plurals,
    only_no_victims,
)
from transforms.text.segment import split_sentences

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_TSV = ROOT.parent / "shared" / "data" / "events" / "case2021-task2-dev.tsv"
RESULTS = ROOT / "benchmarks" / "results" / "event-filters.json"
_BASE = dt.datetime(2020, 1, 1)


def event_sentences(snippet: str) -> List[str]:
    sentences = [snippet[a:b] for a, b in split_sentences(snippet, "en")] or [snippet]
    return [s for s in sentences if is_event_sentence(s, "en")] or sentences


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tsv", type=pathlib.Path, default=DEFAULT_TSV)
    parser.add_argument("--results", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.tsv.exists():
        print(f"{args.tsv} not found (pass --tsv)", file=sys.stderr)
        return 2
    with args.tsv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    dropped = Counter()
    for row in rows:
        sentences = event_sentences(row["EventSnippet"])
        not_happened = all(did_not_happen(s) for s in sentences)
        background = all(did_not_happen(s) or only_background(s, "en") for s in sentences)
        bare = all(
            did_not_happen(s)
            or only_background(s, "en")
            or (not find_dates(s, "en", _BASE) and only_bare_plurals(s, "en"))
            for s in sentences
        )
        tolls = all(did_not_happen(s) or only_background(s, "en") or only_no_victims(s, "en") for s in sentences)
        dropped["not_happened"] += not_happened
        dropped["not_happened_or_background"] += background
        dropped["with_bare_plurals_upper_bound"] += bare
        dropped["not_happened_background_or_no_victims"] += tolls
    report = {
        "snippets": len(rows),
        "dropped": dict(dropped),
        "dropped_share": {k: round(v / len(rows), 4) for k, v in dropped.items()},
    }
    for name, count in dropped.items():
        print(f"{name:<32} {count:4d} of {len(rows)} snippets dropped ({count / len(rows):.1%})")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

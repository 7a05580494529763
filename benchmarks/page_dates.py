"""Publication dates found in HTML pages, against WCXB dev's gold ``publish_date``.

    .venv/bin/python -m benchmarks.page_dates [--sets tune,check]

The cleanup takes a page's date from ``page_metadata`` (htmldate's fast rules: markup, JSON-LD,
URL, time elements and date patterns near them). htmldate also has an extensive search for
pages where those find nothing: it scans the page's free text and whole serialised markup for
anything that looks like a date. This script scores both policies on the same pages:

* ``fast``: the date the cleanup gives (``page_metadata``);
* ``fast_then_extensive``: the same, and htmldate's extensive search where it gives none
  (what the cleanup did before 2026-12-06).

Per half of WCXB dev (the split of ``benchmarks/extraction.py``): pages whose gold has a date,
and for each policy the dates right (same day as the gold), wrong (another day, or a date where
the gold has none) and missing (none where the gold has one). The page's URL is given, as a
feed or WARC record gives it. The latest allowed date is fixed (``REFERENCE_DAY``, after every
gold date of the set) so that a rerun gives the same figures whatever day it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

from benchmarks.extraction import REPO, WCXB, load_set, load_split, page_path, read_page, write_results

RESULTS = REPO / "benchmarks" / "results" / "page-dates.json"
REFERENCE_DAY = "2026-12-01"
POLICIES = ("fast", "fast_then_extensive")


def day(value: Optional[str]) -> Optional[str]:
    """``YYYY-MM-DD`` of a gold or found date (None for none)."""
    return value[:10] if value else None


def score(gold: Optional[str], found: Optional[str], counts: Counter) -> None:
    """Adds one page's outcome to ``counts``: right, wrong or missing."""
    if found is None:
        counts["missing" if gold else "none_right"] += 1
    elif found == gold:
        counts["right"] += 1
    else:
        counts["wrong"] += 1


def page_dates(html: str, url: Optional[str]) -> Optional[Dict[str, Optional[str]]]:
    """The date of each policy for one page (None when the page does not parse)."""
    from htmldate import find_date
    from trafilatura.settings import set_date_params

    from transforms.clean.html_extract import page_metadata, parse_html
    from transforms.records import BadInput

    try:
        tree = parse_html(html)
    except BadInput:
        return None
    meta = page_metadata(tree, url, REFERENCE_DAY)
    fast = day(meta.date)
    extensive = fast
    if fast is None:
        params = {**set_date_params(True), "url": meta.url, "max_date": REFERENCE_DAY}
        extensive = day(find_date(tree, **params))
    return {"fast": fast, "fast_then_extensive": extensive}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="tune,check", help="comma-separated, of tune,check (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    raw = json.loads((WCXB / "ground-truth.json").read_text(encoding="utf-8"))
    split = load_split()
    results: Dict[str, object] = {"reference_day": REFERENCE_DAY, "sets": {}}
    for name in (n.strip() for n in args.sets.split(",") if n.strip()):
        if name not in ("tune", "check"):
            parser.error(f"unknown set {name!r}: WCXB dev halves only (tune, check)")
        page_set = load_set(name, split)
        counts = {policy: Counter() for policy in POLICIES}
        gold_dated = 0
        start = time.perf_counter()
        for key in page_set.ids:
            found = page_dates(read_page(page_path(page_set, key)).body, page_set.urls[key])
            gold = day(raw[key].get("publish_date"))
            gold_dated += gold is not None
            for policy in POLICIES:
                score(gold, found[policy] if found else None, counts[policy])
        results["sets"][name] = {
            "pages": len(page_set.ids),
            "gold_dated": gold_dated,
            **{policy: dict(sorted(counts[policy].items())) for policy in POLICIES},
        }
        print(f"{name}: {len(page_set.ids)} pages, {gold_dated} with a gold date ({time.perf_counter() - start:.0f} s)")
        for policy in POLICIES:
            c = counts[policy]
            print(f"  {policy:20s} right {c['right']:3d}  wrong {c['wrong']:3d}  missing {c['missing']:3d}")
    write_results(args.output, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

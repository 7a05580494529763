"""Cleanup speed vs trafilatura's defaults, page by page, and where the cleanup's time goes.

    .venv/bin/python -m benchmarks.cleanup_speed [--sets zyte,tune] [--repeats 1]

``benchmarks/extraction.py`` times whole passes of each system in turn; on a shared machine
the load can change between two passes of ~50 s and the per-pass ratio swings (0.58 to 1.05
seen). Here both systems run on the same page one right after the other, the first one
alternating from page to page, so a change of load hits both alike; the ratio is the total
time of trafilatura over that of the cleanup (pages are read and decoded before timing).

The same pages are then split into the cleanup's steps, each timed on its own: the safe parse,
the metadata (htmldate's fast date rules included), the page-mode features, and the extraction
with the rules after trafilatura (of which the check for a body cut in same-class chunks).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

from benchmarks.extraction import REPO, SYSTEMS, load_set, load_split, page_path, read_page, write_results

RESULTS = REPO / "benchmarks" / "results" / "cleanup-speed.json"


def interleaved(work: list) -> Dict[str, float]:
    """Seconds each system spends on all pages, run page by page in alternating order."""
    spent = dict.fromkeys(SYSTEMS, 0.0)
    for i, (document, url) in enumerate(work):
        for name in list(SYSTEMS) if i % 2 == 0 else list(reversed(SYSTEMS)):
            start = time.perf_counter()
            SYSTEMS[name](document, url)
            spent[name] += time.perf_counter() - start
    return spent


def steps(work: list) -> Dict[str, float]:
    """Seconds of each step of the cleanup over all pages (as extract_page runs them, no URL)."""
    from transforms.clean import html_extract
    from transforms.clean.page_mode import choose_focus
    from transforms.records import BadInput

    spent = dict.fromkeys(("parse", "metadata", "features", "extract", "body_chunks"), 0.0)
    for document, _ in work:
        clock = time.perf_counter()
        try:
            tree = html_extract.parse_html(document.body)
        except BadInput:
            continue
        parsed = time.perf_counter()
        meta = html_extract.page_metadata(tree, None)
        described = time.perf_counter()
        focus = choose_focus(tree)
        featured = time.perf_counter()
        html_extract.main_paragraphs(tree, None, meta.title, focus)
        extracted = time.perf_counter()
        html_extract._body_chunks(tree)
        chunked = time.perf_counter()
        spent["parse"] += parsed - clock
        spent["metadata"] += described - parsed
        spent["features"] += featured - described
        spent["extract"] += extracted - featured
        spent["body_chunks"] += chunked - extracted
    return spent


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sets", default="zyte,tune", help="comma-separated, of zyte,tune,check (default: %(default)s)"
    )
    parser.add_argument("--repeats", type=int, default=1, help="interleaved passes (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    split = load_split()
    page_sets = [load_set(n.strip(), split) for n in args.sets.split(",") if n.strip()]
    work = [(read_page(page_path(s, k)), s.urls[k]) for s in page_sets for k in s.ids]
    for name in SYSTEMS:  # warm-up: imports, lazy tables, the page-mode model
        for document, url in work[:5]:
            SYSTEMS[name](document, url)

    ratios, rates = [], {name: [] for name in SYSTEMS}
    for _ in range(max(1, args.repeats)):
        spent = interleaved(work)
        ratios.append(spent["trafilatura"] / spent["cleanup"])
        for name in SYSTEMS:
            rates[name].append(len(work) / spent[name])
    cost = steps(work)
    ms = {k: round(1000 * v / len(work), 2) for k, v in cost.items()}
    result = {
        "sets": [s.name for s in page_sets],
        "pages": len(work),
        "cleanup_pages_per_s": round(statistics.median(rates["cleanup"]), 1),
        "trafilatura_pages_per_s": round(statistics.median(rates["trafilatura"]), 1),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratios": [round(r, 3) for r in ratios],
        "cleanup_ms_per_page_by_step": ms,
        "trafilatura_ms_per_page": round(1000 / statistics.median(rates["trafilatura"]), 2),
    }
    print(
        f"{len(work)} pages, page-by-page alternation, median of {len(ratios)}: cleanup "
        f"{result['cleanup_pages_per_s']} pages/s, trafilatura defaults {result['trafilatura_pages_per_s']} pages/s, "
        f"ratio {result['ratio_median']:.3f} (passes: {', '.join(f'{r:.3f}' for r in ratios)})"
    )
    print(
        "cleanup ms a page by step (body_chunks is part of extract): "
        + ", ".join(f"{k} {v}" for k, v in ms.items())
        + f"; trafilatura.extract {result['trafilatura_ms_per_page']} ms a page"
    )
    write_results(args.output, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

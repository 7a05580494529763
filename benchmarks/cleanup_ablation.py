"""Does each step after trafilatura earn its place? Ablations on the tuning half.

    .venv/bin/python -m benchmarks.cleanup_ablation [--sets tune,zyte] [--workers 2]

Scores, on the WCXB dev tuning half (and the 181 Zyte pages, for reference) with the
metric of ``benchmarks/extraction.py``:

* trafilatura's own levers, each a single ``trafilatura.extract`` call: its defaults,
  comments off, then ``favor_recall``, ``favor_precision`` and ``fast`` with comments off;
* the HTML cleanup as shipped (``extract_page``), then with each switch of
  ``html_extract.RULES`` turned off in turn (``page_mode`` off means ``favor_recall``
  on every page), and with the dump scrub rules (``scrub_paragraphs``) run on its
  paragraphs, as the job did before.

The check half is refused: nothing is chosen by looking at it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from benchmarks.extraction import REPO, load_set, load_split, page_path, read_page, score_bodies, write_results

RESULTS = REPO / "benchmarks" / "results" / "cleanup-ablation.json"

LEVERS: Dict[str, dict] = {
    "trafilatura defaults": {},
    "trafilatura, comments off": {"include_comments": False},
    "trafilatura, comments off, favor_recall": {"include_comments": False, "favor_recall": True},
    "trafilatura, comments off, favor_precision": {"include_comments": False, "favor_precision": True},
    "trafilatura, comments off, fast": {"include_comments": False, "fast": True},
}

SHIPPED = "cleanup as shipped"
WITH_SCRUB = "cleanup + dump scrub rules on HTML"


def variants() -> List[str]:
    from transforms.clean.html_extract import RULES

    return [*LEVERS, SHIPPED, *(f"cleanup without {name}" for name in RULES), WITH_SCRUB]


def _cleanup(html: str, off: Optional[str], scrub: bool) -> str:
    from transforms.clean import html_extract
    from transforms.clean.scrub import scrub_paragraphs
    from transforms.records import BadInput

    saved = dict(html_extract.RULES)
    if off:
        html_extract.RULES[off] = False
    try:
        page = html_extract.extract_page(html)
    except BadInput:
        return ""
    finally:
        html_extract.RULES.update(saved)
    paragraphs = scrub_paragraphs(page.paragraphs, page.title)[0] if scrub else page.paragraphs
    return "\n\n".join(paragraphs)


def run_page(item: Tuple[str, str, Optional[str]]) -> Tuple[str, Dict[str, str]]:
    """All variants' text for one page (read as the job reads it)."""
    import trafilatura

    from transforms.clean.html_extract import RULES

    key, path, url = item
    html = read_page(Path(path)).body
    out = {name: trafilatura.extract(html, url=url, **kwargs) or "" for name, kwargs in LEVERS.items()}
    out[SHIPPED] = _cleanup(html, None, False)
    for name in RULES:
        out[f"cleanup without {name}"] = _cleanup(html, name, False)
    out[WITH_SCRUB] = _cleanup(html, None, True)
    return key, out


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="tune,zyte", help="comma-separated, of tune,zyte (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    if "check" in names or not set(names) <= {"tune", "zyte"}:
        parser.error("sets are tune and/or zyte; the check half is never used to choose a rule")

    split = load_split()
    page_sets = [load_set(n, split) for n in names]
    items = [(f"{s.name}/{k}", str(page_path(s, k)), s.urls[k]) for s in page_sets for k in s.ids]
    if args.workers > 1:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            texts = dict(pool.map(run_page, items, chunksize=4))
    else:
        texts = dict(map(run_page, items))

    results: Dict[str, Dict[str, dict]] = {}
    for s in page_sets:
        print(f"\n== {s.name}: {len(s.ids)} pages")
        print(f"{'variant':<46} precision  recall      F1  vs shipped")
        rows = {}
        for name in variants():
            summary = score_bodies(s.gold, {k: texts[f"{s.name}/{k}"][name] for k in s.ids})[0]
            rows[name] = {k: round(v, 4) for k, v in summary._asdict().items() if k != "pages"}
        shipped = rows[SHIPPED]["f1"]
        for name, row in rows.items():
            print(
                f"{name:<46} {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:6.4f}  {row['f1'] - shipped:+.4f}"
            )
        results[s.name] = rows
    write_results(args.output, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

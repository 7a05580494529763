"""Split WCXB dev by site into a tuning half and a check half, once.

    python -m tools.split_wcxb_dev [--data ../shared/data/extraction-wcxb-dev] [--out FILE]

The half of a page is a hash of its site, read from the ``domain`` field of
``ground-truth.json`` and nothing else: no text, score or extraction result can
steer it. A site is the registrable part of the domain (``garymarcus.substack.com``
and ``addyo.substack.com`` share one template, so they go to one half); sites
under a two-level public suffix (``bbc.co.uk``, ``abc.com.au``) keep three labels.

Rules, lists and trained models are tuned on the ``tune`` half only; the
``check`` half is what the project quotes (docs/cleanup.md), and its per-page
results are never looked at while tuning. The written file is the split: a
rerun on the same data writes the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
# ../shared/data beside the repository (the project layout), also from a worktree one level deeper
DEFAULT_DATA = next(
    (d / "shared" / "data" / "extraction-wcxb-dev" for d in REPO.parents if (d / "shared" / "data").is_dir()),
    REPO.parent / "shared" / "data" / "extraction-wcxb-dev",
)
DEFAULT_OUT = REPO / "benchmarks" / "data" / "wcxb-dev-split.json"

TUNE, CHECK = "tune", "check"

# second-level labels that, under a two-letter country code, are a public suffix (co.uk, com.au)
_SECOND_LEVEL = {"ac", "co", "com", "edu", "gov", "net", "org", "or", "ne", "go", "gob", "nic", "mil"}


def site_of(domain: str) -> str:
    """Registrable domain: the last two labels, three under a ccTLD second level."""
    labels = domain.lower().strip(".").removeprefix("www.").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def half_of(site: str) -> str:
    """``tune`` or ``check`` from the parity of the site's SHA-256."""
    return TUNE if hashlib.sha256(site.encode("utf-8")).digest()[0] % 2 == 0 else CHECK


def build_split(ground_truth: Dict[str, dict]) -> Dict[str, object]:
    pages = {}
    for page_id in sorted(ground_truth):
        site = site_of(ground_truth[page_id]["domain"])
        pages[page_id] = {"site": site, "half": half_of(site)}
    halves: Dict[str, List[str]] = {TUNE: [], CHECK: []}
    for page_id, row in pages.items():
        halves[str(row["half"])].append(page_id)
    return {
        "about": (
            "WCXB dev split by site: half = parity of sha256(registrable domain)[0]; "
            "tune on 'tune', quote 'check' (tools/split_wcxb_dev.py)"
        ),
        "counts": {half: len(ids) for half, ids in halves.items()},
        "sites": {half: len({pages[i]["site"] for i in ids}) for half, ids in halves.items()},
        "pages": pages,
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    ground_truth = json.loads((args.data / "ground-truth.json").read_text(encoding="utf-8"))
    split = build_split(ground_truth)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(split, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{split['counts']} pages, {split['sites']} sites -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

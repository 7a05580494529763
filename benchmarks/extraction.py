"""Main-text extraction benchmark (Zyte's article-extraction-benchmark).

Run from the repository root::

    .venv/bin/python -m benchmarks.extraction [--data ../shared/data/extraction] [--limit N]

Scores our ``extract_page``, trafilatura with default settings (run live) and
every ``baselines/<system>.json`` on the same shingle metric as the benchmark's
own ``evaluate.py``: per page, ``\\w+`` tokens (case kept), 4-token shingles as
multisets, tp/fp/fn; precision and recall are means over pages, F1 their
harmonic mean. ``baselines/trafilatura.json`` must score 0.958 and
``rs_trafilatura.json`` 0.970 (see ``shared/data/README.md``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "extraction"
RESULTS = REPO / "benchmarks" / "results" / "extraction.json"

NGRAM = 4
_TOKEN_RE = re.compile(r"\w+")


def shingles(text: str, n: int = NGRAM) -> Counter:
    """Multiset of ``n``-token shingles of ``\\w+`` tokens (case kept).

    As in the benchmark's ``evaluate.py``, a non-empty text shorter than ``n``
    tokens gives one shorter shingle rather than none.
    """
    tokens = _TOKEN_RE.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


class PageScore(NamedTuple):
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> Optional[float]:
        """None when nothing was predicted (page left out of the precision mean)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> Optional[float]:
        """None when the gold is empty (page left out of the recall mean)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def shingle_scores(gold: str, pred: str) -> PageScore:
    """tp/fp/fn of one page: tp = size of the multiset intersection of shingles."""
    g, p = shingles(gold), shingles(pred)
    tp = sum((g & p).values())
    return PageScore(tp=tp, fp=sum(p.values()) - tp, fn=sum(g.values()) - tp)


class Summary(NamedTuple):
    precision: float
    recall: float
    f1: float
    pages: int


def summarize(scores: Iterable[PageScore]) -> Summary:
    """Mean precision and recall over pages, F1 = their harmonic mean."""
    scores = list(scores)
    ps = [s.precision for s in scores if s.precision is not None]
    rs = [s.recall for s in scores if s.recall is not None]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Summary(precision=p, recall=r, f1=f1, pages=len(scores))


def score_bodies(gold: Dict[str, str], pred: Dict[str, str]) -> Tuple[Summary, Dict[str, PageScore]]:
    """Scores predictions keyed like ``gold``; a missing page is an empty prediction."""
    per_page = {key: shingle_scores(body, pred.get(key) or "") for key, body in gold.items()}
    return summarize(per_page.values()), per_page


def load_gold(data: Path) -> Tuple[Dict[str, str], Dict[str, str]]:
    """Returns ({id: gold body}, {id: url})."""
    raw = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    return {k: v.get("articleBody") or "" for k, v in raw.items()}, {k: v.get("url") for k, v in raw.items()}


def load_baseline(path: Path) -> Dict[str, str]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    # some files of the benchmark wrap the pages in {"output": {...}, "version": ...}
    if isinstance(raw.get("output"), dict) and "articleBody" not in raw["output"]:
        raw = raw["output"]
    return {k: (v or {}).get("articleBody") or "" for k, v in raw.items()}


def load_html(data: Path, page_id: str) -> str:
    with gzip.open(data / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8", errors="replace") as f:
        return f.read()


def ours(html: str, url: Optional[str]) -> str:
    from transforms.clean.html_extract import extract_page
    from transforms.records import BadInput

    try:
        return "\n\n".join(extract_page(html, url=url).paragraphs)
    except BadInput:
        return ""


def trafilatura_default(html: str, url: Optional[str]) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url) or ""


def run_live(
    extract: Callable[[str, Optional[str]], str], pages: Dict[str, str], urls: Dict[str, str]
) -> Tuple[Dict[str, str], float]:
    """Runs ``extract`` on every page; returns predictions and pages/s (parsing included)."""
    out: Dict[str, str] = {}
    start = time.perf_counter()
    for key, html in pages.items():
        out[key] = extract(html, urls.get(key))
    elapsed = time.perf_counter() - start
    return out, len(pages) / elapsed if elapsed else float("inf")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages (sorted ids)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results (default: %(default)s)")
    args = parser.parse_args(argv)

    gold, urls = load_gold(args.data)
    ids = sorted(gold)[: args.limit] if args.limit else sorted(gold)
    gold = {k: gold[k] for k in ids}
    # read (and gunzip) every page before timing, so pages/s measures extraction only
    pages = {k: load_html(args.data, k) for k in ids}

    rows: List[Tuple[str, Summary, Optional[float]]] = []
    for name, fn in (("ours (extract_page)", ours), ("trafilatura 2.3.1 default (live)", trafilatura_default)):
        pred, speed = run_live(fn, pages, urls)
        rows.append((name, score_bodies(gold, pred)[0], speed))
    for path in sorted((args.data / "baselines").glob("*.json")):
        rows.append((f"baselines/{path.name}", score_bodies(gold, load_baseline(path))[0], None))

    width = max(len(r[0]) for r in rows)
    print(f"{len(ids)} pages from {args.data}")
    print(f"{'system':<{width}}  precision  recall     F1  pages/s")
    for name, s, speed in rows:
        rate = f"{speed:7.1f}" if speed is not None else "      -"
        print(f"{name:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:5.3f}  {rate}")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "data": str(args.data),
                "pages": len(ids),
                "metric": "mean per-page precision/recall of 4-token \\w+ shingles (case kept), F1 = harmonic mean",
                "systems": {
                    name: {
                        "precision": round(s.precision, 4),
                        "recall": round(s.recall, 4),
                        "f1": round(s.f1, 4),
                        "pages_per_s": round(speed, 1) if speed is not None else None,
                    }
                    for name, s, speed in rows
                },
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

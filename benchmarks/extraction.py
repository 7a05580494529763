"""Main-text extraction benchmark: the cleanup stage vs trafilatura's defaults, live.

Run from the repository root::

    .venv/bin/python -m benchmarks.extraction [--sets zyte,tune,check] [--repeats 3]

Sets (``../shared/data``, see its README):

* ``zyte``  -- Zyte's article-extraction-benchmark, 181 news pages of 2019 (``extraction/``);
* ``tune``  -- the tuning half of WCXB dev (``extraction-wcxb-dev/``), split by site in
  ``benchmarks/data/wcxb-dev-split.json`` (``tools/split_wcxb_dev.py``);
* ``check`` -- the other half: the figure the project quotes. Nothing is tuned on it and this
  script never prints its per-page or per-site results (only how many sites got better or worse).

Systems, run live in this process on the same pages:

* ``cleanup``: the batch job's cleanup stage on each page exactly as the job reads it
  (``read_documents`` on the ``.html.gz`` file, so no URL, then ``clean_document``: main text,
  scrub rules, rejection); a rejected page counts as an empty prediction;
* ``trafilatura``: ``trafilatura.extract(html, url=url)`` with its defaults (2.3.1);
* for ``zyte``, every ``baselines/<system>.json`` of the benchmark (not timed).

Metric (the benchmark's own ``evaluate.py``): per page, ``\\w+`` tokens (case kept), 4-token
shingles as multisets, tp/fp/fn; precision and recall are means over pages (a page with
nothing predicted is left out of precision, one with an empty gold out of recall), F1 their
harmonic mean. The 95 % intervals are percentile bootstraps over pages (2,000 resamples, seed
0); the difference cleanup - trafilatura is bootstrapped paired (same resamples for both).
WCXB's must-have / must-not snippets (``with`` / ``without``) are reported as the share found
in the output (whitespace-normalised substring match).

With ``--batch``, the whole batch job (``pipelines.batch --skip_entities``, DirectRunner) also
runs over each set's pages and its ``articles/`` are scored the same way (a page the job
rejected or dropped as a duplicate is an empty prediction): corpus-level boilerplate
stripping and dedup included, this is what a user of the job gets.

Speed: each repeat runs both systems over every page of the chosen sets (parsing included,
pages read and decoded before the clock starts), alternating which goes first; the script
reports the median pages/s of each and the median of the per-repeat ratio.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import io
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# ../shared/data beside the repository (the project layout), also from a worktree one level deeper
SHARED = next(
    (d / "shared" / "data" for d in REPO.parents if (d / "shared" / "data").is_dir()),
    REPO.parent / "shared" / "data",
)
ZYTE = SHARED / "extraction"
WCXB = SHARED / "extraction-wcxb-dev"
SPLIT = REPO / "benchmarks" / "data" / "wcxb-dev-split.json"
RESULTS = REPO / "benchmarks" / "results" / "extraction.json"

SETS = ("zyte", "tune", "check")
NGRAM = 4
BOOTSTRAP = 2000
_TOKEN_RE = re.compile(r"\w+")
_SPACE_RE = re.compile(r"\s+")


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

    @property
    def f1(self) -> float:
        """The page's own F1 (for per-site deltas); 1.0 when gold and prediction are both empty."""
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else 1.0


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


def _arrays(scores: Sequence[PageScore]) -> Tuple[np.ndarray, np.ndarray]:
    """Per-page precision and recall, NaN where the page is left out of the mean."""
    p = np.array([s.precision if s.precision is not None else np.nan for s in scores], dtype=float)
    r = np.array([s.recall if s.recall is not None else np.nan for s in scores], dtype=float)
    return p, r


def _f1_of_resamples(p: np.ndarray, r: np.ndarray, index: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        mp, mr = np.nanmean(p[index], axis=1), np.nanmean(r[index], axis=1)
        return np.where(mp + mr > 0, 2 * mp * mr / (mp + mr), 0.0)


def resample_index(pages: int, reps: int = BOOTSTRAP, seed: int = 0) -> np.ndarray:
    """``reps`` bootstrap resamples of ``pages`` page positions (fixed seed: same intervals every run)."""
    return np.random.default_rng(seed).integers(0, pages, size=(reps, pages))


def bootstrap_f1(scores: Sequence[PageScore], index: np.ndarray) -> Tuple[float, float]:
    """95 % percentile interval of F1 over the resamples in ``index``."""
    low, high = np.percentile(_f1_of_resamples(*_arrays(scores), index), [2.5, 97.5])
    return float(low), float(high)


def bootstrap_delta(a: Sequence[PageScore], b: Sequence[PageScore], index: np.ndarray) -> Tuple[float, float]:
    """95 % interval of F1(a) - F1(b), paired: both systems on the same resampled pages."""
    delta = _f1_of_resamples(*_arrays(a), index) - _f1_of_resamples(*_arrays(b), index)
    low, high = np.percentile(delta, [2.5, 97.5])
    return float(low), float(high)


def site_deltas(a: Dict[str, PageScore], b: Dict[str, PageScore], sites: Dict[str, str]) -> Dict[str, float]:
    """Per site: mean page F1 of ``a`` minus that of ``b``."""
    by_site: Dict[str, List[float]] = defaultdict(list)
    for key in a:
        by_site[sites.get(key, key)].append(a[key].f1 - b[key].f1)
    return {site: sum(d) / len(d) for site, d in sorted(by_site.items())}


def snippet_rates(pred: Dict[str, str], snippets: Dict[str, Tuple[List[str], List[str]]]) -> Tuple[float, float]:
    """(share of must-have snippets found, share of must-not snippets found) over all pages."""
    found_with = total_with = found_without = total_without = 0
    for key, (must, must_not) in snippets.items():
        text = _SPACE_RE.sub(" ", pred.get(key) or "")
        for snippet in must:
            total_with += 1
            found_with += _SPACE_RE.sub(" ", snippet).strip() in text
        for snippet in must_not:
            total_without += 1
            found_without += _SPACE_RE.sub(" ", snippet).strip() in text
    return found_with / max(1, total_with), found_without / max(1, total_without)


class PageSet(NamedTuple):
    name: str
    data: Path
    ids: List[str]
    gold: Dict[str, str]
    urls: Dict[str, Optional[str]]
    sites: Dict[str, str]
    snippets: Dict[str, Tuple[List[str], List[str]]]


def load_split(path: Path = SPLIT) -> Dict[str, dict]:
    return json.loads(path.read_text(encoding="utf-8"))["pages"]


def load_set(name: str, split: Optional[Dict[str, dict]] = None) -> PageSet:
    """One of SETS, with its gold bodies, URLs, sites and (WCXB) snippets."""
    data = ZYTE if name == "zyte" else WCXB
    raw = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    if name == "zyte":
        ids = sorted(raw)
        sites = {k: _host(raw[k].get("url")) for k in ids}
    else:
        split = split if split is not None else load_split()
        ids = sorted(k for k in raw if split[k]["half"] == name)
        sites = {k: split[k]["site"] for k in ids}
    return PageSet(
        name=name,
        data=data,
        ids=ids,
        gold={k: raw[k].get("articleBody") or "" for k in ids},
        urls={k: raw[k].get("url") for k in ids},
        sites=sites,
        snippets={k: (raw[k].get("with") or [], raw[k].get("without") or []) for k in ids if "with" in raw[k]},
    )


def write_results(path: Path, results: object) -> None:
    """The results as indented JSON, the folder made if needed; then where they went."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {path}")


def _host(url: Optional[str]) -> str:
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.")


def page_path(page_set: PageSet, page_id: str) -> Path:
    return page_set.data / "html" / f"{page_id}.html.gz"


def read_page(path: Path):
    """The page as the batch job reads it: one RawDocument (decoded like the job does)."""
    from transforms.io.formats import read_documents

    with gzip.open(path, "rb") as handle:
        data = handle.read()
    (document,) = read_documents(str(path).removesuffix(".gz"), io.BytesIO(data))
    return document


def cleanup_stage(document, url: Optional[str]) -> str:
    """The cleanup stage's article text for one page ("" when the page is rejected)."""
    from transforms.clean.cleanup import clean_document
    from transforms.records import CleanedArticle

    texts = ["\n\n".join(a.paragraphs) for a in clean_document(document) if isinstance(a, CleanedArticle)]
    return "\n\n".join(texts)


def trafilatura_default(document, url: Optional[str]) -> str:
    import trafilatura

    return trafilatura.extract(document.body, url=url) or ""


SYSTEMS: Dict[str, Callable[..., str]] = {"cleanup": cleanup_stage, "trafilatura": trafilatura_default}


def batch_job_texts(page_set: PageSet, workdir: Path) -> Dict[str, str]:
    """Article text per page id from the batch job run on the set's pages (linked into workdir)."""
    from pipelines.batch import run

    inputs = workdir / page_set.name / "html"
    inputs.mkdir(parents=True, exist_ok=True)
    for key in page_set.ids:
        (inputs / f"{key}.html.gz").symlink_to(page_path(page_set, key).resolve())
    output = workdir / page_set.name / "out"
    argv = ["--input", str(inputs / "*.html.gz"), "--output", str(output), "--format", "jsonl", "--skip_entities"]
    run(argv, save_main_session=False)
    texts: Dict[str, str] = {}
    for path in sorted((output / "articles").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            article = json.loads(line)
            key = Path(article["origin"]).name.split(".", 1)[0]
            texts[key] = "\n\n".join(t for t in (texts.get(key), article["text"]) if t)
    return texts


def run_system(
    extract: Callable[..., str], pages: List[Tuple[str, object, Optional[str]]]
) -> Tuple[Dict[str, str], float]:
    """Runs ``extract`` on every (key, document, url); returns predictions and pages/s."""
    out: Dict[str, str] = {}
    gc.collect()
    start = time.perf_counter()
    for key, document, url in pages:
        out[key] = extract(document, url)
    elapsed = time.perf_counter() - start
    return out, len(pages) / elapsed if elapsed else float("inf")


def _fmt(s: Summary) -> str:
    return f"{s.precision:9.3f}  {s.recall:6.3f}  {s.f1:6.3f}"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {','.join(SETS)} (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes over all pages (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results (default: %(default)s)")
    parser.add_argument("--pages_out", type=Path, default=None, help="per-page scores of zyte/tune (never check)")
    parser.add_argument("--batch", action="store_true", help="also score the whole batch job's articles/")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    unknown = set(names) - set(SETS)
    if unknown:
        parser.error(f"unknown set(s): {', '.join(sorted(unknown))}")

    split = load_split()
    page_sets = [load_set(n, split) for n in names]
    # read, gunzip and decode every page before timing, so pages/s measures the systems only
    work = [(f"{s.name}/{k}", read_page(page_path(s, k)), s.urls[k]) for s in page_sets for k in s.ids]
    for extract in SYSTEMS.values():  # warm-up: imports, lazy tables, first-call caches
        for _, document, url in work[:5]:
            extract(document, url)

    speeds: Dict[str, List[float]] = {name: [] for name in SYSTEMS}
    predictions: Dict[str, Dict[str, str]] = {}
    for repeat in range(max(1, args.repeats)):
        order = list(SYSTEMS) if repeat % 2 == 0 else list(reversed(SYSTEMS))
        for name in order:
            pred, rate = run_system(SYSTEMS[name], work)
            speeds[name].append(rate)
            predictions.setdefault(name, pred)
    ratios = [c / t for c, t in zip(speeds["cleanup"], speeds["trafilatura"])]

    results: Dict[str, object] = {
        "metric": "mean per-page precision/recall of 4-token \\w+ shingles (case kept), F1 = harmonic mean",
        "bootstrap": f"{BOOTSTRAP} page resamples, seed 0, 95 % percentile intervals; delta paired",
        "sets": {},
    }
    per_page_out: Dict[str, Dict[str, dict]] = {}
    for s in page_sets:
        scores = {}
        for name in SYSTEMS:
            pred = {k: predictions[name][f"{s.name}/{k}"] for k in s.ids}
            scores[name] = (pred, *score_bodies(s.gold, pred))
        index = resample_index(len(s.ids))
        ordered = {name: [scores[name][2][k] for k in s.ids] for name in SYSTEMS}
        delta_ci = bootstrap_delta(ordered["cleanup"], ordered["trafilatura"], index)
        deltas = site_deltas(scores["cleanup"][2], scores["trafilatura"][2], s.sites)
        better = sum(1 for d in deltas.values() if d > 0.005)
        worse = sum(1 for d in deltas.values() if d < -0.005)

        print(f"\n== {s.name}: {len(s.ids)} pages, {len(set(s.sites.values()))} sites ({s.data})")
        print(f"{'system':<36} precision  recall      F1   95% CI of F1")
        row: Dict[str, object] = {"pages": len(s.ids), "sites": len(set(s.sites.values())), "systems": {}}
        for name in SYSTEMS:
            pred, summary, _ = scores[name]
            low, high = bootstrap_f1(ordered[name], index)
            label = "cleanup (clean_document)" if name == "cleanup" else "trafilatura 2.3.1 defaults (live)"
            print(f"{label:<36} {_fmt(summary)}   [{low:.3f}, {high:.3f}]")
            entry = {
                "precision": round(summary.precision, 4),
                "recall": round(summary.recall, 4),
                "f1": round(summary.f1, 4),
                "f1_ci95": [round(low, 4), round(high, 4)],
                "empty_pages": sum(1 for k in s.ids if not pred[k].strip()),
            }
            if s.snippets:
                found, leaked = snippet_rates(pred, s.snippets)
                entry["must_have_found"], entry["must_not_found"] = round(found, 4), round(leaked, 4)
            row["systems"][name] = entry  # type: ignore[index]
        if s.name == "zyte":
            for path in sorted((s.data / "baselines").glob("*.json")):
                summary = score_bodies(s.gold, _load_baseline(path))[0]
                print(f"{'baselines/' + path.name:<36} {_fmt(summary)}")
                row["systems"][f"baselines/{path.name}"] = {  # type: ignore[index]
                    "precision": round(summary.precision, 4),
                    "recall": round(summary.recall, 4),
                    "f1": round(summary.f1, 4),
                }
        if args.batch:
            with tempfile.TemporaryDirectory(prefix="bench-extraction-") as workdir:
                job = batch_job_texts(s, Path(workdir))
            summary, job_scores = score_bodies(s.gold, job)
            low, high = bootstrap_f1([job_scores[k] for k in s.ids], index)
            job_delta = bootstrap_delta([job_scores[k] for k in s.ids], ordered["trafilatura"], index)
            print(f"{'batch job articles/':<36} {_fmt(summary)}   [{low:.3f}, {high:.3f}]")
            print(
                f"  batch job - trafilatura: {summary.f1 - scores['trafilatura'][1].f1:+.4f}, paired 95% CI "
                f"[{job_delta[0]:+.4f}, {job_delta[1]:+.4f}]; pages without an article: "
                f"{sum(1 for k in s.ids if k not in job)}"
            )
            row["batch_job"] = {
                "precision": round(summary.precision, 4),
                "recall": round(summary.recall, 4),
                "f1": round(summary.f1, 4),
                "f1_ci95": [round(low, 4), round(high, 4)],
                "delta_f1_ci95": [round(job_delta[0], 4), round(job_delta[1], 4)],
                "pages_without_article": sum(1 for k in s.ids if k not in job),
            }
        delta = scores["cleanup"][1].f1 - scores["trafilatura"][1].f1
        print(f"F1 cleanup - trafilatura: {delta:+.4f}, paired 95% CI [{delta_ci[0]:+.4f}, {delta_ci[1]:+.4f}]")
        if s.snippets:
            for name in SYSTEMS:
                e = row["systems"][name]  # type: ignore[index]
                print(
                    f"  {name}: must-have snippets found {e['must_have_found']:.3f}, must-not found {e['must_not_found']:.3f}"
                )
        print(
            f"sites where cleanup is better / worse / within 0.005: {better} / {worse} / {len(deltas) - better - worse}"
        )
        if s.name != "check":  # the check half's per-site results are never shown
            worst = sorted(deltas.items(), key=lambda kv: kv[1])[:8]
            print("  largest losses: " + ", ".join(f"{site} {d:+.3f}" for site, d in worst if d < -0.005))
            per_page_out[s.name] = {
                k: {"site": s.sites[k], **{n: round(scores[n][2][k].f1, 4) for n in SYSTEMS}} for k in s.ids
            }
        row["delta_f1"] = round(delta, 4)
        row["delta_f1_ci95"] = [round(delta_ci[0], 4), round(delta_ci[1], 4)]
        row["sites_better_worse_same"] = [better, worse, len(deltas) - better - worse]
        results["sets"][s.name] = row  # type: ignore[index]

    speed = {
        "pages": len(work),
        "repeats": len(ratios),
        "cleanup_pages_per_s": round(statistics.median(speeds["cleanup"]), 1),
        "trafilatura_pages_per_s": round(statistics.median(speeds["trafilatura"]), 1),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratios": [round(r, 3) for r in ratios],
    }
    results["speed"] = speed
    print(
        f"\nspeed over {len(work)} pages, median of {len(ratios)} passes: cleanup {speed['cleanup_pages_per_s']} "
        f"pages/s, trafilatura defaults {speed['trafilatura_pages_per_s']} pages/s, "
        f"ratio {speed['ratio_median']:.2f} (passes: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    write_results(args.output, results)
    if args.pages_out:
        args.pages_out.write_text(json.dumps(per_page_out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def _load_baseline(path: Path) -> Dict[str, str]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    # some files of the benchmark wrap the pages in {"output": {...}, "version": ...}
    if isinstance(raw.get("output"), dict) and "articleBody" not in raw["output"]:
        raw = raw["output"]
    return {k: (v or {}).get("articleBody") or "" for k, v in raw.items()}


if __name__ == "__main__":
    sys.exit(main())

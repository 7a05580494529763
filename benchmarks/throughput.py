"""Throughput and memory of the batch job, measured in one run.

    python -m benchmarks.throughput [--pages 5000] [--scale 4] [--repeats 1] [--skip_loop] [--spill_dir auto|none]
    python -m benchmarks.throughput --whole [--pages 1000] [--repeats 3]

1. Builds a corpus of --pages HTML pages from the extraction benchmark's 181
   real news pages (../shared/data/extraction/html): each copy gets its own
   host and canonical URL and a unique first sentence, so neither URL nor body
   de-duplication drops it and corpus boilerplate learning sees each copy as
   its own site.
2. Runs, each in its own process, timed by wall clock:
   - ``loop``: the same pure functions (read → cleanup → dedup → language →
     segmentation → Avro encoding) in a plain single-process loop;
   - ``beam``: the Beam batch pipeline on DirectRunner (FnApiRunner,
     2 worker processes) over the same corpus, with ``--skip_entities`` so
     both sides run the same stages (the spine of issue #2; NER speed is
     measured by benchmarks/ner.py);
   - ``beam`` again over a corpus --scale times larger, for memory growth.
   Peak RSS is sampled every 0.2 s over each process tree: the launcher (the
   DirectRunner driver), the SDK workers together, and each worker alone.
   ``--skip_loop`` runs only the Beam side (a memory check: no ratio).
   ``--spill_dir none`` runs the job without its DirectRunner spill files (Beam's
   in-memory shuffles only), to measure what they save.
   ``--whole`` instead compares the whole batch job (cleanup → entities →
   events → counts) with its NER stage alone (``benchmarks.ner_stage``:
   ``TagEntities`` over the articles the whole job wrote), same runner and
   workers, back to back in each repeat; writes results/whole-vs-ner.json.
3. Prints articles/s, the Beam/loop ratio (median over --repeats) and peak
   RSS at 1× and --scale×, and writes benchmarks/results/throughput.json
   (or --results).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

import psutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "extraction"
RESULTS = ROOT / "benchmarks" / "results"

_CANONICAL = re.compile(r"<link[^>]+rel=[\"']?canonical[^>]*>|<meta[^>]+property=[\"']og:url[^>]*>", re.I)
_HEAD = re.compile(r"<head[^>]*>", re.I)
_P_OPEN = re.compile(r"<p(?:\s[^>]*)?>", re.I)


def vary_page(html: str, url: str, copy: int) -> str:
    """The page as copy N: its own host and canonical URL, a unique first sentence."""
    scheme, rest = url.split("://", 1)
    copy_url = f"{scheme}://copy{copy}.{rest}"
    html = _CANONICAL.sub("", html)
    tag = f'<link rel="canonical" href="{copy_url}">'
    html, found = _HEAD.subn(lambda m: m.group(0) + tag, html, count=1)
    if not found:
        html = tag + html
    # the unique sentence opens every paragraph: it must reach the extracted body
    # (a first <p> is often navigation), or body dedup drops the copy
    return _P_OPEN.sub(lambda m: m.group(0) + f"Dispatch {copy}. ", html)


def build_corpus(data: pathlib.Path, pages: int, directory: pathlib.Path) -> pathlib.Path:
    """Writes `pages` varied pages to directory (reused when already complete)."""
    done = directory / ".complete"
    if done.exists() and done.read_text() == f"{pages} v3":
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    sources = {i: gzip.decompress((data / "html" / f"{i}.html.gz").read_bytes()).decode("utf-8") for i in ids}
    for n in range(pages):
        page_id = ids[n % len(ids)]
        copy = n // len(ids)
        html = vary_page(sources[page_id], truth[page_id]["url"], copy)
        (directory / f"{n:06d}.html").write_text(html, encoding="utf-8")
    done.write_text(f"{pages} v3")
    return directory


def measure(command: List[str]) -> Dict[str, float]:
    """Wall time and peak RSS (sum over the process tree) of a command."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    parent = psutil.Process(process.pid)
    peak = peak_launcher = peak_workers = 0
    per_process: Dict[int, int] = {}
    while process.poll() is None:
        try:
            launcher = parent.memory_info().rss
            workers = 0
            for member in parent.children(recursive=True):
                try:
                    rss = member.memory_info().rss
                except psutil.Error:
                    continue
                workers += rss
                per_process[member.pid] = max(per_process.get(member.pid, 0), rss)
            peak = max(peak, launcher + workers)
            peak_launcher = max(peak_launcher, launcher)
            peak_workers = max(peak_workers, workers)
        except psutil.Error:
            pass
        time.sleep(0.2)
    output = process.stdout.read() if process.stdout else ""
    seconds = time.monotonic() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    match = re.search(r"ARTICLES_OUT=(\d+)", output) or re.search(
        r"in = out \+ rejected \+ duplicates: \d+ = (\d+)", output
    )
    if not match:
        raise RuntimeError(f"no article count in output of {' '.join(command)}:\n{output[-3000:]}")
    articles = int(match.group(1))
    return {
        "seconds": seconds,
        "articles": articles,
        "articles_per_s": articles / seconds,
        "peak_rss_mb": peak / 2**20,  # whole process tree
        "peak_launcher_rss_mb": peak_launcher / 2**20,  # the runner / loop process
        "peak_workers_rss_mb": peak_workers / 2**20,  # SDK worker processes together
        # each child alone, largest first (the DirectRunner's SDK workers; their `sh` wrappers are ~2 MB)
        "peak_per_worker_rss_mb": sorted((rss / 2**20 for rss in per_process.values()), reverse=True),
    }


def beam_command(corpus: pathlib.Path, output: pathlib.Path, workers: int, spill_dir: str = "auto") -> List[str]:
    return [
        sys.executable,
        "-m",
        "pipelines.batch",
        "--input",
        str(corpus),
        "--output",
        str(output),
        "--skip_entities",
        "--runner",
        "DirectRunner",
        f"--direct_num_workers={workers}",
        "--direct_running_mode=multi_processing",
        f"--spill_dir={spill_dir}",
    ]


def whole_command(corpus: pathlib.Path, output: pathlib.Path, workers: int) -> List[str]:
    """The whole batch job: cleanup → entities → events → counts → writers."""
    return [part for part in beam_command(corpus, output, workers) if part != "--skip_entities"]


def ner_command(articles: pathlib.Path, workers: int) -> List[str]:
    """The NER stage alone (TagEntities) over the articles the whole job cleaned."""
    return [
        sys.executable,
        "-m",
        "benchmarks.ner_stage",
        "--articles",
        str(articles),
        "--runner",
        "DirectRunner",
        f"--direct_num_workers={workers}",
        "--direct_running_mode=multi_processing",
    ]


def whole_versus_ner(args) -> int:
    """Whole pipeline vs its NER stage alone, in one run, on the same articles (issue #4's bar:
    >= 0.8x). Each repeat runs both jobs back to back; the ratio is the median of the repeats."""
    corpus = build_corpus(args.data, args.pages, args.workdir / f"corpus-{args.pages}")
    runs: Dict[str, List[Dict[str, float]]] = {"whole": [], "ner": []}
    for repeat in range(args.repeats):
        whole_out = args.workdir / "out-whole"
        whole = measure(whole_command(corpus, whole_out, args.workers))
        # the NER job tags exactly the articles the whole job wrote
        ner = measure(ner_command(whole_out / "articles", args.workers))
        for name, result in (("whole", whole), ("ner", ner)):
            runs[name].append(result)
            print(
                f"[{repeat + 1}/{args.repeats}] {name:<5} {result['articles']} articles in {result['seconds']:.1f} s = "
                f"{result['articles_per_s']:.2f}/s, peak RSS {result['peak_rss_mb']:.0f} MB",
                flush=True,
            )
    ratios = [w["articles_per_s"] / n["articles_per_s"] for w, n in zip(runs["whole"], runs["ner"])]
    report = {
        "pages": args.pages,
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "whole_articles_per_s": statistics.median(r["articles_per_s"] for r in runs["whole"]),
        "ner_articles_per_s": statistics.median(r["articles_per_s"] for r in runs["ner"]),
        "whole_over_ner": statistics.median(ratios),
        "ratios": ratios,
        "runs": runs,
    }
    print()
    print(f"NER stage alone (TagEntities, {args.workers} w)  {report['ner_articles_per_s']:8.2f} articles/s")
    print(f"whole pipeline ({args.workers} w)                {report['whole_articles_per_s']:8.2f} articles/s")
    print(
        f"whole / NER stage                     {report['whole_over_ner']:8.2f}x   (bar: >= 0.8x; "
        f"repeats: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def loop_command(corpus: pathlib.Path, output: pathlib.Path) -> List[str]:
    return [sys.executable, "-m", "benchmarks.plain_loop", "--input", str(corpus), "--output", str(output)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--scale", type=int, default=4, help="memory check at this multiple of --pages (0: skip)")
    parser.add_argument("--repeats", type=int, default=1, help="loop/beam pairs; the ratio is their median")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path(tempfile.gettempdir()) / "newsfeed-bench")
    parser.add_argument("--skip_loop", action="store_true", help="run only the Beam side (memory check, no ratio)")
    parser.add_argument(
        "--spill_dir",
        default="auto",
        help="the batch job's --spill_dir: auto (its default: spill files on the DirectRunner) or none",
    )
    parser.add_argument(
        "--results",
        type=pathlib.Path,
        default=None,
        help="results file (default: results/throughput.json, results/whole-vs-ner.json with --whole)",
    )
    parser.add_argument(
        "--whole",
        action="store_true",
        help="whole pipeline (with entities and events) vs its NER stage alone, instead of beam vs loop",
    )
    args = parser.parse_args()
    if not (args.data / "ground-truth.json").exists():
        print(f"extraction data not found at {args.data} (pass --data)", file=sys.stderr)
        return 2
    if args.whole:
        args.results = args.results or RESULTS / "whole-vs-ner.json"
        return whole_versus_ner(args)
    args.results = args.results or RESULTS / "throughput.json"

    corpus = build_corpus(args.data, args.pages, args.workdir / f"corpus-{args.pages}")
    runs: Dict[str, List[Dict[str, float]]] = {"loop": [], "beam": []}
    for repeat in range(args.repeats):
        for name, command in (
            ("loop", loop_command(corpus, args.workdir / "out-loop")),
            ("beam", beam_command(corpus, args.workdir / "out-beam", args.workers, args.spill_dir)),
        ):
            if name == "loop" and args.skip_loop:
                continue
            result = measure(command)
            runs[name].append(result)
            print(
                f"[{repeat + 1}/{args.repeats}] {name:<5} {args.pages} pages: {result['articles']} articles in "
                f"{result['seconds']:.1f} s = {result['articles_per_s']:.1f}/s, peak RSS {result['peak_rss_mb']:.0f} MB "
                f"(launcher {result['peak_launcher_rss_mb']:.0f}, workers {result['peak_workers_rss_mb']:.0f})",
                flush=True,
            )
    ratios = [b["articles_per_s"] / loop_run["articles_per_s"] for loop_run, b in zip(runs["loop"], runs["beam"])]
    report = {
        "pages": args.pages,
        "workers": args.workers,
        "spill_dir": args.spill_dir,
        "cpu_count": os.cpu_count(),
        "loop_articles_per_s": statistics.median(r["articles_per_s"] for r in runs["loop"]) if ratios else None,
        "beam_articles_per_s": statistics.median(r["articles_per_s"] for r in runs["beam"]),
        "beam_over_loop": statistics.median(ratios) if ratios else None,
        "beam_peak_rss_mb_1x": statistics.median(r["peak_rss_mb"] for r in runs["beam"]),
        "beam_peak_launcher_rss_mb_1x": statistics.median(r["peak_launcher_rss_mb"] for r in runs["beam"]),
        "beam_peak_workers_rss_mb_1x": statistics.median(r["peak_workers_rss_mb"] for r in runs["beam"]),
        "runs": runs,
    }
    if args.scale > 1:
        big = build_corpus(args.data, args.pages * args.scale, args.workdir / f"corpus-{args.pages * args.scale}")
        scaled = measure(beam_command(big, args.workdir / "out-beam-big", args.workers, args.spill_dir))
        print(
            f"beam  {args.pages * args.scale} pages: {scaled['articles']} articles in {scaled['seconds']:.1f} s = "
            f"{scaled['articles_per_s']:.1f}/s, peak RSS {scaled['peak_rss_mb']:.0f} MB "
            f"(launcher {scaled['peak_launcher_rss_mb']:.0f}, workers {scaled['peak_workers_rss_mb']:.0f})",
            flush=True,
        )
        report["beam_scaled"] = scaled
        report["beam_peak_rss_mb_scaled"] = scaled["peak_rss_mb"]
        report["rss_growth"] = scaled["peak_rss_mb"] / report["beam_peak_rss_mb_1x"]
        report["workers_rss_growth"] = scaled["peak_workers_rss_mb"] / report["beam_peak_workers_rss_mb_1x"]
        report["launcher_rss_growth"] = scaled["peak_launcher_rss_mb"] / report["beam_peak_launcher_rss_mb_1x"]

    print()
    if ratios:
        print(f"loop (1 process)          {report['loop_articles_per_s']:8.1f} articles/s")
    print(f"beam (DirectRunner, {args.workers} w)  {report['beam_articles_per_s']:8.1f} articles/s")
    if ratios:
        print(f"beam / loop               {report['beam_over_loop']:8.2f}x   (bar: >= 1.5x)")
    print(f"beam peak RSS 1x          {report['beam_peak_rss_mb_1x']:8.0f} MB")
    if "rss_growth" in report:
        print(
            f"beam peak RSS {args.scale}x          {report['beam_peak_rss_mb_scaled']:8.0f} MB  "
            f"(growth {report['rss_growth']:.2f}x for {args.scale}x the pages; workers "
            f"{report['workers_rss_growth']:.2f}x, launcher {report['launcher_rss_growth']:.2f}x)"
        )
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

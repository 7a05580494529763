"""Language detection with and without the function-word shortcut, on the same articles.

    python -m benchmarks.language [--articles DIR] [--pages 200]

Without --articles, runs the cleanup-only batch job over --pages pages of the throughput
corpus (benchmarks/throughput.py) and uses its articles/. Times ``detect_article_languages``
over every article twice (shortcut on, then langdetect for every paragraph as before), in
one process, and counts articles and paragraphs whose language differs between the two.
Writes benchmarks/results/language.json.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time
from typing import List, Optional

from benchmarks.throughput import DEFAULT_DATA, RESULTS, build_corpus
from pipelines.peek import read_records
from transforms.text import language


def timed(paragraph_lists: List[List[str]]):
    started = time.perf_counter()
    found = [language.detect_article_languages(paragraphs, None) for paragraphs in paragraph_lists]
    return time.perf_counter() - started, found


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=pathlib.Path)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path(tempfile.gettempdir()) / "newsfeed-bench")
    parser.add_argument("--results", type=pathlib.Path, default=RESULTS / "language.json")
    args = parser.parse_args(argv)
    articles_dir = args.articles
    if articles_dir is None:
        corpus = build_corpus(DEFAULT_DATA, args.pages, args.workdir / f"corpus-{args.pages}")
        out = args.workdir / "out-language"
        subprocess.run(
            [sys.executable, "-m", "pipelines.batch", "--input", str(corpus), "--output", str(out), "--skip_entities"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        articles_dir = out / "articles"
    paragraph_lists = [[a["text"][p["start"] : p["end"]] for p in a["paragraphs"]] for a in read_records(articles_dir)]
    language._get_factory()
    with_shortcut, fast = timed(paragraph_lists)
    shortcut = language.plainly_in
    language.plainly_in = lambda text, code: False  # every paragraph and sample through langdetect
    try:
        without, slow = timed(paragraph_lists)
    finally:
        language.plainly_in = shortcut
    report = {
        "articles": len(paragraph_lists),
        "paragraphs": sum(map(len, paragraph_lists)),
        "ms_per_article_langdetect_only": round(1000 * without / len(paragraph_lists), 2),
        "ms_per_article_with_shortcut": round(1000 * with_shortcut / len(paragraph_lists), 2),
        "speedup": round(without / with_shortcut, 2),
        "articles_labelled_differently": sum(a[0] != b[0] for a, b in zip(fast, slow)),
        "paragraphs_labelled_differently": sum(x != y for a, b in zip(fast, slow) for x, y in zip(a[1], b[1])),
    }
    for key, value in report.items():
        print(f"{key:<32} {value}")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

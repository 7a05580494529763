"""What each batch stage costs per article, as plain function calls in one process (no Beam).

    python -m benchmarks.stage_costs [--pages 500] [--repeats 3]

The whole-vs-NER speed bar (``benchmarks.throughput --whole``) compares two Beam jobs; this
script says where the difference goes. Over the throughput corpus (the same pages, built by
``benchmarks.throughput.build_corpus``) it runs the batch job's pure functions stage by stage,
models and gazetteer loaded beforehand, and times each stage over all articles:

* ``read+cleanup``: ``read_documents`` + ``clean_document`` (trafilatura, metadata, scrub rules)
* ``language``: ``detect_article_languages``
* ``segment``: ``segment_article`` (paragraphs, sentences, offsets)
* ``ner``: the spaCy model over texts and titles, batched as ``TagEntities`` does, plus
  ``tag_article`` (rules, gazetteer, canonical ids): the work of the NER stage job
* ``events``: ``extract_events`` (type model, dates, places, actors)

Corpus-level steps (dedup, boilerplate votes, the entity corpus vote, clustering, counts) and
the writers are left out: they are Beam shuffles in the job, not per-article functions.

It prints ms per article for each stage (median over ``--repeats``) and the NER stage's share
of their sum: the ratio whole/NER that a job doing these stages could reach if the framework
cost nothing (NER work / all work). Results: ``results/stage-costs.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time
from collections import Counter
from typing import Dict, List

from benchmarks.throughput import DEFAULT_DATA, build_corpus
from transforms.clean.cleanup import clean_document
from transforms.entities.models import Models
from transforms.entities.resolve import model_spans, tag_article
from transforms.entities.tagger import PIPE_BATCH
from transforms.events.extract import extract_events
from transforms.io.formats import read_documents
from transforms.records import Rejected
from transforms.text.language import detect_article_languages
from transforms.text.segment import segment_article

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
STAGES = ("read+cleanup", "language", "segment", "ner", "events")


def one_pass(pages: List[pathlib.Path], models: Models) -> Dict[str, float]:
    """Seconds per stage over all pages, and the article count."""
    seconds: Dict[str, float] = Counter()
    started = time.perf_counter()
    cleaned = []
    for path in pages:
        with open(path, "rb") as handle:
            for item in read_documents(str(path), handle):
                if not isinstance(item, Rejected):
                    cleaned.extend(c for c in clean_document(item) if not isinstance(c, Rejected))
    seconds["read+cleanup"] = time.perf_counter() - started

    started = time.perf_counter()
    languages = [detect_article_languages(list(c.paragraphs), c.declared_language) for c in cleaned]
    seconds["language"] = time.perf_counter() - started

    started = time.perf_counter()
    articles = [
        segment_article(c, lang, list(per), list(foreign))[0] for c, (lang, per, foreign) in zip(cleaned, languages)
    ]
    seconds["segment"] = time.perf_counter() - started

    started = time.perf_counter()
    mentions: Dict[int, list] = {i: [] for i in range(len(articles))}
    by_language: Dict[str, List[int]] = {}
    for i, article in enumerate(articles):
        if models.get(article.language) is not None:
            by_language.setdefault(article.language, []).append(i)
    for language, positions in sorted(by_language.items()):
        nlp = models.get(language)
        for i, doc in zip(positions, nlp.pipe([articles[i].text for i in positions], batch_size=PIPE_BATCH)):
            mentions[i].extend(tag_article(articles[i], model_spans(doc), models.gazetteer))
        titled = [i for i in positions if articles[i].title]
        for i, doc in zip(titled, nlp.pipe([articles[i].title for i in titled], batch_size=PIPE_BATCH)):
            mentions[i].extend(tag_article(articles[i], model_spans(doc), models.gazetteer, field="title"))
    seconds["ner"] = time.perf_counter() - started

    started = time.perf_counter()
    for i in sorted(p for positions in by_language.values() for p in positions):  # articles TagEntities passes on
        extract_events(articles[i], mentions[i])
    seconds["events"] = time.perf_counter() - started
    seconds["articles"] = len(articles)
    return dict(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path(tempfile.gettempdir()) / "newsfeed-bench")
    parser.add_argument("--results", type=pathlib.Path, default=RESULTS / "stage-costs.json")
    args = parser.parse_args()
    corpus = build_corpus(args.data, args.pages, args.workdir / f"corpus-{args.pages}")
    pages = sorted(p for p in corpus.iterdir() if p.is_file())
    models = Models()
    for language in ("fr", "en"):
        models.get(language)
    one_pass(pages[:20], models)  # warm-up: lazy loads (langdetect profiles, type model, encoder)
    passes = []
    for repeat in range(args.repeats):
        passes.append(one_pass(pages, models))
        print(f"[{repeat + 1}/{args.repeats}] " + ", ".join(f"{s} {passes[-1][s]:.1f} s" for s in STAGES), flush=True)
    articles = int(passes[0]["articles"])
    per_article = {s: statistics.median(p[s] for p in passes) / articles * 1000 for s in STAGES}
    total = sum(per_article.values())
    share = per_article["ner"] / total
    report = {
        "pages": args.pages,
        "articles": articles,
        "repeats": args.repeats,
        "load_average": list(os.getloadavg()),
        "ms_per_article": {s: round(v, 2) for s, v in per_article.items()},
        "share": {s: round(v / total, 3) for s, v in per_article.items()},
        "ner_share_of_all_stages": round(share, 3),
        "passes_seconds": [{s: round(p[s], 2) for s in STAGES} for p in passes],
    }
    print(f"\n{articles} articles from {args.pages} pages, median of {args.repeats} passes, one process:")
    for stage in STAGES:
        print(f"  {stage:<14} {per_article[stage]:8.1f} ms/article  {per_article[stage] / total:6.1%}")
    print(f"  {'all stages':<14} {total:8.1f} ms/article")
    print(
        f"NER share of the per-article work: {share:.2f} — the whole/NER ratio a job running these stages "
        f"would reach with a framework costing nothing"
    )
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

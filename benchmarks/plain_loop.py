"""The batch job's functions in a plain single-process loop: the baseline that
benchmarks/throughput.py compares the Beam pipeline with.

    python -m benchmarks.plain_loop --input DIR --output DIR

Same pure functions, same order, same outputs (Avro), no Beam: read →
cleanup → dedup (URL, id, body; fullest copy wins) → corpus boilerplate (the
same votes, counted over the articles held in memory, as a simple script would) → language → segmentation
→ Avro encoding. Prints ``ARTICLES_OUT=N``.
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import sys
import time
from typing import Dict, List

from transforms.clean.boilerplate import (
    DEFAULT_MIN_ARTICLES,
    body_key,
    line_keys,
    strip_lines,
)
from transforms.clean.cleanup import clean_document
from transforms.clean.dedup import DedupKey, dedup_key, pick_first
from transforms.io.formats import read_documents
from transforms.io.shards import to_plain
from transforms.io.sinks import encode_shard
from transforms.io.sources import match_files
from transforms.records import CleanedArticle, Rejected
from transforms.text.language import detect_article_languages
from transforms.text.segment import segment_article


def run(patterns: List[str], output: pathlib.Path, min_articles: int = DEFAULT_MIN_ARTICLES) -> Dict[str, int]:
    counts: Dict[str, int] = collections.Counter()
    cleaned_articles: List[CleanedArticle] = []
    for pattern in patterns:
        for metadata in match_files(pattern):
            with open(metadata.path, "rb") as handle:
                for item in read_documents(metadata.path, handle):
                    if isinstance(item, Rejected):
                        counts["rejected"] += 1
                        continue
                    for cleaned in clean_document(item):
                        if isinstance(cleaned, Rejected):
                            counts["rejected"] += 1
                        else:
                            cleaned_articles.append(cleaned)
    # the pipeline's rules, in memory: dedup passes URL → id → body, fullest copy wins;
    # boilerplate votes are distinct (line, body) pairs over all cleaned articles
    keys = [dedup_key(article) for article in cleaned_articles]
    for field in ("url", "id", "body"):
        groups: Dict[str, List[DedupKey]] = collections.defaultdict(list)
        for key in keys:
            groups[getattr(key, field)].append(key)
        keys = []
        for copies in groups.values():
            kept, dropped = pick_first(copies)
            keys.append(kept)
            counts["duplicates"] += len(dropped)
    kept_origins = {key.origin for key in keys}
    votes = {(line, body_key(article)) for article in cleaned_articles for line in line_keys(article)}
    lines = collections.Counter(line for line, _ in votes)
    boilerplate = {key: n for key, n in lines.items() if n >= min_articles}
    articles = sorted((a for a in cleaned_articles if a.origin in kept_origins), key=lambda a: a.origin)
    out_articles, out_sentences = [], []
    for article in articles:
        stripped, _ = strip_lines(article, boilerplate)
        if not stripped.paragraphs:
            counts["rejected"] += 1
            continue
        language, paragraph_languages, foreign = detect_article_languages(
            list(stripped.paragraphs), stripped.declared_language
        )
        final, sentences = segment_article(stripped, language, paragraph_languages, foreign)
        out_articles.append(to_plain(final))
        out_sentences.extend(to_plain(s) for s in sentences)
    output.mkdir(parents=True, exist_ok=True)
    (output / "articles.avro").write_bytes(encode_shard(out_articles, "article", "avro", "articles.avro"))
    (output / "sentences.avro").write_bytes(encode_shard(out_sentences, "sentence", "avro", "sentences.avro"))
    counts["articles"] = len(out_articles)
    counts["sentences"] = len(out_sentences)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", action="append", required=True)
    parser.add_argument("--output", type=pathlib.Path, required=True)
    args = parser.parse_args()
    started = time.monotonic()
    counts = run(args.input, args.output)
    seconds = time.monotonic() - started
    print(", ".join(f"{k}={v}" for k, v in sorted(counts.items())), f"in {seconds:.1f} s")
    print(f"ARTICLES_OUT={counts['articles']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

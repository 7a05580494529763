"""The batch job's functions in a plain single-process loop: the baseline that
benchmarks/throughput.py compares the Beam pipeline with.

    python -m benchmarks.plain_loop --input DIR --output DIR

Same pure functions, same order, same outputs (Avro), no Beam: read →
cleanup → dedup (URL, id, body) → corpus boilerplate (a second pass over the
articles held in memory, as a simple script would) → language → segmentation
→ Avro encoding. Prints ``ARTICLES_OUT=N``.
"""
from __future__ import annotations

import argparse
import collections
import pathlib
import sys
import time
from typing import Dict, List

from transforms.boilerplate import DEFAULT_MIN_ARTICLES, line_keys, strip_lines
from transforms.cleanup import clean_document
from transforms.dedup import canonical_url, body_fingerprint
from transforms.language import detect_article_languages
from transforms.records import CleanedArticle, Rejected
from transforms.segment import segment_article
from transforms.sinks import encode_shard, to_plain
from transforms.sources import match_files, read_documents


def run(patterns: List[str], output: pathlib.Path, min_articles: int = DEFAULT_MIN_ARTICLES) -> Dict[str, int]:
    counts: Dict[str, int] = collections.Counter()
    seen_urls, seen_ids, seen_bodies = set(), set(), set()
    articles: List[CleanedArticle] = []
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
                            continue
                        url, body = canonical_url(cleaned.url), body_fingerprint(cleaned.paragraphs)
                        if (url and url in seen_urls) or cleaned.id in seen_ids or body in seen_bodies:
                            counts["duplicates"] += 1
                            continue
                        seen_urls.add(url)
                        seen_ids.add(cleaned.id)
                        seen_bodies.add(body)
                        articles.append(cleaned)
    lines = collections.Counter(key for article in articles for key in line_keys(article))
    boilerplate = {key: n for key, n in lines.items() if n >= min_articles}
    out_articles, out_sentences = [], []
    for article in articles:
        stripped, _ = strip_lines(article, boilerplate)
        if not stripped.paragraphs:
            counts["rejected"] += 1
            continue
        language, paragraph_languages, foreign = detect_article_languages(list(stripped.paragraphs), stripped.declared_language)
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

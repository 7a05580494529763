"""The NER stage alone, as a Beam job: clean articles (an ``articles/`` output of the
batch job) → ``TagEntities`` (model NER, rules, gazetteer, corpus votes) → counts.

    python -m benchmarks.ner_stage --articles OUT/articles [Beam options]

It is the reference side of the whole-pipeline speed bar (``benchmarks.throughput
--whole``): the same articles, the same runner and worker count, only the entity
stage. Prints ``ARTICLES_OUT=<n>`` (articles tagged) for the benchmark to read.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from typing import Iterator, List, Optional

import apache_beam as beam
import fastavro
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.batch import collect_counters
from transforms.entities.tagger import TagEntities
from transforms.records import Article, Paragraph


def read_articles(path: str) -> Iterator[Article]:
    """Articles of one Avro part file of ``articles/``."""
    with open(path, "rb") as handle:
        for record in fastavro.reader(handle):
            paragraphs = [Paragraph(**p) for p in record.pop("paragraphs")]
            yield Article(paragraphs=paragraphs, **{k: record[k] for k in Article._fields if k != "paragraphs"})


_READ = Metrics.counter("ner_stage", "articles")


def _counted(article: Article) -> Article:
    _READ.inc()
    return article


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", required=True, help="an articles/ directory of Avro part files")
    args, beam_args = parser.parse_known_args(argv)
    files = sorted(glob.glob(os.path.join(args.articles, "part-*.avro")))
    if not files:
        print(f"no part-*.avro files in {args.articles}", file=sys.stderr)
        return 2
    pipeline = beam.Pipeline(options=PipelineOptions(beam_args))
    articles = (
        pipeline
        | "Files" >> beam.Create(files)
        | "Spread" >> beam.Reshuffle()  # each worker reads its own files
        | "Read" >> beam.FlatMap(read_articles).with_output_types(Article)
        | "Reshuffle" >> beam.Reshuffle()
        | "Count" >> beam.Map(_counted).with_output_types(Article)
    )
    tagged = articles | "TagEntities" >> TagEntities()
    _ = tagged["mentions"] | "CountMentions" >> beam.combiners.Count.Globally()
    _ = tagged["entities"] | "CountEntities" >> beam.combiners.Count.Globally()
    result = pipeline.run()
    result.wait_until_finish()
    counters = collect_counters(result)
    entities = counters.get("entities", {})
    # every article read counts, as in the whole job (articles in a language without a model too)
    print(
        f"ARTICLES_OUT={counters.get('ner_stage', {}).get('articles', 0)} tagged={entities.get('articles', 0)} "
        f"mentions={entities.get('mentions', 0)} tokens={entities.get('tokens', 0)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

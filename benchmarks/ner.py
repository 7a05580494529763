"""NER quality and speed: our TagEntities vs the raw spaCy model, in one run.

Quality: the CLEF-HIPE-2020 dev sets (``../shared/data/ner``, French and
English historical newspapers), strict span match on PER/LOC/ORG, micro F1
(``benchmarks.hipe``). Each HIPE document becomes an Article (source = the
newspaper) and goes through the real ``TagEntities`` transform on DirectRunner,
corpus vote included; the raw model is the same spaCy package, its entities
mapped to our labels and nothing else.

Speed: the same texts, repeated ``--repeat`` times, through (a) the raw model's
``nlp.pipe`` in this process (NER component only, as TagEntities loads it; the
full default pipeline is timed too, for reference) and (b) a Beam pipeline that
runs TagEntities alone, timed wall clock including pipeline start and model
loads, with 1 and 2 workers. Tokens are counted by the raw run.

    python -m benchmarks.ner [--data ../shared/data/ner] [--repeat 16] [--rounds 3] [--calibrate]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Set, Tuple

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from benchmarks.hipe import HipeDocument, Score, read_hipe, score
from transforms.entities.mention_rules import MODEL_LABELS
from transforms.entities.models import MODELS, load_model
from transforms.entities.tagger import TagEntities
from transforms.records import Article, Paragraph

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "ner"
RESULTS = Path(__file__).resolve().parent / "results"


def to_article(doc: HipeDocument, language: str, copy: int = 0) -> Article:
    article_id = doc.id if copy == 0 else f"{doc.id}#{copy}"
    return Article(
        id=article_id,
        origin=f"hipe:{article_id}",
        url=None,
        source=doc.newspaper,
        title=None,
        published=doc.date or None,
        language=language,
        text=doc.text,
        paragraphs=[Paragraph(0, 0, len(doc.text), language, False)],
    )


def beam_options(workers: int) -> PipelineOptions:
    if workers == 1:
        return PipelineOptions(["--runner=DirectRunner", "--direct_num_workers=1"])
    return PipelineOptions(
        ["--runner=DirectRunner", f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    )


def run_tag_entities(articles: List[Article], workers: int, out_dir: str) -> Tuple[List[dict], float]:
    """Mentions from TagEntities over ``articles`` and the wall seconds it took."""
    prefix = os.path.join(out_dir, f"mentions-{workers}-{len(articles)}")
    started = time.perf_counter()
    with beam.Pipeline(options=beam_options(workers)) as pipeline:
        tagged = pipeline | beam.Create(articles) | TagEntities()
        _ = (
            tagged["tagged"]
            | beam.Map(lambda m: json.dumps(m._asdict(), ensure_ascii=False, sort_keys=True))
            | beam.io.WriteToText(prefix, file_name_suffix=".jsonl")
        )
    seconds = time.perf_counter() - started
    mentions = []
    for path in sorted(Path(out_dir).glob(os.path.basename(prefix) + "-*")):
        with open(path, encoding="utf-8") as handle:
            mentions.extend(json.loads(line) for line in handle)
        path.unlink()
    return mentions, seconds


def raw_spans(nlp, docs: List[HipeDocument]) -> List[Set[Tuple[int, int, str]]]:
    return [
        {(e.start_char, e.end_char, MODEL_LABELS[e.label_]) for e in parsed.ents if e.label_ in MODEL_LABELS}
        for parsed in nlp.pipe((d.text for d in docs), batch_size=32)
    ]


def format_scores(name: str, scores: Dict[str, Score]) -> str:
    cells = "  ".join(f"{label} {scores[label].f1:.3f}" for label in ("PER", "LOC", "ORG"))
    a = scores["ALL"]
    return f"  {name:<28} P {a.precision:.3f}  R {a.recall:.3f}  F1 {a.f1:.3f}   ({cells})"


def evidence_precision(docs: List[HipeDocument], mentions: List[dict]) -> Dict[str, Tuple[int, int]]:
    """(correct, total) of our PER/LOC/ORG mentions per evidence kind: the confidence table."""
    gold = {d.id: d.gold for d in docs}
    counts: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    for m in mentions:
        if m["label"] not in ("PER", "LOC", "ORG"):
            continue
        counts[m["evidence"]][1] += 1
        counts[m["evidence"]][0] += (m["start"], m["end"], m["label"]) in gold[m["article_id"]]
    return {k: (v[0], v[1]) for k, v in sorted(counts.items())}


def quality(language: str, data: Path, out_dir: str) -> dict:
    docs = list(read_hipe(data / f"HIPE-data-v1.4-dev-{language}.tsv"))
    nlp = load_model(language)
    raw = score(zip((d.gold for d in docs), raw_spans(nlp, docs)))
    mentions, _ = run_tag_entities([to_article(d, language) for d in docs], 1, out_dir)
    ours_by_doc: Dict[str, Set] = defaultdict(set)
    for m in mentions:
        ours_by_doc[m["article_id"]].add((m["start"], m["end"], m["label"]))
    ours = score((d.gold, ours_by_doc[d.id]) for d in docs)
    print(
        f"{language}: {len(docs)} documents, {sum(len(d.gold) for d in docs)} gold mentions, model {MODELS[language]}"
    )
    print(format_scores(f"raw {MODELS[language]}", raw))
    print(format_scores("TagEntities", ours))
    gain = ours["ALL"].f1 - raw["ALL"].f1
    print(f"  gain {gain:+.3f} F1 (bar +0.100: {'met' if gain >= 0.100 else 'NOT met'})")
    return {
        "language": language,
        "documents": len(docs),
        "model": MODELS[language],
        "raw": {k: v._asdict() | {"f1": v.f1} for k, v in raw.items()},
        "ours": {k: v._asdict() | {"f1": v.f1} for k, v in ours.items()},
        "gain_f1": gain,
        "evidence_precision": evidence_precision(docs, mentions),
    }


def speed(data: Path, repeat: int, rounds: int, out_dir: str) -> dict:
    """Tokens/s of raw nlp.pipe vs TagEntities in Beam over the same texts.

    Each round times the raw model (NER component only, models already loaded)
    and then TagEntities on DirectRunner with 1 worker, wall clock including
    pipeline start, model and gazetteer loads; the ratio is taken per round and
    the median reported. One more run with 2 workers, and the full default
    spaCy pipeline on one copy of the texts, are printed for reference.
    """
    import spacy

    corpus: List[Tuple[str, HipeDocument]] = []
    for language in ("fr", "en"):
        corpus.extend((language, d) for d in read_hipe(data / f"HIPE-data-v1.4-dev-{language}.tsv"))
    articles = [to_article(d, language, copy) for copy in range(repeat) for language, d in corpus]
    models = {language: load_model(language) for language in ("fr", "en")}

    def raw_run() -> Tuple[int, float]:
        tokens, seconds = 0, 0.0
        for language, nlp in models.items():
            texts = [a.text for a in articles if a.language == language]
            started = time.perf_counter()
            tokens += sum(len(doc) for doc in nlp.pipe(texts, batch_size=32))
            seconds += time.perf_counter() - started
        return tokens, seconds

    rows = []
    tokens = 0
    for round_ in range(rounds):
        tokens, raw_seconds = raw_run()
        _, beam_seconds = run_tag_entities(articles, 1, out_dir)
        rows.append(
            {
                "raw_tokens_per_s": tokens / raw_seconds,
                "beam_1_worker_tokens_per_s": tokens / beam_seconds,
                "ratio": raw_seconds / beam_seconds,
            }
        )
        print(
            f"  round {round_ + 1}: raw {tokens / raw_seconds:,.0f} tokens/s, "
            f"Beam 1 worker {tokens / beam_seconds:,.0f} tokens/s, ratio {raw_seconds / beam_seconds:.2f}"
        )
    _, beam2_seconds = run_tag_entities(articles, 2, out_dir)
    one_copy = [a for a in articles if "#" not in a.id]
    full_tokens, full_seconds = 0, 0.0
    for language in ("fr", "en"):
        full = spacy.load(MODELS[language])
        texts = [a.text for a in one_copy if a.language == language]
        started = time.perf_counter()
        full_tokens += sum(len(doc) for doc in full.pipe(texts, batch_size=32))
        full_seconds += time.perf_counter() - started
    result = {
        "articles": len(articles),
        "tokens": tokens,
        "rounds": rows,
        "median_raw_tokens_per_s": statistics.median(r["raw_tokens_per_s"] for r in rows),
        "median_beam_1_worker_tokens_per_s": statistics.median(r["beam_1_worker_tokens_per_s"] for r in rows),
        "median_ratio_1_worker": statistics.median(r["ratio"] for r in rows),
        "beam_2_workers_tokens_per_s": tokens / beam2_seconds,
        "raw_full_pipeline_tokens_per_s": full_tokens / full_seconds,
    }
    print(f"speed: {len(articles)} articles, {tokens:,} tokens, {rounds} rounds (medians)")
    print(f"  raw nlp.pipe, NER only            {result['median_raw_tokens_per_s']:10,.0f} tokens/s")
    print(
        f"  TagEntities in Beam, 1 worker     {result['median_beam_1_worker_tokens_per_s']:10,.0f} tokens/s"
        f"  = {result['median_ratio_1_worker']:.2f}x raw (bar 0.80x: "
        f"{'met' if result['median_ratio_1_worker'] >= 0.8 else 'NOT met'}; wall clock incl. start and loads)"
    )
    print(
        f"  TagEntities in Beam, 2 workers    {result['beam_2_workers_tokens_per_s']:10,.0f} tokens/s"
        f"  = {result['beam_2_workers_tokens_per_s'] / result['median_raw_tokens_per_s']:.2f}x raw"
    )
    print(
        f"  raw nlp.pipe, full pipeline       {result['raw_full_pipeline_tokens_per_s']:10,.0f} tokens/s"
        "  (all components: what NER-only saves)"
    )
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=16, help="copies of the HIPE texts in the speed run")
    parser.add_argument("--rounds", type=int, default=3, help="speed rounds (medians are reported)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--calibrate", action="store_true", help="print precision per evidence kind")
    parser.add_argument("--out", type=Path, default=RESULTS / "ner.json")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no HIPE data at {args.data}", file=sys.stderr)
        return 2
    report = {}
    with tempfile.TemporaryDirectory() as out_dir:
        for language in ("fr", "en"):
            report[language] = quality(language, args.data, out_dir)
        if args.calibrate:
            pooled: Counter = Counter()
            for language in ("fr", "en"):
                for evidence, (good, total) in report[language]["evidence_precision"].items():
                    pooled[evidence, "good"] += good
                    pooled[evidence, "total"] += total
            print("precision per evidence (fr+en):")
            for evidence in sorted({k[0] for k in pooled}):
                total = pooled[evidence, "total"]
                print(f"  {evidence:<16} {pooled[evidence, 'good'] / total:.2f}  ({total} mentions)")
        if not args.skip_speed:
            report["speed"] = speed(args.data, args.repeat, args.rounds, out_dir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

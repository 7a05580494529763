"""Build the unlabelled sentence files of the event-detection data set.

Every text of ``benchmarks/data/events/`` comes from a public, licensed source
(see that folder's README). This script turns each source into one JSON line
per sentence, split with the project's own segmenter, so that labellers and
the trained model see the same sentences the pipeline makes. Labels are added
afterwards (by hand, with GUIDE.md); this script never labels anything.

    python -m tools.build_event_sentences SOURCE --out FILE [paths…]

Sources:
  fr-wikinews  WikinewsKeyphraseCorpus documents/*.html (100 French Wikinews
               articles, May–Dec 2012, CC BY 2.5)
  fr-sequoia   UD_French-Sequoia annodis.er sentences (L'Est Républicain, 1999,
               LGPL-LR); documents are cut at headline lines
  fr-gsd       UD_French-GSD dev sentences (web text, CC BY-SA 4.0), no document context
  fr-hipe      CLEF-HIPE-2020 French dev TSV (historical newspapers, CC BY-NC-SA 4.0)
  en-hipe      CLEF-HIPE-2020 English dev TSV (historical newspapers, CC BY-NC-SA 4.0)
  en-wikinews  English Wikinews articles of 2019–2020 as CSV (url,date,title,text; the
               vanatteveldt/wikinews sample, CC BY 2.5)
  en-cnc       Causal News Corpus subtask-1 CSVs (English protest and conflict news
               sentences of 2006–2019, CC0 1.0), one document each
  articles     the batch job's own ``articles/`` + ``sentences/`` JSONL output
               (for the seed and the WCXB pages run through the job)

Each line: ``source``, ``doc``, ``url``, ``title``, ``published``, ``lang``,
``index``, ``start``, ``end`` (offsets into the document text), ``text``,
and ``split`` (``test`` for about 30 % of the documents, chosen by a hash of the
document id before any label was read, ``train`` otherwise).
"""

import argparse
import glob
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from lxml import html as lxml_html

from transforms.text.segment import split_sentences

TEST_SHARE = 0.30
_FR_MONTHS = {
    "janvier": 1,
    "février": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
}
_WIKINEWS_DATELINE = re.compile(r"^\s*(\d{1,2})(?:er)?\s+(\w+)\s+(\d{4})\s*\.?\s*[-–—]\s*", re.UNICODE)


def split_of(source: str, doc: str) -> str:
    """``test`` for a fixed ~30 % of documents: a hash, so no label or score can steer it."""
    digest = hashlib.sha256(f"{source}\t{doc}".encode()).digest()
    return "test" if int.from_bytes(digest[:4], "big") / 2**32 < TEST_SHARE else "train"


def sentence_rows(
    source: str,
    doc: str,
    text: str,
    paragraphs: List[Tuple[int, int]],
    lang: str,
    url: Optional[str],
    title: Optional[str],
    published: Optional[str],
) -> Iterator[dict]:
    index = 0
    for p_start, p_end in paragraphs:
        for s_start, s_end in split_sentences(text[p_start:p_end], lang):
            yield {
                "source": source,
                "doc": doc,
                "url": url,
                "title": title,
                "published": published,
                "lang": lang,
                "index": index,
                "start": p_start + s_start,
                "end": p_start + s_end,
                "text": text[p_start + s_start : p_start + s_end],
                "split": split_of(source, doc),
            }
            index += 1


def join(paragraphs: List[str]) -> Tuple[str, List[Tuple[int, int]]]:
    spans, parts, position = [], [], 0
    for paragraph in paragraphs:
        if parts:
            parts.append("\n\n")
            position += 2
        spans.append((position, position + len(paragraph)))
        parts.append(paragraph)
        position += len(paragraph)
    return "".join(parts), spans


def wikinews(paths: List[str]) -> Iterator[dict]:
    for path in sorted(p for pattern in paths for p in glob.glob(pattern)):
        tree = lxml_html.fromstring(Path(path).read_bytes())
        title = " ".join(tree.findtext(".//h1", default="").split())
        paragraphs = [" ".join(p.text_content().split()) for p in tree.iter("p")]
        paragraphs = [p for p in paragraphs if p]
        published = None
        if paragraphs:
            match = _WIKINEWS_DATELINE.match(paragraphs[0])
            if match and match.group(2).lower() in _FR_MONTHS:
                day, month, year = int(match.group(1)), _FR_MONTHS[match.group(2).lower()], int(match.group(3))
                published = f"{year:04d}-{month:02d}-{day:02d}"
        text, spans = join(paragraphs)
        doc = Path(path).stem
        yield from sentence_rows(
            "fr-wikinews", doc, text, spans, "fr", f"https://fr.wikinews.org/?curid={doc}", title, published
        )


def wikinews_en(paths: List[str]) -> Iterator[dict]:
    """English Wikinews articles from CSV files (url, date, title, text): paragraphs are the
    text's blank-line-separated blocks; the document id is the article's URL slug."""
    import csv

    csv.field_size_limit(1 << 24)
    for path in paths:
        with open(path, encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                blocks = [" ".join(b.split()) for b in re.split(r"\n\s*\n", record["text"])]
                paragraphs = [b for b in blocks if b]
                if not paragraphs:
                    continue
                text, spans = join(paragraphs)
                doc = record["url"].rstrip("/").rsplit("/", 1)[-1]
                yield from sentence_rows(
                    "en-wikinews", doc, text, spans, "en", record["url"], record["title"], record["date"] or None
                )


def _is_headline(sentence: str) -> bool:
    return len(sentence.split()) <= 8 and not re.search(r"[.!?»\"]\s*$", sentence)


def sequoia(paths: List[str]) -> Iterator[dict]:
    """annodis.er sentences in file order; a headline line opens a new document."""
    sentences: List[Tuple[str, str]] = []
    for path in paths:
        sent_id = None
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith("# sent_id = "):
                sent_id = line.split("= ", 1)[1]
            elif line.startswith("# text = ") and sent_id and sent_id.startswith("annodis.er"):
                sentences.append((sent_id, line.split("= ", 1)[1]))
    sentences.sort()
    documents: List[List[str]] = []
    for _, sentence in sentences:
        if not documents or (_is_headline(sentence) and len(documents[-1]) > 1):
            documents.append([])
        documents[-1].append(sentence)
    for number, lines in enumerate(documents, 1):
        doc = f"er-{number:03d}"
        title = lines[0] if _is_headline(lines[0]) else None
        body = lines[1:] if title else lines
        text, spans = join(body)
        # annodis sentences are already split: one "paragraph" each, never re-split
        for index, (start, end) in enumerate(spans):
            yield {
                "source": "fr-sequoia",
                "doc": doc,
                "url": None,
                "title": title,
                "published": None,
                "lang": "fr",
                "index": index,
                "start": start,
                "end": end,
                "text": text[start:end],
                "split": split_of("fr-sequoia", doc),
            }


def gsd(paths: List[str]) -> Iterator[dict]:
    """UD_French-GSD sentences: web text (news, blogs, reviews, Wikipedia), one document each."""
    for path in paths:
        sent_id = None
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith("# sent_id = "):
                sent_id = line.split("= ", 1)[1]
            elif line.startswith("# text = ") and sent_id:
                text = line.split("= ", 1)[1]
                yield {
                    "source": "fr-gsd",
                    "doc": sent_id,
                    "url": None,
                    "title": None,
                    "published": None,
                    "lang": "fr",
                    "index": 0,
                    "start": 0,
                    "end": len(text),
                    "text": text,
                    "split": split_of("fr-gsd", sent_id),
                }


# CNC text is tokenised ("arrests March 11 , 2011"): the space before closing punctuation
# and after an opening bracket is the tokeniser's, not the newspaper's
_SPACE_BEFORE_CLOSING = re.compile(r" ([,.;:!?%)\]])")
_SPACE_AFTER_OPENING = re.compile(r"([(\[]) ")


def cnc(paths: List[str]) -> Iterator[dict]:
    """Causal News Corpus sentences (``index,text,...`` CSVs), each its own document like the
    GSD sentences; the split follows the news article (the index without its sentence number),
    so no article has sentences on both sides. A text met twice is kept once."""
    import csv

    seen = set()
    for path in paths:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for record in csv.DictReader(handle):
                text = _SPACE_AFTER_OPENING.sub(r"\1", _SPACE_BEFORE_CLOSING.sub(r"\1", record["text"].strip()))
                if not text or text in seen:
                    continue
                seen.add(text)
                sentence_id = record["index"]
                yield {
                    "source": "en-cnc",
                    "doc": sentence_id,
                    "url": None,
                    "title": None,
                    "published": None,
                    "lang": "en",
                    "index": 0,
                    "start": 0,
                    "end": len(text),
                    "text": text,
                    "split": split_of("en-cnc", sentence_id.rsplit("_", 1)[0]),
                }


def hipe(paths: List[str], language: str = "fr") -> Iterator[dict]:
    from benchmarks.hipe import read_hipe

    for path in paths:
        for document in read_hipe(Path(path)):
            text = document.text
            yield from sentence_rows(
                f"{language}-hipe", document.id, text, [(0, len(text))], language, None, None, document.date or None
            )


def hipe_en(paths: List[str]) -> Iterator[dict]:
    return hipe(paths, "en")


def pipeline_articles(paths: List[str], source: str) -> Iterator[dict]:
    """The batch job's own articles and sentences (JSONL output directory)."""
    out = Path(paths[0])
    articles: Dict[str, dict] = {}
    for file in sorted((out / "articles").glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            articles[record["id"]] = record
    by_article: Dict[str, List[dict]] = {}
    for file in sorted((out / "sentences").glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            by_article.setdefault(record["article_id"], []).append(record)
    keep = paths[1] if len(paths) > 1 else None
    for article_id in sorted(articles):
        article = articles[article_id]
        if keep and not article["origin"].startswith(keep):
            continue
        doc = article["origin"].split("/")[-1]
        for sentence in sorted(by_article.get(article_id, []), key=lambda s: s["index"]):
            yield {
                "source": source,
                "doc": doc,
                "url": article["url"],
                "title": article["title"],
                "published": article["published"],
                "lang": article["language"],
                "index": sentence["index"],
                "start": sentence["start"],
                "end": sentence["end"],
                "text": sentence["text"],
                "split": split_of(source, doc),
            }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "source",
        help="fr-wikinews, fr-sequoia, fr-hipe, en-hipe, fr-gsd, en-cnc, en-wikinews, or a name for `articles` input",
    )
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument("--from_articles", action="store_true", help="paths are a batch output dir [+ origin prefix]")
    args = parser.parse_args(argv)
    if args.from_articles:
        rows = pipeline_articles(args.paths, args.source)
    else:
        rows = {
            "fr-wikinews": wikinews,
            "fr-sequoia": sequoia,
            "fr-hipe": hipe,
            "en-hipe": hipe_en,
            "fr-gsd": gsd,
            "en-cnc": cnc,
            "en-wikinews": wikinews_en,
        }[args.source](args.paths)
    count = 0
    with open(args.out, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    print(f"{count} sentences -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

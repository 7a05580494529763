"""The labelled event-detection sentences (``benchmarks/data/events/``) and the CASE-2021 snippets,
as the training and benchmark scripts read them.

Every row keeps its document, so article context (title, neighbours) is rebuilt exactly as the
pipeline sees it: ``documents()`` groups rows by document in sentence order.
"""

import csv
import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "benchmarks" / "data" / "events"
CASE_DEV = REPO.parent / "shared" / "data" / "events" / "case2021-task2-dev.tsv"
EMBEDDING_CACHE = REPO / ".cache" / "embeddings"

# Sources whose sentences were picked from protest and conflict news for the events they tell
# (most of them are events, unlike ordinary news): they train the stage-two detector model of
# their own language only (tools/train_event_detector.model_rows), as extra positives and hard
# negatives, and are never what the cross-validation scores, what chooses the cuts, what the
# multilingual typing model learns from or what the headline test figures are computed on,
# which stand for ordinary news.
TRAINING_ONLY_SOURCES = ("en-cnc",)

# Sources of news articles (the README's table): the false-event bar is about quiet
# *news* articles, which tell side stories and statistics in eventful words far more often than
# the shop pages and guides of WCXB or the context-free GSD sentences; the cuts must keep false
# events down on them as well as on all quiet documents (tools/train_event_detector.choose_threshold).
NEWS_SOURCES = ("en-wikinews", "en-zyte", "en-hipe", "fr-wikinews", "fr-seed", "fr-sequoia", "fr-hipe")


class Row(NamedTuple):
    source: str
    doc: str
    title: Optional[str]
    published: Optional[str]
    lang: str
    index: int
    text: str
    split: str
    label: str  # event, not_happened, unsure, none
    type: Optional[str]
    background: Optional[bool]


class Document(NamedTuple):
    source: str
    doc: str
    title: Optional[str]
    published: Optional[str]
    lang: str
    split: str
    rows: List[Row]

    @property
    def key(self) -> str:
        return f"{self.source}/{self.doc}"


def read_rows(directory: Path = DATA_DIR) -> List[Row]:
    rows: List[Row] = []
    for path in sorted(directory.glob("*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                r = json.loads(line)
                rows.append(
                    Row(
                        r["source"],
                        r["doc"],
                        r.get("title"),
                        r.get("published"),
                        r["lang"],
                        r["index"],
                        r["text"],
                        r["split"],
                        r["label"],
                        r.get("type"),
                        r.get("background"),
                    )
                )
    return rows


def documents(rows: Sequence[Row], split: Optional[str] = None) -> List[Document]:
    """Rows grouped by document, sentences in order; only ``split`` when given."""
    grouped: OrderedDict[tuple, List[Row]] = OrderedDict()
    for row in rows:
        if split is None or row.split == split:
            grouped.setdefault((row.source, row.doc), []).append(row)
    out = []
    for (source, doc), members in grouped.items():
        members = sorted(members, key=lambda r: r.index)
        first = members[0]
        out.append(Document(source, doc, first.title, first.published, first.lang, first.split, members))
    return out


class CaseSnippet(NamedTuple):
    id: str
    text: str
    type: str


def read_case(path: Path = CASE_DEV) -> List[CaseSnippet]:
    """The CASE-2021 task 2 snippets (every one reports an event of its type)."""
    if not path.exists():
        raise SystemExit(f"{path} not found: the CASE-2021 snippets live in ../shared/data/events/")
    with open(path, encoding="utf-8", newline="") as handle:
        return [CaseSnippet(r["id"], r["EventSnippet"], r["SubType"]) for r in csv.DictReader(handle, delimiter="\t")]


def embeddings(texts: Sequence[str]) -> np.ndarray:
    """Sentence embeddings (USE-m v3, the pipeline's encoder), cached on disk by text hash:
    the encoder learns nothing from labels, so a cache only saves time."""
    from transforms.events.resources import encode

    EMBEDDING_CACHE.mkdir(parents=True, exist_ok=True)
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    cache_file = EMBEDDING_CACHE / "use-m-v3.npz"
    cache: Dict[str, np.ndarray] = {}
    if cache_file.exists():
        with np.load(cache_file) as stored:
            cache = {k: stored[k] for k in stored.files}
    missing = [i for i, k in enumerate(keys) if k not in cache]
    for start in range(0, len(missing), 256):
        batch = missing[start : start + 256]
        for i, vector in zip(batch, encode([texts[j] for j in batch])):
            cache[keys[i]] = vector
    if missing:
        np.savez(cache_file, **cache)
    return np.stack([cache[k] for k in keys]) if keys else np.zeros((0, 512), np.float32)


def iter_case_folds(snippets: Sequence[CaseSnippet], folds: int = 5, seed: int = 0) -> Iterator[List[int]]:
    """Stratified folds of the CASE snippets (indices of each test fold)."""
    from sklearn.model_selection import StratifiedKFold

    labels = [s.type for s in snippets]
    for _, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(labels, labels):
        yield list(test)

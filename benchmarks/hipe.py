"""Reading and scoring the CLEF-HIPE-2020 NER files (``../shared/data/ner``).

Each document becomes one text: tokens joined by a space unless the MISC column
says ``NoSpaceAfter`` (newspaper line ends become spaces: they are layout, not
text). Gold mentions are the literal coarse tags ``pers``/``loc``/``org`` as
char spans. Scores are strict span match, micro precision/recall/F1, as in
``../shared/data/README.md``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, NamedTuple, Set, Tuple

HIPE_LABELS = {"pers": "PER", "loc": "LOC", "org": "ORG"}
SCORED = ("PER", "LOC", "ORG")

GoldSpan = Tuple[int, int, str]


class HipeDocument(NamedTuple):
    id: str
    newspaper: str
    date: str
    text: str
    gold: Set[GoldSpan]


def read_hipe(path: Path) -> Iterator[HipeDocument]:
    """Documents of one HIPE TSV file, in file order.

    A document's metadata lines (``# language = …``, ``# newspaper = …``, ``# date = …``,
    ``# document_id = …``) come before its tokens, so a document ends where the next one's
    first metadata line starts. A token that is itself ``#`` is a token line, not metadata."""
    meta: Dict[str, str] = {}
    tokens: List[Tuple[str, str, str]] = []

    def document() -> HipeDocument:
        return build_document(meta.get("document_id", ""), meta.get("newspaper", ""), meta.get("date", ""), tokens)

    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("TOKEN\t"):
                continue
            if line.startswith("# ") and "=" in line:
                if tokens:
                    yield document()
                    meta, tokens = {}, []
                key, _, value = line[1:].partition("=")
                meta[key.strip()] = value.strip()
                continue
            columns = line.split("\t")
            tokens.append((columns[0], columns[1], columns[-1]))
    if tokens:
        yield document()


def build_document(doc_id: str, newspaper: str, date: str, tokens: List[Tuple[str, str, str]]) -> HipeDocument:
    parts: List[str] = []
    position = 0
    gold: Set[GoldSpan] = set()
    current: List = []  # [start, end, label] of the open gold span

    def close():
        if current and current[2] in HIPE_LABELS:
            gold.add((current[0], current[1], HIPE_LABELS[current[2]]))
        current.clear()

    for token, tag, misc in tokens:
        start = position
        parts.append(token)
        position += len(token)
        if tag.startswith("B-"):
            close()
            current.extend([start, position, tag[2:]])
        elif tag.startswith("I-") and current:
            current[1] = position
        else:
            close()
        if "NoSpaceAfter" not in misc:
            parts.append(" ")
            position += 1
    close()
    return HipeDocument(doc_id, newspaper, date, "".join(parts), gold)


class Score(NamedTuple):
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(pairs: Iterable[Tuple[Set[GoldSpan], Set[GoldSpan]]]) -> Dict[str, Score]:
    """Micro scores over (gold, predicted) pairs, overall ("ALL") and per label.
    Predicted spans with labels outside PER/LOC/ORG are ignored."""
    counts: Counter = Counter()
    for gold, predicted in pairs:
        predicted = {p for p in predicted if p[2] in SCORED}
        for label in SCORED:
            g = {s for s in gold if s[2] == label}
            p = {s for s in predicted if s[2] == label}
            counts[label, "tp"] += len(g & p)
            counts[label, "fp"] += len(p - g)
            counts[label, "fn"] += len(g - p)
    result = {label: Score(counts[label, "tp"], counts[label, "fp"], counts[label, "fn"]) for label in SCORED}
    result["ALL"] = Score(*(sum(result[label][i] for label in SCORED) for i in range(3)))
    return result

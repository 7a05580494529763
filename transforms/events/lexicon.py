"""The event-type table (``data/event_types.tsv``: CASE-2021 codes, ACLED names, CAMEO
roots) and the French and English trigger lexicon (``data/event_triggers.tsv``),
matched on case- and accent-folded words with plural endings ignored and ``*``
prefixes for inflections; rows add weight to a type, some only in the context of
another cue (an arrest *at a protest* is a protest with intervention).
"""

from __future__ import annotations

import csv
import math
import os
import re
import unicodedata
from typing import (
    Collection,
    Dict,
    Iterable,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
)

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


TYPES_PATH = os.path.join(DATA_DIR, "event_types.tsv")


TRIGGERS_PATH = os.path.join(DATA_DIR, "event_triggers.tsv")


LANGUAGES = ("fr", "en")


# The lexicon types a sentence only from this score on (one weight-1 hint such as
# "bombed" or "raid" is not enough on its own).
MIN_LEXICON_SCORE = 2.0


# Cue groups with this prefix (actors, "captured", "withdrew") only give context:
# they never make an event sentence alone.
CONTEXT_ONLY_PREFIX = "ctx_"


# Words a ~ in a trigger may skip.
MAX_GAP = 3


class EventType(NamedTuple):
    """One row of data/event_types.tsv."""

    type: str  # CASE-2021 code, "REM_EXPLOS"
    sub_event_type: str  # ACLED name, "Remote explosive/landmine/IED"
    event_type: str  # ACLED top level, "Explosions/Remote violence"
    taxonomy: str  # "ACLED", or "CASE-2021" for the five types CASE added
    cameo: Optional[str]  # CAMEO root, "18"; None where no root applies
    cameo_name: Optional[str]  # "ASSAULT"


_COMBINING = re.compile(r"[\u0300-\u036f]")


_WORD = re.compile(r"[^\W_]+")


_DIGITS = re.compile(r"\d+")


def fold(text: str) -> str:
    """Lower case without accents: 'Arrêtés à l’Élysée' -> "arretes a l'elysee"."""
    text = unicodedata.normalize("NFKD", text)
    return _COMBINING.sub("", text).casefold()


def words(text: str) -> List[str]:
    """Folded words; apostrophes, hyphens and punctuation separate them."""
    return _WORD.findall(fold(text))


def stem(word: str, language: str) -> str:
    """Light plural stripping, the same on triggers and text: 'roquettes' -> 'roquette',
    'clashes' -> 'clash', 'rallies' -> 'rally'. Not a lemmatiser: verb forms are
    covered by ``*`` prefixes in the lexicon."""
    if len(word) <= 3 or word[-1] not in "sx" or word.endswith("ss"):
        return word
    if language == "en":
        if word.endswith("ies") and len(word) > 4:
            return word[:-3] + "y"
        if word.endswith(("shes", "ches", "xes", "sses", "zes")):
            return word[:-2]
        if word.endswith(("us", "is", "x")):
            return word
    return word[:-1]


def _language(language: Optional[str]) -> Optional[str]:
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def _tsv_rows(path: str) -> Iterable[Dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    yield from csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)


def read_event_types(path: str = TYPES_PATH) -> Dict[str, EventType]:
    """The type table, in file order (which is the lexicon's tie-break order)."""
    table: Dict[str, EventType] = {}
    for row in _tsv_rows(path):
        code = row["type"].strip()
        if code in table:
            raise ValueError(f"{path}: type {code} twice")
        table[code] = EventType(
            type=code,
            sub_event_type=row["sub_event_type"].strip(),
            event_type=row["event_type"].strip(),
            taxonomy=row["taxonomy"].strip(),
            cameo=row["cameo"].strip() or None,
            cameo_name=row["cameo_name"].strip() or None,
        )
    return table


class _Token(NamedTuple):
    kind: str  # "word" (stem equality), "prefix" (folded word starts with it) or "gap"
    text: str


class TriggerRow(NamedTuple):
    type: str
    language: str  # "fr", "en" or "*"
    weight: float
    context: Optional[str]
    trigger: str  # as written in the file
    pattern: Tuple[_Token, ...]  # empty for a reference row
    reference: Optional[str]  # X of "@X"


def _compile_trigger(trigger: str, language: str) -> Tuple[_Token, ...]:
    tokens: List[_Token] = []
    for part in trigger.split():
        if part == "~":
            tokens.append(_Token("gap", ""))
            continue
        prefix = part.endswith("*")
        pieces = words(part.rstrip("*"))
        if not pieces:
            raise ValueError(f"trigger {trigger!r}: empty word {part!r}")
        for k, piece in enumerate(pieces):
            if prefix and k == len(pieces) - 1:
                tokens.append(_Token("prefix", piece))
            else:
                tokens.append(_Token("word", stem(piece, language)))
    if not tokens or tokens[0].kind == "gap" or tokens[-1].kind == "gap":
        raise ValueError(f"trigger {trigger!r}: a ~ needs words on both sides")
    return tuple(tokens)


def read_triggers(path: str = TRIGGERS_PATH) -> List[TriggerRow]:
    rows: List[TriggerRow] = []
    for row in _tsv_rows(path):
        trigger = row["trigger"].strip()
        language = row["lang"].strip()
        context = (row.get("context") or "").strip() or None
        weight = float(row["weight"])
        if trigger.startswith("@"):
            rows.append(TriggerRow(row["type"].strip(), language, weight, context, trigger, (), trigger[1:]))
        else:
            if language not in LANGUAGES:
                raise ValueError(f"{path}: trigger {trigger!r} needs a language, not {language!r}")
            pattern = _compile_trigger(trigger, language)
            rows.append(TriggerRow(row["type"].strip(), language, weight, context, trigger, pattern, None))
    return rows


class LexiconResult(NamedTuple):
    scores: Dict[str, float]  # event type -> score (only types with a score > 0)
    cues: Tuple[str, ...]  # types and cue groups with a plain (unconditional) match, sorted
    matches: Tuple[Tuple[str, str], ...]  # (type or group, trigger) of kept matches, in text order
    rows: Tuple[int, ...] = ()  # indices in Lexicon.literal of the kept matches' rows, sorted

    @property
    def is_event(self) -> bool:
        """A type reaches MIN_LEXICON_SCORE, or an event cue group matched (generic
        "attack"/"explosion", protest, dispersal, lethal, rioting). Weaker typed hints
        alone ("deal", "mine", "battle") do not make an event sentence."""
        return any(score >= MIN_LEXICON_SCORE for score in self.scores.values()) or any(
            cue.islower() and not cue.startswith(CONTEXT_ONLY_PREFIX) for cue in self.cues
        )


class Lexicon:
    """The trigger table of one language, indexed by the first word of each trigger."""

    def __init__(self, rows: Sequence[TriggerRow], language: str, type_order: Sequence[str]):
        self.language = language
        self.type_order = {code: i for i, code in enumerate(type_order)}
        mine, seen = [], set()
        for row in rows:
            key = (row.type, row.context, row.pattern, row.reference)
            # "bombe" and "bombes" compile to the same pattern: count it once.
            if row.language in (language, "*") and key not in seen:
                seen.add(key)
                mine.append(row)
        self.literal = [row for row in mine if row.reference is None]
        self.references = [row for row in mine if row.reference is not None]
        self._by_word: Dict[str, List[int]] = {}
        self._by_prefix: Dict[str, List[int]] = {}
        for i, row in enumerate(self.literal):
            first = row.pattern[0]
            index = self._by_word if first.kind == "word" else self._by_prefix
            index.setdefault(first.text, []).append(i)
        self._max_prefix = max((len(p) for p in self._by_prefix), default=0)

    def _first_hits(self, folded: str, stemmed: str) -> List[int]:
        hits = list(self._by_word.get(stemmed, ()))
        for k in range(1, min(len(folded), self._max_prefix) + 1):
            hits.extend(self._by_prefix.get(folded[:k], ()))
        return hits

    @staticmethod
    def _token_ok(token: _Token, folded: str, stemmed: str) -> bool:
        return stemmed == token.text if token.kind == "word" else folded.startswith(token.text)

    def _end_of_match(self, pattern: Tuple[_Token, ...], k: int, i: int, folded: List[str], stemmed: List[str]) -> int:
        """End (exclusive) of the shortest match of pattern[k:] starting at word i, or -1."""
        if k == len(pattern):
            return i
        token = pattern[k]
        if token.kind == "gap":
            for skip in range(MAX_GAP + 1):
                end = self._end_of_match(pattern, k + 1, i + skip, folded, stemmed)
                if end >= 0:
                    return end
            return -1
        if i >= len(folded) or not self._token_ok(token, folded[i], stemmed[i]):
            return -1
        return self._end_of_match(pattern, k + 1, i + 1, folded, stemmed)

    def match(self, sentence: str, disabled: Collection[int] = ()) -> LexiconResult:
        """Scores of ``sentence``; ``disabled`` literal rows are ignored (benchmarks use
        it to hold out triggers that only one snippet of the benchmark file matches)."""
        folded = words(sentence)
        stemmed = [stem(w, self.language) for w in folded]
        found: List[Tuple[int, int, int]] = []  # (start, end, literal row index)
        for i in range(len(folded)):
            for r in self._first_hits(folded[i], stemmed[i]):
                if r in disabled:
                    continue
                end = self._end_of_match(self.literal[r].pattern, 1, i + 1, folded, stemmed)
                if end >= 0:
                    found.append((i, end, r))
        # Rows whose context is absent do not count, and cannot hide shorter matches either.
        present = {self.literal[r].type for _, _, r in found if self.literal[r].context is None}
        found = [(s, e, r) for s, e, r in found if self.literal[r].context in (None, *present)]
        # A match strictly inside a longer one is dropped: "bombe" in "bombe en bordure de route".
        kept = [
            (s, e, r)
            for s, e, r in found
            if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, _ in found)
        ]
        kept.sort()
        rows = {r for _, _, r in kept}
        cues = {self.literal[r].type for r in rows if self.literal[r].context is None}
        scores: Dict[str, float] = {}
        for r in sorted(rows):
            row = self.literal[r]
            if row.type in self.type_order and (row.context is None or row.context in cues):
                scores[row.type] = scores.get(row.type, 0.0) + row.weight
        for row in self.references:
            if row.reference in cues and (row.context is None or row.context in cues):
                scores[row.type] = scores.get(row.type, 0.0) + row.weight
        return LexiconResult(
            scores=scores,
            cues=tuple(sorted(cues)),
            matches=tuple((self.literal[r].type, self.literal[r].trigger) for _, _, r in kept),
            rows=tuple(sorted(rows)),
        )

    def ranked(self, scores: Dict[str, float]) -> List[Tuple[str, float]]:
        """(type, score) best first; equal scores in type-table order (more specific first)."""
        return sorted(scores.items(), key=lambda item: (-item[1], self.type_order[item[0]]))

    def decide(self, result: LexiconResult) -> Optional[Tuple[str, float]]:
        """(type, confidence) from the lexicon alone, or None when no type reaches
        MIN_LEXICON_SCORE. Confidence grows with the winner's score and its share of
        all scores: one strong trigger ~0.8, a tie between two types <= 0.5."""
        ranked = self.ranked(result.scores)
        if not ranked or ranked[0][1] < MIN_LEXICON_SCORE:
            return None
        best = ranked[0][1]
        share = best / sum(score for _, score in ranked)
        return ranked[0][0], round(share * (1.0 - math.exp(-best / 2.0)), 4)

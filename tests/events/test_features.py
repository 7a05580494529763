"""Tests of transforms.event_types: data files, lexicon matching, French and English typing,
the model artefact, and the training script's determinism. Sentences are written for
these tests (no CASE-2021 text is copied here).
"""

import numpy as np

from transforms.events.features import (
    FeatureConfig,
    TfidfBlock,
    char_terms,
    frame_terms,
    mean_glove_vector,
    mean_word_vector,
    model_words,
)
from transforms.events.resources import load_parser


def test_static_word_vectors_come_from_the_installed_wheels():
    md = mean_word_vector(["Rockets", "hit", "base"])
    glove = mean_glove_vector(["Rockets", "hit", "base"])
    assert md.shape == (300,) and md.dtype == np.float32 and np.abs(md).sum() > 0
    assert glove.shape == (50,) and glove.dtype == np.float32 and np.abs(glove).sum() > 0
    # unknown words only: zeros, not an error
    assert not mean_word_vector(["qzxqzxqzx"]).any() and not mean_glove_vector([]).any()
    # the mean of the known words' vectors only
    np.testing.assert_array_equal(mean_word_vector(["bomb", "qzxqzxqzx"]), mean_word_vector(["bomb"]))
    np.testing.assert_array_equal(mean_glove_vector(["Bomb", "qzxqzxqzx"]), mean_glove_vector(["bomb"]))


def test_frame_terms_read_the_root_verb():
    doc = load_parser()("Militants fired rockets at the base.")
    terms = frame_terms(doc)
    assert "RC:fire>dobj>rocket" in terms and "PP:fire>at>base" in terms and "ST:rocket" in terms


def test_tfidf_block_matches_sklearn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    config = FeatureConfig(word_ngrams=None, char_ngrams=(2, 4))
    corpus = ["Rockets hit the base", "A bomb hit the convoy", "Protesters marched, protesters chanted"]
    analyse = lambda text: char_terms(model_words(text, config), config)  # noqa: E731
    reference = TfidfVectorizer(analyzer=analyse, sublinear_tf=True).fit(corpus)
    block = TfidfBlock.fit([analyse(t) for t in corpus], min_df=1, sublinear=True)
    assert block.vocabulary == reference.get_feature_names_out().tolist()
    for text in corpus + ["the rockets of the protesters"]:
        columns, values = block.transform(analyse(text))
        dense = np.zeros(len(block))
        dense[columns] = values
        np.testing.assert_allclose(dense, reference.transform([text]).toarray()[0], rtol=1e-6, atol=1e-7)

"""benchmarks/event_type_weights.py: what the news events' weight does to both CV figures."""

from typing import List

import pytest

from benchmarks import event_type_weights as weights
from tests.events.test_classify import SYNTHETIC
from tools.train_event_types import CHOSEN
from transforms.events.features import prepare

# News events of a type the snippets never show: only a model that learns from the news can type them.
FLOODS = [
    "Floods swept away homes in the valley",
    "The river burst its banks and flooded the town",
    "Heavy rain flooded the low-lying districts",
    "Flash floods cut off three villages",
    "Floodwaters submerged the main road",
    "Torrential rain flooded the market",
]


@pytest.fixture(scope="module")
def inputs():
    kinds = {v.kind for v in CHOSEN.views}
    texts = [t for ts in SYNTHETIC.values() for t in ts]
    labels = [label for label, ts in SYNTHETIC.items() for _ in ts]
    news_texts = FLOODS + SYNTHETIC["PEACE_PROTEST"][:4]
    types = ["NATURAL_DISASTER"] * len(FLOODS) + ["PEACE_PROTEST"] * 4
    return prepare(texts, kinds), labels, prepare(news_texts, kinds), types, [f"doc{i}" for i in range(len(types))]


def test_news_typing_needs_the_news_events(inputs):
    case, labels, news, types, documents = inputs
    without = weights.news_cv(case, labels, news, types, documents, 0.0)
    with_news = weights.news_cv(case, labels, news, types, documents, 1.0)
    assert with_news > without  # the flood type exists only in the news events


def test_no_text_is_typed_by_a_model_that_trained_on_it(inputs, monkeypatch):
    case, labels, news, types, documents = inputs
    fits: List[tuple] = []
    real_fit = weights.fit_inputs

    def recording_fit(rows, row_labels, setup, row_weights):
        fits.append(([id(r) for r in rows], list(row_weights)))
        return real_fit(rows, row_labels, setup, row_weights)

    scored: List[tuple] = []
    real_top = weights.top_type

    def recording_top(model, item):
        scored.append((len(fits) - 1, id(item)))
        return real_top(model, item)

    monkeypatch.setattr(weights, "fit_inputs", recording_fit)
    monkeypatch.setattr(weights, "top_type", recording_top)
    weights.case_cv(case, labels, news, types, 0.5, seed=0)
    weights.news_cv(case, labels, news, types, documents, 0.5)
    assert len(fits) == 10 and len(scored) == len(case) + len(news)
    for fit, item in scored:
        assert item not in fits[fit][0]
    # a snippet weighs 1 and a news event 0.5, in the order the rows were given
    for rows, row_weights in fits:
        assert len(rows) == len(row_weights)
        news_ids = {id(n) for n in news}
        assert row_weights == [0.5 if r in news_ids else 1.0 for r in rows]

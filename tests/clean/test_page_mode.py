"""Tests of transforms.clean.page_mode: page features and the learned focus decision."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from transforms.clean.html_extract import parse_html
from transforms.clean.page_mode import (
    FEATURE_NAMES,
    MODEL_PATH,
    PRECISION,
    RECALL,
    PageModeModel,
    choose_focus,
    page_features,
    page_mode_model,
    read_model,
)
from transforms.loading import LOAD_COUNTS

FIXTURES = Path(__file__).parents[1] / "fixtures" / "html"

PAGE = (
    '<html><head><meta property="og:type" content="article">'
    '<meta property="article:published_time" content="2025-03-01T10:00:00Z">'
    '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle"}</script>'
    "</head><body>"
    '<article><h1>Title</h1><p>Twenty characters ok.</p><p>And <a href="/a">a link</a> here.</p></article>'
    "<ul><li>one</li><li>two</li><li>three</li></ul>"
    "</body></html>"
)


def _feature(features, name):
    return features[FEATURE_NAMES.index(name)]


def test_features_count_tags_schema_types_and_text_shares():
    features = page_features(parse_html(PAGE))
    assert len(features) == len(FEATURE_NAMES)
    assert _feature(features, "log_count_p") == pytest.approx(math.log1p(2))
    assert _feature(features, "log_count_li") == pytest.approx(math.log1p(3))
    assert _feature(features, "log_count_a") == pytest.approx(math.log1p(1))
    assert _feature(features, "log_count_article") == pytest.approx(math.log1p(1))
    assert _feature(features, "log_count_table") == 0.0
    assert _feature(features, "schema_NewsArticle") == 1.0
    assert _feature(features, "schema_Product") == 0.0
    assert _feature(features, "og_type_article") == 1.0
    assert _feature(features, "article_published_time") == 1.0
    body_chars = len("TitleTwenty characters ok.And a link here.onetwothree")
    assert _feature(features, "log_body_chars") == pytest.approx(math.log1p(body_chars))
    p_chars = len("Twenty characters ok.") + len("And a link here.")
    assert _feature(features, "p_text_share") == pytest.approx(p_chars / body_chars)
    assert _feature(features, "li_text_share") == pytest.approx(len("onetwothree") / body_chars)
    assert _feature(features, "a_text_share") == pytest.approx(len("a link") / body_chars)
    assert _feature(features, "li_per_p") == pytest.approx(3 / 2)
    assert _feature(features, "a_per_p") == pytest.approx(1 / 2)


def test_features_of_a_bare_page_are_all_zero():
    features = page_features(parse_html("<html><body></body></html>"))
    assert features == [0.0] * len(FEATURE_NAMES)


def _model(coef, intercept=0.0, threshold=0.5):
    n = len(FEATURE_NAMES)
    return PageModeModel(FEATURE_NAMES, [1.0] * n, [2.0] * n, coef, intercept, threshold)


def test_probability_is_the_logistic_of_the_standardised_features():
    coef = [0.0] * len(FEATURE_NAMES)
    coef[0] = 1.5
    model = _model(coef, intercept=-0.25)
    features = [5.0] + [0.0] * (len(FEATURE_NAMES) - 1)
    z = -0.25 + 1.5 * (5.0 - 1.0) / 2.0
    assert model.precision_probability(features) == pytest.approx(1 / (1 + math.exp(-z)))
    assert model.focus(features) == PRECISION
    assert model.focus([-5.0] + [0.0] * (len(FEATURE_NAMES) - 1)) == RECALL


def test_shipped_model_matches_the_features_and_was_trained_on_the_tuning_half_only():
    raw = json.loads(Path(MODEL_PATH).read_text(encoding="utf-8"))
    model = read_model()
    assert tuple(model.features) == FEATURE_NAMES
    assert len(model.coef) == len(model.mean) == len(model.scale) == len(FEATURE_NAMES)
    assert all(s > 0 for s in model.scale)
    assert model.threshold == 0.5
    assert raw["training"]["split"] == "benchmarks/data/wcxb-dev-split.json, half 'tune' only"
    assert raw["training"]["pages"] == 368
    assert raw["training"]["command"] == "python -m tools.train_page_mode"


def test_a_model_for_other_features_is_refused(tmp_path):
    raw = json.loads(Path(MODEL_PATH).read_text(encoding="utf-8"))
    raw["features"] = raw["features"][:-1]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="other features"):
        read_model(str(path))


def test_model_loads_once_per_process():
    first = page_mode_model()
    assert page_mode_model() is first
    assert LOAD_COUNTS["clean.page_mode"] == 1


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.html")), ids=lambda p: p.name[:12])
def test_choose_focus_gives_one_of_the_two_modes(path):
    tree = parse_html(path.read_text(encoding="utf-8"))
    assert choose_focus(tree) in (PRECISION, RECALL)
    assert choose_focus(tree) == page_mode_model().focus(page_features(tree))

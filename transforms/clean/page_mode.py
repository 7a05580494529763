"""Which of trafilatura's focus modes a page gets: a learned, page-level decision.

trafilatura's ``favor_recall`` keeps the lists, tables and short sections of guides,
reviews and product pages; ``favor_precision`` drops the photo galleries, teaser
lists and bylines around a news story. Neither is best everywhere, so one small
logistic regression over the page's structure (tag counts, schema.org types,
text shares) picks the mode before the one extraction runs: a page costs one
extraction whichever mode it gets.

The model (``data/page_mode.json``) is trained by ``python -m tools.train_page_mode``
on the tuning half of WCXB dev only (``benchmarks/data/wcxb-dev-split.json``): for
each page, which of the two modes scores the higher shingle F1 against the gold text,
weighted by how much higher. The file records its data, split and cross-validated
score; the script rebuilds it byte for byte.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Dict, List, NamedTuple, Sequence

from lxml.html import HtmlElement

from transforms.loading import load_once

MODEL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "page_mode.json")

PRECISION, RECALL = "precision", "recall"


# elements whose number says what kind of page this is (a story, a list, a shop, a form)
COUNTED_TAGS = (
    "p",
    "li",
    "table",
    "h1",
    "h2",
    "h3",
    "a",
    "article",
    "img",
    "figure",
    "form",
    "iframe",
    "section",
    "aside",
    "nav",
    "time",
    "blockquote",
    "pre",
    "td",
)


# schema.org types a page declares in JSON-LD
SCHEMA_TYPES = (
    "NewsArticle",
    "Article",
    "BlogPosting",
    "Product",
    "FAQPage",
    "HowTo",
    "Recipe",
    "WebPage",
    "Organization",
    "ReportageNewsArticle",
    "TechArticle",
    "Review",
)


_LD_TYPE = re.compile(r'"@type"\s*:\s*\[?\s*"([A-Za-z]+)"')


FEATURE_NAMES = (
    *(f"log_count_{tag}" for tag in COUNTED_TAGS),
    *(f"schema_{name}" for name in SCHEMA_TYPES),
    "og_type_article",
    "article_published_time",
    "log_body_chars",
    "p_text_share",
    "li_text_share",
    "a_text_share",
    "li_per_p",
    "a_per_p",
)


def page_features(tree: HtmlElement) -> List[float]:
    """The page's structure as FEATURE_NAMES, from the parsed tree (read only)."""
    counts: Dict[str, int] = dict.fromkeys(COUNTED_TAGS, 0)
    text_chars: Dict[str, int] = {"p": 0, "li": 0, "a": 0}
    types = set()
    # iter() with tag names filters in C: only these elements become Python objects
    for element in tree.iter(*COUNTED_TAGS, "script"):
        tag = element.tag
        if tag == "script":
            if element.get("type") == "application/ld+json" and element.text:
                types.update(_LD_TYPE.findall(element.text))
            continue
        counts[tag] += 1
        if tag in text_chars:
            text_chars[tag] += len(element.text_content())
    # what iterfind(".//meta[@property]") gives, without ElementPath's Python filters
    properties = {meta.get("property"): meta.get("content") for meta in tree.iterdescendants("meta")}
    properties.pop(None, None)
    body = tree.find(".//body")
    body_chars = len(body.text_content()) if body is not None else 0
    chars = max(1, body_chars)  # divides the shares
    p_chars, li_chars, a_chars = text_chars["p"], text_chars["li"], text_chars["a"]
    return [
        *(math.log1p(counts[tag]) for tag in COUNTED_TAGS),
        *(1.0 if name in types else 0.0 for name in SCHEMA_TYPES),
        1.0 if properties.get("og:type") == "article" else 0.0,
        1.0 if "article:published_time" in properties else 0.0,
        math.log1p(body_chars),
        p_chars / chars,
        li_chars / chars,
        a_chars / chars,
        counts["li"] / max(1, counts["p"]),
        counts["a"] / max(1, counts["p"]),
    ]


class PageModeModel(NamedTuple):
    """A standardised logistic regression: P(precision mode scores higher)."""

    features: Sequence[str]
    mean: Sequence[float]
    scale: Sequence[float]
    coef: Sequence[float]
    intercept: float
    threshold: float

    def precision_probability(self, features: Sequence[float]) -> float:
        z = self.intercept + sum(
            c * (x - m) / s for c, x, m, s in zip(self.coef, features, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def focus(self, features: Sequence[float]) -> str:
        return PRECISION if self.precision_probability(features) >= self.threshold else RECALL


def read_model(path: str = MODEL_PATH) -> PageModeModel:
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    if tuple(raw["features"]) != FEATURE_NAMES:
        raise ValueError(f"{path} was trained on other features; rebuild it with python -m tools.train_page_mode")
    return PageModeModel(
        features=tuple(raw["features"]),
        mean=tuple(raw["mean"]),
        scale=tuple(raw["scale"]),
        coef=tuple(raw["coef"]),
        intercept=float(raw["intercept"]),
        threshold=float(raw["threshold"]),
    )


def page_mode_model() -> PageModeModel:
    """The process-wide model, read once."""
    return load_once("clean.page_mode", read_model)


def choose_focus(tree: HtmlElement) -> str:
    """``precision`` or ``recall``: the trafilatura focus this page gets."""
    return page_mode_model().focus(page_features(tree))

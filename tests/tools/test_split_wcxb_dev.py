"""Tests of tools.split_wcxb_dev: the site of a domain and its half, fixed forever."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tools.split_wcxb_dev import CHECK, DEFAULT_OUT, TUNE, build_split, half_of, site_of


@pytest.mark.parametrize(
    "domain, site",
    [
        ("garymarcus.substack.com", "substack.com"),
        ("www.npr.org", "npr.org"),
        ("health.ucdavis.edu", "ucdavis.edu"),
        ("home.tarkett.co.uk", "tarkett.co.uk"),
        ("realestate.com.au", "realestate.com.au"),
        ("bbc.co.uk", "bbc.co.uk"),
        ("WWW.Example.COM.", "example.com"),
    ],
)
def test_site_is_the_registrable_domain(domain, site):
    assert site_of(domain) == site


def test_half_is_the_parity_of_the_site_hash():
    for site in ("substack.com", "npr.org", "tarkett.co.uk"):
        expected = TUNE if hashlib.sha256(site.encode()).digest()[0] % 2 == 0 else CHECK
        assert half_of(site) == expected


def test_pages_of_one_site_share_a_half_and_the_split_is_sorted():
    truth = {
        "0002": {"domain": "addyo.substack.com"},
        "0001": {"domain": "garymarcus.substack.com"},
        "0003": {"domain": "npr.org"},
    }
    split = build_split(truth)
    pages = split["pages"]
    assert list(pages) == ["0001", "0002", "0003"]
    assert pages["0001"] == pages["0002"] == {"site": "substack.com", "half": half_of("substack.com")}
    assert sum(split["counts"].values()) == 3


def test_the_committed_split_covers_711_pages_and_agrees_with_the_rule():
    split = json.loads(Path(DEFAULT_OUT).read_text(encoding="utf-8"))
    pages = split["pages"]
    assert len(pages) == 711
    assert split["counts"] == {TUNE: 368, CHECK: 343}
    assert all(row["half"] == half_of(row["site"]) for row in pages.values())

"""reporting.page: the checker of network references, escaping, notes on caps."""

import json
import re

from reporting import page
from reporting.gather import gather
from reporting.outputs import locate
from tests.support.run_outputs import event, sample_records, write_batch


def test_external_references_finds_loads_not_links():
    assert page.external_references('<a href="https://example.com/story">story</a>') == []
    assert page.external_references("<p>see https://example.com</p>") == []
    bad = [
        '<script src="https://cdn.example/vega.js"></script>',
        "<link rel=stylesheet href='http://cdn.example/a.css'>",
        '<img alt="" src="//tiles.example/0/0/0.png">',
        "<style>@font-face{src:url(https://fonts.example/a.woff2)}</style>",
        '<style>@import "https://cdn.example/b.css";</style>',
        '<iframe src="https://example.com"></iframe>',
    ]
    for html in bad:
        assert page.external_references(html), html


def _content(tmp_path, records=None):
    write_batch(tmp_path, records or sample_records())
    return gather(locate(tmp_path), str(tmp_path))


def test_rendered_page_is_self_contained_and_escaped(tmp_path):
    records = sample_records()
    records["events"].append(dict(event("e9"), place="<script>alert(1)</script>"))
    html = page.render(_content(tmp_path, records))
    assert page.external_references(html) == []
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # two specs, the sentences, the Vega bundle, rendering, sentences on demand, the table filter; no src
    assert len(re.findall(r"^<script", html, re.M)) == 7 and not re.search(r"<script[^>]*\bsrc=", html)
    spec = json.loads(re.search(r'<script type="application/json" id="spec-map">(.*?)</script>', html, re.S).group(1))
    assert spec["projection"]["type"] == "equalEarth"
    # each row's sentences, cut from the article by their offsets, travel as JSON the page expands
    sentences = json.loads(re.search(r'id="event-sentences">(.*?)</script>', html, re.S).group(1))
    assert sentences["articles"]["a2"] == ["Titre a2", "almanar.example", "2020-09-15", "https://almanar.example/a2"]
    rows = re.findall(r'<tr class="event".*?data-event="(\d+)"', html, re.S)
    assert rows == [str(n) for n in range(len(sentences["events"]))] == ["0", "1", "2", "3"]
    # newest first: e3 (18 Sep), e2, then on 14 Sep e1 (two articles) before e9 (one)
    quote = "Une bombe a visé un convoi à Bagdad lundi."
    assert sentences["events"][2] == [[["a1", 0, 0, 42, quote], ["a2", 0, 0, 42, quote]], 0]


def test_page_says_what_it_capped(tmp_path, monkeypatch):
    records = sample_records()
    records["events"] = [event(f"e{i:03d}", place=f"P{i}", lat=30 + i / 100, lon=40) for i in range(12)]
    from reporting import gather as gather_module

    original = gather_module.tables.event_rows
    monkeypatch.setattr(gather_module.tables, "event_rows", lambda events, articles: original(events, articles, cap=5))
    content = _content(tmp_path, records)
    html = page.render(content)
    assert "The 5 most reported of 12 events (cap 2,000)" in html
    assert "12 of 12 events have coordinates, in 12 place × family groups" in html
    assert html.count('<tr class="event"') == 5


def test_reconciliation_from_the_summary_or_the_files(tmp_path):
    html = page.render(_content(tmp_path))
    assert "No run summary found" in html
    assert "From the files: articles 3 + rejected 1 + duplicates 1 = 5" in html
    assert "1 articles written without entities or events" in html
    (tmp_path / "summary.json").write_text(
        json.dumps(
            {"reconciliation": {"in": 5, "out": 3, "rejected": 1, "duplicates": 1}, "counters": {"read": {"files": 2}}}
        )
    )
    html = page.render(gather(locate(tmp_path), str(tmp_path)))
    assert 'in = out + rejected + duplicates: <b>5 = 3 + 1 + 1</b> <span class="ok">OK</span>' in html
    assert '<td>read</td><td>files</td><td class="num">2</td>' in html

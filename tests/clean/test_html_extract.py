"""Tests for transforms.html_extract.extract_page.

Real pages come from tests/fixtures/html/ (three pages of Zyte's
article-extraction-benchmark with their gold bodies, MIT, see the README there);
the rest are small handmade pages. Nothing here reads ../shared.
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections import Counter
from pathlib import Path

import lxml.html
import pytest
import trafilatura

from transforms.clean import html_extract
from transforms.clean.html_extract import (
    DEFAULT_MAX_BYTES,
    ExtractedPage,
    extract_page,
    main_blocks,
    page_metadata,
    parse_html,
)
from transforms.clean.page_mode import PRECISION, RECALL
from transforms.records import BadInput

FIXTURES = Path(__file__).parents[1] / "fixtures" / "html"

# id prefix -> (page URL from the benchmark, expected metadata, minimum shingle F1).
# Observed F1: 1.000 / 0.979 / 0.988; the minimums leave a margin for trafilatura updates.
PAGES = {
    "359fee228518": dict(
        url="https://www.sciencealert.com/we-finally-have-a-global-geological-map-of-saturn-s-moon-titan",
        canonical="https://www.sciencealert.com/we-finally-have-a-global-geological-map-of-saturn-s-moon-titan",
        site="ScienceAlert",
        language="en",
        published="2019-11-19",
        min_f1=0.90,
    ),
    "fde930b01859": dict(
        url="https://www.businessinsider.com/10-things-in-tech-you-need-to-know-today-november-19-2019-11",
        canonical="https://www.businessinsider.de/10-things-in-tech-you-need-to-know-today-november-19-2019-11",
        site="Business Insider Deutschland",
        language="de",
        published="2019-11-19",
        min_f1=0.90,
    ),
    "20b2b64916b0": dict(
        url="http://www.remember8090.it/black-friday-per-nostalgici-le-occasioni-da-non-perdere/",
        canonical="http://www.remember8090.it/black-friday-per-nostalgici-le-occasioni-da-non-perdere/",
        site="Remember 80/90 - Memorabilia anni 80/90",
        language="it",
        published="2017-11-23",
        min_f1=0.90,
    ),
}

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FAST_SECONDS = 2.0


def fixture_path(prefix: str, suffix: str) -> Path:
    (path,) = FIXTURES.glob(f"{prefix}*{suffix}")
    return path


def load_page(prefix: str) -> tuple[str, str]:
    html = fixture_path(prefix, ".html").read_text(encoding="utf-8")
    gold = fixture_path(prefix, ".gold.txt").read_text(encoding="utf-8")
    return html, gold


def shingle_f1(gold: str, predicted: str, n: int = 4) -> float:
    """F1 of multisets of n-token shingles of \\w+ tokens (the benchmark's metric, one page)."""

    def shingles(text: str) -> Counter:
        tokens = re.findall(r"\w+", text)
        return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])

    g, p = shingles(gold), shingles(predicted)
    tp = sum((g & p).values())
    total = sum(g.values()) + sum(p.values())
    return 2 * tp / total if total else 1.0


def assert_tidy(paragraphs: list[str]) -> None:
    for text in paragraphs:
        assert text, "empty paragraph"
        assert text == unicodedata.normalize("NFC", text)
        assert text == text.strip()
        assert not re.search(r"\s\s", text), repr(text)
        assert not re.search(r"[^\S ]", text), f"whitespace other than a plain space in {text!r}"


def timed_extract(html: str, **kwargs):
    """(result or BadInput raised, seconds); any other exception propagates."""
    start = time.perf_counter()
    try:
        result = extract_page(html, **kwargs)
    except BadInput as error:
        result = error
    return result, time.perf_counter() - start


def all_text(page: ExtractedPage) -> str:
    return "\n".join([page.title or "", page.url or "", page.site or ""] + page.paragraphs)


# --- real pages (benchmark fixtures) ------------------------------------------------------------


def test_fixture_folder_is_complete_and_licensed():
    assert (FIXTURES / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    for prefix in PAGES:
        assert fixture_path(prefix, ".html").stat().st_size < 150_000
        assert fixture_path(prefix, ".gold.txt").read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("prefix", sorted(PAGES))
def test_fixture_page_has_title_and_paragraphs(prefix):
    html, _ = load_page(prefix)
    page = extract_page(html, PAGES[prefix]["url"])
    assert page.title and page.title.strip()
    assert page.paragraphs
    assert all(p.strip() for p in page.paragraphs)


@pytest.mark.parametrize("prefix", sorted(PAGES))
def test_fixture_page_main_text_matches_gold_body(prefix):
    html, gold = load_page(prefix)
    page = extract_page(html, PAGES[prefix]["url"])
    f1 = shingle_f1(gold, "\n".join(page.paragraphs))
    assert f1 >= PAGES[prefix]["min_f1"], f"shingle F1 {f1:.3f}"


@pytest.mark.parametrize("prefix", sorted(PAGES))
def test_fixture_page_metadata(prefix):
    html, _ = load_page(prefix)
    expected = PAGES[prefix]
    page = extract_page(html, expected["url"])
    assert page.url == expected["canonical"]
    assert page.site == expected["site"]
    assert page.language == expected["language"]
    assert page.published is None or ISO_DATE.match(page.published)
    assert page.published == expected["published"]


@pytest.mark.parametrize("prefix", sorted(PAGES))
def test_fixture_page_url_comes_from_the_page_without_a_given_url(prefix):
    html, _ = load_page(prefix)
    page = extract_page(html)
    assert page.url == PAGES[prefix]["canonical"]
    assert page.site == PAGES[prefix]["site"]


@pytest.mark.parametrize("prefix", sorted(PAGES))
def test_fixture_page_paragraphs_are_nfc_and_whitespace_tidy(prefix):
    html, _ = load_page(prefix)
    assert_tidy(extract_page(html, PAGES[prefix]["url"]).paragraphs)


def test_bytes_input_is_read_as_utf8_like_str():
    prefix = "20b2b64916b0"
    raw = fixture_path(prefix, ".html").read_bytes()
    assert extract_page(raw) == extract_page(raw.decode("utf-8"))


@pytest.mark.parametrize("prefix", sorted(PAGES))
def test_page_metadata_gives_trafilatura_extract_metadata_fields(prefix):
    """The lean metadata step finds what trafilatura.extract_metadata finds (author, tags, licence aside)."""
    html, _ = load_page(prefix)
    tree = parse_html(html)
    ours = page_metadata(tree, PAGES[prefix]["url"])
    theirs = trafilatura.extract_metadata(tree, default_url=PAGES[prefix]["url"], extensive=False)
    assert (ours.title, ours.url, ours.hostname, ours.sitename, ours.date) == (
        theirs.title,
        theirs.url,
        theirs.hostname,
        theirs.sitename,
        theirs.date,
    )


# --- one extraction per page ----------------------------------------------------------------------


def _count_extractions(monkeypatch) -> list:
    calls: list = []
    real = html_extract._trafilatura_blocks

    def counting(tree, url, favor_precision, favor_recall):
        calls.append((favor_precision, favor_recall))
        return real(tree, url, favor_precision, favor_recall)

    monkeypatch.setattr(html_extract, "_trafilatura_blocks", counting)
    return calls


@pytest.mark.parametrize("focus", [PRECISION, RECALL])
def test_an_article_page_costs_one_extraction_in_its_focus(monkeypatch, focus):
    calls = _count_extractions(monkeypatch)
    html, _ = load_page("359fee228518")
    blocks = main_blocks(parse_html(html), None, focus)
    assert calls == [(focus == PRECISION, focus == RECALL)]
    assert sum(len(b.text) for b in blocks) > 2500


def test_a_page_where_the_focus_finds_little_gets_trafilatura_default_cascade(monkeypatch):
    calls = _count_extractions(monkeypatch)
    menu = "".join(f"<li><a href='/s{i}'>Section number {i} of the site</a></li>" for i in range(300))
    html = f"<html><body><ul>{menu}</ul><article><p>One short paragraph.</p></article></body></html>"
    main_blocks(parse_html(html), None, PRECISION)
    assert calls == [(True, False), (False, False)]


def test_body_cut_in_same_class_chunks_is_joined_without_touching_the_tree():
    chunk = "<p>" + "A paragraph of the story that goes on for a while, sentence after sentence. " * 8 + "</p>"
    html = (
        "<html><body><div class='article-body'>" + chunk.replace("story", "first part") + "</div>"
        "<aside><p>Advert</p></aside><div class='article-body'>" + chunk.replace("story", "second part") + "</div>"
        "</body></html>"
    )
    tree = parse_html(html)
    before = lxml.html.tostring(tree)
    text = " ".join(b.text for b in main_blocks(tree, None, PRECISION))
    assert "first part" in text and "second part" in text
    assert lxml.html.tostring(tree) == before


# --- shortcuts that must give what trafilatura's own code gives -------------------------------

_PARAGRAPH = "<p>" + "A sentence of the story about the harbour and its new quay. " * 10 + "</p>"

# pages for the equivalence checks below: the fixtures and handmade layouts (nested,
# sibling and same-parent body containers; id, class and itemprop; minified blocks; no <body>)
_LAYOUTS = [
    f"<html><body><div class='article-body'>{_PARAGRAPH}</div><div class='article-body'>{_PARAGRAPH}</div></body></html>",
    f"<html><body><section><div class='post'>{_PARAGRAPH}</div></section><main id='article-content'>"
    f"<div itemprop='articleBody'>{_PARAGRAPH}<div class='post-text'>x</div></div></main>"
    f"<article class='entry'>{_PARAGRAPH}</article><div id='articleContent'></div><div class='ArticleBody'></div>"
    f"<div class='Post-Content'></div><span class='article-body'>not a container</span></body></html>",
    "<html><head><style>p { color: red }</style></head><body><div>one<div>two</div>three<br>four</div>"
    "<script>var story = 'a long script text ' + 'that is not page text';</script><aside>side</aside>"
    "<ul><li>a</li><li>b</li></ul><footer>foot</footer></body></html>",
    "<div><p>A fragment without a body</p><script>x = 1</script></div>",
]


def _pages_for_equivalence() -> list:
    return [load_page(prefix)[0] for prefix in sorted(PAGES)] + _LAYOUTS


@pytest.mark.parametrize("html", _pages_for_equivalence())
def test_article_body_matches_are_trafilatura_first_body_xpath(html):
    from trafilatura.xpaths import BODY_XPATH

    tree = parse_html(html)
    expected = BODY_XPATH[0](tree)
    got = html_extract.article_body_matches(tree)
    assert [id(el) for el in got] == [id(el) for el in expected]


def test_article_body_matches_keeps_the_first_match_of_each_parent_in_document_order():
    tree = parse_html(_LAYOUTS[1])
    got = [
        (el.tag, el.get("class") or el.get("id") or el.get("itemprop"))
        for el in html_extract.article_body_matches(tree)
    ]
    # the body's article.entry and the divs after <main> match too, but <main> came first
    assert got == [("div", "post"), ("main", "article-content"), ("div", "articleBody"), ("div", "post-text")]


@pytest.mark.parametrize("html", _pages_for_equivalence())
def test_page_text_bound_is_never_under_trafilatura_html2txt(html):
    from trafilatura.baseline import html2txt

    tree = parse_html(html)
    assert len(html2txt(tree)) <= html_extract.page_text_bound(tree)


def test_page_text_bound_leaves_out_scripts_and_styles():
    tree = parse_html(_LAYOUTS[2])
    # body text without the script (style is in <head>), plus 2 a block element (div, div, br, aside, ul, li, li, footer)
    body_text = "onetwothreefoursideabfoot"
    assert html_extract.page_text_bound(tree) == len(body_text) + 2 * 8


def _reference_parse(html: str) -> bytes:
    """parse_html as it was written before its fast path: every regex on every page."""
    text = html_extract._INVALID_XML_CHARS.sub("", html_extract._PROLOG_RE.sub("", html, count=1))
    text = html_extract._CHAR_REF.sub(html_extract._char_ref, html_extract._ESCAPED_ANSI.sub("", text))
    return lxml.html.tostring(lxml.html.fromstring(text.encode("utf-8"), parser=html_extract._PARSER))


@pytest.mark.parametrize(
    "body",
    [
        "<p>plain ASCII text</p>",
        "<p>caf\u00e9 \u4e2d\u6587 &amp; &#233;t&#233; &#150; &#x80;</p>",
        "<p>bell \x07 and vertical tab \x0b and form feed \x0c gone, tab \t kept</p>",
        "<p>noncharacters \ufffe and \uffff and a lone surrogate \ud800 gone</p>",
        "<p>an escaped colour &#27;[31mred&#x1b;[0m and &#0; &#xD800; &#99999999;</p>",
        "<p>a bell before a reference &\x07#27; stays a reference</p>",
    ],
)
def test_parse_html_fast_path_gives_the_tree_of_the_full_cleaning(body):
    html = f"<?xml version='1.0'?><!DOCTYPE html><html><body>{body}</body></html>"
    assert lxml.html.tostring(parse_html(html)) == _reference_parse(html)


def test_parsed_elements_have_lxml_html_classes():
    html = (
        "<html><body><form action='/s'><label for='q'>Search</label><input id='q' name='q'>"
        "<select name='s'><option>a</option></select><textarea name='t'>x</textarea></form>"
        "<p>text <a href='/'>link</a></p></body></html>"
    )
    ours = [type(el) for el in parse_html(html).iter()]
    standard = [type(el) for el in lxml.html.document_fromstring(html).iter()]
    assert ours == standard
    assert {cls.__name__ for cls in ours} >= {
        "FormElement",
        "LabelElement",
        "InputElement",
        "SelectElement",
        "HtmlElement",
    }


# --- metadata from a handmade page -------------------------------------------------------------

BODY = " ".join(
    ["Le conseil municipal a voté mardi soir un budget de transition pour la ville, après trois heures de débat."] * 4
)


def handmade_page(canonical="https://www.example.fr/politique/budget-lyon", lang="fr", extra_paragraph="") -> str:
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<title>Budget voté à Lyon | Le Quotidien</title>
<link rel="canonical" href="{canonical}">
<meta property="og:site_name" content="Le Quotidien">
<meta property="article:published_time" content="2020-09-14T08:30:00+02:00">
</head><body><header><nav><a href="/">Accueil</a> <a href="/politique">Politique</a></nav></header>
<article><h1>Budget voté à Lyon</h1><p>{BODY}</p>{extra_paragraph}</article>
<footer>© Le Quotidien</footer></body></html>"""


def test_handmade_page_metadata_fields():
    page = extract_page(handmade_page(), url="https://www.example.fr/x?utm_source=feed")
    assert page == ExtractedPage(
        title="Budget voté à Lyon",
        published="2020-09-14",
        url="https://www.example.fr/politique/budget-lyon",
        site="Le Quotidien",
        language="fr",
        paragraphs=[BODY],
    )


def test_relative_canonical_is_resolved_against_the_given_url():
    page = extract_page(
        handmade_page(canonical="/politique/budget-lyon"), url="https://www.example.fr/x?utm_source=feed"
    )
    assert page.url == "https://www.example.fr/politique/budget-lyon"


@pytest.mark.parametrize("lang", ["fr-FR", "FR", "fr_CA"])
def test_html_lang_with_region_gives_two_letter_code(lang):
    assert extract_page(handmade_page(lang=lang)).language == "fr"


def test_page_without_metadata_falls_back_to_url_domain():
    html = f"<html><body><article><p>{BODY}</p></article></body></html>"
    page = extract_page(html, url="https://www.example.org/a/b")
    assert page.title is None
    assert page.published is None
    assert page.language is None
    assert page.url == "https://www.example.org/a/b"
    assert page.site == "example.org"
    assert page.paragraphs == [BODY]


# --- NFC and whitespace ---------------------------------------------------------------------------


def test_paragraphs_are_nfc_normalised_and_whitespace_collapsed():
    decomposed = "Cafe\u0301   cre\u0300me\u00a0et\tthe\u0301\n  au   menu du conseil, ce qui a surpris les élus présents ce soir-là.  "
    page = extract_page(handmade_page(extra_paragraph=f"<p>{decomposed}</p>"))
    assert page.paragraphs[-1] == "Café crème et thé au menu du conseil, ce qui a surpris les élus présents ce soir-là."
    assert_tidy(page.paragraphs)


# --- hostile and broken input ---------------------------------------------------------------------

ARTICLE = "<p>" + "Real text of the article goes on here, sentence after sentence. " * 12 + "</p>"


def billion_laughs(levels: int = 9) -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n' + "\n".join(entities) + "\n]>\n"
        f"<html><head><title>Laughs</title></head><body><article><p>&lol{levels};</p>{ARTICLE}</article></body></html>"
    )


XXE_DECL = '<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>'
XXE_PAGES = {
    "doctype-first": f'<?xml version="1.0"?>\n{XXE_DECL}\n<html><head><title>XXE</title></head><body><article><p>&xxe;</p>{ARTICLE}</article></body></html>',
    "comment-before-doctype": f"<!-- x -->{XXE_DECL}<html><body><article><p>&xxe;</p>{ARTICLE}</article></body></html>",
    "doctype-inside-html": f"<html>{XXE_DECL}<body><article><p>&xxe;</p>{ARTICLE}</article></body></html>",
    "parameter-entity": '<!DOCTYPE foo [ <!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext; ]>'
    f"<html><body><article><p>x</p>{ARTICLE}</article></body></html>",
}


def test_billion_laughs_is_not_expanded():
    result, seconds = timed_extract(billion_laughs())
    assert seconds < FAST_SECONDS
    if isinstance(result, ExtractedPage):
        text = all_text(result)
        assert len(text) < 10_000
        assert "lollollol" not in text
        assert "Real text of the article" in text


@pytest.mark.parametrize("name", sorted(XXE_PAGES))
def test_external_entity_is_not_resolved(name):
    result, seconds = timed_extract(XXE_PAGES[name])
    assert seconds < FAST_SECONDS
    if isinstance(result, ExtractedPage):
        text = all_text(result)
        assert "root:" not in text
        assert "/bin/" not in text
        assert "Real text of the article" in text


def test_ten_thousand_nested_divs_do_not_crash():
    html = "<html><body>" + "<div>" * 10_000 + ARTICLE + "</div>" * 10_000 + "</body></html>"
    result, seconds = timed_extract(html)  # BadInput is the documented outcome; RecursionError etc. would propagate
    assert seconds < FAST_SECONDS
    if isinstance(result, ExtractedPage):
        assert result.paragraphs


def test_text_before_deep_nesting_is_still_extracted():
    html = "<html><head><title>Deep</title></head><body><article>" + ARTICLE + "</article>"
    html += "<div>" * 10_000 + "x" + "</div>" * 10_000 + "</body></html>"
    page = extract_page(html)
    assert page.title == "Deep"
    assert any("Real text of the article" in p for p in page.paragraphs)


def test_page_over_max_bytes_is_refused():
    html = handmade_page()
    with pytest.raises(BadInput, match="max_bytes"):
        extract_page(html, max_bytes=len(html) - 1)
    assert extract_page(html, max_bytes=len(html)).paragraphs  # the limit itself is allowed


def test_default_max_bytes_refuses_a_huge_page_quickly():
    html = "<html><body><p>" + "a " * (DEFAULT_MAX_BYTES // 2 + 10) + "</p></body></html>"
    start = time.perf_counter()
    with pytest.raises(BadInput, match="too large"):
        extract_page(html)
    assert time.perf_counter() - start < FAST_SECONDS


@pytest.mark.parametrize(
    "junk",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n\t\r\n  ", id="whitespace"),
        pytest.param("\x00" * 500, id="nul-bytes"),
        pytest.param(bytes(range(256)).decode("latin-1") * 8, id="all-bytes-as-latin1"),
        pytest.param(os.urandom(4096).decode("utf-8", errors="replace"), id="random-bytes-str"),
        pytest.param(os.urandom(4096), id="random-bytes-raw"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, id="png-like"),
        pytest.param("<html><body></body></html>", id="no-text"),
        pytest.param("<!DOCTYPE html>", id="doctype-only"),
        pytest.param('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>', id="prolog-only"),
    ],
)
def test_empty_or_junk_input_raises_bad_input(junk):
    with pytest.raises(BadInput):
        extract_page(junk)


def test_binary_junk_error_says_binary():
    with pytest.raises(BadInput, match="binary"):
        extract_page(os.urandom(4096))


@pytest.mark.parametrize("value", [None, 42, ["<p>x</p>"]])
def test_non_string_input_raises_bad_input(value):
    with pytest.raises(BadInput, match="must be str"):
        extract_page(value)


def test_bad_input_is_a_value_error():
    assert issubclass(BadInput, ValueError)


def test_character_references_to_controls_do_not_cost_the_page() -> None:
    body = (
        "<p>The council met on Monday to vote the budget for the harbour, officials said in a statement.</p>"
        "<p>Escape &#27;[31m red &#0; and &#x7f; gone &#150; &#xD800; &#99999999; &#233;t&#233;.</p>"
    )
    page = extract_page(f"<html><body><article>{body}</article></body></html>")
    assert page.paragraphs[1] == "Escape red and gone – été."


# --- rules after trafilatura ------------------------------------------------------------------

STORY = "The council voted on Tuesday night to keep the library open for another two years after a long debate."


def _kept(*texts: str) -> list:
    blocks = [html_extract.Block(t, 0, "p") for t in texts]
    return [b.text for b in html_extract._postfilter(blocks, set())]


@pytest.mark.parametrize(
    "line", ["12 mars 2024", "Publicado el 3 de marzo de 2024", "Aktualisiert am 5. März 2024", "March 3, 2024"]
)
def test_a_lead_date_line_with_a_month_name_is_dropped(line):
    assert _kept(line, STORY) == [STORY]


@pytest.mark.parametrize("line", ["Market outlook for 2024", "Mayors of 2024", "Octopus season 2023"])
def test_a_lead_line_with_a_word_that_starts_like_a_month_is_kept(line):
    assert _kept(line, STORY) == [line, STORY]


def test_a_short_newsletter_line_is_boilerplate_but_a_long_paragraph_about_one_is_text():
    short = "Sign up for our daily newsletter"
    long = (
        "Readers who subscribe to the town hall newsletter will now get the minutes of every council meeting, "
        "the mayor said, adding that the first issue would cover the library budget and the new bus routes."
    )
    assert html_extract.word_count(long) > html_extract.BOILERPLATE_MAX_WORDS
    assert _kept(STORY, short, long) == [STORY, long]

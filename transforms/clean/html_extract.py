"""Main-text and metadata extraction from one HTML page (pure functions, no Beam).

``extract_page`` parses the page itself with a locked-down lxml HTML parser
(no network, no DTD loading, no entity expansion, libxml2's default depth limit)
and hands the parsed tree to trafilatura, so trafilatura's own string loading
never runs on untrusted bytes. On top of trafilatura it adds a few general
rules measured on the article-extraction benchmark (``benchmarks/extraction.py``).
"""

from __future__ import annotations

import re
import unicodedata
from copy import deepcopy
from typing import List, NamedTuple, Optional, Set
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.baseline import _BLOCK_ELEMS as _BLOCK_ELEMENTS
from trafilatura.baseline import html2txt
from trafilatura.core import ESCALATION_MAX_LENGTH, ESCALATION_PAGE_SHARE
from trafilatura.metadata import (
    META_URL,
    Document,
    examine_meta,
    extract_domain,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import set_date_params
from trafilatura.xpaths import _ARTICLE_CONTENT_CLASS_TOKENS, _ARTICLE_CONTENT_ID_TOKENS, _alt

from transforms.clean.page_mode import PRECISION, RECALL, choose_focus
from transforms.clean.scrub import is_prompt, word_count
from transforms.dates import normalise_published
from transforms.records import BadInput

DEFAULT_MAX_BYTES = 20_000_000


class ExtractedPage(NamedTuple):
    title: Optional[str]
    published: Optional[str]  # ISO date YYYY-MM-DD
    url: Optional[str]  # canonical URL when declared, else the given one
    site: Optional[str]  # site name, else domain
    language: Optional[str]  # declared (html lang / content-language), 2 letters
    paragraphs: List[str]  # main text, one entry per block, none empty


# HTML parser for untrusted pages: libxml2's HTML parser never loads DTDs nor
# expands entities declared in an internal subset; no_network forbids any fetch;
# huge_tree=False keeps libxml2's depth (256) and text-node limits, which also
# keeps trafilatura's recursive helpers far from Python's recursion limit.
_PARSER = lxml.html.HTMLParser(
    encoding="utf-8",
    no_network=True,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    collect_ids=False,
    default_doctype=False,
)


def html_class_lookup() -> lxml.etree.ElementNamespaceClassLookup:
    """lxml.html's element classes, chosen in C.

    lxml.html's own lookup is a Python method, called for every element object created
    (~4,000 a page, by this module and by trafilatura and htmldate on copies of the tree,
    which keep the parser). This one gives each element the same class (HtmlElement, or
    FormElement, InputElement... for those tags) from dictionaries, without a Python call.
    """
    lookup = lxml.etree.ElementNamespaceClassLookup(
        lxml.etree.ElementDefaultClassLookup(
            element=HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    by_tag = lookup.get_namespace(None)  # HTML elements have no namespace
    for tag, element_class in lxml.html.HtmlElementClassLookup._default_element_classes.items():
        by_tag[tag] = element_class
    return lookup


_PARSER.set_element_class_lookup(html_class_lookup())


# XML declaration and DOCTYPE (with an internal subset, where "billion laughs"
# and XXE declarations live) at the start of the page: dropped before parsing.
_PROLOG_RE = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>)?", re.IGNORECASE | re.DOTALL)


# characters XML (and so lxml) rejects in text
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udfff]")


# an escape character written as a reference, with the colour or cursor code after it
_ESCAPED_ANSI = re.compile(r"&#(?:[xX]0*1[bB]|0*27);?(?:\[[0-?]*[ -/]*[@-~])?")


# numeric character references, which lxml resolves after the raw-text cleaning above
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")


def _char_ref(match: re.Match) -> str:
    """A reference to a character XML rejects (&#27;, &#0;, a surrogate) goes, since one
    makes trafilatura discard the whole page; &#128;–&#159; mean cp1252, as in browsers."""
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    if 0x80 <= code <= 0x9F:
        return bytes([code]).decode("cp1252", errors="ignore")
    if code > 0x10FFFF or _INVALID_XML_CHARS.match(chr(code)) or code == 0x7F:
        return ""
    return match.group(0)


# C0 control characters besides tab/newline/form feed/CR: ~0 in real pages,
# ~11 % in random bytes (same rule as transforms.sources.binary_reason)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


MAX_CONTROL_RATIO = 0.02


BINARY_SAMPLE_CHARS = 65_536


# exceptions third-party code may raise on hostile or broken markup
_THIRD_PARTY_ERRORS = (
    RecursionError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    AttributeError,
    lxml.etree.LxmlError,
)


def normalize_text(text: str) -> str:
    """Unicode NFC, whitespace runs collapsed to one space, stripped."""
    # str.split() splits on exactly the characters re's \s matches (str.isspace), 4x faster than a sub
    return " ".join(unicodedata.normalize("NFC", text).split())


# the C0 controls XML rejects (all but tab, newline and carriage return), as UTF-8 bytes
_INVALID_XML_C0 = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D))


def _utf8_if_valid_xml(text: str) -> Optional[bytes]:
    """``text`` in UTF-8 when it has no character _INVALID_XML_CHARS matches, else None.

    The usual page has none: an encode and a byte delete (C loops) tell it at a third of the
    cost of the regex scan, and the encoded page is what the parser reads anyway.
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a surrogate
        return None
    if len(data.translate(None, _INVALID_XML_C0)) != len(data):
        return None
    if b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data:  # U+FFFE, U+FFFF
        return None
    return data


def parse_html(html: str) -> HtmlElement:
    """Parses untrusted HTML safely; raises BadInput when there is no document."""
    prolog = _PROLOG_RE.match(html)  # always matches, maybe empty: a slice copies only when there is one
    text = html[prolog.end() :] if prolog is not None and prolog.end() else html
    data = _utf8_if_valid_xml(text)
    if data is None:
        text = _INVALID_XML_CHARS.sub("", text)
    if data is None or b"&#" in data:  # numeric references: dropped or resolved below
        resolved = _CHAR_REF.sub(_char_ref, _ESCAPED_ANSI.sub("", text))
        if data is None or resolved != text:
            data = resolved.encode("utf-8")
        text = resolved
    if not text or text.isspace():  # what "not text.strip()" says, without copying the page
        raise BadInput("empty page")
    try:
        tree = lxml.html.fromstring(data, parser=_PARSER)
    except (lxml.etree.LxmlError, ValueError) as err:
        raise BadInput(f"unparsable HTML: {type(err).__name__}: {err}") from err
    if tree is None or not isinstance(tree, HtmlElement):
        raise BadInput("unparsable HTML: no element")
    return tree


def extract_page(
    html: str, url: Optional[str] = None, *, max_bytes: int = DEFAULT_MAX_BYTES, reference_day: Optional[str] = None
) -> ExtractedPage:
    """Extracts the main text and metadata of one HTML page.

    ``reference_day`` (``YYYY-MM-DD``): the latest day a page's date may have (a dated run's
    day, so that a rerun gives the same dates); the day the code runs when None.

    Raises BadInput for a page larger than ``max_bytes`` characters, binary
    content (too many control characters), a page that does not parse, or a
    page without main text.
    """
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    if not isinstance(html, str):
        raise BadInput(f"HTML must be str, not {type(html).__name__}")
    if len(html) > max_bytes:
        raise BadInput(f"page too large: {len(html):,} characters, over the max_bytes limit of {max_bytes:,}")
    sample = html[:BINARY_SAMPLE_CHARS]
    controls = len(_CONTROL_CHARS.findall(sample))
    if sample and controls / len(sample) > MAX_CONTROL_RATIO:
        raise BadInput(
            f"binary content ({controls} of {len(sample)} sampled characters are control characters), not HTML"
        )
    tree = parse_html(html)
    try:
        meta = page_metadata(tree, url, reference_day)
        title = normalize_text(meta.title) if meta.title else None
        focus = choose_focus(tree) if RULES["page_mode"] else RECALL
        paragraphs = main_paragraphs(tree, url, title, focus)
    except _THIRD_PARTY_ERRORS as err:
        raise BadInput(f"extraction failed on this markup: {type(err).__name__}: {err}"[:500]) from err
    if not paragraphs:
        raise BadInput("no main text found")
    return ExtractedPage(
        title=title or None,
        published=normalise_published(meta.date),
        url=_canonical_url(tree, url) or meta.url or url,
        site=(normalize_text(meta.sitename) if meta.sitename else None) or meta.hostname or _domain(url),
        language=_declared_language(tree),
        paragraphs=paragraphs,
    )


def page_metadata(tree: HtmlElement, url: Optional[str], reference_day: Optional[str] = None) -> Document:
    """Title, URL, site name and date, as ``trafilatura.extract_metadata`` finds them.
    The date is the latest ``reference_day`` at most (today when None).

    The same steps in the same order, without the fields the job does not use
    (author, categories, tags, licence: they cost more than the rest together).
    """
    meta = examine_meta(tree)
    try:
        meta = extract_meta_json(tree, meta)
    except _THIRD_PARTY_ERRORS:
        pass  # broken JSON-LD: the markup still has its meta tags
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.url:
        meta.url = extract_url(tree, url)
    if meta.url:
        meta.hostname = extract_domain(meta.url, fast=True)
    latest = {"max_date": reference_day} if reference_day else {}
    # htmldate's fast rules only: where they find nothing, its extensive search guesses from
    # the page's free text and was wrong on 43 of the 55 pages it dated on WCXB dev's tuning
    # half (mostly "January 1st" of a copyright year); no date is better than a wrong one
    # (benchmarks/page_dates.py), and it cost ~2.5 ms a page on average.
    meta.date = find_date(tree, **{**set_date_params(False), "url": meta.url, **latest})
    if not meta.sitename:
        meta.sitename = extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url:
        match = META_URL.match(meta.url)
        if match:
            meta.sitename = match[1]
    meta.clean_and_trim()
    return meta


class Block(NamedTuple):
    """One paragraph of trafilatura's output."""

    text: str
    link_chars: int  # characters of text inside links
    tag: str  # trafilatura block tag: p, head, item, row, quote...


# Switches of the steps after trafilatura, all on in production; the ablation benchmark
# (benchmarks/cleanup_ablation.py) turns each off in turn on the tuning half.
RULES = {
    "page_mode": True,  # learned focus per page (page_mode.py); off: favor_recall everywhere
    "merge_chunks": True,
    "drop_title": True,
    "lead_meta": True,
    "boilerplate": True,
    "prompt": True,
}


def main_paragraphs(tree: HtmlElement, url: Optional[str], title: Optional[str], focus: str) -> List[str]:
    """Main text in the given focus as normalized paragraphs (empty list when none is found)."""
    return [b.text for b in _postfilter(main_blocks(tree, url, focus), _headlines(tree, title))]


def main_blocks(tree: HtmlElement, url: Optional[str], focus: str) -> List[Block]:
    """trafilatura's main text in the given focus ("precision" or "recall"), as blocks.

    One extraction; only when it finds little text on a page that has more
    (trafilatura's own escalation test: under ESCALATION_MAX_LENGTH characters and
    under ESCALATION_PAGE_SHARE of the page's text) does trafilatura's default cascade
    run instead, with its justext comparison and recall retry.
    """
    work = _merged_body_chunks(tree) if RULES["merge_chunks"] else tree
    blocks = _trafilatura_blocks(work, url, favor_precision=focus == PRECISION, favor_recall=focus == RECALL)
    size = sum(len(b.text) for b in blocks)
    if (
        size < ESCALATION_MAX_LENGTH
        and size < ESCALATION_PAGE_SHARE * page_text_bound(work)
        and size < ESCALATION_PAGE_SHARE * len(html2txt(work))
    ):
        blocks = _trafilatura_blocks(work, url, favor_precision=False, favor_recall=False)
    return blocks


def page_text_bound(tree: HtmlElement) -> int:
    """An upper bound on ``len(html2txt(tree))``, at a tenth of its cost (no copy, no XPath).

    html2txt takes the first <body> (else the tree), deletes scripts, styles and other
    furniture (their tails stay), puts a space before the text and the tail of each block
    element and collapses whitespace: its text has at most the body's characters, less those
    of scripts and styles, plus 2 a block element. When even this bound says the extraction
    holds ESCALATION_PAGE_SHARE of the page, html2txt (a copy, an XPath with a regex test
    on every element: ~5 ms) need not run: 60 of the 122 Zyte and WCXB-tune pages it ran on.
    """
    body = tree.find(".//body")
    if body is None:
        body = tree
    scripts = sum(len(el.text_content()) for el in body.iter("script", "style"))
    blocks = sum(1 for _ in body.iter(*_BLOCK_ELEMENTS))
    return len(body.text_content()) - scripts + 2 * blocks


def _trafilatura_blocks(
    tree: HtmlElement, url: Optional[str], favor_precision: bool, favor_recall: bool
) -> List[Block]:
    # bare_extraction works on its own copy of the tree it is given. Only its body tree is
    # read here: a text output format skips the plain-text rendering ("python" builds it,
    # ~1 ms a page); the format changes nothing in the extraction itself.
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        favor_precision=favor_precision,
        favor_recall=favor_recall,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        output_format="txt",
    )
    body = getattr(doc, "body", None) if doc is not None else None
    return _blocks(body) if body is not None else []


def _merged_body_chunks(tree: HtmlElement) -> HtmlElement:
    """The tree, or a copy whose article body, split into sibling chunks, is one again.

    trafilatura keeps only the first element matching its article-body XPath;
    some sites (e.g. React layouts) cut one body into several same-class
    containers. Later chunks are moved into the first one when every chunk
    holds real paragraphs (not a list of teasers sharing the class).
    """
    if not _body_chunks(tree):
        return tree
    work = deepcopy(tree)
    chunks = _body_chunks(work)
    first = chunks[0]
    for chunk in chunks[1:]:
        if any(anc in chunks for anc in chunk.iterancestors()):
            continue
        for child in list(chunk):
            first.append(child)
        chunk.getparent().remove(chunk)
    return work


def _body_chunks(tree: HtmlElement) -> List[HtmlElement]:
    """Same-tag, same-class matches of the article-body XPath, each with real paragraphs; [] if under two."""
    matches = article_body_matches(tree)
    if len(matches) < 2:
        return []
    first = matches[0]
    chunks = [
        el
        for el in matches
        if el.tag == first.tag and el.get("class") == first.get("class") and first not in el.iterancestors()
    ]
    if len(chunks) < 2 or any(_paragraph_chars(el) < 400 for el in chunks):
        return []
    return chunks


# trafilatura's first article-body XPath (BODY_XPATH[0]) tests @id and @class with EXSLT
# re:test, a call back into Python for every candidate element (~1.6 ms a page); the same
# test written in Python, with the same patterns and flags (lxml compiles re:test patterns
# with re.UNICODE), costs a third of that. tests/clean/test_html_extract.py checks both agree.
_ARTICLE_BODY_ID = re.compile(_alt(_ARTICLE_CONTENT_ID_TOKENS), re.UNICODE)
_ARTICLE_BODY_CLASS = re.compile(_alt(_ARTICLE_CONTENT_CLASS_TOKENS), re.UNICODE)


def article_body_matches(tree: HtmlElement) -> List[HtmlElement]:
    """What ``BODY_XPATH[0](tree)`` returns: in document order, every article, div, main or
    section below ``tree`` whose id or class names an article body and that is the first
    such child of its parent (the XPath's trailing ``[1]``)."""
    matches: List[HtmlElement] = []
    parents: Set[HtmlElement] = set()  # holds the proxies, so an element keeps its identity
    for el in tree.iterdescendants("article", "div", "main", "section"):
        cls, ident = el.get("class"), el.get("id")
        if (
            cls in ("post", "entry")
            or el.get("itemprop") == "articleBody"
            or ident == "articleContent"
            or (ident is not None and _ARTICLE_BODY_ID.search(ident) is not None)
            or (cls is not None and _ARTICLE_BODY_CLASS.search(cls) is not None)
        ):
            parent = el.getparent()
            if parent not in parents:
                parents.add(parent)
                matches.append(el)
    return matches


def _paragraph_chars(el: HtmlElement) -> int:
    return sum(len(p.text_content()) for p in el.iter("p"))


# Whole paragraphs that are page furniture, not article text (any language
# would need its own phrases; these are the common English ones).
_BOILERPLATE = re.compile(
    r"""^(?:
        (?:read|see|watch)\s+(?:more|also|next)\s*(?::.*)?
      | (?:related(?:\s+(?:posts?|articles?|stories|content|coverage|reading))?|recommended|also\s+on\s+\S+
         |more\s+from\s+\S+|don'?t\s+miss|must\s+read|trending)\b(?:\s*:.*)?
      | (?:more|also)\s*:
      | (?:[àa]\s+)?lire\s+aussi\b.*|voir\s+aussi\b.*|leggi\s+anche\b.*|lea\s+tambi[ée]n\b.*|leia\s+tamb[ée]m\b.*
      | lesen\s+sie\s+auch\b.*
      | advertisement|sponsored|comments?|\d+\s+comments?|leave\s+a\s+comment|tell\s+us\s+what\s+you\s+think\W*
      | (?:like|share)\s+this\s+(?:story|article|post)\b.*
      | .*\bshare\s+(?:it|this)\s+with\s+(?:a\s+)?friends?\W*
      | follow\s+(?:us|him|her|them|\S+)\s+on\s+(?:twitter|facebook|instagram)\b.*
      | .*\b(?:sign\s+up|subscribe)\b.*\bnewsletters?\b.*
      | \[[a-z_]+\s[^\]]*=[^\]]*\].*  # WordPress shortcode left in the text
    )$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


# a short leading line that is a byline, a date line or a reading time
_LEAD_META = re.compile(
    r"""^(?:
        (?:by|par|por|von|di|door)\s.*
      | .*\b(?:jan(?:uary|vier)?|janv|feb(?:ruary)?|f[ée]v(?:rier)?|mar(?:ch|s)?|apr(?:il)?|avr(?:il)?|abr(?:il)?
             |may|mai|jun[ei]?|juin|jul[iy]?|juil(?:let)?|aug(?:ust)?|ao[uû]t|sep(?:t(?:ember|embre)?)?|oct(?:ober|obre)?
             |nov(?:ember|embre)?|dec(?:ember)?|d[ée]c(?:embre)?|dez(?:ember)?|enero|febrero|marzo|mayo|junio|julio
             |agosto|septiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre
             |ottobre|dicembre|janeiro|fevereiro|mar[cç]o|maio|junho|julho|setembro|outubro|novembro|dezembro
             |januar|februar|m[äa]rz|oktober)\b\.?\s.*\b(?:1[89]\d\d|20\d\d)\b.*  # a date with a month name
      | .*\b\d{1,2}[./-]\d{1,2}[./-](?:\d\d|\d{4})\b.*  # a numeric date
      | .*\b\d{1,2}:\d\d\b.*  # a time
      | .*\b(?:min(?:ute)?s?\s+read|reading\s+time|temps\s+de\s+lecture|tempo\s+de\s+leitura)\b.*
    )$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


# furniture lines are short: a longer paragraph that mentions "subscribe ... newsletter" is text
BOILERPLATE_MAX_WORDS = 25


LEAD_BLOCKS = 4  # how many leading blocks may be headline or dateline furniture


LEAD_META_MAX_WORDS = 10


def _postfilter(blocks: List[Block], headlines: Set[str]) -> List[Block]:
    out: List[Block] = []
    lead_is_short = True  # every block kept so far has under 25 words
    for i, b in enumerate(blocks):
        words = word_count(b.text)  # once a block: the rules below all ask
        if i < LEAD_BLOCKS and lead_is_short:
            # still in the lead: headline repeats and dateline/byline lines
            if RULES["drop_title"] and _title_key(b.text) in headlines:
                continue
            if RULES["lead_meta"] and words <= LEAD_META_MAX_WORDS and _LEAD_META.match(b.text):
                continue
        if RULES["boilerplate"] and words <= BOILERPLATE_MAX_WORDS and _BOILERPLATE.match(b.text):
            continue
        if RULES["prompt"] and is_prompt(b.text):
            continue
        out.append(b)
        lead_is_short = lead_is_short and words < 25
    return out


def _title_key(text: str) -> str:
    return text.casefold().strip(" .:!?")


_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " « ", " » ")


def _headlines(tree: HtmlElement, title: Optional[str]) -> Set[str]:
    """Headline variants a page repeats at the top of its body (matched casefolded).

    The metadata title, <title>, og:title and <h1> texts, each also without a
    " | Site name"-like part.
    """
    candidates = [title or "", tree.findtext(".//title") or ""]
    candidates += [m.get("content") or "" for m in tree.iterfind(".//meta[@property='og:title']")]
    candidates += [h.text_content() for h in tree.iter("h1")]
    keys = set()
    for raw in candidates:
        text = normalize_text(raw)
        keys.add(_title_key(text))
        for sep in _TITLE_SEPARATORS:
            if sep in text:
                head, tail = text.rsplit(sep, 1)[0], text.split(sep, 1)[1]
                keys.update(_title_key(part) for part in (head, tail) if word_count(part) >= 3)
    keys.discard("")
    return keys


# trafilatura's output elements that start and end a paragraph
_BLOCK_TAGS = {"body", "p", "head", "quote", "list", "item", "table", "row", "div", "code", "article", "section"}


def _blocks(body: lxml.etree._Element) -> List[Block]:
    """Splits trafilatura's output tree into normalized paragraphs.

    Blocks (p, head, list items, table rows, quotes) and line breaks end a
    paragraph; table cells of a row are joined with " | ".
    """
    buf: List[str] = []
    link = [0]
    out: List[Block] = []
    tags = ["body"]

    def flush() -> None:
        raw = "".join(buf)
        text = normalize_text(raw)
        if text:
            out.append(Block(text, min(link[0], len(text)), tags[-1]))
        buf.clear()
        link[0] = 0

    def walk(el: lxml.etree._Element, in_link: bool) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        block = tag in _BLOCK_TAGS
        in_link = in_link or tag == "ref"
        if block or tag == "lb":
            flush()
        elif tag == "cell" and buf:
            buf.append(" | ")
        if block:
            tags.append(tag)
        if el.text:
            buf.append(el.text)
            if in_link:
                link[0] += len(el.text.strip())
        for child in el:
            walk(child, in_link)
        if block:
            flush()
            tags.pop()
        if el.tail:
            buf.append(el.tail)
            if in_link and tag != "ref":
                link[0] += len(el.tail.strip())

    walk(body, False)
    flush()
    return out


def _canonical_url(tree: HtmlElement, url: Optional[str]) -> Optional[str]:
    """<link rel=canonical>, resolved against the given URL; None if absent or not http(s)."""
    for link in tree.iterfind(".//link[@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            resolved = urljoin(url or "", link.get("href", "").strip())
            if urlsplit(resolved).scheme in ("http", "https") and urlsplit(resolved).netloc:
                return resolved
    return None


def _domain(url: Optional[str]) -> Optional[str]:
    host = urlsplit(url).hostname if url else None
    return host[4:] if host and host.startswith("www.") else host


_LANG_RE = re.compile(r"^\s*([a-zA-Z]{2})(?:$|[-_\s])")


def _declared_language(tree: HtmlElement) -> Optional[str]:
    """Language the page declares: <html lang>, then Content-Language, then og:locale."""
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for meta in tree.iterfind(".//meta[@content]"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in ("content-language", "og:locale", "language"):
            candidates.append(meta.get("content"))
    for value in candidates:
        match = _LANG_RE.match(value or "")
        if match:
            return match.group(1).lower()
    return None

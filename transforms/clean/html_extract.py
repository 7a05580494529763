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
from trafilatura.settings import set_date_params
from trafilatura.xpaths import BODY_XPATH

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


_SPACES = re.compile(r"\s+")


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
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def parse_html(html: str) -> HtmlElement:
    """Parses untrusted HTML safely; raises BadInput when there is no document."""
    text = _INVALID_XML_CHARS.sub("", _PROLOG_RE.sub("", html, count=1))
    text = _CHAR_REF.sub(_char_ref, _ESCAPED_ANSI.sub("", text))
    if not text.strip():
        raise BadInput("empty page")
    try:
        tree = lxml.html.fromstring(text.encode("utf-8"), parser=_PARSER)
    except (lxml.etree.LxmlError, ValueError) as err:
        raise BadInput(f"unparsable HTML: {type(err).__name__}: {err}") from err
    if tree is None or not isinstance(tree, HtmlElement):
        raise BadInput("unparsable HTML: no element")
    return tree


def extract_page(html: str, url: Optional[str] = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ExtractedPage:
    """Extracts the main text and metadata of one HTML page.

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
        meta = trafilatura.extract_metadata(tree, default_url=url, extensive=False)
        if meta.date is None:
            # htmldate's extensive search runs dateparser over every locale (~0.2 s a call):
            # only for the few pages whose markup and fast rules give no date (3 in 200 here)
            meta.date = find_date(tree, **{**set_date_params(True), "url": meta.url})
        title = normalize_text(meta.title) if meta.title else None
        paragraphs = _main_text(tree, url, _headlines(tree, title))
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


RULES = {
    "links": False,
    "fallback_ratio": 4.0,
    "fallback_short": 1000,
    "merge_chunks": True,
    "link_only_max_words": 0,
    "boilerplate": True,
    "drop_title": True,
    "lead_meta": True,
}


class _Block(NamedTuple):
    text: str
    link_chars: int  # characters of text inside links
    tag: str  # trafilatura block tag: p, head, item, row, quote...


def _main_text(tree: HtmlElement, url: Optional[str], headlines: Set[str]) -> List[str]:
    """Main text as normalized paragraphs (empty list when none is found)."""
    work = deepcopy(tree)  # trafilatura and our pre-cleaning prune in place
    if RULES["merge_chunks"]:
        _merge_body_chunks(work)
    blocks = _trafilatura_blocks(work, url, favor_precision=True)
    size = sum(len(b.text) for b in blocks)
    if size < RULES["fallback_short"]:
        # precision mode skips trafilatura's rescue stages: when its text is
        # short, a balanced run that finds several times more text wins
        more = _trafilatura_blocks(work, url, favor_precision=False)
        if sum(len(b.text) for b in more) > RULES["fallback_ratio"] * size:
            blocks = more
    return [b.text for b in _postfilter(blocks, headlines)]


def _trafilatura_blocks(tree: HtmlElement, url: Optional[str], favor_precision: bool) -> List[_Block]:
    doc = trafilatura.bare_extraction(
        deepcopy(tree),
        url=url,
        favor_precision=favor_precision,
        include_comments=False,
        include_tables=True,
        include_links=bool(RULES["links"]),
        with_metadata=False,
    )
    body = getattr(doc, "body", None) if doc is not None else None
    return _blocks(body) if body is not None else []


def _merge_body_chunks(tree: HtmlElement) -> None:
    """Joins an article body split into sibling chunks of the same class.

    trafilatura keeps only the first element matching its article-body XPath;
    some sites (e.g. React layouts) cut one body into several same-class
    containers. Later chunks are moved into the first one when every chunk
    holds real paragraphs (not a list of teasers sharing the class).
    """
    matches = BODY_XPATH[0](tree)
    if len(matches) < 2:
        return
    first = matches[0]
    chunks = [
        el
        for el in matches
        if el.tag == first.tag and el.get("class") == first.get("class") and first not in el.iterancestors()
    ]
    if len(chunks) < 2 or any(_paragraph_chars(el) < 400 for el in chunks):
        return
    for chunk in chunks[1:]:
        if any(anc in chunks for anc in chunk.iterancestors()):
            continue
        for child in list(chunk):
            first.append(child)
        chunk.getparent().remove(chunk)


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
      | .*\b(?:jan|feb|f[ée]v|mar|apr|avr|abr|may|mai|mag|jun|juin|jul|juil|aug|ago|ao[uû]|sep|set|oct|out|ott|nov
             |dec|d[ée]c|dez|dic)[a-zéû]*\.?\s.*\b(?:1[89]\d\d|20\d\d)\b.*  # a date with a month name
      | .*\b\d{1,2}[./-]\d{1,2}[./-](?:\d\d|\d{4})\b.*  # a numeric date
      | .*\b\d{1,2}:\d\d\b.*  # a time
      | .*\b(?:min(?:ute)?s?\s+read|reading\s+time|temps\s+de\s+lecture|tempo\s+de\s+leitura)\b.*
    )$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


LEAD_BLOCKS = 4  # how many leading blocks may be headline or dateline furniture


LEAD_META_MAX_WORDS = 10


def _postfilter(blocks: List[_Block], headlines: Set[str]) -> List[_Block]:
    out: List[_Block] = []
    for i, b in enumerate(blocks):
        if i < LEAD_BLOCKS and not out or i < LEAD_BLOCKS and all(len(o.text.split()) < 25 for o in out):
            # still in the lead: headline repeats and dateline/byline lines
            if RULES["drop_title"] and _title_key(b.text) in headlines:
                continue
            if RULES["lead_meta"] and len(b.text.split()) <= LEAD_META_MAX_WORDS and _LEAD_META.match(b.text):
                continue
        if RULES["boilerplate"] and len(b.text) <= 400 and _BOILERPLATE.match(b.text):
            continue
        out.append(b)
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
                keys.update(_title_key(part) for part in (head, tail) if len(part.split()) >= 3)
    keys.discard("")
    return keys


# trafilatura's output elements that start and end a paragraph
_BLOCK_TAGS = {"body", "p", "head", "quote", "list", "item", "table", "row", "div", "code", "article", "section"}


def _blocks(body: lxml.etree._Element) -> List[_Block]:
    """Splits trafilatura's output tree into normalized paragraphs.

    Blocks (p, head, list items, table rows, quotes) and line breaks end a
    paragraph; table cells of a row are joined with " | ".
    """
    buf: List[str] = []
    link = [0]
    out: List[_Block] = []
    tags = ["body"]

    def flush() -> None:
        raw = "".join(buf)
        text = normalize_text(raw)
        if text:
            out.append(_Block(text, min(link[0], len(text)), tags[-1]))
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

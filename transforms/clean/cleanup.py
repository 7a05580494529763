"""Scrape-cleanup: raw documents in, clean articles with metadata out.

HTML pages go through main-text extraction (``html_extract``: trafilatura plus the
few rules that earn their place on pages they were not written for); text dumps are
split into their articles, and the articles of dumps and text feeds lose in-article
boilerplate line by line (``scrub``: captions, teaser links, "Lire aussi" lines,
bylines, counters). The scrub rules are not run on extracted HTML: trafilatura's
blocks keep the page's structure, and the line rules written for pasted text
(an isolated short line is a teaser headline) remove real subheadings there
(-0.019 F1 on the WCXB tuning half, ``docs/cleanup.md``). Each document becomes
zero or more ``CleanedArticle``s, or a ``Rejected`` saying why.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterator, List, Optional, Union

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.clean.dedup import article_id, source_of, usable_url
from transforms.clean.dump import split_dump
from transforms.clean.html_extract import extract_page
from transforms.clean.scrub import paragraphs_from_text, scrub_paragraphs
from transforms.dates import checked_published, end_of_day
from transforms.io.decoding import printable_text
from transforms.records import (
    DUMP,
    HTML,
    TEXT,
    BadInput,
    CleanedArticle,
    RawDocument,
    Rejected,
    rejected,
)

STAGE = "cleanup"


Cleaned = Union[CleanedArticle, Rejected]


def _article(
    doc: RawDocument,
    origin: str,
    url: Optional[str],
    title: Optional[str],
    published: Optional[str],
    source: Optional[str],
    language: Optional[str],
    paragraphs: List[str],
    removed_rules: Optional[List[str]],
    notes: List[str],
    reference_day: Optional[str] = None,
) -> Cleaned:
    """The article; ``removed_rules`` None for extracted HTML (no scrub, see the module docstring).
    A ``published`` later than the day after ``reference_day`` (today when None) is dropped."""
    # whatever the source (HTML entities such as &#27; included), no control character,
    # ANSI escape or lone surrogate reaches articles/
    paragraphs = [p for p in (printable_text(p).strip() for p in paragraphs) if p]
    title = printable_text(title) if title else title
    if removed_rules is None:
        kept = paragraphs
    else:
        kept, removed = scrub_paragraphs(paragraphs, title)
        removed_rules.extend(rule for rule, _ in removed)
    if not kept:
        return rejected(origin, STAGE, "no text left after boilerplate removal", "\n".join(paragraphs))
    iso, note = checked_published(published, end_of_day(reference_day))
    if note:  # the date is dropped, not the article: counted as published_<note>
        notes.append(f"published_{note}")
    if url and usable_url(url) is None:  # likewise a URL no parser takes ("http://[::1")
        notes.append("url_unparseable")
        url = None
    article = CleanedArticle(
        id=article_id(url, kept, doc.record_id),
        origin=origin,
        url=url,
        source=source or source_of(url),
        title=title,
        published=iso,
        declared_language=language,
        paragraphs=kept,
    )
    return printable(article)


def printable(item: Cleaned) -> Cleaned:
    """The record with every text field free of control characters and lone surrogates."""
    changed: Dict[str, Any] = {name: printable_text(v) for name, v in zip(item._fields, item) if isinstance(v, str)}
    return item._replace(**changed)


def clean_document(
    doc: RawDocument,
    removed_rules: Optional[List[str]] = None,
    notes: Optional[List[str]] = None,
    reference_day: Optional[str] = None,
) -> Iterator[Cleaned]:
    """The clean articles in one raw document (a dump may hold many).

    ``reference_day`` (``YYYY-MM-DD``, a dated run's day): the day publication dates are
    judged against (no page date after it, no given date after the day after it), so a rerun
    of that day gives the same dates; the day the code runs when None.

    ``removed_rules`` collects the scrub rule of every removed line, ``notes`` a
    ``published_unparseable`` or ``published_out_of_range`` for every article whose
    given date was dropped to null (see ``dates.checked_published``) and a
    ``url_unparseable`` for every URL dropped to null; both for metrics.
    """
    removed_rules = [] if removed_rules is None else removed_rules
    notes = [] if notes is None else notes
    if doc.kind == HTML:
        try:
            page = extract_page(doc.body, doc.url, reference_day=reference_day)
        except BadInput as error:
            yield rejected(doc.origin, STAGE, str(error), doc.body)
            return
        # A page's own canonical link names the story better than the crawl URL.
        url = page.url or doc.url
        yield _article(
            doc,
            doc.origin,
            url,
            doc.title or page.title,
            doc.published or page.published,
            doc.source or source_of(url) or page.site,
            doc.language or page.language,
            page.paragraphs,
            None,
            notes,
            reference_day,
        )
    elif doc.kind == DUMP:
        parts = split_dump(doc.body, doc.origin)
        if not parts:
            yield rejected(doc.origin, STAGE, "text dump holds no article", doc.body)
        for part in parts:
            paragraphs = paragraphs_from_text("\n".join(part.lines))
            yield _article(
                doc,
                part.origin,
                part.url,
                part.title,
                part.published,
                doc.source,
                doc.language,
                paragraphs,
                removed_rules,
                notes,
                reference_day,
            )
    elif doc.kind == TEXT:
        paragraphs = paragraphs_from_text(doc.body)
        yield _article(
            doc,
            doc.origin,
            doc.url,
            doc.title,
            doc.published,
            doc.source,
            doc.language,
            paragraphs,
            removed_rules,
            notes,
            reference_day,
        )
    else:
        raise ValueError(f"unknown document kind {doc.kind!r}")  # a bug, not bad input


class _CleanDocument(beam.DoFn):
    REJECTED = "rejected"

    def __init__(self, reference_day: Optional[str] = None):
        self._reference_day = reference_day
        self._candidates = Metrics.counter(STAGE, "candidates")
        self._articles = Metrics.counter(STAGE, "articles")
        self._rejected = Metrics.counter(STAGE, "rejected")
        self._errors = Metrics.counter(STAGE, "errors")

    def process(self, doc: RawDocument):
        removed_rules: List[str] = []
        notes: List[str] = []
        try:
            # materialised so an error halfway through a dump rejects the document as a
            # whole instead of leaving half its articles counted
            items = list(clean_document(doc, removed_rules, notes, self._reference_day))
        except Exception as error:  # a parser bug on odd input must not kill the job
            logging.warning("cleanup failed on %s: %r", doc.origin, error)
            self._errors.inc()
            items = [rejected(doc.origin, STAGE, f"cleanup error: {type(error).__name__}: {error}", doc.body)]
            removed_rules, notes = [], []
        for item in items:
            self._candidates.inc()
            if isinstance(item, Rejected):
                item = printable(item)
                self._rejected.inc()
                yield beam.pvalue.TaggedOutput(self.REJECTED, item)
            else:
                self._articles.inc()
                yield item
        for rule in removed_rules:
            Metrics.counter(STAGE, f"removed_{rule}").inc()
        for note in notes:
            Metrics.counter(STAGE, note).inc()


class CleanArticles(beam.PTransform):
    """RawDocument → CleanedArticle; output dict with ``articles`` and ``rejected``.

    ``reference_day`` (``YYYY-MM-DD``): the day publication dates are judged against (a dated
    run passes its run date, so reruns and backfills give the same dates); today when None."""

    def __init__(self, reference_day: Optional[str] = None):
        super().__init__()
        self._reference_day = reference_day

    def expand(self, documents):
        cleaned = documents | "Clean" >> beam.ParDo(_CleanDocument(self._reference_day)).with_outputs(
            _CleanDocument.REJECTED, main="articles"
        )
        return {"articles": cleaned.articles, "rejected": cleaned.rejected}

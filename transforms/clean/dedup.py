"""Article identity and de-duplication.

The same story reaches us many times: the same URL scraped twice, the same page
under tracking parameters, the same wire copy in two dumps. An article is a
duplicate when its canonical URL or its normalised body was already seen; the
copy with the longest body is kept (ties: smallest origin, so the choice is
deterministic). A feed
reusing one record id for two articles is caught too (rule "id").
"""

import hashlib
import re
import unicodedata
from typing import Any, Iterable, List, NamedTuple, Optional, Tuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.io.spill import GroupThroughFiles
from transforms.records import CleanedArticle, Duplicate

# Query parameters that track the reader, not the story.
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|xtor|at_\w+|ref|cmpid|ocid)$", re.I)


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def canonical_url(url: Optional[str]) -> Optional[str]:
    """URL reduced to what names the story: lower-case host without "www.",
    no fragment, no tracking parameters, no trailing slash."""
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # "http://[::1": no URL names no story
        return None
    if not parts.netloc:
        return None
    host = parts.netloc.lower()
    if host.startswith("www."):
        host = host[4:]
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING_PARAMS.match(k)))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https" if parts.scheme in ("http", "https") else parts.scheme, host, path, query, ""))


def usable_url(url: Optional[str]) -> Optional[str]:
    """The URL when Python can parse it (host and port included), else None."""
    if not url:
        return url
    try:
        parts = urlsplit(url.strip())
        _ = parts.hostname, parts.port  # a bad IPv6 literal or port raises here
    except ValueError:
        return None
    return url


def source_of(url: Optional[str]) -> Optional[str]:
    """The site an article comes from: its host without "www."."""
    canonical = canonical_url(url)
    return urlsplit(canonical).netloc if canonical else None


def body_fingerprint(paragraphs: Iterable[str]) -> str:
    """Hash of the body with case, accents' composition, punctuation and spacing
    folded away, so a re-encoded or re-spaced copy still matches."""
    folded = " ".join(_NON_WORD.sub(" ", unicodedata.normalize("NFKC", p).casefold()).strip() for p in paragraphs)
    return hashlib.sha1(folded.encode("utf-8")).hexdigest()


def article_id(url: Optional[str], paragraphs: List[str], record_id: Optional[str] = None) -> str:
    """Stable article id: the feed's own id, else a hash of the canonical URL,
    else a hash of the body."""
    if record_id:
        return record_id
    canonical = canonical_url(url)
    if canonical:
        return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:20]
    return body_fingerprint(paragraphs)[:20]


class DedupKey(NamedTuple):
    """What dedup needs of an article: small, so only this crosses the shuffles."""

    origin: str
    id: str
    url: str  # canonical URL, or "no-url:<origin>" (such articles match on body only)
    body: str  # body fingerprint
    length: int  # characters of body text: the fullest copy wins


beam.coders.registry.register_coder(DedupKey, beam.coders.RowCoder)


def dedup_key(article: CleanedArticle) -> DedupKey:
    return DedupKey(
        origin=article.origin,
        id=article.id,
        url=canonical_url(article.url) or f"no-url:{article.origin}",
        body=body_fingerprint(article.paragraphs),
        length=sum(len(p) for p in article.paragraphs),
    )


def pick_first(copies: Iterable[DedupKey]) -> Tuple[DedupKey, List[DedupKey]]:
    """The copy to keep and the duplicates: the fullest body wins (a re-post or
    teaser of a story must not replace it), then the smallest origin."""
    ordered = sorted(copies, key=lambda k: (-k.length, k.origin, k.id))
    return ordered[0], ordered[1:]


class _KeepFirst(beam.DoFn):
    DUPLICATES = "duplicates"

    def __init__(self, rule: str):
        self._rule = rule
        self._dropped = Metrics.counter("dedup", "duplicates")

    def process(self, keyed):
        _, copies = keyed
        # copies travel as plain field lists (through spill files or a GroupByKey)
        kept, duplicates = pick_first(DedupKey(*copy) for copy in copies)
        if duplicates:
            self._dropped.inc(len(duplicates))
        yield kept
        for duplicate in duplicates:
            yield beam.pvalue.TaggedOutput(self.DUPLICATES, Duplicate(duplicate.origin, kept.id, self._rule))


class FindDuplicates(beam.PTransform):
    """PCollection[CleanedArticle] -> PCollection[Duplicate]: one per dropped copy.

    Keeps one copy per canonical URL, then per article id, then per normalised
    body. The decisions are taken on small DedupKeys, so the articles themselves
    never go through a shuffle. They are grouped by Beam's GroupByKey, or with a
    ``spill_dir`` (the DirectRunner's --spill_dir) through sorted spill files there
    (only file paths cross the runner's shuffle, see ``GroupThroughFiles``).
    """

    def __init__(self, spill_dir: Optional[str] = None):
        super().__init__()
        self._spill_dir = spill_dir

    def expand(self, articles):
        spill_dir = self._spill_dir

        def keep_first(copies, name: str, key):
            return (
                copies
                | f"KeyBy{name}" >> beam.Map(lambda k: (key(k), list(k))).with_output_types(Tuple[str, List[Any]])
                | f"GroupBy{name}" >> GroupThroughFiles(spill_dir, f"dedup-{name.lower()}")
                | f"KeepFirst{name}"
                >> beam.ParDo(_KeepFirst(name.lower()))
                .with_output_types(DedupKey, **{_KeepFirst.DUPLICATES: Duplicate})
                .with_outputs(_KeepFirst.DUPLICATES, main="keys")
            )

        keys = articles | "DedupKeys" >> beam.Map(dedup_key).with_output_types(DedupKey)
        by_url = keep_first(keys, "Url", lambda k: k.url)
        # after the URL pass, a shared id means a feed reused its record id for another
        # article: dropping it keeps article ids unique in the output
        by_id = keep_first(by_url.keys, "Id", lambda k: k.id)
        by_body = keep_first(by_id.keys, "Body", lambda k: k.body)
        return (by_url.duplicates, by_id.duplicates, by_body.duplicates) | "AllDuplicates" >> beam.Flatten()


class DropDuplicates(beam.PTransform):
    """Drops the articles named by a PCollection[Duplicate] (a side input as
    large as the number of duplicates)."""

    def __init__(self, duplicates):
        super().__init__()
        self._duplicates = duplicates

    def expand(self, articles):
        dropped = self._duplicates | "DroppedOrigins" >> beam.Map(lambda d: (d.origin, d.rule))
        return articles | "DropDuplicates" >> beam.Filter(
            lambda article, dropped_origins: article.origin not in dropped_origins, beam.pvalue.AsDict(dropped)
        ).with_output_types(CleanedArticle)


class DedupArticles(beam.PTransform):
    """FindDuplicates then DropDuplicates on one PCollection.

    Output: a dict with ``articles`` (kept CleanedArticle) and ``duplicates``
    (a Duplicate per dropped copy). ``spill_dir``: see FindDuplicates.
    """

    def __init__(self, spill_dir: Optional[str] = None):
        super().__init__()
        self._spill_dir = spill_dir

    def expand(self, articles):
        duplicates = articles | "Find" >> FindDuplicates(self._spill_dir)
        return {"articles": articles | "Drop" >> DropDuplicates(duplicates), "duplicates": duplicates}

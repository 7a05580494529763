"""``DropStreamingDuplicates``: the batch rules (canonical URL, then record id, then body
fingerprint, from ``transforms.clean.dedup``) as three stateful passes; the first copy
seen wins (a stream cannot take back what it emitted). Each key remembers the kept
article's id until the watermark passes its latest publication time + ``ttl``.
"""

from __future__ import annotations

from typing import Tuple

import apache_beam as beam
from apache_beam.coders import StrUtf8Coder, VarIntCoder
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Duration, Timestamp

from transforms.clean.dedup import DedupKey, dedup_key
from transforms.records import CleanedArticle, Duplicate
from transforms.streaming.records import DAY, DEFAULT_DEDUP_TTL_DAYS, STAGE


class _FirstSeen(beam.DoFn):
    """Keyed by one dedup key: the first article wins, later ones are duplicates of it.
    The key is forgotten when the watermark passes its latest article's time + ttl."""

    KEPT = ReadModifyWriteStateSpec("kept", StrUtf8Coder())
    EXPIRES = ReadModifyWriteStateSpec("expires", VarIntCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)
    DUPLICATES = "duplicates"

    def __init__(self, rule: str, ttl_seconds: int):
        self._rule, self._ttl = rule, ttl_seconds
        self._duplicates = Metrics.counter("dedup", "duplicates")
        self._expired = Metrics.counter("dedup", f"expired_{rule}_keys")

    def process(
        self,
        keyed,
        ts=beam.DoFn.TimestampParam,
        kept=beam.DoFn.StateParam(KEPT),
        expires=beam.DoFn.StateParam(EXPIRES),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ):
        _, (key, article) = keyed
        expiry_micros = (ts + Duration(seconds=self._ttl)).micros
        if (expires.read() or 0) < expiry_micros:
            expires.write(expiry_micros)
            expiry.set(Timestamp(micros=expiry_micros))
        first = kept.read()
        if first is None:
            kept.write(key.id)
            yield key, article
        else:
            self._duplicates.inc()
            yield TaggedOutput(self.DUPLICATES, Duplicate(key.origin, first, self._rule))

    @on_timer(EXPIRY)
    def expire(self, kept=beam.DoFn.StateParam(KEPT), expires=beam.DoFn.StateParam(EXPIRES)):
        self._expired.inc()
        kept.clear()
        expires.clear()


class DropStreamingDuplicates(beam.PTransform):
    """Timestamped CleanedArticle → {"articles": first copies, "duplicates": Duplicate}.

    Three stateful passes with the batch keys (``dedup.dedup_key``): canonical URL,
    record id, body fingerprint. Articles without a URL skip the URL pass (their
    batch key, "no-url:<origin>", is unique anyway)."""

    def __init__(self, ttl_days: float = DEFAULT_DEDUP_TTL_DAYS):
        super().__init__()
        self._ttl = int(ttl_days * DAY)

    def expand(self, articles):
        ttl = self._ttl
        keyed = articles | "DedupKeys" >> beam.Map(lambda a: (dedup_key(a), a)).with_output_types(
            Tuple[DedupKey, CleanedArticle]
        )
        duplicates = []
        for rule, field in (("url", "url"), ("id", "id"), ("body", "body")):
            passed = (
                keyed
                | f"KeyBy{rule.title()}"
                >> beam.Map(lambda ka, f=field: (getattr(ka[0], f), ka)).with_output_types(
                    Tuple[str, Tuple[DedupKey, CleanedArticle]]
                )
                | f"FirstBy{rule.title()}"
                >> beam.ParDo(_FirstSeen(rule, ttl)).with_outputs(_FirstSeen.DUPLICATES, main="kept")
            )
            passed.kept.element_type = Tuple[DedupKey, CleanedArticle]
            duplicates.append(passed[_FirstSeen.DUPLICATES])
            keyed = passed.kept
        unique = Metrics.counter(STAGE, "unique_articles")

        def count(ka):
            unique.inc()
            return ka[1]

        return {
            "articles": keyed | "Articles" >> beam.Map(count).with_output_types(CleanedArticle),
            "duplicates": duplicates | "AllDuplicates" >> beam.Flatten().with_output_types(Duplicate),
        }

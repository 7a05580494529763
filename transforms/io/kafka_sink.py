"""Kafka sink written in Python (confluent-kafka): JSON records to a topic.

``WriteJsonToKafka(bootstrap_servers, topic, key_fn)`` / ``WriteToKafkaTopic`` (the
DoFn): each element (dict or NamedTuple) as a JSON value; records are produced
asynchronously and flushed at the end of every bundle, which fails if any delivery
failed, so a committed bundle's records are in Kafka. A retried bundle produces its
records again: the sink is at-least-once (idempotent producer: no duplicates from the
client's own retries). The reader is ``transforms.io.kafka``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional

import apache_beam as beam
from apache_beam.metrics import Metrics


def _plain(value: Any) -> Any:
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {name: _plain(item) for name, item in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def encode_json(element: Any) -> bytes:
    return json.dumps(_plain(element), ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


class WriteToKafkaTopic(beam.DoFn):
    """Produces each element as a JSON value to ``topic``; flushes at the end of each
    bundle and fails the bundle if any record was not delivered (at-least-once)."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        key_fn: Optional[Callable[[Any], Any]] = None,
        producer_config: Optional[Dict[str, Any]] = None,
        flush_timeout: float = 60.0,
    ):
        self._config = {
            "bootstrap.servers": bootstrap_servers,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "compression.type": "lz4",
        }
        self._config.update(producer_config or {})
        self._topic = topic
        self._key_fn = key_fn
        self._flush_timeout = flush_timeout
        self._written = Metrics.counter("kafka_write", topic)
        self._producer = None

    def setup(self):
        from confluent_kafka import Producer

        self._producer = Producer(self._config)

    def start_bundle(self):
        self._errors: List[str] = []
        self._pending = 0

    def _delivered(self, error, message):
        if error is not None:
            self._errors.append(f"{message.topic()}[{message.partition()}]: {error}")
        else:
            self._written.inc()

    def process(self, element):
        key = self._key_fn(element) if self._key_fn is not None else None
        if key is not None and not isinstance(key, bytes):
            key = str(key).encode("utf-8")
        value = encode_json(element)
        while True:
            try:
                self._producer.produce(self._topic, value=value, key=key, on_delivery=self._delivered)
                break
            except BufferError:  # local queue full: let deliveries drain
                self._producer.poll(0.5)
        self._producer.poll(0)

    def finish_bundle(self):
        remaining = self._producer.flush(self._flush_timeout)
        if remaining:
            raise RuntimeError(
                f"{remaining} records to Kafka topic {self._topic!r} not delivered within {self._flush_timeout} s"
            )
        if self._errors:
            raise RuntimeError(f"{len(self._errors)} records to Kafka failed: {self._errors[:5]}")

    def teardown(self):
        if self._producer is not None:
            self._producer.flush(self._flush_timeout)
            self._producer = None


class WriteJsonToKafka(beam.PTransform):
    """PCollection[dict | NamedTuple] → JSON records in ``topic`` (key from ``key_fn``)."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        key_fn: Optional[Callable[[Any], Any]] = None,
        producer_config: Optional[Dict[str, Any]] = None,
    ):
        super().__init__()
        self._fn = WriteToKafkaTopic(bootstrap_servers, topic, key_fn, producer_config)

    def expand(self, elements):
        return elements | "Produce" >> beam.ParDo(self._fn)

"""Reading speed of the container formats (WARC plain and gzip, Avro null and deflate).

    python -m benchmarks.container_readers [--records 2000] [--page_kb 40] [--repeats 5]

Builds, in memory, a WARC of --records HTML responses of about --page_kb KiB each
(plain and one gzip member per record) and an Avro file of as many articles, then
times ``transforms.io.formats.read_documents`` over each, --repeats times, and prints
the median MB/s (MB of the file as stored) and records/s. Only ``read_documents`` is
imported from the project, so the same script measures an older checkout too
(``PYTHONPATH=<old tree> python benchmarks/container_readers.py``).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import time
from typing import Dict, List

import fastavro
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from transforms.io.formats import read_documents

ARTICLE_SCHEMA = {
    "type": "record",
    "name": "Article",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "url", "type": ["null", "string"]},
        {"name": "title", "type": ["null", "string"]},
        {"name": "text", "type": "string"},
    ],
}


def _text(rng: random.Random, size: int) -> str:
    words = "council mayor harbour budget vote Monday officials said statement piers storm week debate".split()
    out: List[str] = []
    length = 0
    while length < size:
        out.append(rng.choice(words))
        length += len(out[-1]) + 1
    return " ".join(out)


def warc(records: int, page_bytes: int, gz: bool) -> bytes:
    rng = random.Random(7)
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz)
    for number in range(records):
        body = f"<html><body><article><p>{_text(rng, page_bytes)}</p></article></body></html>".encode()
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                f"https://e.org/{number}", "response", payload=io.BytesIO(body), length=len(body), http_headers=http
            )
        )
    return buffer.getvalue()


def avro(records: int, page_bytes: int, codec: str) -> bytes:
    rng = random.Random(7)
    buffer = io.BytesIO()
    rows = [
        {"id": str(n), "url": f"https://e.org/{n}", "title": "Budget", "text": _text(rng, page_bytes)}
        for n in range(records)
    ]
    fastavro.writer(buffer, fastavro.parse_schema(ARTICLE_SCHEMA), rows, codec=codec)
    return buffer.getvalue()


def measure(name: str, data: bytes, repeats: int) -> Dict[str, float]:
    seconds = []
    count = 0
    for _ in range(repeats):
        started = time.perf_counter()
        count = sum(1 for _ in read_documents(name, io.BytesIO(data), 64 * 1024 * 1024))
        seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    return {"items": count, "MB_per_s": round(len(data) / 1e6 / median, 1), "records_per_s": round(count / median)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--page_kb", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    size = args.page_kb * 1024
    inputs = {
        "crawl.warc": warc(args.records, size, gz=False),
        "crawl.warc.gz": warc(args.records, size, gz=True),
        "null.avro": avro(args.records, size, "null"),
        "deflate.avro": avro(args.records, size, "deflate"),
    }
    results = {name: measure(name, data, args.repeats) for name, data in inputs.items()}
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

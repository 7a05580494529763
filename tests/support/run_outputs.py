"""Small output directories in each layout the report reads (batch, dt= partitions,
streaming latest/), written as the jobs write them."""

import json
from pathlib import Path
from typing import Dict, Iterable, List

import fastavro

from transforms.io.sinks import parsed_schema

ARTICLE_TEXT = "Une bombe a visé un convoi à Bagdad lundi.\n\nDeux roquettes sont tombées près de l'ambassade mardi."


def article(id_: str, source: str = "presstv.example", language: str = "fr", text: str = ARTICLE_TEXT) -> Dict:
    return {
        "id": id_,
        "origin": f"feed.jsonl#{id_}",
        "url": f"https://{source}/{id_}",
        "source": source,
        "title": f"Titre {id_}",
        "published": "2020-09-15",
        "language": language,
        "text": text,
        "paragraphs": [],
    }


def event(
    id_: str,
    day: str = "2020-09-14",
    family: str = "Explosions/Remote violence",
    type_: str = "REM_EXPLOS",
    place: str = "Baghdad",
    lat: float = 33.34058,
    lon: float = 44.40088,
    country: str = "IQ",
    articles: Iterable[str] = ("a1",),
) -> Dict:
    mentions = [{"article_id": a, "sentence_index": 0, "start": 0, "end": 42} for a in articles]
    return {
        "id": id_,
        "type": type_,
        "event_type": family,
        "cameo": "18",
        "date": day,
        "date_precision": "day",
        "place": place,
        "lat": lat,
        "lon": lon,
        "country": country,
        "admin1": None,
        "place_precision": "city",
        "actors": ["Hashd al-Shaabi"],
        "target": "un convoi",
        "fatalities": None,
        "confidence": 0.9,
        "mentions": mentions,
        "num_articles": len(mentions),
        "num_sources": len(mentions),
    }


def entity(id_: str, name: str, label: str, mentions: int, aliases: List[str]) -> Dict:
    return {
        "id": id_,
        "name": name,
        "label": label,
        "aliases": aliases,
        "lat": None,
        "lon": None,
        "country": "IQ" if label == "LOC" else None,
        "admin1": None,
        "precision": None,
        "mention_count": mentions,
    }


def sample_records() -> Dict[str, List[Dict]]:
    return {
        "articles": [article("a1"), article("a2", source="almanar.example"), article("a3", language="en")],
        "events": [
            event("e1", articles=("a1", "a2")),
            event("e2", day="2020-09-15", family="Strategic developments", type_="ARREST"),
            event("e3", day="2020-09-18", place="Najaf", lat=32.02594, lon=44.34625),
        ],
        "entities": [
            entity("geonames:98182", "Baghdad", "LOC", 26, ["Bagdad", "Baghdad", "BAGHDAD"]),
            entity("alias:kenneth-mckenzie", "Kenneth McKenzie", "PER", 5, ["Kenneth McKenzie", "McKenzie"]),
            entity("alias:hashd-al-shaabi", "Hashd al-Shaabi", "ORG", 8, ["Hachd al-Chaabi"]),
        ],
        "mentions": [],
        "rejected": [
            {
                "origin": "feed.jsonl#3",
                "stage": "read",
                "reason": "invalid JSON: bad control character at column 61",
                "payload": "{",
            },
            {"origin": "a3", "stage": "entities", "reason": "tagger failed: boom", "payload": ""},
        ],
        "duplicates": [{"origin": "feed.jsonl#2", "duplicate_of": "a1", "rule": "url"}],
    }


SCHEMAS = {
    "articles": "article",
    "events": "event",
    "entities": "entity",
    "mentions": "mention",
    "rejected": "rejected",
    "duplicates": "duplicate",
}


def write_jsonl(path: Path, records: Iterable[Dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def write_avro(path: Path, kind: str, records: Iterable[Dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        fastavro.writer(handle, parsed_schema(SCHEMAS[kind]), list(records))


def write_batch(root: Path, records: Dict[str, List[Dict]], fmt: str = "jsonl", partition: str = "") -> Path:
    """``root/<kind>/[dt=…/]part-00000-of-00001.<fmt>`` for every kind."""
    for kind, rows in records.items():
        directory = root / kind / (f"dt={partition}" if partition else "")
        name = f"part-00000-of-00001.{fmt}"
        if fmt == "avro":
            write_avro(directory / name, kind, rows)
        else:
            write_jsonl(directory / name, rows)
    return root

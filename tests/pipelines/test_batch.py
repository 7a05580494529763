"""End-to-end batch job: a mixed feed directory in, the output contract out."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Dict, List

import fastavro
import pytest

from pipelines.batch import format_summary, reconcile, run

SEED = Path(__file__).parents[1] / "fixtures" / "seed" / "000_243c87bbee7a852f.txt"
SEED_URL_1 = "https://french.presstv.com/Detail/2020/09/18/634363/Irak-Etats-Unis-Bagdad-Convoi-Nadjaf-Achraf-D%C3%A9g%C3%A2ts-Explosion"

WIRE = (
    "Baghdad, Sept. 14 (Reuters) - A roadside bomb hit a convoy carrying supplies for U.S.-led coalition forces "
    "south of Baghdad on Monday, Iraqi security officials said. No casualties were reported.\n\n"
    "Gen. Kenneth McKenzie said in a statement that the attacks would not change U.S. plans. "
    "The convoy was run by Iraqi contractors, officials said."
)
PAGE = """<!DOCTYPE html><html lang="en"><head><title>Rockets hit Green Zone | Example News</title>
<link rel="canonical" href="https://news.example.com/2020/09/16/rockets-green-zone"/>
<meta property="article:published_time" content="2020-09-16T08:00:00Z"/></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Rockets hit Green Zone</h1>
<p>Three rockets struck near the U.S. embassy in Baghdad's Green Zone late on Tuesday, the Iraqi military said in a
statement, the latest in a series of attacks on Western interests in the country.</p>
<p>There were no immediate reports of casualties. The embassy's air defence system was activated, witnesses said,
and sirens could be heard across the fortified district that houses government buildings.</p>
<p>Washington has blamed Iran-backed militias for the attacks, which have intensified since the killing of
Qassem Soleimani in January.</p></article>
<footer>Copyright 2020 Example News. All rights reserved.</footer></body></html>"""


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feed")
    shutil.copy(SEED, root / "seed.txt")
    (root / "page.html").write_text(PAGE, encoding="utf-8")
    lines = [
        json.dumps(
            {
                "id": "wire-1",
                "url": "https://wire.example.org/a/1",
                "title": "Convoy hit",
                "text": WIRE,
                "published": "Mon, 14 Sep 2020 09:30:00 GMT",
            }
        ),
        # the first seed article again, under a tracking parameter: a duplicate
        json.dumps({"url": SEED_URL_1 + "?utm_source=feed", "text": "Une autre version du même article."}),
        "{not json",
        json.dumps({"url": "https://wire.example.org/a/2"}),  # no text or html
    ]
    with gzip.open(root / "wire.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    (root / "empty.html").write_bytes(b"")
    (root / "junk.html").write_bytes(bytes(range(256)) * 40)
    (root / "notes.docx").write_bytes(b"PK\x03\x04")
    return root


def _read(directory: Path) -> List[Dict]:
    records: List[Dict] = []
    for path in sorted(directory.glob("part-*")):
        if path.suffix == ".avro":
            with path.open("rb") as handle:
                records += list(fastavro.reader(handle))
        else:
            records += [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return records


def _run(feed: Path, out: Path, *extra: str):
    _, counters = run(["--input", str(feed), "--output", str(out), *extra], save_main_session=False)
    return counters


@pytest.fixture(scope="module")
def avro_run(feed: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("out")
    return out, _run(feed, out)


def test_every_candidate_is_accounted_for(avro_run) -> None:
    out, counters = avro_run
    totals = reconcile(counters)
    assert totals["in"] == totals["out"] + totals["rejected"] + totals["duplicates"]
    # 10 seed articles + 1 page + 1 wire record; rejected: empty.html, junk.html,
    # notes.docx and two bad JSONL lines; duplicate: the seed article under a tracking URL
    assert totals == {"in": 18, "out": 12, "rejected": 5, "duplicates": 1, "annotation_failures": 0}
    assert len(_read(out / "articles")) == 12
    assert "in = out + rejected + duplicates: 18 = 12 + 5 + 1  OK" in format_summary(counters, 1.0)


def test_articles_follow_the_output_contract(avro_run) -> None:
    out, _ = avro_run
    articles = {a["id"]: a for a in _read(out / "articles")}
    wire = articles["wire-1"]  # a record's own id stays the article id
    assert wire["language"] == "en" and wire["published"] == "2020-09-14T09:30:00+00:00"
    assert wire["source"] == "wire.example.org"
    page = next(a for a in articles.values() if a["origin"].endswith("page.html"))
    assert page["url"] == "https://news.example.com/2020/09/16/rockets-green-zone"
    assert page["title"] == "Rockets hit Green Zone" and page["published"] == "2020-09-16"
    assert "Copyright" not in page["text"] and "Home" not in page["text"]
    seed = sorted(
        (a for a in articles.values() if "seed.txt#" in a["origin"]), key=lambda a: int(a["origin"].split("#")[1])
    )
    assert len(seed) == 10 and all(a["language"] == "fr" for a in seed)
    assert seed[0]["url"] == SEED_URL_1 and seed[2]["published"] == "2020-09-15"
    for article in articles.values():
        text = article["text"]
        assert article["origin"] and text == text.strip()
        paragraphs = text.split("\n\n")
        assert len(paragraphs) == len(article["paragraphs"])
        for paragraph, span in zip(paragraphs, article["paragraphs"]):
            assert text[span["start"] : span["end"]] == paragraph


def test_sentences_index_into_their_article_and_stay_in_one_paragraph(avro_run) -> None:
    out, _ = avro_run
    articles = {a["id"]: a for a in _read(out / "articles")}
    sentences = _read(out / "sentences")
    assert {s["article_id"] for s in sentences} == set(articles)
    for sentence in sentences:
        article = articles[sentence["article_id"]]
        assert article["text"][sentence["start"] : sentence["end"]] == sentence["text"]
        assert "\n\n" not in sentence["text"]


def test_duplicates_and_rejected_say_what_and_why(avro_run) -> None:
    out, _ = avro_run
    duplicates = _read(out / "duplicates")
    assert [(d["origin"], d["rule"]) for d in duplicates] == [(duplicates[0]["origin"], "url")]
    assert duplicates[0]["origin"].endswith("wire.jsonl.gz#2")
    rejected = {_short_origin(r["origin"]): r for r in _read(out / "rejected")}
    assert set(rejected) == {"empty.html", "junk.html", "notes.docx", "wire.jsonl.gz#3", "wire.jsonl.gz#4"}
    for record in rejected.values():
        assert record["stage"] and record["reason"]
    assert "json" in rejected["wire.jsonl.gz#3"]["reason"].lower()
    assert rejected["wire.jsonl.gz#3"]["payload"].strip() == "{not json"


def _short_origin(origin: str) -> str:
    return origin.rsplit("/", 1)[-1]


def test_rerun_gives_byte_identical_files_and_jsonl_matches_avro(feed: Path, avro_run, tmp_path: Path) -> None:
    out, _ = avro_run
    again = tmp_path / "again"
    _run(feed, again)
    for kind in ("articles", "sentences", "mentions", "entities", "events", "aggregates", "duplicates", "rejected"):
        first = sorted((out / kind).iterdir())
        assert [p.name for p in first] == [p.name for p in sorted((again / kind).iterdir())]
        for path in first:
            assert path.read_bytes() == (again / kind / path.name).read_bytes(), f"{kind}/{path.name} differs"
    as_json = tmp_path / "json"
    _run(feed, as_json, "--format", "jsonl", "--num_shards", "2")
    assert sorted(_read(as_json / "articles"), key=lambda a: a["id"]) == sorted(
        _read(out / "articles"), key=lambda a: a["id"]
    )


@pytest.mark.slow
def test_two_worker_processes_write_the_same_files(feed: Path, avro_run, tmp_path: Path) -> None:
    out, counters = avro_run
    parallel = tmp_path / "parallel"
    parallel_counters = _run(feed, parallel, "--direct_num_workers=2", "--direct_running_mode=multi_processing")
    assert reconcile(parallel_counters) == reconcile(counters)
    for kind in ("articles", "sentences", "mentions", "entities", "events", "aggregates"):
        for path in sorted((out / kind).iterdir()):
            assert path.read_bytes() == (parallel / kind / path.name).read_bytes()


def test_overlapping_inputs_read_each_file_once(feed: Path, avro_run, tmp_path: Path) -> None:
    _, counters = avro_run
    overlapping = _run(
        feed, tmp_path / "twice", "--input", str(feed / "seed.txt"), "--input", str(feed / "*.html"), "--skip_entities"
    )
    assert reconcile(overlapping) == reconcile(counters)
    assert not list((tmp_path / "twice" / "mentions").glob("part-*"))  # --skip_entities: no NER


def test_entities_are_written_for_every_tagged_article(avro_run) -> None:
    out, counters = avro_run
    mentions, entities = _read(out / "mentions"), _read(out / "entities")
    assert counters["entities"]["articles"] == 12  # every article is French or English here
    assert mentions and entities
    assert {m["entity_id"] for m in mentions} == {e["id"] for e in entities}
    assert sum(e["mention_count"] for e in entities) == len(mentions)


def test_peek_prints_selected_fields(avro_run, capsys: pytest.CaptureFixture) -> None:
    from pipelines.peek import main as peek

    out, _ = avro_run
    assert peek([str(out / "articles"), "--limit", "2", "--field", "id", "--field", "title"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(printed) == 2 and all(set(p) == {"id", "title"} and p["title"] for p in printed)

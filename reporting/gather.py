"""One run's output directory → everything the page shows (``page.ReportContent``).

Reads each record kind once; only the articles that the events table quotes keep their
text, so a large run's articles do not all stay in memory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

from reporting import charts, tables
from reporting.outputs import STREAMING, RunOutput, latest_versions, read_records
from reporting.page import ReportContent

SUMMARY_NAME = "summary.json"
RUNS_DIR = "_runs"


def find_summary(run: RunOutput, explicit: Optional[Path] = None) -> Optional[Path]:
    """The run's summary (``--summary_json``): the file given, else ``OUT/summary.json``,
    else the newest run manifest under ``OUT/_runs/`` (for a partition: one naming its
    date) that carries counters."""
    if explicit is not None:
        return explicit
    default = run.root / SUMMARY_NAME
    if default.is_file():
        return default
    runs = run.root / RUNS_DIR
    if runs.is_dir():
        candidates = sorted(
            p for p in runs.rglob("*.json") if not run.partitions or any(d in p.name for d in run.partitions)
        )
        for path in reversed(candidates):
            if "counters" in _load_json(path):
                return path
    return None


def _load_json(path: Path) -> Dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def gather(run: RunOutput, source: str, summary_path: Optional[Path] = None) -> ReportContent:
    notes: List[str] = []
    counts: Dict[str, int] = {}

    events_read = list(read_records(run.files.get("events", [])))
    events = latest_versions(events_read) if run.layout == STREAMING else events_read
    if run.layout == STREAMING and len(events_read) != len(events):
        notes.append(
            f"The streaming snapshot lists {len(events_read):,} event versions (an event is listed in every window "
            f"it was updated in); the latest version of each of the {len(events):,} events is shown."
        )
    counts["events"] = len(events)

    entities = list(read_records(run.files.get("entities", [])))
    counts["entities"] = len(entities)
    counts["mentions"] = sum(1 for _ in read_records(run.files.get("mentions", [])))

    rows, events_total = tables.event_rows(events, {})
    quoted: Set[str] = {link.article_id for row in rows for link in row.sentences}
    articles_for_rows: Dict[str, Dict[str, Any]] = {}
    article_stats: List[Dict[str, Any]] = []  # language and source only, for run health
    for article in read_records(run.files.get("articles", [])):
        article_stats.append({"language": article.get("language"), "source": article.get("source")})
        if article.get("id") in quoted:
            articles_for_rows[article["id"]] = article
    counts["articles"] = len(article_stats)
    rows, events_total = tables.event_rows(events, articles_for_rows)

    rejected = list(read_records(run.files.get("rejected", [])))
    duplicates = list(read_records(run.files.get("duplicates", [])))
    too_late = list(read_records(run.files.get("too_late", [])))
    counts["rejected"], counts["duplicates"] = len(rejected), len(duplicates)

    summary_file = find_summary(run, summary_path)
    summary = _load_json(summary_file) if summary_file else {}
    if summary_file and not summary:
        notes.append(f"The run summary {summary_file} could not be read.")
    health = tables.health(
        article_stats,
        rejected,
        duplicates,
        too_late,
        counters=summary.get("counters"),
        reconciliation=summary.get("reconciliation"),
    )

    points = tables.map_points(events)
    timeline = tables.timeline(events)
    families = sorted({tables.family_of(e) for e in events})
    if run.layout == STREAMING:
        notes.append("Streaming output: events and counts come from each window's latest snapshot (latest/).")
    return ReportContent(
        title=f"News run report — {Path(source).name or source}",
        source=source,
        layout=run.layout,
        partitions=run.partitions,
        counts=counts,
        map_points=points,
        map_spec=charts.map_spec(points, families) if points.points else None,
        timeline=timeline,
        timeline_spec=charts.timeline_spec(timeline, families) if timeline.dated else None,
        entities=tables.top_entities(entities),
        events=rows,
        events_total=events_total,
        health=health,
        notes=notes,
    )

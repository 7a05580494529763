"""The report as one HTML file: sections rendered server-side (tables work without
script), charts drawn by the Vega libraries inlined from ``vl-convert-python``'s
bundle, a few lines of script to filter the events table. Nothing in the file makes the
browser fetch anything: no ``src``/``href`` to a resource, no CSS ``url()``, no web
font (``external_references`` checks it)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any, Dict, List, Optional, Sequence

from reporting.tables import (
    EVENT_ROW_CAP,
    MAP_POINT_CAP,
    MENTIONS_PER_EVENT,
    TOP_COUNTRIES,
    EntityTable,
    EventRow,
    Health,
    MapPoints,
    Timeline,
)

VEGA_LITE_VERSION = "6.4"  # the schema Altair 6.3 writes


@dataclass(frozen=True)
class ReportContent:
    title: str
    source: str  # what was read, as the user named it
    layout: str
    partitions: List[str]
    counts: Dict[str, int]  # records read per kind
    map_points: MapPoints
    map_spec: Optional[Dict[str, Any]]
    timeline: Timeline
    timeline_spec: Optional[Dict[str, Any]]
    entities: List[EntityTable]
    events: List[EventRow]
    events_total: int
    health: Health
    notes: List[str]  # what the report could not show, and why


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed in one script (sets window.vegaEmbed)."""
    import vl_convert

    return vl_convert.javascript_bundle(None, vl_version=VEGA_LITE_VERSION)  # type: ignore[arg-type]  # None: the default snippet


def library_versions() -> str:
    import vl_convert

    return (
        f"Vega {vl_convert.get_vega_version()}, Vega-Lite {VEGA_LITE_VERSION}, "
        f"vega-embed {vl_convert.get_vega_embed_version()}"
    )


def _json_script(element_id: str, value: Any) -> str:
    # "</" would end the script element early
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _n(value: int) -> str:
    return f"{value:,}"


def _count(value: int, noun: str) -> str:
    return f"{value:,} {noun}{'' if value == 1 else 's'}"


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1d1d1f;background:#fafaf8}
header,section{max-width:1180px;margin:0 auto;padding:12px 24px}
header{border-bottom:1px solid #ddd;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:18px 0 6px;border-bottom:1px solid #e4e4e4;padding-bottom:4px}
h3{font-size:15px;margin:10px 0 4px}
.note{color:#555;font-size:13px;margin:4px 0}
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
.kpi{background:#f1f0ec;border-radius:6px;padding:6px 12px}.kpi b{font-size:18px;display:block}
table{border-collapse:collapse;width:100%;font-size:13px;background:#fff}
th,td{border-bottom:1px solid #e6e6e6;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f0;position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.grid3{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}
.grid2{display:grid;grid-template-columns:repeat(2,1fr);gap:14px}
.aliases{color:#666;font-size:12px}
.ok{color:#17692d;font-weight:600}.bad{color:#b00020;font-weight:600}
details summary{cursor:pointer;color:#24527a}
blockquote{margin:4px 0 8px 0;padding:2px 8px;border-left:3px solid #c9c4b8;background:#fbfaf7}
.filters{display:flex;gap:8px;align-items:center;margin:6px 0;flex-wrap:wrap}
.filters input{width:280px;padding:3px 6px}.tablewrap{max-height:760px;overflow:auto;border:1px solid #ddd}
.chart{background:#fff;border:1px solid #e4e4e4;padding:6px;overflow-x:auto}
"""

SENTENCES_SCRIPT = """
(function(){
  var data = JSON.parse(document.getElementById('event-sentences').textContent);
  function add(parent, tag, text, cls){
    var el = document.createElement(tag); if (text) el.textContent = text; if (cls) el.className = cls;
    parent.appendChild(el); return el;
  }
  // fills an event's <details> with its sentences the first time it opens
  window.reportFillSentences = function(details){
    if (details.dataset.filled) return;
    details.dataset.filled = 'yes';
    var entry = data.events[Number(details.dataset.event)], list = add(details, 'ol');
    entry[0].forEach(function(s){
      var article = data.articles[s[0]] || ['', '', '', ''], item = add(list, 'li');
      add(item, 'span', article[0] || '(article not in this output)');
      if (article[1]) add(item, 'span', ' (' + article[1] + (article[2] ? ', ' + article[2] : '') + ')', 'note');
      var where = add(item, 'div', 'article ' + s[0] + ', sentence ' + s[1] + ', characters ' + s[2] + '–' + s[3], 'note');
      if (article[3]) {
        where.appendChild(document.createTextNode(' · '));
        var a = add(where, 'a', article[3]); a.href = article[3]; a.rel = 'noreferrer';
      }
      if (s[4]) add(item, 'blockquote', s[4]);
    });
    if (entry[1]) add(list, 'li', '… and ' + entry[1] + ' more', 'note');
  };
  document.getElementById('events-table').addEventListener('toggle', function(event){
    if (event.target.open) window.reportFillSentences(event.target);
  }, true);
})();
"""

FILTER_SCRIPT = """
(function(){
  var rows = Array.prototype.slice.call(document.querySelectorAll('#events-table tbody tr.event'));
  var text = document.getElementById('filter-text'), fam = document.getElementById('filter-family'),
      country = document.getElementById('filter-country'), shown = document.getElementById('events-shown');
  function apply(){
    var q = text.value.trim().toLowerCase(), f = fam.value, c = country.value, n = 0;
    rows.forEach(function(row){
      var ok = (!q || row.dataset.search.indexOf(q) >= 0) && (!f || row.dataset.family === f) && (!c || row.dataset.country === c);
      row.hidden = !ok; if (ok) n++;
    });
    shown.textContent = n.toLocaleString('en');
  }
  [text, fam, country].forEach(function(el){ el.addEventListener('input', apply); });
  apply();
})();
"""

RENDER_SCRIPT = """
(function(){
  window.reportParsedMs = performance.now();  // page and libraries parsed; charts next
  var specs = [['map', 'spec-map'], ['timeline', 'spec-timeline']], jobs = [];
  specs.forEach(function(s){
    var el = document.getElementById(s[1]);
    if (el) jobs.push(vegaEmbed('#' + s[0], JSON.parse(el.textContent), {renderer: 'svg', actions: false, mode: 'vega-lite'}));
  });
  Promise.all(jobs).then(function(){
    window.reportRenderMs = performance.now();
    document.body.dataset.rendered = 'yes';
  }, function(error){
    document.body.dataset.rendered = 'error';
    document.body.dataset.renderError = String(error);
  });
})();
"""


def render(content: ReportContent) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(content.title)}</title>",
        f"<style>{STYLE}</style>",
        "</head><body>",
        _header(content),
        _map_section(content),
        _timeline_section(content),
        _entities_section(content.entities),
        _events_section(content),
        _health_section(content),
        _footer(),
    ]
    if content.map_spec is not None:
        parts.append(_json_script("spec-map", content.map_spec))
    if content.timeline_spec is not None:
        parts.append(_json_script("spec-timeline", content.timeline_spec))
    parts.append(_json_script("event-sentences", sentence_data(content.events)))
    parts += [
        f"<script>{vega_bundle()}</script>",
        f"<script>{RENDER_SCRIPT}</script>",
        f"<script>{SENTENCES_SCRIPT}</script>",
        f"<script>{FILTER_SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _header(content: ReportContent) -> str:
    layout = {
        "batch": "batch output",
        "partitioned": "run-date partitions " + ", ".join(f"dt={p}" for p in content.partitions),
        "streaming": "streaming snapshot (latest/)",
    }.get(content.layout, content.layout)
    kpis = "".join(
        f'<div class="kpi"><b>{_n(value)}</b>{escape(label)}</div>'
        for label, value in (
            ("articles", content.counts.get("articles", 0)),
            ("events", content.counts.get("events", 0)),
            ("entities", content.counts.get("entities", 0)),
            ("mentions", content.counts.get("mentions", 0)),
            ("rejected", content.counts.get("rejected", 0)),
            ("duplicates", content.counts.get("duplicates", 0)),
        )
    )
    notes = "".join(f'<p class="note">{escape(note)}</p>' for note in content.notes)
    return (
        f"<header><h1>{escape(content.title)}</h1>"
        f'<p class="note">Read from <code>{escape(content.source)}</code> ({escape(layout)}).</p>'
        f'<div class="kpis">{kpis}</div>{notes}</header>'
    )


def _map_section(content: ReportContent) -> str:
    points = content.map_points
    note = (
        f"{_n(points.placed)} of {_n(points.events)} events have coordinates, in "
        f"{_n(points.groups)} place × family groups; one circle per group"
    )
    if points.groups > len(points.points):
        note += f", the {_n(len(points.points))} groups with most events shown (cap {_n(MAP_POINT_CAP)})"
    note += ". Circles sharing a place are spread on a small ring; the tooltip gives the true coordinates."
    body = '<div id="map" class="chart"></div>' if content.map_spec is not None else "<p>No event has coordinates.</p>"
    return f'<section id="map-section"><h2>Map</h2><p class="note">{escape(note)}</p>{body}</section>'


def _timeline_section(content: ReportContent) -> str:
    t = content.timeline
    if content.timeline_spec is None:
        return '<section id="timeline-section"><h2>Timeline</h2><p>No dated event.</p></section>'
    note = (
        f"The charts open on {t.focus[0]} – {t.focus[1]} ({_n(t.in_focus)} of {_n(t.dated)} dated events); "
        f"drag on the strip below them to show another window."
    )
    if t.undated:
        note += f" {_n(t.undated)} events have no date and are not drawn."
    if t.countries > TOP_COUNTRIES:
        note += f" The {TOP_COUNTRIES} countries with most events are drawn; the other {t.countries - TOP_COUNTRIES} are summed as “other”."
    return (
        f'<section id="timeline-section"><h2>Timeline</h2><p class="note">{escape(note)}</p>'
        f'<div id="timeline" class="chart"></div></section>'
    )


def _entities_section(tables: Sequence[EntityTable]) -> str:
    if not any(t.total for t in tables):
        return (
            '<section id="entities-section"><h2>Top entities</h2>'
            "<p>No entities/ in this output (the streaming job writes events and aggregates only).</p></section>"
        )
    blocks = []
    for table in tables:
        rows = "".join(
            f"<tr><td><b>{escape(r['name'])}</b>"
            + (f'<div class="aliases">{escape(" · ".join(r["aliases"][:8]))}</div>' if r["aliases"] else "")
            + f'</td><td>{escape(r["country"])}</td><td class="num">{_n(r["mentions"])}</td></tr>'
            for r in table.rows
        )
        shown = f"top {len(table.rows)} of {_n(table.total)}" if table.total > len(table.rows) else _n(table.total)
        blocks.append(
            f'<div><h3>{escape(table.title)} <span class="note">({shown})</span></h3>'
            f'<table class="entities" data-label="{escape(table.label)}"><thead><tr><th>name (aliases)</th>'
            f'<th>country</th><th class="num">mentions</th></tr></thead><tbody>{rows}</tbody></table></div>'
        )
    return f'<section id="entities-section"><h2>Top entities</h2><div class="grid3">{"".join(blocks)}</div></section>'


def sentence_data(rows: Sequence[EventRow]) -> Dict[str, Any]:
    """The sentences behind each table row, as compact JSON the page expands on demand
    (as HTML, 2,000 events' sentences made a page slow to open): each article once
    (title, source, day, URL), each sentence as [article, index, start, end, text]."""
    articles: Dict[str, List[str]] = {}
    events = []
    for row in rows:
        links = []
        for link in row.sentences:
            articles.setdefault(link.article_id, [link.title, link.source, link.published[:10], link.url])
            links.append([link.article_id, link.sentence_index, link.start, link.end, link.text])
        events.append([links, row.more_sentences])
    return {"articles": articles, "events": events}


def _events_section(content: ReportContent) -> str:
    rows = content.events
    families = sorted({r.family for r in rows})
    countries = sorted({r.country for r in rows if r.country})
    body = []
    for n, r in enumerate(rows):
        search = " ".join([r.day, r.family, r.type, r.place, r.country, r.target, *r.actors, r.id]).lower()
        fatalities = "" if r.fatalities is None else str(r.fatalities)
        body.append(
            f'<tr class="event" data-family="{escape(r.family)}" data-country="{escape(r.country)}" '
            f'data-search="{escape(search)}"><td>{escape(r.day)}</td><td>{escape(r.family)}'
            f'<div class="aliases">{escape(r.type)}</div></td><td>{escape(r.place)}</td><td>{escape(r.country)}</td>'
            f"<td>{escape(', '.join(r.actors))}</td><td>{escape(r.target)}</td>"
            f'<td class="num">{fatalities}</td><td class="num">{r.articles}</td><td class="num">{r.sources}</td>'
            f'<td class="num">{r.confidence:.2f}</td><td><details data-event="{n}"><summary>'
            f"{_count(len(r.sentences) + r.more_sentences, 'sentence')}</summary></details></td></tr>"
        )
    note = f"{_n(len(rows))} events"
    if content.events_total > len(rows):
        note = f"The {_n(len(rows))} most reported of {_n(content.events_total)} events (cap {_n(EVENT_ROW_CAP)})"
    note += (
        f", newest first; open “sentences” for the sentences that report one (at most {MENTIONS_PER_EVENT}), "
        "cut from the article by their character offsets."
    )
    options = lambda values: "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)  # noqa: E731
    return (
        f'<section id="events-section"><h2>Events</h2><p class="note">{escape(note)}</p>'
        '<div class="filters"><input id="filter-text" type="search" placeholder="filter: place, type, actor, target, day…">'
        f'<select id="filter-family"><option value="">all families</option>{options(families)}</select>'
        f'<select id="filter-country"><option value="">all countries</option>{options(countries)}</select>'
        f'<span class="note">showing <b id="events-shown">{_n(len(rows))}</b> of {_n(len(rows))}</span></div>'
        '<div class="tablewrap"><table id="events-table"><thead><tr><th>day</th><th>family / type</th><th>place</th>'
        '<th>country</th><th>actors</th><th>target</th><th class="num">deaths</th><th class="num">articles</th>'
        '<th class="num">sources</th><th class="num">conf.</th><th>reported in</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


def _pairs_table(table_id: str, head: str, pairs: Sequence[tuple]) -> str:
    rows = "".join(f'<tr><td>{escape(str(k))}</td><td class="num">{_n(v)}</td></tr>' for k, v in pairs)
    return f'<table id="{table_id}"><thead><tr><th>{escape(head)}</th><th class="num">count</th></tr></thead><tbody>{rows}</tbody></table>'


def _reconciliation_html(health: Health, layout: str) -> str:
    files = health.reconciliation.from_files
    counters = health.reconciliation.from_counters
    lines = []
    if counters is not None:
        verdict = (
            '<span class="ok">OK</span>' if health.reconciliation.balanced else '<span class="bad">MISMATCH</span>'
        )
        lines.append(
            f"<p id='reconciliation'>From the run's counters: in = out + rejected + duplicates: "
            f"<b>{_n(counters.get('in', 0))} = {_n(counters.get('out', 0))} + {_n(counters.get('rejected', 0))} + "
            f"{_n(counters.get('duplicates', 0))}</b> {verdict}"
            + (f"; too late for their window: {_n(counters['too_late'])}" if "too_late" in counters else "")
            + "</p>"
        )
    else:
        lines.append(
            "<p id='reconciliation' class='note'>No run summary found (write one with <code>--summary_json "
            "OUT/summary.json</code>, or pass <code>--summary FILE</code>): the books below are from the files only.</p>"
        )
    if layout == "streaming":
        lines.append(
            f"<p>From the files: rejected {_n(files['rejected'])}, duplicates {_n(files['duplicates'])}, "
            f"too late {_n(health.too_late)} (the streaming job writes no articles/).</p>"
        )
    else:
        lines.append(
            f"<p>From the files: articles {_n(files['out'])} + rejected {_n(files['rejected'])} + duplicates "
            f"{_n(files['duplicates'])} = {_n(files['in'])}"
            + (
                f"; and {_n(files['annotation_failures'])} articles written without entities or events "
                "(dead letters of stage entities/events)"
                if files["annotation_failures"]
                else ""
            )
            + ".</p>"
        )
        if counters is not None and counters.get("in") != files["in"]:
            lines.append(
                f"<p class='bad'>The files hold {_n(files['in'])} candidate articles, the counters {_n(counters.get('in', 0))}.</p>"
            )
    return "".join(lines)


def _health_section(content: ReportContent) -> str:
    health = content.health
    rejected_rows = "".join(
        f'<tr><td>{escape(r["stage"])}</td><td>{escape(r["reason"])}</td><td class="num">{_n(r["count"])}</td>'
        f'<td class="aliases">{escape(r["example"])}</td></tr>'
        for r in health.rejected
    )
    rejected = (
        '<table id="rejected-table"><thead><tr><th>stage</th><th>reason</th><th class="num">count</th>'
        f"<th>first origin</th></tr></thead><tbody>{rejected_rows}</tbody></table>"
        if health.rejected
        else "<p>No dead letters.</p>"
    )
    sources_note = (
        f" (top {len(health.sources)} of {_n(health.source_count)})"
        if health.source_count > len(health.sources)
        else ""
    )
    counters = ""
    if health.counters:
        counter_rows = "".join(
            f'<tr><td>{escape(stage)}</td><td>{escape(name)}</td><td class="num">{_n(value)}</td></tr>'
            for stage in sorted(health.counters)
            for name, value in sorted(health.counters[stage].items())
        )
        counters = (
            "<details><summary>All counters of the run</summary><table id='counters-table'><thead><tr><th>stage</th>"
            f"<th>counter</th><th class='num'>value</th></tr></thead><tbody>{counter_rows}</tbody></table></details>"
        )
    return (
        '<section id="health-section"><h2>Run health</h2>'
        + _reconciliation_html(health, content.layout)
        + '<div class="grid2"><div><h3>Articles by language</h3>'
        + _pairs_table("languages-table", "language", health.languages)
        + f"<h3>Duplicates by rule</h3>{_pairs_table('duplicates-table', 'rule', health.duplicates)}</div>"
        + f"<div><h3>Articles by source{sources_note}</h3>{_pairs_table('sources-table', 'source', health.sources)}</div></div>"
        + f"<h3>Rejected by stage and reason</h3>{rejected}{counters}</section>"
    )


def _footer() -> str:
    return (
        '<section class="note"><h2>About this page</h2>'
        "<p>One self-contained file: the data, the charting libraries "
        f"({escape(library_versions())}, BSD-3-Clause) and the basemap (Natural Earth 1:110m countries, public domain, "
        "from the npm package world-atlas 2.0.2, ISC licence) are inlined; opening it fetches nothing.</p></section>"
    )


# --- what a reviewer (or a test) checks ------------------------------------------------

_RESOURCE_ATTRIBUTE = re.compile(
    r"<(?:script|img|link|iframe|source|audio|video|embed|object|track|input)\b[^>]*?\b(?:src|href|srcset|data|poster)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)
_CSS_URL = re.compile(
    r"(?:url\(\s*[\"']?\s*(?:https?:)?//|@import\s+[\"']?(?:url\()?\s*[\"']?(?:https?:)?//)", re.IGNORECASE
)


def external_references(html: str) -> List[str]:
    """Places where the page would load a script, style, image, font or frame from the
    network: resource tags pointing at http(s) or protocol-relative URLs, CSS ``url()``
    and ``@import`` of such URLs. Hyperlinks (``<a href>``) are not loads."""
    found = [m.group(0)[:160] for m in _RESOURCE_ATTRIBUTE.finditer(html)]
    found += [m.group(0)[:160] for m in _CSS_URL.finditer(html)]
    return found

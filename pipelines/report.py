"""The run report: one self-contained HTML page over an output directory.

    python -m pipelines.report OUT [--html OUT/report.html] [--dt YYYY-MM-DD] [--summary FILE]

OUT is a batch job's output (``pipelines.batch``), its run-date partitions
(``<kind>/dt=…/``; all of them, or one with ``--dt``) or the streaming job's output
(its ``latest/`` snapshot). The page has a map of the events on a world basemap, the
events per day × family and per country, the top people, organisations and places, a
filterable events table quoting the sentences behind each event, and run health; it
opens offline (everything is inlined).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

from reporting.gather import gather
from reporting.outputs import locate
from reporting.page import render


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="the job's output directory")
    parser.add_argument("--html", type=Path, help="where to write the page (default: OUT/report.html)")
    parser.add_argument("--dt", help="only this run-date partition (YYYY-MM-DD) of a partitioned output")
    parser.add_argument(
        "--summary", type=Path, help="the run's --summary_json file (default: OUT/summary.json, else OUT/_runs/)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        run = locate(args.output, args.dt)
    except (FileNotFoundError, ValueError) as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    html_path = args.html or args.output / "report.html"
    content = gather(run, str(args.output), args.summary)
    page = render(content)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    print(
        f"report: {html_path} ({len(page.encode('utf-8')) / 1e6:.1f} MB; {content.counts.get('events', 0):,} events, "
        f"{len(content.map_points.points):,} map circles, {len(content.events):,} table rows) "
        f"in {time.monotonic() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``WritePaneFiles``: one file per window × pane, under
``<output>/<kind>/<window start>--<window end>/pane-<index>-<timing>.<fmt>``, and for
snapshot kinds (``latest=True``) the window's last pane written again as
``<output>/latest/<kind>/<window start>--<window end>.<fmt>``: the final snapshot, also
after a restore from a checkpoint (where pane indices start over).
"""

from __future__ import annotations

from typing import Any, List

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms import window as windows
from apache_beam.utils.timestamp import Timestamp
from apache_beam.utils.windowed_value import PaneInfoTiming

from transforms.io.shards import to_plain
from transforms.io.sinks import AVRO, publish, write_shard_to


def _compact(ts: Timestamp) -> str:
    return ts.to_utc_datetime(has_tz=True).strftime("%Y%m%dT%H%M%SZ")


def pane_file_path(output: str, kind: str, window, pane, fmt: str) -> str:
    """``<output>/<kind>/<start>--<end>/pane-<index>-<timing>.<fmt>``: a pure function
    of the window and pane, so a replay writes the same names."""
    if isinstance(window, windows.IntervalWindow):
        folder = f"{_compact(window.start)}--{_compact(window.end)}"
    else:
        folder = "global"
    index = pane.index if pane is not None else 0
    timing = PaneInfoTiming.to_string(pane.timing) if pane is not None else "UNKNOWN"
    return FileSystems.join(output, kind, folder, f"pane-{index:05d}-{timing}.{fmt}")


def latest_file_path(output: str, kind: str, window, fmt: str) -> str:
    """``<output>/latest/<kind>/<start>--<end>.<fmt>``: the window's last pane written."""
    folder = pane_file_path(output, kind, window, None, fmt).replace("\\", "/").rsplit("/", 2)[-2]
    return FileSystems.join(output, "latest", kind, f"{folder}.{fmt}")


class _WritePaneFile(beam.DoFn):
    """Writes one pane's records (a sorted list) to its file: temporary name, then rename.

    ``latest``: the same records also replace ``latest_file_path`` (snapshot kinds). Pane
    indices are not a reliable order across a restore from a checkpoint: Flink re-fires a
    window's panes after a failure (seen: pane-00000-ON_TIME, pane-00001-LATE after
    pane-00225-LATE of the failed attempt), and the failed attempt's files stay. The file
    written last is the final snapshot once the job has ended (accumulating panes), unless it
    is empty and a snapshot exists."""

    def __init__(self, output: str, kind: str, schema: str, fmt: str, sort_key, latest: bool = False):
        self._output, self._kind, self._schema, self._fmt, self._sort_key = output, kind, schema, fmt, sort_key
        self._latest = latest
        self._files = Metrics.counter("write", f"{kind}_files")
        self._records = Metrics.counter("write", kind)

    def process(self, records: List[Any], window=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam):
        path = pane_file_path(self._output, self._kind, window, pane, self._fmt)
        rows = [to_plain(r) for r in sorted(records, key=self._sort_key)]
        name = path[len(self._output) :].lstrip("/\\")
        publish(path, lambda handle: write_shard_to(handle, rows, self._schema, self._fmt, name))
        latest = latest_file_path(self._output, self._kind, window, self._fmt) if self._latest else None
        # Panes accumulate, so a window's snapshot only grows; an empty pane never replaces a
        # written one (after a restore Flink can fire an extra empty ON_TIME pane for a window
        # next to the full one: seen in tests/runners/test_fault_tolerance.py).
        if latest is not None and (rows or not FileSystems.exists(latest)):
            publish(latest, lambda handle: write_shard_to(handle, rows, self._schema, self._fmt, name))
        self._files.inc()
        self._records.inc(len(rows))
        yield path


class WritePaneFiles(beam.PTransform):
    """PCollection[list of records], one list per window × pane (the output of a
    triggered grouping) → one file each; returns the paths."""

    def __init__(self, output: str, kind: str, schema: str, sort_key, fmt: str = AVRO, latest: bool = False):
        super().__init__()
        self._args = (output, kind, schema, fmt, sort_key, latest)

    def expand(self, panes):
        return panes | "WritePane" >> beam.ParDo(_WritePaneFile(*self._args))

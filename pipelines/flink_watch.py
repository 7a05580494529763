"""A live check of a streaming job on a Flink session cluster: the start that drops every record.

Beam 2.62's portable Flink runner sometimes lets the end-of-time watermark run past the
Python Kafka reader at the start of a job (apache/beam#19637): every stateful stage after
it then drops every record (``StatefulParDoDropped``) while the reader reads on, and a job
without a stop condition runs for ever with no output. Flink's REST API shows it: the
input watermark of a stage after the reader is at the end of time while the read has not
reached its stop condition. ``EndOfTimeMonitor`` polls that while the job runs; when it
sees it, it cancels the job and keeps the diagnosis, which ``pipelines.stream`` turns into
a failed run (exit code 1).
"""

import json
import logging
import threading
import time
import urllib.request
from typing import Callable, Dict, List, Optional, Sequence

_LOG = logging.getLogger("newsfeed.stream")

END_OF_TIME_MS = 9223371950454774  # the end of the global window (Beam's MAX_TIMESTAMP - 1 day) in ms


def watched(vertex_name: str) -> bool:
    """A Flink vertex holding a stateful stage after the reader: the dedup of pipelines.stream
    (not the reader's own fused stage, whose name lists the keying step of DropDuplicates too)
    or the reader's end-of-time watch. Flink names vertices after the transforms they run."""
    return ("DropDuplicates" in vertex_name and "ReadKafka" not in vertex_name) or (
        "ReadKafka/WatchEndOfTime/Watch" in vertex_name
    )


def rest_address(flink_master: Optional[str]) -> Optional[str]:
    """``http://host:port`` of a session cluster's REST API; None for an embedded cluster."""
    if not flink_master or flink_master.startswith("["):
        return None
    return flink_master if flink_master.startswith("http") else f"http://{flink_master}"


def at_end_of_time(watermarks: List[Dict[str, str]]) -> bool:
    """Flink's per-subtask input watermarks of a vertex: any at the end of time?"""
    return any(int(item.get("value", "0")) >= END_OF_TIME_MS for item in watermarks)


def too_early(deadline_ms: int, now_ms: int) -> bool:
    """The read has no stop condition, or has not reached it: the end of time is the runner's error."""
    return deadline_ms <= 0 or now_ms < deadline_ms


def diagnosis(job_id: str, stages: Sequence[str]) -> str:
    return (
        f"Flink job {job_id}: the input watermark of {', '.join(stages)} reached the end of time while the Kafka "
        "read still runs, so those stateful stages drop every record (apache/beam#19637, Beam 2.62's portable "
        "Flink runner). The job was cancelled. Submit it again from the same start (--kafka_start earliest or a "
        "fresh --kafka_group: the dropped records' offsets may be committed)."
    )


class EndOfTimeMonitor(threading.Thread):
    """Watches the newest job started on the cluster after ``submitted_ms``; see the module
    docstring. ``found`` holds the diagnosis once the job was cancelled for it."""

    def __init__(
        self,
        rest: str,
        submitted_ms: int,
        deadline_ms: int,
        poll_seconds: float = 2.0,
        is_watched: Callable[[str], bool] = watched,
    ):
        super().__init__(name="end-of-time-monitor", daemon=True)
        self._rest, self._submitted, self._deadline = rest.rstrip("/"), submitted_ms, deadline_ms
        self._poll, self._is_watched = poll_seconds, is_watched
        self._stop_event = threading.Event()
        self.found: Optional[str] = None
        self.job_id: Optional[str] = None

    def _get(self, path: str):
        with urllib.request.urlopen(f"{self._rest}{path}", timeout=5) as response:
            return json.loads(response.read() or b"{}")

    def _cancel(self, job_id: str) -> None:
        request = urllib.request.Request(f"{self._rest}/jobs/{job_id}?mode=cancel", method="PATCH")
        with urllib.request.urlopen(request, timeout=5):
            pass

    def _job(self) -> Optional[dict]:
        jobs = [j for j in self._get("/jobs/overview").get("jobs", []) if j.get("start-time", 0) >= self._submitted]
        return max(jobs, key=lambda j: j["start-time"]) if jobs else None

    def check_once(self) -> bool:
        """One poll; True when the job is over (finished, or cancelled by this monitor)."""
        job = self._job()
        if job is None:
            return False
        self.job_id = job["jid"]
        if job.get("state") != "RUNNING":
            return job.get("state") in ("FINISHED", "CANCELED", "FAILED")
        stopped = [
            vertex["name"]
            for vertex in self._get(f"/jobs/{self.job_id}").get("vertices", [])
            if self._is_watched(vertex["name"])
            and at_end_of_time(self._get(f"/jobs/{self.job_id}/vertices/{vertex['id']}/watermarks"))
        ]
        if stopped and too_early(self._deadline, int(time.time() * 1000)):
            self.found = diagnosis(self.job_id, stopped)
            _LOG.error(self.found)
            self._cancel(self.job_id)
            return True
        return False

    def run(self) -> None:
        while not self._stop_event.wait(self._poll):
            try:
                if self.check_once():
                    return
            except (OSError, ValueError, KeyError) as error:  # the cluster restarting, a vertex not yet up
                _LOG.debug("end-of-time monitor: %s", error)

    def stop(self) -> None:
        self._stop_event.set()

"""pipelines.flink_watch against a stand-in for Flink's REST API (127.0.0.1, a free port):
the vertex names and watermark values are those a real 1.19 session cluster reported for
pipelines.stream (a normal start: the stages after the reader at Long.MIN_VALUE)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List

import pytest

from pipelines import flink_watch

MIN, MAX = str(-(2**63)), str(2**63 - 1)
VERTICES = {
    "v0": "Source: Impulse -> [5]ReadKafka/{TopicWatches, WatchEndOfTime, WatchPartitions}",
    "v1": "[1]ReadKafka/WatchPartitions/ProcessSizedElementsAndRestrictions0",
    "v2": "[14]{ReadKafka, KafkaRecords, CleanArticles, AllRejected, StampPublicationTime, FlagTooLate, DropDuplicates}",
    "v3": "[6]{DropDuplicates, DuplicatesPerPane}",
    "v4": "[1]ReadKafka/WatchEndOfTime/Watch",
}


class FakeFlink:
    def __init__(self, watermarks: Dict[str, str], start_ms: int):
        self.watermarks, self.start_ms = watermarks, start_ms
        self.cancelled: List[str] = []
        self.state = "RUNNING"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                parts = self.path.strip("/").split("/")
                if self.path == "/jobs/overview":
                    self._send(
                        {
                            "jobs": [
                                {"jid": "old", "start-time": 1, "state": "FINISHED"},
                                {"jid": "j1", "start-time": fake.start_ms, "state": fake.state},
                            ]
                        }
                    )
                elif len(parts) == 2:
                    self._send({"vertices": [{"id": v, "name": n} for v, n in VERTICES.items()]})
                else:
                    self._send([{"id": "0.currentInputWatermark", "value": fake.watermarks.get(parts[3], MIN)}])

            def do_PATCH(self):
                fake.cancelled.append(self.path)
                fake.state = "CANCELED"
                self._send({})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.rest = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()


@pytest.fixture
def now_ms() -> int:
    return int(time.time() * 1000)


def test_watched_vertices_are_the_stateful_stages_after_the_reader():
    assert [v for v, name in VERTICES.items() if flink_watch.watched(name)] == ["v3", "v4"]
    assert flink_watch.rest_address("localhost:8081") == "http://localhost:8081"
    assert flink_watch.rest_address("[local]") is None and flink_watch.rest_address(None) is None


def test_a_normal_start_is_left_alone(now_ms):
    # the reader's own stage and the partition watcher may see the end of time; the stages after it not
    flink = FakeFlink({"v1": MAX, "v2": MAX, "v3": MIN, "v4": MIN}, now_ms)
    try:
        monitor = flink_watch.EndOfTimeMonitor(flink.rest, now_ms - 1000, 0)
        assert monitor.check_once() is False and monitor.found is None and flink.cancelled == []
    finally:
        flink.close()


def test_the_end_of_time_after_the_reader_before_its_stop_cancels_the_job(now_ms):
    flink = FakeFlink({"v3": MAX}, now_ms)
    try:
        monitor = flink_watch.EndOfTimeMonitor(flink.rest, now_ms - 1000, now_ms + 60_000, poll_seconds=0.05)
        monitor.start()
        monitor.join(timeout=10)
        assert flink.cancelled == ["/jobs/j1?mode=cancel"]
        assert "Flink job j1: the input watermark of [6]{DropDuplicates, DuplicatesPerPane}" in monitor.found
        assert "apache/beam#19637" in monitor.found
    finally:
        flink.close()


def test_the_end_of_time_after_the_stop_condition_is_the_normal_end(now_ms):
    flink = FakeFlink({"v3": MAX, "v4": MAX}, now_ms)
    try:
        monitor = flink_watch.EndOfTimeMonitor(flink.rest, now_ms - 1000, now_ms - 1)
        assert monitor.check_once() is False and flink.cancelled == []
        flink.state = "FINISHED"
        assert monitor.check_once() is True and monitor.found is None  # the job is over: stop watching
    finally:
        flink.close()

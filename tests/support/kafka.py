"""A throwaway single-node Kafka broker (KRaft) for tests marked ``kafka``.

Use it from a test module with::

    from kafka_fixture import kafka_broker  # noqa: F401  (pytest fixture)

    def test_something(kafka_broker):      # "127.0.0.1:<port>"
        ...

The broker is started by deploy/kafka/start.sh (which fetches Kafka from Maven
Central into .cache/kafka/ on first use) on free ports with its data in a
pytest temporary directory, once per test session, and stopped by
deploy/kafka/stop.sh at the end. Tests are skipped where java or mvn is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.setup_guard import missing_setup

ROOT = Path(__file__).resolve().parents[2]
START = ROOT / "deploy" / "kafka" / "start.sh"
STOP = ROOT / "deploy" / "kafka" / "stop.sh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address ("127.0.0.1:<port>") of a fresh broker, for the whole session."""
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and os.access(os.path.join(java_home, "bin", "java"), os.X_OK)):
        missing_setup("a Kafka broker needs java (17 or newer)")
    if shutil.which("mvn") is None and not (ROOT / ".cache" / "kafka").is_dir():
        missing_setup("fetching Kafka needs mvn (deploy/kafka/fetch.sh)")
    port, controller_port = free_port(), free_port()
    state = tmp_path_factory.mktemp("kafka") / "broker"
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(START), "--port", str(port), "--controller-port", str(controller_port), "--dir", str(state)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        log = state / "broker.log"
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        pytest.fail(f"deploy/kafka/start.sh failed ({result.returncode}):\n{result.stderr[-4000:]}\n{tail}")
    try:
        wait_for_port(port, timeout=30)
        print(f"\nKafka broker on 127.0.0.1:{port} ready in {time.monotonic() - started:.1f} s")
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(STOP), "--dir", str(state)], capture_output=True, text=True, timeout=60)

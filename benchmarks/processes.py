"""Process and machine helpers the runner benchmarks share (flink_scaleout, stream_latency)."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from typing import List, Optional


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def loadavg() -> List[float]:
    return [round(x, 2) for x in os.getloadavg()]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def stop_group(process: Optional[subprocess.Popen], grace: float = 20.0) -> None:
    """SIGTERM, then SIGKILL, to the process group of a child started with start_new_session."""
    if process is None or process.poll() is not None and _group_gone(process.pid):
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if process.poll() is not None and _group_gone(process.pid):
                return
            time.sleep(0.3)


def start_worker_pool(port: int, log_path: pathlib.Path, cwd: pathlib.Path) -> subprocess.Popen:
    """A Beam SDK worker pool in PROCESS mode on localhost:``port`` (its own process group):
    every SDK worker a runner asks for (``--environment_type EXTERNAL --environment_config
    localhost:PORT``) is its own Python process, so a job's Python stages use several cores
    (LOOPBACK runs them as threads of the launching process, under one GIL)."""
    env = dict(os.environ, PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    with open(log_path, "w") as log:
        pool = subprocess.Popen(
            [sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main", f"--service_port={port}"],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    time.sleep(3)
    if pool.poll() is not None:
        raise RuntimeError(f"worker pool exited: {log_path.read_text()[-2000:]}")
    return pool

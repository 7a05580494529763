"""Open a local HTML file in headless Chromium with the network cut off, wait until it
says it has rendered, and report what happened: every request the page made, console
errors, the time to render, values read from the DOM, a screenshot.

Driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: fd 3 in,
fd 4 out, NUL-separated JSON), so no port is opened and no library is needed. The
network is off three ways: DevTools' offline emulation, a proxy that does not exist,
and a host resolver that resolves nothing.

    python -m tools.headless_chromium out/report.html --screenshot docs/report.png
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
NETWORK_OFF_FLAGS = (
    "--proxy-server=http://127.0.0.1:9",  # discard port: nothing answers
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> Optional[str]:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageVisit:
    url: str
    rendered: str  # what the page put in body[data-rendered]: "yes", "error" or "" (timed out)
    render_ms: Optional[float]  # window.reportRenderMs: navigation start → charts drawn
    load_seconds: float  # wall clock from navigate to rendered, as seen from here
    requests: List[str] = field(default_factory=list)  # every URL the page asked for
    console_errors: List[str] = field(default_factory=list)
    values: Dict[str, Any] = field(default_factory=dict)  # the probes' results

    def external_requests(self) -> List[str]:
        """Requests that would leave the machine (anything but the file itself, data: and blob:)."""
        return [u for u in self.requests if not u.startswith(("file:", "data:", "blob:", "about:"))]


class _DevTools:
    """Minimal DevTools client over Chromium's pipe."""

    def __init__(self, process: subprocess.Popen, to_browser: int, from_browser: int):
        self._process = process
        self._out = os.fdopen(to_browser, "wb", buffering=0)
        self._in = os.fdopen(from_browser, "rb", buffering=0)
        self._buffer = b""
        self._next_id = 0
        self.events: List[Dict[str, Any]] = []

    def _read_message(self) -> Dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = self._in.read(1 << 16)
            if not chunk:
                raise RuntimeError(f"chromium closed the DevTools pipe (exit code {self._process.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: Optional[Dict[str, Any]] = None, session: Optional[str] = None) -> Dict:
        self._next_id += 1
        message: Dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._out.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def close(self) -> None:
        for handle in (self._out, self._in):
            try:
                handle.close()
            except OSError:
                pass


def visit(
    html: Path,
    probes: Optional[Dict[str, str]] = None,
    screenshot: Optional[Path] = None,
    width: int = 1280,
    height: int = 900,
    timeout: float = 60.0,
    chromium: Optional[str] = None,
    full_page: bool = False,
) -> PageVisit:
    """Load ``html`` offline; ``probes`` are JavaScript expressions evaluated once the
    page has rendered (their JSON-able values come back in ``values``). The screenshot
    is the first ``height`` pixels of the page, or all of it with ``full_page``."""
    binary = chromium or find_chromium()
    if binary is None:
        raise FileNotFoundError("no chromium on PATH (Debian: apt-get install chromium)")
    url = html.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()

        def wire_pipes() -> None:  # in the child: the pipe ends at fds 3 and 4, as Chromium expects
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        command = [
            binary,
            "--headless",
            "--no-sandbox",  # runs as root in CI
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--mute-audio",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            *NETWORK_OFF_FLAGS,
            "about:blank",
        ]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("CHROMIUM_STDERR") else subprocess.DEVNULL,
            # 3 and 4 kept too: the child closes other fds after wire_pipes has run
            pass_fds=tuple(sorted({3, 4, to_browser_r, from_browser_w})),
            preexec_fn=wire_pipes,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        devtools = _DevTools(process, to_browser_w, from_browser_r)
        try:
            return _drive(devtools, url, probes or {}, screenshot, width, height, timeout, full_page)
        finally:
            devtools.close()
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _drive(
    devtools: _DevTools,
    url: str,
    probes: Dict[str, str],
    screenshot: Optional[Path],
    width: int,
    height: int,
    timeout: float,
    full_page: bool,
) -> PageVisit:
    target = devtools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = devtools.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Network", "Page", "Runtime", "Log"):
        devtools.call(f"{domain}.enable", session=session)
    devtools.call(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        session=session,
    )
    devtools.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    started = time.monotonic()
    devtools.call("Page.navigate", {"url": url}, session=session)
    rendered = ""
    while time.monotonic() - started < timeout:
        state = _evaluate(devtools, session, "document.body ? (document.body.dataset.rendered || '') : ''")
        if state:
            rendered = state
            break
        time.sleep(0.05)
    load_seconds = time.monotonic() - started
    render_ms = _evaluate(devtools, session, "window.reportRenderMs || null")
    values = {name: _evaluate(devtools, session, expression) for name, expression in probes.items()}
    if screenshot is not None:
        page_height = int(_evaluate(devtools, session, "document.documentElement.scrollHeight") or height)
        shot_height = min(page_height, 16000) if full_page else height
        shot = devtools.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": shot_height, "scale": 1},
            },
            session=session,
        )
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
    # let late requests (if any) show up in the event log before it is read
    _evaluate(devtools, session, "1")
    requests, errors = [], []
    for event in devtools.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(params["entry"].get("text", "") + " " + params["entry"].get("url", ""))
    return PageVisit(url, rendered, render_ms, load_seconds, requests, errors, values)


def _evaluate(devtools: _DevTools, session: str, expression: str) -> Any:
    result = devtools.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
    if "exceptionDetails" in result:
        raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
    return result.get("result", {}).get("value")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("html", type=Path)
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument(
        "--full_page", action="store_true", help="screenshot the whole page, not the first --height pixels"
    )
    args = parser.parse_args(argv)
    page = visit(args.html, screenshot=args.screenshot, width=args.width, height=args.height, full_page=args.full_page)
    print(
        json.dumps(
            {
                "rendered": page.rendered,
                "render_ms": page.render_ms,
                "load_seconds": round(page.load_seconds, 3),
                "requests": page.requests,
                "external_requests": page.external_requests(),
                "console_errors": page.console_errors,
            },
            indent=2,
        )
    )
    return 0 if page.rendered == "yes" and not page.external_requests() else 1


if __name__ == "__main__":
    sys.exit(main())

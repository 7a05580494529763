"""Every file operation under a directory, as the Python process performs it.

``WriteRecorder`` is a Python audit hook (``sys.addaudithook``): it sees each ``open``
for writing, ``os.rename``/``os.replace``, ``os.mkdir`` and ``os.remove`` of this
process, whatever library does it (Beam's filesystems, fastavro, gzip). Runners that
run the SDK harness in this process (BundleBasedDirectRunner, Flink and Prism with
LOOPBACK) do all their file work here, so a test sees what a job writes where.
Audit hooks cannot be removed: the recorder stops recording when closed.
"""

import os
import sys
import threading
from typing import Any, List, NamedTuple, Optional, Tuple

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class FileEvent(NamedTuple):
    kind: str  # "write", "rename", "mkdir", "remove"
    path: str  # relative to the watched directory
    target: Optional[str] = None  # rename: the new name (relative), or None when outside


def _writes(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


class WriteRecorder:
    """Records file events under ``root`` while open (``with WriteRecorder(root) as r``)."""

    def __init__(self, root: str):
        self.root = os.path.realpath(root)
        self.events: List[FileEvent] = []
        self._lock = threading.Lock()
        self._on = False
        sys.addaudithook(self._hook)

    def __enter__(self) -> "WriteRecorder":
        self._on = True
        return self

    def __exit__(self, *exc_info) -> None:
        self._on = False

    def _relative(self, path: Any) -> Optional[str]:
        if isinstance(path, int) or path is None:
            return None
        path = os.fsdecode(os.fspath(path))
        full = os.path.realpath(path)
        if full == self.root or full.startswith(self.root + os.sep):
            return os.path.relpath(full, self.root)
        return None

    def _record(self, event: FileEvent) -> None:
        with self._lock:
            self.events.append(event)

    def _hook(self, name: str, args: Tuple[Any, ...]) -> None:
        if not self._on:
            return
        if name == "open" and _writes(args[1], args[2]):
            path = self._relative(args[0])
            if path is not None:
                self._record(FileEvent("write", path))
        elif name in ("os.rename", "os.replace"):
            source, target = self._relative(args[0]), self._relative(args[1])
            if source is not None or target is not None:
                self._record(FileEvent("rename", source or f"<outside>{os.fsdecode(args[0])}", target))
        elif name == "os.mkdir":
            path = self._relative(args[0])
            if path is not None:
                self._record(FileEvent("mkdir", path))
        elif name in ("os.remove", "os.unlink"):
            path = self._relative(args[0])
            if path is not None:
                self._record(FileEvent("remove", path))

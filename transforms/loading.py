"""Models, tables and lexicons load once per worker process, through ``shared.Shared``.

Every stage loads its heavy resources the same way: ``load_once(tag, build)`` builds the
object on first use in the process and hands the same object to every later caller
(DoFn ``setup`` of any bundle, thread or transform, and the pure functions tests and
benchmarks call directly). ``shared.Shared`` only holds weak references, so the object
is also kept here for the life of the process: a worker never reloads a model between
bundles.
"""

import threading
from collections import Counter
from typing import Any, Callable, Dict

from apache_beam.utils import shared

_SHARED = shared.Shared()
_HELD: Dict[str, Any] = {}
_LOCK = threading.RLock()  # a build may load another resource (the lexicons need the type table)
LOAD_COUNTS: Counter = Counter()  # tag -> times built in this process (tests check 1)


class _Held:
    """A weak-referenceable box: Shared cannot hold dicts, tuples or C objects directly."""

    def __init__(self, value: Any):
        self.value = value


def load_once(tag: str, build: Callable[[], Any]) -> Any:
    """``build()`` on first use of ``tag`` in this process; the same object afterwards.

    The build runs before ``Shared.acquire`` (whose lock is not re-entrant), under this
    module's re-entrant lock, so a build may itself load another resource.
    """
    held = _HELD.get(tag)
    if held is None:
        with _LOCK:
            held = _HELD.get(tag)
            if held is None:
                value = build()
                LOAD_COUNTS[tag] += 1
                held = _SHARED.acquire(lambda: _Held(value), tag=tag)
                _HELD[tag] = held
    return held.value

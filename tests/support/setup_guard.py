"""What a test does when a tool or a fetched runner is missing.

On a developer's machine without Java, Go or Maven the runner suites skip, with the reason.
Under CI (CI=true) nothing may skip for that: `make test` fetches every runner first
(`make runners`), so a missing piece is a broken setup and the test fails.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_setup(reason: str) -> None:
    """Fail under CI, skip elsewhere (never returns)."""
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)

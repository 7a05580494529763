"""Flag values checked against a regular expression: the job refuses what the pattern
refuses, and the Dataflow Flex Template's ``metadata.json`` declares the very same
pattern for the parameter (``tests/deploy/test_flex_template.py`` compares them)."""

from __future__ import annotations

import argparse
import re
from typing import Any, Callable


class Matching:
    """An argparse ``type``: the whole text must match ``pattern``, then ``convert``
    turns it into the value (and may refuse it with a ValueError, e.g. 2020-02-30)."""

    def __init__(self, pattern: str, convert: Callable[[str], Any] = str, what: str = "value"):
        self.pattern = pattern
        self._convert = convert
        self._what = what
        self.__name__ = what  # argparse names the type in its messages

    def __call__(self, text: str) -> Any:
        if not re.fullmatch(self.pattern, text):
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {self._what} (must match {self.pattern})")
        try:
            return self._convert(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {self._what}: {error}") from None


POSITIVE_INT = r"^[1-9][0-9]*$"


COUNT = r"^[0-9]+$"  # zero or more


AT_LEAST_TWO = r"^([2-9]|[1-9][0-9]+)$"


def positive_int(what: str) -> Matching:
    return Matching(POSITIVE_INT, int, what)


def count(what: str) -> Matching:
    return Matching(COUNT, int, what)

"""Regex-checked flag values (the patterns the Flex Template metadata repeats)."""

from __future__ import annotations

import argparse

import pytest

from pipelines.flags import AT_LEAST_TWO, Matching, count, positive_int
from transforms.io.ledger import RUN_DATE_PATTERN, parse_run_date


def parse(type_, text: str):
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("--value", type=type_)
    return parser.parse_args(["--value", text]).value


def test_values_matching_the_pattern_are_converted() -> None:
    assert parse(positive_int("number"), "12") == 12
    assert parse(count("number"), "0") == 0
    assert parse(Matching(AT_LEAST_TWO, int, "number"), "10") == 10
    assert parse(Matching(RUN_DATE_PATTERN, parse_run_date, "run date"), "2020-02-29") == "2020-02-29"


@pytest.mark.parametrize(
    ("type_", "text"),
    [
        (positive_int("number"), "0"),
        (positive_int("number"), "-3"),
        (positive_int("number"), "3.5"),
        (count("number"), "x"),
        (Matching(AT_LEAST_TWO, int, "number"), "1"),
        (
            Matching(RUN_DATE_PATTERN, parse_run_date, "run date"),
            "2021-02-29",
        ),  # the pattern passes, the calendar does not
        (Matching(RUN_DATE_PATTERN, parse_run_date, "run date"), "15/09/2020"),
    ],
)
def test_values_the_pattern_or_the_conversion_refuse(type_, text: str) -> None:
    with pytest.raises(argparse.ArgumentError):
        parse(type_, text)

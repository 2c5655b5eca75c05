"""Data Prep reads numbers and dates with Java's parsers, which take ASCII digits only: a value
written in another script's digits is no number and no date, in validate, preview and the
emulator alike (one rule, in aepflow.dataprep.convert)."""

from __future__ import annotations

import pytest

from aepflow.dataprep import convert

ARABIC_4, ARABIC_2, ARABIC_1 = "\u0664", "\u0662", "\u0661"
WIDE = {d: chr(0xFF10 + int(d)) for d in "0123456789"}  # fullwidth digits


def _wide(text: str) -> str:
    return "".join(WIDE.get(c, c) for c in text)


@pytest.mark.parametrize(
    "text", [ARABIC_4 + ARABIC_2, _wide("42"), "4" + _wide("2"), "-" + ARABIC_4]
)
def test_digits_of_other_scripts_are_no_number(text: str) -> None:
    assert convert.to_integer(text) is None
    assert convert.to_number(text) is None


@pytest.mark.parametrize(
    "text",
    [
        _wide("2024") + "-01-01",
        f"2024-0{ARABIC_1}-01",
        f"01/3{ARABIC_1}/2024",
        "2024-01-01T0" + _wide("9") + ":00:00Z",
    ],
)
def test_digits_of_other_scripts_are_no_date(text: str) -> None:
    assert convert.to_datetime(text) is None


def test_ascii_digits_still_are() -> None:
    assert (convert.to_integer("42"), convert.to_number("-4.5")) == (42, -4.5)
    parsed = convert.to_datetime("2024-01-31")
    assert parsed is not None and (parsed.year, parsed.month, parsed.day) == (2024, 1, 31)

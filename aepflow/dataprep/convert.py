"""How Data Prep reads a value into a field of another type: the one place that decides.

``aepflow validate`` (static values against their field's XDM type), ``aepflow preview`` and
the emulator (each source value against its target field) all ask these functions, so a value
that validate accepts is one that preview and the emulator's runs write.

help/data-prep/data-handling.md: the strings read as booleans ("Booleans"), and the formats
tried, in order, for a string mapped to a date field without a format ("Date function
conversions"); a date without a zone is UTC.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aepflow.dataprep import dates

TRUE_TEXTS = ("y", "yes", "Y", "YES", "on", "ON", "true", "TRUE")
FALSE_TEXTS = ("n", "N", "no", "NO", "off", "OFF", "false", "FALSE")

# help/data-prep/data-handling.md, "Date function conversions", in its order.
DATE_FORMATS = (
    "yyyy-MM-dd HH:mm:ssZ",
    "yyyy-MM-dd HH:mm:ss.SSSZ",
    "yyyy-MM-dd HH:mm:ss.SSS",
    "yyyy-MM-dd'T'HH:mm:ss.SSSX",
    "yyyy-MM-dd'T'HH:mm:ss'Z'",
    "yyyy-MM-dd",
    "yyyy/MM/dd",
    "yyyy.MM.dd",
    "yyyy-MMM-dd",
    "yyyyMMdd",
    "MM-dd-yyyy",
    "MMddyyyy",
    "M/dd/yyyy",
    "dd.M.yyyy",
    "M/dd/yyyy hh:mm:ss a",
    "dd.M.yyyy hh:mm:ss a",
    "dd.MMM.yyyy",
    "dd-MMM-yyyy",
)

# XDM's integer types and their ranges, -bound to bound - 1 (long: JSON's safe integers).
INTEGER_BOUNDS = {"byte": 2**7, "short": 2**15, "int": 2**31, "long": 2**53}

# ASCII digits only, as Java's parsers read them (Python's \d matches every script's digits).
_WHOLE = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def to_boolean(value: Any) -> bool | None:
    """``value`` as a boolean field holds it, or None when Data Prep cannot read it as one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value in TRUE_TEXTS:
            return True
        if value in FALSE_TEXTS:
            return False
    return None


def to_integer(value: Any) -> int | None:
    """A whole number (``42``, ``"-7"``, ``3.0``), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(value)
    return None


def field_kind(json_type: str, xdm_type: str | None) -> str:
    """The type a value is converted to for a field: its JSON type, except that an integer
    keeps its XDM type (``short``, ``int``...), whose range Data Prep enforces."""
    return xdm_type if xdm_type in INTEGER_BOUNDS else json_type


def integer_range(kind: str) -> tuple[int, int] | None:
    """The lowest and highest value of an XDM integer type (None: not bounded here)."""
    bound = INTEGER_BOUNDS.get(kind)
    return (-bound, bound - 1) if bound is not None else None


def to_number(value: Any) -> int | float | None:
    """A number (``1.5``, ``"2e3"``, ``"-4"``), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    return None


def to_datetime(value: Any) -> datetime | None:
    """A date or date-time: ISO 8601, else the first of :data:`DATE_FORMATS` that fits."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        return dates.parse_iso(value)
    except ValueError:  # a DateError, or a day or month out of range
        pass
    for pattern in DATE_FORMATS:
        try:
            return dates.parse_date(value, pattern)
        except ValueError:
            continue
    return None

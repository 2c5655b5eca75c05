"""Deterministic sample rows for a table's preview, generated from its columns.

Flow Service's explore endpoint answers ``data`` next to the table's columns when asked with
``preview=true`` (help/sources/tutorials/api/explore/tabular.md). Every table the emulator
knows (``data/explore.json``) gets rows made from each column's type and name alone: the same
rows on every call, plausible enough to preview a mapping (an email looks like one, a
``date-time`` is ISO 8601), so a new table needs no hand-written rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ROWS = 5
_FIRST = ("Ava", "Noah", "Mia", "Liam", "Zoe")
_LAST = ("Martin", "Okafor", "Tanaka", "Silva", "Novak")


def rows(columns: Sequence[Mapping[str, str]], count: int = ROWS) -> list[dict[str, Any]]:
    """``count`` rows of ``columns`` ({name, type}), the same on every call."""
    return [{c["name"]: value(c, row) for c in columns} for row in range(count)]


def value(column: Mapping[str, str], row: int) -> Any:
    """A plausible, fixed value for ``column`` in row ``row``."""
    name, kind = column["name"], column.get("type", "string")
    lower = name.lower()
    k = row % len(_FIRST)
    if kind == "date-time":
        return f"2026-{k % 12 + 1:02d}-1{k}T09:{10 + k}:00Z"
    if kind == "date":
        return f"198{k}-{k % 12 + 1:02d}-2{k}"
    if kind in ("integer", "long"):
        return (row + 1) * 3
    if kind in ("number", "double", "float"):
        return round((row + 1) * 1250.5, 2)
    if kind == "boolean":
        return row % 2 == 0
    if "email" in lower:
        return f"{_FIRST[k].lower()}.{_LAST[k].lower()}@example.com"
    if "first" in lower:
        return _FIRST[k]
    if "last" in lower:
        return _LAST[k]
    if "phone" in lower:
        return f"+1 555 010{k}"
    if lower in ("id", "sys_id") or lower.endswith("id"):
        return f"{name[:3].upper()}{row + 1:05d}"
    return f"{name} {row + 1}"

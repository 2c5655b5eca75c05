"""Small walks over positioned YAML values: locations, variables, epochs."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from aepflow.errors import SourceLocation
from aepflow.manifest.yamlload import LocDict, LocList
from aepflow.model import Positions


def env_references(
    node: Any, path: tuple[str, ...], at: SourceLocation
) -> list[tuple[tuple[str, ...], SourceLocation]]:
    """Every string holding ``${env:`` under ``node``, with its path and position."""
    if isinstance(node, str):
        return [(path, at)] if "${env:" in node else []
    if isinstance(node, LocDict):
        return [
            found
            for k, v in node.items()
            for found in env_references(v, (*path, str(k)), node.value_at.get(k, at))
        ]
    if isinstance(node, LocList):
        return [
            found
            for i, v in enumerate(node)
            for found in env_references(v, (*path, str(i)), node.item_at[i])
        ]
    return []


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def locations(node: Any, prefix: str = "") -> Positions:
    """The position of every value under ``node``, by dotted path (``mappings.3.source``)."""
    out: dict[str, SourceLocation] = {}
    _locations(node, prefix, out)
    return Positions(out)


def _locations(node: Any, prefix: str, out: dict[str, SourceLocation]) -> None:
    if isinstance(node, LocDict):
        value_at = node.value_at
        for k, v in node.items():
            path = f"{prefix}{k}"
            out[path] = value_at[k]
            if isinstance(v, (LocDict, LocList)):
                _locations(v, path + ".", out)
    elif isinstance(node, LocList):
        item_at = node.item_at
        for i, v in enumerate(node):
            path = f"{prefix}{i}"
            out[path] = item_at[i]
            if isinstance(v, (LocDict, LocList)):
                _locations(v, path + ".", out)


def type_name(value: Any) -> str:
    """A YAML value's type as a user reads it: a list, a mapping, a number, ..."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "empty (null)"
    return "a string"


def did_you_mean(value: object, options: Iterable[object]) -> str:
    """``; did you mean 'x'?`` for the option closest to a typo, or nothing."""
    if not isinstance(value, str):
        return ""
    names = {str(o).lower(): str(o) for o in options}
    close = difflib.get_close_matches(value.lower(), list(names), n=1, cutoff=0.6)
    return f"; did you mean {names[close[0]]!r}?" if close else ""


def defined(items: Mapping[str, Any]) -> str:
    return f" (defined: {', '.join(sorted(items))})" if items else " (none is defined)"


def epoch(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isascii() and text.isdigit():  # "²".isdigit(), and int() refuses it
        return int(text)
    if not text.isascii():  # digits of other scripts are no date a platform reads
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


def static_text(value: Any) -> str:
    """A static mapping value as Data Prep reads it: ``true``, not Python's ``True``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

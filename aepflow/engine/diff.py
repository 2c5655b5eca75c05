"""Field-level differences between a live spec and a desired one.

Dicts are compared key by key. Lists named in a kind's ``list_keys`` are compared by the
identity of their items, not by position: columns by name, mappings by destination, field
groups by id. Inserting one column shows one added item, ``columns[category]``, and nothing
for the columns around it; order alone is no change. Other lists compare as whole values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Diff = tuple[str, Any, Any]  # (path, before, after); None on one side for an addition/removal


def diff(before: Any, after: Any, keys: Mapping[str, str | None] | None = None) -> list[Diff]:
    """Differences as (path, before, after), sorted by path."""
    if before == after:  # most specs of most plans: one comparison, made in C
        return []
    return sorted(_diff(before, after, "", keys or {}), key=lambda d: d[0])


def _diff(before: Any, after: Any, path: str, keys: Mapping[str, str | None]) -> list[Diff]:
    if isinstance(before, dict) and isinstance(after, dict):
        if before == after:
            return []
        out: list[Diff] = []
        for key in set(before) | set(after):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                out.append((sub, None, after[key]))
            elif key not in after:
                out.append((sub, before[key], None))
            else:
                out.extend(_diff(before[key], after[key], sub, keys))
        return out
    if path in keys and isinstance(before, list) and isinstance(after, list):
        keyed = _keyed(before, after, path, keys[path])
        if keyed is not None:
            return keyed
    return [] if before == after else [(path, before, after)]


def identity(item: Any, key: str | None) -> str | None:
    """The identity of a list item: the value itself, or its ``key`` field."""
    value = item if key is None else (item.get(key) if isinstance(item, dict) else None)
    return value if isinstance(value, str) else None


def _keyed(before: list[Any], after: list[Any], path: str, key: str | None) -> list[Diff] | None:
    old = {identity(i, key): i for i in before}
    new = {identity(i, key): i for i in after}
    if None in old or None in new or len(old) != len(before) or len(new) != len(after):
        return None  # items without a unique identity: compare the whole list
    out: list[Diff] = []
    for ident in set(old) | set(new):
        sub = f"{path}[{ident}]"
        if ident not in old:
            out.append((sub, None, new[ident]))
        elif ident not in new:
            out.append((sub, old[ident], None))
        elif key is not None:
            item_keys: dict[str, str | None] = {}
            out.extend(_diff(old[ident], new[ident], sub, item_keys))
    return out

"""A compact XDM field catalog to check mapping destinations.

Built from xdm-fields.tsv, itself from the XDM field dictionaries in help/xdm/.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

from aepflow.model import SchemaDef

NS = "https://ns.adobe.com/xdm/context/"
CLASSES = {"profile": NS + "profile", "experienceevent": NS + "experienceevent"}
FIELD_GROUPS = {
    name: NS + name
    for name in (
        "profile-person-details",
        "profile-personal-details",
        "profile-work-details",
        "identitymap",
    )
}
TENANT = "_${tenant}"


@lru_cache(maxsize=1)
def catalog() -> dict[str, frozenset[str]]:
    """Leaf paths per class / field group $id."""
    out: dict[str, set[str]] = {}
    text = (
        resources.files("aepflow.manifest").joinpath("xdm-fields.tsv").read_text(encoding="utf-8")
    )
    for row in csv.DictReader(text.splitlines(), delimiter="\t"):
        out.setdefault(row["group_id"], set()).add(row["path"])
    return {k: frozenset(v) for k, v in out.items()}


def class_id(value: str) -> str:
    return CLASSES.get(value, value)


def field_group_id(value: str) -> str:
    return FIELD_GROUPS.get(value, value)


def custom_leaves(fields: dict[str, Any], prefix: str = TENANT + ".") -> list[str]:
    out: list[str] = []
    for name, spec in fields.items():
        if isinstance(spec, dict) and spec.get("type") == "object":
            out.extend(custom_leaves(spec.get("properties") or {}, f"{prefix}{name}."))
        else:
            out.append(prefix + name)
    return out


def schema_fields(
    klass: str, groups: Iterable[str], custom: dict[str, Any]
) -> frozenset[str] | None:
    """All leaf paths of a schema; None when a class or group is not in the catalog."""
    cat = catalog()
    fields: set[str] = set(custom_leaves(custom))
    for ref in (klass, *groups):
        if ref not in cat:
            return None
        fields |= cat[ref]
    return frozenset(fields)


def normal(path: str) -> str:
    path = re.sub(r"\[(\d+|\*)\]", "[]", path)
    return re.sub(r"^identityMap\.[^.\[]+\[\]", "identityMap.{namespace}[]", path)


def exists(path: str, fields: frozenset[str]) -> bool:
    """Whether ``path`` is a field of the schema: a leaf, or an object or array above one."""
    return normal(path) in _paths(fields)


@lru_cache(maxsize=64)
def _paths(fields: frozenset[str]) -> frozenset[str]:
    """Every leaf path and every path above one (cut before a ``.`` or ``[``): one set
    lookup per mapping instead of a scan of the schema's leaves."""
    return fields | {f[:i] for f in fields for i, ch in enumerate(f) if ch in ".["}


def profile_ready(s: SchemaDef) -> bool:
    """help/xdm/api/schemas.md: a schema joins the Profile union with a primary identity or
    the identityMap field group."""
    return any(i.primary for i in s.identities) or FIELD_GROUPS["identitymap"] in s.field_group_ids

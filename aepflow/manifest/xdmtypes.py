"""The type and format of each field of a manifest's schema, for preview's value checks.

Read from the same field catalog as :mod:`aepflow.manifest.xdm` (its ``json_type`` and
``format`` columns) plus the schema's custom fields; this module is the only reader of those
columns, so a richer catalog replaces it in one place.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from typing import Any

from aepflow.dataprep import Target
from aepflow.manifest import xdm
from aepflow.model import SchemaDef


@lru_cache(maxsize=1)
def _catalog() -> dict[str, dict[str, Target]]:
    text = (
        resources.files("aepflow.manifest").joinpath("xdm-fields.tsv").read_text(encoding="utf-8")
    )
    out: dict[str, dict[str, Target]] = {}
    for row in csv.DictReader(text.splitlines(), delimiter="\t"):
        kind = row["json_type"].split(" ", 1)[0]  # "array of string" -> array
        out.setdefault(row["group_id"], {})[row["path"]] = Target(kind, row["format"] or None)
    return out


def _custom(fields: dict[str, Any], prefix: str) -> dict[str, Target]:
    out: dict[str, Target] = {}
    for name, spec in fields.items():
        if not isinstance(spec, dict):
            continue
        if spec.get("type") == "object":
            out.update(_custom(spec.get("properties") or {}, f"{prefix}{name}."))
        else:
            out[prefix + name] = Target(str(spec.get("type", "string")), spec.get("format"))
    return out


def field_types(schema: SchemaDef) -> dict[str, Target]:
    """Leaf path (catalog form, ``identityMap.{namespace}[].id``) -> type and format; fields
    of a class or field group the catalog lacks are simply absent (not checked)."""
    out = _custom(schema.custom_fields, xdm.TENANT + ".")
    catalog = _catalog()
    for ref in (schema.class_id, *schema.field_group_ids):
        out.update(catalog.get(ref, {}))
    return out


def target_of(types: dict[str, Target], destination: str) -> Target | None:
    return types.get(xdm.normal(destination))

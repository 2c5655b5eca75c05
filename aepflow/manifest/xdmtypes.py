"""The type and format of each field of a manifest's schema, for preview's value checks.

Read from the XDM catalog through :mod:`aepflow.manifest.xdm` (each leaf's type and format)
plus the schema's custom fields.
"""

from __future__ import annotations

from typing import Any

from aepflow.dataprep import Target, convert
from aepflow.manifest import xdm
from aepflow.model import SchemaDef


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
    out: dict[str, Target] = {}
    for ref in (schema.class_id, *schema.field_group_ids):
        found = xdm.lookup(ref)
        for f in found.fields if found is not None else ():
            fmt = f.format or (f.xdm_type if f.xdm_type in ("date", "date-time") else None)
            out.setdefault(f.path, Target(convert.field_kind(f.type, f.xdm_type), fmt))
    out.update(_custom(schema.custom_fields, xdm.TENANT + "."))
    return out


def target_of(types: dict[str, Target], destination: str) -> Target | None:
    return types.get(xdm.normal(destination))

"""Field group: a schema's custom fields under the tenant namespace (``/tenant/fieldgroups``).

Create and replace: help/xdm/api/field-groups.md — ``meta:intendedToExtend`` names the class,
the fields live in ``definitions`` under ``_{TENANT_ID}``. Once a dataset uses the schema, AEP
only allows additive changes: removing or redefining a field fails the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aepflow.api import Request
from aepflow.errors import PlanError
from aepflow.kinds.base import (
    Change,
    LiveObject,
    PlanContext,
    Resource,
    split_marker,
    tenantize,
    with_marker,
)
from aepflow.kinds.schemaregistry import SchemaRegistryKind
from aepflow.model import ProjectModel

# help/xdm/tutorials/custom-fields-api.md: "Date fields are indicated by type: string and
# format: date"; DateTime by "type: string and format: date-time". Manifests may say date or
# date-time as the type; the Schema Registry gets the documented form.
_FORMAT_TYPES = {"date": "date", "date-time": "date-time"}


def xdm_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Custom fields as the Schema Registry takes them (nested objects included)."""
    out: dict[str, Any] = {}
    for name, field in fields.items():
        spec = dict(field)
        if spec.get("type") in _FORMAT_TYPES:
            spec = {**spec, "type": "string", "format": _FORMAT_TYPES[spec["type"]]}
        if isinstance(spec.get("properties"), Mapping):
            spec["properties"] = xdm_fields(spec["properties"])
        out[name] = spec
    return out


def manifest_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Custom fields in the manifest's words: the inverse of :func:`xdm_fields` (a string of
    format date or date-time is that type; titles, descriptions and nested objects kept)."""
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        if not isinstance(spec, Mapping):
            continue
        kind = spec.get("type", "string")
        if kind == "string" and spec.get("format") in _FORMAT_TYPES:
            kind = spec["format"]
        entry: dict[str, Any] = {"type": kind}
        for key in ("title", "description"):
            if key in spec:
                entry[key] = spec[key]
        if kind == "object":
            entry["properties"] = manifest_fields(spec.get("properties") or {})
        out[name] = entry
    return out


def _body(r: Resource, spec: Mapping[str, Any], tenant: str) -> dict[str, Any]:
    return {
        "title": spec["title"],
        "description": with_marker(spec["description"], r.address),
        "type": "object",
        "meta:intendedToExtend": [spec["class"]],
        "definitions": {
            "customFields": {
                "properties": {f"_{tenant}": {"type": "object", "properties": spec["fields"]}}
            }
        },
        "allOf": [{"$ref": "#/definitions/customFields"}],
    }


class FieldGroup(SchemaRegistryKind):
    name = "fieldGroup"
    collection = "fieldgroups"
    derived_names = True
    replace_fields = frozenset({"class"})
    kept_while_used = True  # help/xdm/api/field-groups.md: not deleted while a schema uses it

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        for s in model.schemas.values():
            if s.custom_fields:
                spec = {
                    "title": f"{s.title} fields",
                    "description": f"Custom fields of the schema {s.title}.",
                    "class": s.class_id,
                    "fields": xdm_fields(tenantize(s.custom_fields, tenant)),
                }
                yield Resource(f"fieldGroup.{s.name}", self.name, spec, s.at("customFields"))

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for definition in (raw.get("definitions") or {}).values():
            for key, prop in (definition.get("properties") or {}).items():
                if key.startswith("_") and isinstance(prop, dict):
                    fields = prop.get("properties") or {}
        extends = raw.get("meta:intendedToExtend") or [""]
        return {
            "title": raw.get("title", ""),
            "description": split_marker(raw.get("description"))[0],
            "class": extends[0],
            "fields": fields,
        }

    def manifest(self, live: Mapping[str, Any], tenant: str) -> dict[str, Any]:
        """The Schema manifest's ``customFields`` (title, description and class follow the
        schema's: aepflow derives them)."""
        fields = manifest_fields(live["fields"])
        return {"customFields": fields} if fields else {}

    def check(
        self,
        r: Resource,
        live: LiveObject,
        after: dict[str, Any],
        changes: list[Change],
        ctx: PlanContext,
        notes: list[str],
    ) -> list[Change]:
        """Custom fields may be added, never removed or retyped once a dataset uses them."""
        changes = super().check(r, live, after, changes, ctx, notes)
        in_use = f"schema.{r.name}" in ctx.in_use
        removed = [c.path for c in changes if c.field == "fields" and c.before is not None]
        if removed and in_use:
            raise PlanError(
                f"{r.address}: the change removes or redefines the custom field(s) "
                f"{', '.join(sorted(removed))}, but a dataset already uses the schema "
                "and AEP only allows additive changes: add new fields instead."
            )
        return changes

    def refuse_replace(self, address: str, why: str, users: Sequence[str], ctx: PlanContext) -> str:
        """A field group a schema uses cannot be deleted (XDM-1530-400), and once a dataset
        uses the schema, the schema cannot drop it: AEP only allows additive changes."""
        schemas = ", ".join(users)
        if any(u in ctx.in_use for u in users):
            return (
                f"{address} cannot be replaced ({why}): AEP does not delete a field group that "
                f"a schema uses ({schemas}), and a dataset already uses that schema, so it "
                "cannot drop the group either: AEP only allows additive changes. Add new "
                "fields to customFields instead, or replace the schema with it "
                f"(--replace {' --replace '.join(users)}), which replaces the dataset and "
                "deletes its data"
            )
        targets = " ".join(f"--replace {u}" for u in users)
        return (
            f"{address} cannot be replaced ({why}): AEP does not delete a field group that a "
            f"schema uses ({schemas}). Replace the schema with it ({targets}), or change "
            "customFields instead"
        )

    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        return [Request("POST", self.path(), _body(r, spec, tenant))]

    def update(
        self,
        r: Resource,
        spec: Mapping[str, Any],
        live: LiveObject,
        changes: Sequence[Change],
        tenant: str,
    ) -> Sequence[Request]:
        return [Request("PUT", self.path(live.id), _body(r, spec, tenant))]


KIND = FieldGroup()

"""Schema: an XDM schema, its class and field groups (``/tenant/schemas``).

Create: help/xdm/api/schemas.md ("Create a schema"): ``allOf`` holds the class and the field
groups. Update: a JSON Patch that adds field groups to ``meta:extends`` and ``allOf``
(help/xdm/api/schemas.md, "Add a field group"). Once a dataset uses the schema, AEP only
allows additive changes: removing a field group or changing the class fails the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aepflow.api import Request
from aepflow.catalog.xdm import CLASS, FIELD_GROUP, catalog
from aepflow.errors import PlanError
from aepflow.kinds.base import (
    UNKNOWN,
    Change,
    LiveObject,
    PlanContext,
    Resource,
    naming_ops,
    ref,
    split_marker,
    with_marker,
)
from aepflow.kinds.schemaregistry import SchemaRegistryKind
from aepflow.model import ProjectModel

STANDARD_PREFIX = "https://ns.adobe.com/xdm/"


def tenant_owned(ref: str, tenant: str) -> bool:
    """A field group of the sandbox's own (help/xdm/api/field-groups.md: tenant ids live under
    ``https://ns.adobe.com/{TENANT_ID}/``), not a standard one."""
    return ref.startswith(f"https://ns.adobe.com/{tenant}/")


class Schema(SchemaRegistryKind):
    name = "schema"
    collection = "schemas"
    list_keys = {"fieldGroups": None}

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        for s in model.schemas.values():
            groups: list[Any] = list(s.field_group_ids)
            if s.custom_fields:
                groups.append(ref(f"fieldGroup.{s.name}"))
            spec = {
                "title": s.title,
                "description": s.description,
                "class": s.class_id,
                "fieldGroups": groups,
            }
            yield Resource(f"schema.{s.name}", self.name, spec, s.location)

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        klass = raw.get("meta:class", "")
        refs = [item["$ref"] for item in raw.get("allOf") or [] if "$ref" in item]
        return {
            "title": raw.get("title", ""),
            "description": split_marker(raw.get("description"))[0],
            "class": klass,
            "fieldGroups": [r for r in refs if r != klass],
        }

    def manifest(self, live: Mapping[str, Any], tenant: str) -> dict[str, Any]:
        """The Schema manifest's title, description, class and field groups: standard ones
        by short name, the sandbox's own by ``$id`` (the importer turns the custom one into
        ``customFields``, read back by the fieldGroup kind). Identities are the descriptor
        kind's."""
        out: dict[str, Any] = {"title": live["title"]}
        if live["description"]:
            out["description"] = live["description"]
        out["class"] = catalog().short_name(live["class"], CLASS)
        groups = [
            g if tenant_owned(g, tenant) else catalog().short_name(g, FIELD_GROUP)
            for g in live["fieldGroups"]
        ]
        if groups:
            out["fieldGroups"] = groups
        return out

    def check(
        self,
        r: Resource,
        live: LiveObject,
        after: dict[str, Any],
        changes: list[Change],
        ctx: PlanContext,
        notes: list[str],
    ) -> list[Change]:
        """Schemas only grow once data lives on them: removals and class changes fail the plan."""
        groups = after.get("fieldGroups", [])
        replaced_custom = UNKNOWN in groups  # the custom field group is being replaced
        removed = sorted(
            c.before
            for c in changes
            if c.field == "fieldGroups" and c.after is None
            if not replaced_custom or str(c.before).startswith(STANDARD_PREFIX)
        )
        if replaced_custom:  # its old id going away is not a removal
            changes = [
                c
                for c in changes
                if not (c.field == "fieldGroups" and c.after is None and c.before not in removed)
            ]
        class_changed = live.spec.get("class") != after.get("class")
        if not removed and not class_changed:
            return changes
        what = (
            f"changes its class from {live.spec.get('class')} to {after.get('class')}"
            if class_changed
            else f"removes the field group(s) {', '.join(removed)}"
        )
        if r.address in ctx.in_use:
            raise PlanError(
                f"{r.address}: the change {what}, but a dataset already uses this schema and "
                "AEP only allows additive schema changes once a dataset exists. Keep the "
                "existing field groups and class, or create a new schema (new name) and "
                "point the dataset and dataflows at it."
            )
        return [
            Change(c.path, c.before, c.after, forces_replacement=True)
            if c.field in ("fieldGroups", "class")
            else c
            for c in changes
        ]

    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        body = {
            "title": spec["title"],
            "description": with_marker(spec["description"], r.address),
            "type": "object",
            "allOf": [{"$ref": spec["class"]}] + [{"$ref": g} for g in spec["fieldGroups"]],
        }
        return [Request("POST", self.path(), body)]

    def update(
        self,
        r: Resource,
        spec: Mapping[str, Any],
        live: LiveObject,
        changes: Sequence[Change],
        tenant: str,
    ) -> Sequence[Request]:
        ops = naming_ops(r, spec, changes, name_field="title")
        present = live.spec.get("fieldGroups", [])
        for group in spec["fieldGroups"]:
            if group not in present:
                ops.append({"op": "add", "path": "/meta:extends/-", "value": group})
                ops.append({"op": "add", "path": "/allOf/-", "value": {"$ref": group}})
        return [Request("PATCH", self.path(live.id), ops)] if ops else []


KIND = Schema()

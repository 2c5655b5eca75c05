"""Profile: a schema enabled for Real-Time Customer Profile (its union), before any dataset.

A dataset can be enabled for Profile only when its schema is (help/catalog/datasets/
enable-for-profile.md), and a schema joins the union only once it has a primary identity
(help/xdm/api/schemas.md, "Enable a schema for use in Real-Time Customer Profile": a PATCH
adding ``union`` to ``meta:immutableTags``; without an identity the Schema Registry answers
XDM-1528-400). So this kind sits between the schema's primary identity descriptor and the
datasets that ask for Profile. The union tag cannot be removed: destroying only forgets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from aepflow.api import SCHEMA, XED_V1, Door, Request, path_ref
from aepflow.kinds.base import (
    Change,
    Kind,
    Listed,
    LiveObject,
    Resource,
    ref,
    tenantize,
)
from aepflow.model import ProjectModel

UNION = "union"


def _path(schema: Any) -> str:
    id = quote(schema, safe="") if isinstance(schema, str) else path_ref(schema["$resource"])
    return f"{SCHEMA}/tenant/schemas/{id}"


class Profile(Kind):
    name = "profile"
    facet_of = "schema"  # the profile of schema.X is schema.X's object, in the union

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        wanted = {d.schema for d in model.datasets.values() if d.profile}
        for s in model.schemas.values():
            if s.name not in wanted:
                continue
            primary = tuple(
                f"descriptor.{s.name}.{tenantize(i.field, tenant).lstrip('_')}"
                for i in s.identities
                if i.primary
            )
            spec = {"schema": ref(f"schema.{s.name}"), "union": True}
            yield Resource(f"profile.{s.name}", self.name, spec, s.location, requires=primary)

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {"schema": raw.get("$id"), "union": UNION in (raw.get("meta:immutableTags") or [])}

    def get(self, id: str) -> Request:
        return Request("GET", _path(id), accept=XED_V1)

    def object_id(self, raw: Mapping[str, Any]) -> str:
        return str(raw.get("$id"))

    def marked(self, raw: Mapping[str, Any]) -> str | None:
        return None  # the schema carries the schema's marker

    def find(
        self,
        r: Resource,
        ids: Mapping[str, str],
        desired: Mapping[str, Resource],
        door: Door,
        listed: Listed = lambda kind, identity: None,
    ) -> LiveObject | None:
        """The schema itself, when it is already in the union."""
        schema_id = ids.get(r.spec["schema"]["$resource"])
        found = None if schema_id is None else self.read(door, schema_id)
        return (
            LiveObject(found.id, self.name, found.spec, adopted=True)
            if found and found.spec["union"]
            else None
        )

    def _enable(self, spec: Mapping[str, Any]) -> Request:
        ops = [{"op": "add", "path": "/meta:immutableTags", "value": [UNION]}]
        return Request("PATCH", _path(spec["schema"]), ops)

    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        return [self._enable(spec)]

    def created(self, body: Any) -> tuple[str, int | None]:
        return str(body["$id"]), None

    def update(
        self,
        r: Resource,
        spec: Mapping[str, Any],
        live: LiveObject,
        changes: Sequence[Change],
        tenant: str,
    ) -> Sequence[Request]:
        return [self._enable(spec)]

    def delete(self, id: str) -> Sequence[Request]:
        return []  # a schema cannot leave the union: forgotten, never called

    def refuse_requested_replace(self, address: str) -> str | None:
        schema = f"schema.{address.split('.', 1)[1]}"
        return (
            f"--replace {address}: AEP never takes a schema out of the Profile union (the "
            "union tag of meta:immutableTags cannot be removed), so there is nothing to delete "
            f"and create again. To start over, replace the schema itself (--replace {schema})"
        )


KIND = Profile()

"""Identity descriptor: marks a schema field as an identity (``/tenant/descriptors``).

Create and update: help/xdm/api/descriptors.md — ``xdm:descriptorIdentity`` with the
source schema, the field as a JSON pointer, the namespace code and ``xdm:isPrimary``; an
update is a PUT of the whole descriptor. A descriptor has no description to carry a marker:
it is found again by its schema and field.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from aepflow.api import XDM_DESCRIPTORS, XDM_V2, ListRequest, Request
from aepflow.kinds.base import Change, LiveObject, Resource, ref, tenantize
from aepflow.kinds.schemaregistry import SchemaRegistryKind
from aepflow.model import TENANT_PLACEHOLDER, ProjectModel


def _body(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "@type": "xdm:descriptorIdentity",
        "xdm:sourceSchema": spec["schema"],
        "xdm:sourceVersion": 1,
        "xdm:sourceProperty": spec["field"],
        "xdm:namespace": spec["namespace"],
        "xdm:property": "xdm:code",
        "xdm:isPrimary": spec["primary"],
    }


class Descriptor(SchemaRegistryKind):
    name = "descriptor"
    collection = "descriptors"
    accept = XDM_DESCRIPTORS
    replace_fields = frozenset({"schema"})
    unique_titles = False

    def create_after_delete(
        self, after: Mapping[str, Any] | None, before: Mapping[str, Any] | None
    ) -> bool:
        """A schema has one primary identity (help/xdm/api/descriptors.md): a primary identity
        moved to another field is created once the old one is deleted, never alongside it."""
        return bool((after or {}).get("primary")) and bool((before or {}).get("primary"))

    def apply_after_update(
        self,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        other_before: Mapping[str, Any] | None,
        other_after: Mapping[str, Any] | None,
    ) -> bool:
        """``primary: true`` moved from one identity of a schema to another: the identity that
        gives it up is updated first, or AEP would hold two primaries at once and refuse."""
        gains = bool((after or {}).get("primary")) and not (before or {}).get("primary")
        loses = bool((other_before or {}).get("primary")) and not (other_after or {}).get("primary")
        same = (after or {}).get("schema") == (other_after or {}).get("schema")
        return gains and loses and same

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        for s in model.schemas.values():
            for i, ident in enumerate(s.identities):
                field = tenantize(ident.field, tenant)
                spec = {
                    "schema": ref(f"schema.{s.name}"),
                    "field": "/" + field.replace(".", "/"),
                    "namespace": ident.namespace,
                    "primary": ident.primary,
                }
                address = f"descriptor.{s.name}.{field.lstrip('_')}"
                yield Resource(address, self.name, spec, s.at(f"identities.{i}"))

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "schema": raw.get("xdm:sourceSchema"),
            "field": raw.get("xdm:sourceProperty"),
            "namespace": raw.get("xdm:namespace"),
            "primary": bool(raw.get("xdm:isPrimary", False)),
        }

    def manifest(self, live: Mapping[str, Any], tenant: str) -> dict[str, Any]:
        """One of the Schema manifest's identities: dotted field, namespace, primary."""
        dotted = str(live["field"] or "").strip("/").replace("/", ".")
        out: dict[str, Any] = {
            "field": dotted.replace(f"_{tenant}", TENANT_PLACEHOLDER, 1),
            "namespace": live["namespace"],
        }
        if live["primary"]:
            out["primary"] = True
        return out

    def lookup(
        self, r: Resource, ids: Mapping[str, str], desired: Mapping[str, Resource]
    ) -> ListRequest | None:
        if r.spec["schema"]["$resource"] not in ids:
            return None
        return self.list_all([r])

    def identity(self, raw: Mapping[str, Any]) -> Hashable | None:
        """A descriptor has no description for a marker: it is its schema and field."""
        return (raw.get("xdm:sourceSchema"), raw.get("xdm:sourceProperty"))

    def wanted(self, r: Resource, ids: Mapping[str, str]) -> Hashable | None:
        schema_id = ids.get(r.spec["schema"]["$resource"])
        return None if schema_id is None else (schema_id, r.spec["field"])

    def list_all(self, desired: Sequence[Resource]) -> ListRequest | None:
        """Paged with Accept application/vnd.adobe.xdm-v2+json (help/xdm/api/descriptors.md;
        the page shape, results and _page.next, is the Schema Registry's)."""
        return ListRequest(self.path(), "schemaregistry", accept=XDM_V2)

    def created(self, body: Any) -> tuple[str, int | None]:
        return str(body["@id"]), None

    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        return [Request("POST", self.path(), _body(spec))]

    def update(
        self,
        r: Resource,
        spec: Mapping[str, Any],
        live: LiveObject,
        changes: Sequence[Change],
        tenant: str,
    ) -> Sequence[Request]:
        return [Request("PUT", self.path(live.id), _body(spec))]


KIND = Descriptor()

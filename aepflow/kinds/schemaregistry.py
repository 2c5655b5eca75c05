"""What the Schema Registry kinds share: tenant paths, the ``$id`` in paths, lists by title.

Schema Registry (``/data/foundation/schemaregistry``) addresses tenant objects by their
URL-encoded ``$id`` (help/xdm/api/schemas.md), lists them with ``property=title==…``
and pages with ``start`` / ``_page.next`` (help/xdm/api/getting-started.md). A list answered
with ``Accept: application/vnd.adobe.xed+json`` holds whole objects, descriptions included,
so a marker lookup needs no second read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from aepflow.api import SCHEMA, XED, XED_V1, ListRequest, Request
from aepflow.kinds.base import Kind, Resource


class SchemaRegistryKind(Kind):
    collection: ClassVar[str]
    accept: ClassVar[str] = XED_V1
    # Titles are unique across the tenant's schemas and field groups (XDM-1521-400,
    # help/xdm/api/schemas.md): a second one fails mid-apply.
    unique_titles = True

    def path(self, id: str | None = None) -> str:
        base = f"{SCHEMA}/tenant/{self.collection}"
        return base if id is None else f"{base}/{quote(id, safe='')}"

    def get(self, id: str) -> Request:
        return Request("GET", self.path(id), accept=self.accept)

    def object_id(self, raw: Mapping[str, Any]) -> str:
        return str(raw.get("$id") or raw.get("@id"))

    def lookup(
        self, r: Resource, ids: Mapping[str, str], desired: Mapping[str, Resource]
    ) -> ListRequest | None:
        """The tenant's list, never filtered by title (a title may hold a comma)."""
        return self.list_all([r])

    def list_all(self, desired: Sequence[Resource]) -> ListRequest | None:
        return ListRequest(self.path(), "schemaregistry", (("orderby", "title"),), accept=XED)

    def created(self, body: Any) -> tuple[str, int | None]:
        return str(body["$id"]), None

    def delete(self, id: str) -> Sequence[Request]:
        return [Request("DELETE", self.path(id))]

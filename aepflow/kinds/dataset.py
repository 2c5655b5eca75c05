"""Dataset: where ingested data lives (Catalog ``/dataSets``).

Create: help/catalog/api/create-dataset.md — ``schemaRef`` with the xed-full content type;
aepflow's marker is the ``aepflow`` tag holding the address. Update: one JSON Patch of the
changed fields and tags (help/catalog/api/update-object.md). Deleting a dataset deletes its
data: the engine asks for an explicit opt-in (``holds_data``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from aepflow.api import CATALOG, JSON_PATCH, ListRequest, Request
from aepflow.connectors import XED_FULL
from aepflow.kinds.base import (
    Change,
    Kind,
    LiveObject,
    Resource,
    naming_ops,
    ref,
    split_marker,
    with_marker,
)
from aepflow.model import ProjectModel

TAG = "aepflow"
PROFILE = "unifiedProfile"
IDENTITY = "unifiedIdentity"


def _enabled(tags: Mapping[str, Any], name: str) -> bool:
    return any(str(v).replace(" ", "") == "enabled:true" for v in tags.get(name) or [])


def _tags(r: Resource, spec: Mapping[str, Any]) -> dict[str, list[str]]:
    tags = {TAG: [r.address]}
    if spec["profile"]:
        tags[PROFILE] = ["enabled:true"]
    if spec["identity"]:
        tags[IDENTITY] = ["enabled:true"]
    return tags


class Dataset(Kind):
    name = "dataset"
    replace_fields = frozenset({"schema"})
    holds_data = True

    def path(self, id: str | None = None) -> str:
        return f"{CATALOG}/dataSets" + ("" if id is None else f"/{quote(id, safe='')}")

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        for d in model.datasets.values():
            spec = {
                "name": d.dataset_name,
                "description": d.description,
                "schema": ref(f"schema.{d.schema}"),
                "profile": d.profile,
                "identity": d.identity,
            }
            # Profile needs the schema in the union first (help/catalog/datasets/
            # enable-for-profile.md): the profile resource of the schema goes before.
            requires = (f"profile.{d.schema}",) if d.profile else ()
            yield Resource(
                f"dataset.{d.name}",
                self.name,
                spec,
                d.location,
                protect=d.protect,
                requires=requires,
            )

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        tags = raw.get("tags") or {}
        return {
            "name": raw.get("name", ""),
            "description": split_marker(raw.get("description"))[0],
            "schema": (raw.get("schemaRef") or {}).get("id"),
            "profile": _enabled(tags, "unifiedProfile"),
            "identity": _enabled(tags, "unifiedIdentity"),
        }

    def get(self, id: str) -> Request:
        return Request("GET", self.path(id))

    def manifest(self, live: Mapping[str, Any], tenant: str) -> dict[str, Any]:
        """Name, description and the Profile and Identity switches (Catalog's own tags and
        timestamps are never part of the manifest)."""
        out: dict[str, Any] = {"name": live["name"]}
        if live["description"]:
            out["description"] = live["description"]
        out.update({key: True for key in ("profile", "identity") if live[key]})
        return out

    def unwrap(self, body: Any, id: str) -> dict[str, Any] | None:
        """Catalog answers ``{"<id>": {...}}``."""
        if not isinstance(body, dict) or id not in body:
            return None
        return {**body[id], "id": id}

    def marked(self, raw: Mapping[str, Any]) -> str | None:
        values = (raw.get("tags") or {}).get(TAG) or []
        return str(values[0]) if values else None

    def lookup(
        self, r: Resource, ids: Mapping[str, str], desired: Mapping[str, Resource]
    ) -> ListRequest | None:
        return self.list_all([r])

    def list_all(self, desired: Sequence[Resource]) -> ListRequest | None:
        """Datasets carrying the aepflow tag (help/catalog/api/filter-data.md, tags=NAME:*)."""
        return ListRequest(self.path(), "catalog", (("tags", f"{TAG}:*"),))

    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        body = {
            "name": spec["name"],
            "description": with_marker(spec["description"], r.address),
            "schemaRef": {"id": spec["schema"], "contentType": XED_FULL},
            "tags": _tags(r, spec),
        }
        # requestDataSource=true as the sources tutorials create their target datasets
        # (help/catalog/api/create-dataset.md).
        return [Request("POST", self.path(), body, params=(("requestDataSource", "true"),))]

    def created(self, body: Any) -> tuple[str, int | None]:
        """Catalog answers ``["@/dataSets/5c8c3c555033b814b69f947f"]``."""
        first = body[0] if isinstance(body, list) and body else str(body)
        return str(first).rsplit("/", 1)[-1], None

    def update(
        self,
        r: Resource,
        spec: Mapping[str, Any],
        live: LiveObject,
        changes: Sequence[Change],
        tenant: str,
    ) -> Sequence[Request]:
        """One JSON Patch (help/catalog/api/update-object.md, application/json-patch+json):
        each tag is added by its own path, so the tags Catalog keeps on the dataset (such as
        ``adobe/pqs/table``) are never replaced (help/catalog/datasets/enable-for-profile.md)."""
        fields = {c.field for c in changes}
        ops = naming_ops(r, spec, changes)
        tags = _tags(r, spec)
        for field, tag in (("marker", TAG), ("profile", PROFILE), ("identity", IDENTITY)):
            if field in fields:
                values = tags.get(tag, ["enabled:false"])
                ops.append({"op": "add", "path": f"/tags/{tag}", "value": values})
        if not ops:
            return []
        return [Request("PATCH", self.path(live.id), ops, content_type=JSON_PATCH)]

    def delete(self, id: str) -> Sequence[Request]:
        return [Request("DELETE", self.path(id))]


KIND = Dataset()

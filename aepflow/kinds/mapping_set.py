"""Mapping set: a flow's mappings from source columns to schema fields (Data Prep).

Create: help/data-prep/api/mapping-set.md — ``outputSchema.schemaRef`` and ``mappings``; a
PUT makes a new version, and the flow is then patched to it. Mapping sets carry no name or
description to mark: the marked flow of the same pipeline names the one that is ours. The
published API has no DELETE for mapping sets, so destroying one only forgets it (it ingests
nothing on its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from aepflow.api import CONVERSION, FLOW, Door, ListRequest, Request
from aepflow.connectors import FLOW_SPEC_IDS, XED_FULL
from aepflow.kinds.base import Change, Kind, Listed, LiveObject, Resource, ref
from aepflow.kinds.flowservice import property_filter
from aepflow.model import TENANT_PLACEHOLDER, ProjectModel

_SOURCE_TYPES = {"attribute": "ATTRIBUTE", "expression": "EXPRESSION", "static": "STATIC"}
LIST_FROM = 20  # mapping sets to read before a list of the whole sandbox pays off
ATTRIBUTE_TYPES = {"ATTRIBUTE", "text/x.schema-path"}
EXPRESSION_TYPES = {"EXPRESSION", "text/x.aep-xl"}


def _body(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "outputSchema": {"schemaRef": {"id": spec["schema"], "contentType": XED_FULL}},
        "mappings": [dict(m) for m in spec["mappings"]],
    }


class MappingSet(Kind):
    name = "mappingSet"
    replace_fields = frozenset({"schema"})
    list_keys = {"mappings": "destination"}
    versioned = True

    def path(self, id: str | None = None) -> str:
        return f"{CONVERSION}/mappingSets" + ("" if id is None else f"/{quote(id, safe='')}")

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        namespace = f"_{tenant}"
        for f in model.dataflows.values():
            mappings = [
                {
                    "sourceType": _SOURCE_TYPES[m.kind],
                    "source": m.source,
                    "destination": m.destination.replace(TENANT_PLACEHOLDER, namespace),
                }
                for m in f.mappings
            ]
            spec = {"schema": ref(f"schema.{f.schema}"), "mappings": mappings}
            yield Resource(f"mappingSet.{f.name}", self.name, spec, f.at("mappings"))

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        output = raw.get("outputSchema") or {}
        schema_id = (output.get("schemaRef") or {}).get("id") or raw.get("xdmSchema")
        mappings = []
        for m in raw.get("mappings") or []:
            source_type = m.get("sourceType", "ATTRIBUTE")
            if source_type in ATTRIBUTE_TYPES:
                source_type = "ATTRIBUTE"
            elif source_type in EXPRESSION_TYPES:
                source_type = "EXPRESSION"
            mappings.append(
                {
                    "sourceType": source_type,
                    "source": m.get("source", m.get("sourceAttribute")),
                    "destination": m.get("destination", m.get("destinationXdmPath")),
                }
            )
        return {"schema": schema_id, "mappings": mappings}

    def get(self, id: str) -> Request:
        return Request("GET", self.path(id))

    def manifest(self, live: Mapping[str, Any], tenant: str) -> dict[str, Any]:
        """The mappings as a Dataflow manifest writes them: ``source`` (attribute),
        ``expression`` (calculated) or ``value`` (static), destinations under ``_${tenant}``."""
        words = {"ATTRIBUTE": "source", "EXPRESSION": "expression", "STATIC": "value"}
        return {
            "mappings": [
                {
                    words.get(str(m["sourceType"]), "source"): m["source"],
                    "destination": str(m["destination"]).replace(
                        f"_{tenant}", TENANT_PLACEHOLDER, 1
                    ),
                }
                for m in live["mappings"]
            ]
        }

    def version(self, raw: Mapping[str, Any]) -> int | None:
        return int(raw.get("version", 0))

    def marked(self, raw: Mapping[str, Any]) -> str | None:
        return None

    def find(
        self,
        r: Resource,
        ids: Mapping[str, str],
        desired: Mapping[str, Resource],
        door: Door,
        listed: Listed = lambda kind, identity: None,
    ) -> LiveObject | None:
        """Through the marked flow of the same pipeline, which names its mapping set."""
        flow = desired.get(f"flow.{r.name}")
        if flow is None:
            return None
        flows = listed("flow", flow.address)
        if flows is None:
            query = ListRequest(
                f"{FLOW}/flows",
                "flowservice",
                (property_filter("flowSpec.id", ",".join(sorted(FLOW_SPEC_IDS))),),
            )
            flows = [obj for obj in door.list(query) if self._flow_marker(obj) == flow.address]
        for obj in flows:
            for t in obj.get("transformations") or []:
                mapping_id = (t.get("params") or {}).get("mappingId")
                if t.get("name") == "Mapping" and mapping_id:
                    found = self.read(door, str(mapping_id))
                    return None if found is None else replace(found, adopted=True)
        return None

    def _flow_marker(self, obj: Mapping[str, Any]) -> str | None:
        return Kind.marked(self, obj)

    def list_all(self, desired: Sequence[Resource]) -> ListRequest | None:
        """Every mapping set of the sandbox, newest version each
        (help/data-prep/api/mapping-set.md): the UI makes one per dataflow, so listing pays
        only for many pipelines."""
        return ListRequest(self.path(), "dataprep")

    def list_worthwhile(self, wanted: int) -> bool:
        return wanted >= LIST_FROM

    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        return [Request("POST", self.path(), _body(spec))]

    def created(self, body: Any) -> tuple[str, int | None]:
        return str(body["id"]), int(body.get("version", 0))

    def update(
        self,
        r: Resource,
        spec: Mapping[str, Any],
        live: LiveObject,
        changes: Sequence[Change],
        tenant: str,
    ) -> Sequence[Request]:
        return [Request("PUT", self.path(live.id), _body(spec))]

    def updated(self, body: Any) -> int | None:
        return int(body.get("version", 0))

    def delete(self, id: str) -> Sequence[Request]:
        return []  # no documented DELETE: forgotten, never called (see the module docstring)


KIND = MappingSet()

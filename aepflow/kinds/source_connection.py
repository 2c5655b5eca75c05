"""Source connection: the table and columns a flow reads (Flow Service ``/sourceConnections``).

Create: help/sources/tutorials/api/collect/crm.md ("Create a source connection"):
``baseConnectionId``, ``data.format: tabular``, ``params.tableName`` and ``params.columns``.
Its table, columns and format cannot change in place: a change replaces it (and so the flow).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aepflow.api import FLOW, ListRequest, Request
from aepflow.connectors import CONNECTORS
from aepflow.kinds.base import Resource, ref, with_marker
from aepflow.kinds.flowservice import FlowServiceKind, description_of, property_filter, spec_ref
from aepflow.model import ProjectModel


class SourceConnection(FlowServiceKind):
    name = "sourceConnection"
    collection = "sourceConnections"
    replace_fields = frozenset({"baseConnection", "connectionSpec", "format", "table", "columns"})
    list_keys = {"columns": "name"}

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        for f in model.dataflows.values():
            connector = CONNECTORS[model.connections[f.connection].connector]
            yield Resource(
                f"sourceConnection.{f.name}",
                self.name,
                {
                    "name": f"{f.flow_name} source",
                    "description": f"Source of the dataflow {f.flow_name}.",
                    "baseConnection": ref(f"connection.{f.connection}"),
                    "connectionSpec": connector.spec_id,
                    "format": "tabular",
                    "table": f.table,
                    "columns": [{"name": c.name, "type": c.type} for c in f.columns],
                },
                f.at("source"),
            )

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        params = raw.get("params") or {}
        return {
            "name": raw.get("name", ""),
            "description": description_of(raw),
            "baseConnection": raw.get("baseConnectionId"),
            "connectionSpec": (raw.get("connectionSpec") or {}).get("id", ""),
            "format": (raw.get("data") or {}).get("format"),
            "table": params.get("tableName"),
            "columns": [
                {"name": c.get("name"), "type": c.get("type", "string")}
                for c in params.get("columns") or []
            ],
        }

    def lookup(
        self, r: Resource, ids: Mapping[str, str], desired: Mapping[str, Resource]
    ) -> ListRequest | None:
        base = ids.get(r.spec["baseConnection"]["$resource"])
        if base is None:
            return None
        return ListRequest(
            f"{FLOW}/{self.collection}", "flowservice", (property_filter("baseConnectionId", base),)
        )

    def list_all(self, desired: Sequence[Resource]) -> ListRequest | None:
        return self.listed_by("connectionSpec.id", [r.spec["connectionSpec"] for r in desired])

    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        s = spec
        params: dict[str, Any] = {"tableName": s["table"]}
        if s["columns"]:
            # The shape of the CRM tutorials' source connections (collect/crm.md).
            params["columns"] = [
                {
                    "name": c["name"],
                    "type": c["type"],
                    "meta:xdmType": c["type"],
                    "xdm": {"type": c["type"]},
                }
                for c in s["columns"]
            ]
        body = {
            "name": s["name"],
            "description": with_marker(s["description"], r.address),
            "baseConnectionId": s["baseConnection"],
            "data": {"format": s["format"]},
            "params": params,
            "connectionSpec": spec_ref(s["connectionSpec"]),
        }
        return [self.post(body)]


KIND = SourceConnection()

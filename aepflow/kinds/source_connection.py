"""Source connection: what a flow reads (Flow Service ``/sourceConnections``).

A table source (help/sources/tutorials/api/collect/crm.md, "Create a source connection"):
``baseConnectionId``, ``data.format: tabular``, ``params.tableName`` and ``params.columns``.
A REST source (help/sources/tutorials/api/create/customer-success/zendesk.md and
create/crm/sugarcrm-accounts-contacts.md): ``data.format: json``, ``params`` empty or
``{object_type, path}``, and the connectionSpec its tutorial names (``connectors.py``).
Its table, object, columns and format cannot change in place: a change replaces it (and so the
flow).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aepflow.api import FLOW, ListRequest, Request
from aepflow.connectors import REST, connector_of
from aepflow.kinds.base import Resource, ref, with_marker
from aepflow.kinds.flowservice import FlowServiceKind, description_of, property_filter, spec_ref
from aepflow.manifest_form import CannotImport
from aepflow.model import ProjectModel


def pql(node: Mapping[str, Any]) -> dict[str, Any]:
    """A manifest row filter as the PQL JSON tree of help/sources/tutorials/api/filter.md."""
    for logical, name in (("and", "and"), ("or", "or")):
        if logical in node:
            return {
                "nodeType": "fnApply",
                "fnName": name,
                "params": [pql(n) for n in node[logical]],
            }
    if "not" in node:
        return {"nodeType": "fnApply", "fnName": "NOT", "params": [pql(node["not"])]}
    params: list[dict[str, Any]] = [{"nodeType": "fieldLookup", "fieldName": node["column"]}]
    if node["op"] != "isNull":
        params.append({"nodeType": "literal", "value": node.get("value")})
    return {"nodeType": "fnApply", "fnName": node["op"], "params": params}


_OPS = frozenset({"=", "!=", "<", "<=", ">", ">=", "like", "in", "isNull"})


def row_filter(node: Any) -> dict[str, Any]:
    """A source connection's PQL JSON filter (help/sources/tutorials/api/filter.md) in the
    manifest's form: the inverse of :func:`pql`. A shape the manifest cannot express raises
    :class:`CannotImport`."""
    if not isinstance(node, dict) or node.get("nodeType") != "fnApply":
        raise CannotImport(f"its row filter {node!r} has a shape aepflow cannot express")
    name, params = str(node.get("fnName", "")), list(node.get("params") or [])
    if name in ("and", "or"):
        return {name: [row_filter(p) for p in params]}
    if name == "NOT" and len(params) == 1:
        return {"not": row_filter(params[0])}
    lookup = params[0] if params else {}
    if (
        name not in _OPS
        or not isinstance(lookup, dict)
        or lookup.get("nodeType") != "fieldLookup"
        or len(params) != (1 if name == "isNull" else 2)
    ):
        raise CannotImport(f"its row filter {name!r} has a shape aepflow cannot express")
    out: dict[str, Any] = {"column": lookup.get("fieldName"), "op": name}
    if name != "isNull":
        literal = params[1]
        if not isinstance(literal, dict) or literal.get("nodeType") != "literal":
            raise CannotImport("its row filter compares two columns, which aepflow cannot express")
        out["value"] = literal.get("value")
    return out


class SourceConnection(FlowServiceKind):
    name = "sourceConnection"
    collection = "sourceConnections"
    derived_names = True
    replace_fields = frozenset(
        {
            "baseConnection",
            "connectionSpec",
            "format",
            "table",
            "columns",
            "entityType",
            "primaryKey",
            "filter",
            "object",
        }
    )
    list_keys = {"columns": "name"}

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        for f in model.dataflows.values():
            conn = model.connections[f.connection]
            connector = connector_of(conn.connector)
            spec: dict[str, Any] = {
                "name": f"{f.flow_name} source",
                "description": f"Source of the dataflow {f.flow_name}.",
                "baseConnection": ref(f"connection.{f.connection}"),
                # A generic connection (connector: {spec: ID}) reads tables of its own spec.
                "connectionSpec": connector.source_spec_id
                if connector
                else conn.connection_spec_id,
            }
            if connector is not None and connector.shape == REST:
                spec["format"] = "json"
                if f.table:
                    spec["object"] = f.table
                yield Resource(f"sourceConnection.{f.name}", self.name, spec, f.at("source"))
                continue
            spec |= {
                "format": "tabular",
                "table": f.table,
                "columns": [{"name": c.name, "type": c.type} for c in f.columns],
            }
            if f.entity_type != "table":
                spec["entityType"] = f.entity_type
            if f.primary_key:
                spec["primaryKey"] = f.primary_key
            if f.row_filter is not None:
                spec["filter"] = pql(f.row_filter)
            yield Resource(f"sourceConnection.{f.name}", self.name, spec, f.at("source"))

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        params = raw.get("params") or {}
        head = {
            "name": raw.get("name", ""),
            "description": description_of(raw),
            "baseConnection": raw.get("baseConnectionId"),
            "connectionSpec": (raw.get("connectionSpec") or {}).get("id", ""),
            "format": (raw.get("data") or {}).get("format"),
        }
        if head["format"] == "json":  # a REST source
            wanted = params.get("object_type")
            return {**head, "object": wanted} if wanted else head
        out = {
            **head,
            "table": params.get("tableName"),
            "columns": [
                {"name": c.get("name"), "type": c.get("type", "string")}
                for c in params.get("columns") or []
            ],
        }
        if params.get("entityType", "table") != "table":
            out["entityType"] = params["entityType"]
        if params.get("primaryKey"):
            out["primaryKey"] = params["primaryKey"]
        if isinstance(params.get("filters"), Mapping):
            out["filter"] = params["filters"].get("value")
        return out

    def manifest(self, live: Mapping[str, Any], tenant: str) -> dict[str, Any]:
        """The Dataflow manifest's ``source``: a REST source's ``object`` (``{}`` for a source
        that serves one), or a table with its columns (string columns by name alone), view,
        primary key and row filter. The inverse of ``desired``."""
        if live["format"] == "json":
            return {"source": {"object": live["object"]} if "object" in live else {}}
        source: dict[str, Any] = {"table": live["table"]}
        columns = [
            c["name"] if c["type"] == "string" else {"name": c["name"], "type": c["type"]}
            for c in live["columns"]
        ]
        if columns:
            source["columns"] = columns
        if "entityType" in live:  # a view: help/sources/tutorials/api/create/crm/ms-dynamics.md
            source["entityType"] = live["entityType"]
        if "primaryKey" in live:
            source["primaryKey"] = live["primaryKey"]
        if live.get("filter") is not None:  # help/sources/tutorials/api/filter.md
            source["filter"] = row_filter(live["filter"])
        return {"source": source}

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
        if s["format"] == "json":
            # create/crm/sugarcrm-accounts-contacts.md: path repeats object_type.
            rest = {"object_type": s["object"], "path": s["object"]} if "object" in s else {}
            return [self.post(self._body(r, s, rest))]
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
        if "entityType" in s:  # help/sources/tutorials/api/create/crm/ms-dynamics.md
            params["entityType"] = s["entityType"]
        if "primaryKey" in s:
            params["primaryKey"] = s["primaryKey"]
        if "filter" in s:  # help/sources/tutorials/api/filter.md
            params["filters"] = {"type": "PQL", "format": "pql/json", "value": s["filter"]}
        return [self.post(self._body(r, s, params))]

    def _body(self, r: Resource, s: Mapping[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": s["name"],
            "description": with_marker(s["description"], r.address),
            "baseConnectionId": s["baseConnection"],
            "data": {"format": s["format"]},
            "params": params,
            "connectionSpec": spec_ref(s["connectionSpec"]),
        }


KIND = SourceConnection()

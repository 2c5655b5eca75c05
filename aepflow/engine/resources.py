"""Desired resources: a ProjectModel expanded into the platform resources it stands for.

One Dataflow becomes a source connection, a target connection, a mapping set and a flow,
and refers to a base connection, a schema (with its custom field group and identity
descriptors) and a dataset that other dataflows may share.

A resource's ``spec`` holds only the fields aepflow manages, in a normalised form that
live objects are converted to as well (``aepflow.engine.normalize``), so the two compare
directly. References to other resources are ``{"$ref": address}`` (the other's id) or
``{"$ref": address, "field": "version"}`` (a mapping set's version); secrets are kept
apart in ``secrets`` and never serialised.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from aepflow.connectors import CONNECTORS
from aepflow.errors import SourceLocation
from aepflow.model import TENANT_PLACEHOLDER, DataflowDef, ProjectModel, SchemaDef

# Kinds in the order a reader meets them; also the tie-break order of the plan.
KINDS = (
    "connection",
    "sourceConnection",
    "fieldGroup",
    "schema",
    "descriptor",
    "dataset",
    "targetConnection",
    "mappingSet",
    "flow",
)
MARKER_PREFIX = "aepflow:"


def ref(address: str, field_name: str | None = None) -> dict[str, str]:
    return {"$ref": address} if field_name is None else {"$ref": address, "field": field_name}


def is_ref(value: Any) -> bool:
    return isinstance(value, dict) and "$ref" in value and set(value) <= {"$ref", "field"}


def refs_in(value: Any) -> set[str]:
    """Addresses referenced anywhere inside ``value``."""
    if is_ref(value):
        return {value["$ref"]}
    if isinstance(value, dict):
        return set().union(*(refs_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(refs_in(v) for v in value)) if value else set()
    return set()


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_hash(spec: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical(spec).encode()).hexdigest()


def marker(address: str) -> str:
    """The line aepflow adds to a description so it can find its resources again."""
    return f"{MARKER_PREFIX} {address}"


def with_marker(description: str, address: str) -> str:
    return f"{description}\n\n{marker(address)}" if description else marker(address)


def split_marker(description: str | None) -> tuple[str, str | None]:
    """(user description, address in the marker or None)."""
    text = description or ""
    head, sep, last = text.rpartition("\n")
    candidate = last if sep else text
    if candidate.startswith(MARKER_PREFIX):
        return head.rstrip("\n"), candidate[len(MARKER_PREFIX) :].strip()
    return text, None


@dataclass(frozen=True)
class Resource:
    address: str
    kind: str
    spec: dict[str, Any]
    location: SourceLocation
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    protect: bool = False  # destroying or replacing loses data: needs an explicit opt-in

    @property
    def name(self) -> str:
        return self.address.split(".", 1)[1]

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(sorted(refs_in(self.spec)))

    @property
    def hash(self) -> str:
        return spec_hash(self.spec)


def _tenantize(path: str, tenant: str) -> str:
    return path.replace(TENANT_PLACEHOLDER, f"_{tenant}")


def _tenantize_tree(value: Any, tenant: str) -> Any:
    if isinstance(value, str):
        return _tenantize(value, tenant)
    if isinstance(value, dict):
        return {_tenantize(k, tenant): _tenantize_tree(v, tenant) for k, v in value.items()}
    if isinstance(value, list):
        return [_tenantize_tree(v, tenant) for v in value]
    return value


def desired_resources(model: ProjectModel, tenant: str) -> dict[str, Resource]:
    """Every platform resource the model describes, by address."""
    out: dict[str, Resource] = {}

    def add(r: Resource) -> None:
        out[r.address] = r

    for c in model.connections.values():
        add(
            Resource(
                f"connection.{c.name}",
                "connection",
                {
                    "name": c.name,
                    "description": c.description,
                    "connectionSpec": c.connection_spec_id,
                    "authSpec": c.auth_spec_name,
                    "params": {k: v for k, v in c.params.items() if k not in c.secret_params},
                },
                c.location,
                secrets={k: str(v) for k, v in c.params.items() if k in c.secret_params},
            )
        )
    for s in model.schemas.values():
        for r in _schema_resources(s, tenant):
            add(r)
    for d in model.datasets.values():
        add(
            Resource(
                f"dataset.{d.name}",
                "dataset",
                {
                    "name": d.dataset_name,
                    "description": d.description,
                    "schema": ref(f"schema.{d.schema}"),
                    "profile": d.profile,
                    "identity": d.identity,
                },
                d.location,
                protect=d.protect,
            )
        )
    for f in model.dataflows.values():
        for r in _dataflow_resources(f, model, tenant):
            add(r)
    return out


def _schema_resources(s: SchemaDef, tenant: str) -> list[Resource]:
    rs: list[Resource] = []
    groups: list[Any] = list(s.field_group_ids)
    if s.custom_fields:
        fg = Resource(
            f"fieldGroup.{s.name}",
            "fieldGroup",
            {
                "title": f"{s.title} fields",
                "description": f"Custom fields of the schema {s.title}.",
                "class": s.class_id,
                "fields": _tenantize_tree(s.custom_fields, tenant),
            },
            s.at("customFields"),
        )
        rs.append(fg)
        groups.append(ref(fg.address))
    schema = Resource(
        f"schema.{s.name}",
        "schema",
        {
            "title": s.title,
            "description": s.description,
            "class": s.class_id,
            "fieldGroups": groups,
        },
        s.location,
    )
    rs.append(schema)
    for i, ident in enumerate(s.identities):
        path = "/" + _tenantize(ident.field, tenant).replace(".", "/")
        rs.append(
            Resource(
                f"descriptor.{s.name}.{_tenantize(ident.field, tenant).lstrip('_')}",
                "descriptor",
                {
                    "schema": ref(schema.address),
                    "field": path,
                    "namespace": ident.namespace,
                    "primary": ident.primary,
                },
                s.at(f"identities.{i}"),
            )
        )
    return rs


_SOURCE_TYPES = {"attribute": "ATTRIBUTE", "expression": "EXPRESSION", "static": "STATIC"}


def _dataflow_resources(f: DataflowDef, model: ProjectModel, tenant: str) -> list[Resource]:
    conn = model.connections[f.connection]
    connector = CONNECTORS[conn.connector]
    src = Resource(
        f"sourceConnection.{f.name}",
        "sourceConnection",
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
    tgt = Resource(
        f"targetConnection.{f.name}",
        "targetConnection",
        {
            "name": f"{f.flow_name} target",
            "description": f"Data Lake target of the dataflow {f.flow_name}.",
            "dataset": ref(f"dataset.{f.dataset}"),
            "schema": ref(f"schema.{f.schema}"),
        },
        f.at("dataset"),
    )
    mapping = Resource(
        f"mappingSet.{f.name}",
        "mappingSet",
        {
            "schema": ref(f"schema.{f.schema}"),
            "mappings": [
                {
                    "sourceType": _SOURCE_TYPES[m.kind],
                    "source": m.source,
                    "destination": _tenantize(m.destination, tenant),
                }
                for m in f.mappings
            ],
        },
        f.at("mappings"),
    )
    delta = f.delta_column
    schedule = f.schedule
    flow_spec: dict[str, Any] = {
        "name": f.flow_name,
        "description": f.description,
        "sourceConnection": ref(src.address),
        "targetConnection": ref(tgt.address),
        "deltaColumn": (
            {
                k: v
                for k, v in (
                    ("name", delta.name),
                    ("dateFormat", delta.date_format),
                    ("timezone", delta.timezone),
                )
                if v
            }
            if delta
            else {}
        ),
        "mappingId": ref(mapping.address),
        "mappingVersion": ref(mapping.address, "version"),
        "schedule": (
            {
                k: v
                for k, v in (
                    ("startTime", schedule.start_time),
                    ("frequency", schedule.frequency),
                    ("interval", schedule.interval),
                    ("backfill", schedule.backfill),
                )
                if v is not None
            }
            if schedule
            else {}
        ),
        "enabled": f.enabled,
    }
    flow = Resource(f"flow.{f.name}", "flow", flow_spec, f.location)
    return [src, tgt, mapping, flow]

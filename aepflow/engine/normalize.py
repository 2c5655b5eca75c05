"""Live platform objects in the normalised shape of ``Resource.spec``.

References stay as the platform's ids here; the planner resolves the desired side's
``$ref``s to ids before comparing. Server-owned fields (timestamps, etags, state
machines) and secrets are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aepflow.connectors import CONNECTORS_BY_SPEC_ID
from aepflow.engine.resources import split_marker

ATTRIBUTE_TYPES = {"ATTRIBUTE", "text/x.schema-path"}
EXPRESSION_TYPES = {"EXPRESSION", "text/x.aep-xl"}


def _desc(obj: dict[str, Any]) -> str:
    return split_marker(obj.get("description"))[0]


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def connection(obj: dict[str, Any]) -> dict[str, Any]:
    spec_id = obj.get("connectionSpec", {}).get("id", "")
    auth = obj.get("auth") or {}
    spec_name = auth.get("specName", "")
    secret_names: frozenset[str] = frozenset()
    connector = CONNECTORS_BY_SPEC_ID.get(spec_id)
    if connector:
        for auth_type in connector.auth_types.values():
            if auth_type.spec_name == spec_name:
                secret_names = auth_type.secrets
    params = {k: v for k, v in (auth.get("params") or {}).items() if k not in secret_names}
    return {
        "name": obj.get("name", ""),
        "description": _desc(obj),
        "connectionSpec": spec_id,
        "authSpec": spec_name,
        "params": params,
    }


def source_connection(obj: dict[str, Any]) -> dict[str, Any]:
    params = obj.get("params") or {}
    return {
        "name": obj.get("name", ""),
        "description": _desc(obj),
        "baseConnection": obj.get("baseConnectionId"),
        "connectionSpec": obj.get("connectionSpec", {}).get("id", ""),
        "format": (obj.get("data") or {}).get("format"),
        "table": params.get("tableName"),
        "columns": [
            {"name": c.get("name"), "type": c.get("type", "string")}
            for c in params.get("columns") or []
        ],
    }


def target_connection(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": obj.get("name", ""),
        "description": _desc(obj),
        "dataset": (obj.get("params") or {}).get("dataSetId"),
        "schema": ((obj.get("data") or {}).get("schema") or {}).get("id"),
    }


def flow(obj: dict[str, Any]) -> dict[str, Any]:
    copy: dict[str, Any] = {}
    mapping: dict[str, Any] = {}
    for t in obj.get("transformations") or []:
        if t.get("name") == "Copy":
            copy = (t.get("params") or {}).get("deltaColumn") or {}
        elif t.get("name") == "Mapping":
            mapping = t.get("params") or {}
    schedule = {
        k: conv(v)
        for k, v in (obj.get("scheduleParams") or {}).items()
        for key, conv in (
            ("startTime", _int),
            ("frequency", str),
            ("interval", _int),
            ("backfill", _bool),
        )
        if k == key
    }
    return {
        "name": obj.get("name", ""),
        "description": _desc(obj),
        "sourceConnection": (obj.get("sourceConnectionIds") or [None])[0],
        "targetConnection": (obj.get("targetConnectionIds") or [None])[0],
        "deltaColumn": dict(copy),
        "mappingId": mapping.get("mappingId"),
        "mappingVersion": _int(mapping.get("mappingVersion")),
        "schedule": schedule,
        "enabled": obj.get("state") == "enabled",
    }


def schema(obj: dict[str, Any]) -> dict[str, Any]:
    klass = obj.get("meta:class", "")
    refs = [item["$ref"] for item in obj.get("allOf") or [] if "$ref" in item]
    return {
        "title": obj.get("title", ""),
        "description": _desc(obj),
        "class": klass,
        "fieldGroups": [r for r in refs if r != klass],
    }


def field_group(obj: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for definition in (obj.get("definitions") or {}).values():
        for key, prop in (definition.get("properties") or {}).items():
            if key.startswith("_") and isinstance(prop, dict):
                fields = prop.get("properties") or {}
    extends = obj.get("meta:intendedToExtend") or [""]
    return {
        "title": obj.get("title", ""),
        "description": _desc(obj),
        "class": extends[0],
        "fields": fields,
    }


def descriptor(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": obj.get("xdm:sourceSchema"),
        "field": obj.get("xdm:sourceProperty"),
        "namespace": obj.get("xdm:namespace"),
        "primary": bool(obj.get("xdm:isPrimary", False)),
    }


def _enabled(tags: dict[str, Any], name: str) -> bool:
    return any(str(v).replace(" ", "") == "enabled:true" for v in tags.get(name) or [])


def dataset(obj: dict[str, Any]) -> dict[str, Any]:
    tags = obj.get("tags") or {}
    return {
        "name": obj.get("name", ""),
        "description": _desc(obj),
        "schema": (obj.get("schemaRef") or {}).get("id"),
        "profile": _enabled(tags, "unifiedProfile"),
        "identity": _enabled(tags, "unifiedIdentity"),
    }


def mapping_set(obj: dict[str, Any]) -> dict[str, Any]:
    output = obj.get("outputSchema") or {}
    schema_id = (output.get("schemaRef") or {}).get("id") or obj.get("xdmSchema")
    mappings = []
    for m in obj.get("mappings") or []:
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


NORMALIZERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "connection": connection,
    "sourceConnection": source_connection,
    "targetConnection": target_connection,
    "flow": flow,
    "schema": schema,
    "fieldGroup": field_group,
    "descriptor": descriptor,
    "dataset": dataset,
    "mappingSet": mapping_set,
}

"""Schema Registry read-only views: the global classes and field groups, and ``GET /stats``."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

from aepflow.emulator import errors, xdm
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.state import Tx
from aepflow.emulator.xdmcommon import LIST_KINDS, LOOKUP_KINDS, _alt_id, _error, _paged, accept

# help/xdm/api/classes.md, field-groups.md, data-types.md, behaviors.md: the global container
# holds Adobe's standard resources; meta:resourceType names the kind (field groups: mixins).
_SOURCES = {
    "classes": (xdm.classes, "classes"),
    "fieldgroups": (xdm.field_groups, "mixins"),
    "datatypes": (xdm.data_types, "datatypes"),
    "behaviors": (xdm.behaviors, "behaviors"),
}


@cache
def _global(kind: str) -> dict[str, dict[str, Any]]:
    source, resource_type = _SOURCES[kind]
    out = {}
    for ref, info in source().items():
        out[ref] = {
            "$id": ref,
            "meta:altId": _alt_id(ref),
            "meta:resourceType": resource_type,
            "version": "1.0",
            "title": info["title"],
            "type": "object",
            "meta:containerId": "global",
            "meta:status": info["meta:status"],
            **({"meta:extends": list(info["meta:extends"])} if "meta:extends" in info else {}),
            "allOf": [{"$ref": ref}],
            **(
                {"meta:intendedToExtend": list(info["meta:intendedToExtend"])}
                if "meta:intendedToExtend" in info
                else {}
            ),
        }
    return out


def list_global(call: Call, tx: Tx, kind: str) -> Reply:
    variant = accept(call, LIST_KINDS, lookup=False)
    segment = _SOURCES[kind][1]
    return _paged(
        call, list(_global(kind).values()), variant, f"global_{segment}", "global/" + kind
    )


def get_global(call: Call, tx: Tx, kind: str) -> Reply:
    variant = accept(call, LOOKUP_KINDS, lookup=True)
    ref = call.params["id"]
    resources = _global(kind)
    found = resources.get(ref) or _by_alt(kind).get(ref)
    if found is None:
        raise _error(errors.XDM_NOT_FOUND, "Not Found", f"The resource {ref} was not found.", call)
    out = copy.deepcopy({k: v for k, v in found.items() if k != "allOf"})
    if variant.startswith("xed-full"):
        out["properties"] = xdm.nest(xdm.standard_fields(found["$id"]))
    return Reply(200, out)


@cache
def _by_alt(kind: str) -> dict[str, dict[str, Any]]:
    return {r["meta:altId"]: r for r in _global(kind).values()}


def stats(call: Call, tx: Tx) -> Reply:
    schemas = list(tx.collection(call.sandbox, "schemas").values())
    groups = list(tx.collection(call.sandbox, "fieldgroups").values())
    everything = schemas + groups

    def summary(r: Mapping[str, Any], date: str) -> dict[str, Any]:
        return {
            "title": r["title"],
            "$id": r["$id"],
            "meta:altId": r["meta:altId"],
            "meta:resourceType": r["meta:resourceType"],
            "version": r["version"],
            date: r["meta:registryMetadata"][date],
        }

    def recent(date: str) -> list[dict[str, Any]]:
        newest = sorted(everything, key=lambda r: r["meta:registryMetadata"][date], reverse=True)
        return [summary(r, date) for r in newest[:5]]

    usage: dict[str, list[dict[str, str]]] = {}
    for schema in schemas:
        usage.setdefault(schema["meta:class"], []).append(
            {"$id": schema["$id"], "title": schema["title"]}
        )
    return Reply(
        200,
        {
            "imsOrg": call.identity.org_id,
            "tenantId": call.identity.tenant_id,
            "counts": {
                "schemas": len(schemas),
                "mixins": len(groups),
                "datatypes": 0,
                "classes": 0,
                "unions": 0,
                "descriptors": len(tx.collection(call.sandbox, "descriptors")),
            },
            "recentlyCreatedResources": recent("repo:createdDate"),
            "recentlyUpdatedResources": recent("repo:lastModifiedDate"),
            "classUsage": usage,
        },
    )

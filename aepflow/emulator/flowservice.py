"""Flow Service (``/data/foundation/flowservice``, help/sources/tutorials/api/collect/crm.md).

Connection and flow specs (read-only), base connections (with ``/test`` and ``/explore``),
source and target connections, flows (with ``/action?op=enable|disable``) and their runs.

- Creates answer 201 ``{"id", "etag"}`` with a ``Location``; single GETs are wrapped in
  ``{"items": [obj]}``; lists page with ``limit`` and an opaque ``continuationToken`` in
  ``_links.next.href`` (``_links`` is ``{}`` on the last page) or count with ``count=true``.
- Every change rotates the quoted etag (``version`` == ``etag``) and ``updatedAt``; a PATCH is a
  JSON Patch array that needs the current etag in ``If-Match`` (1403 missing, 1404-412 stale)
  and records ``lastOperation``.
- Unknown ids get the catalog's ``FLOW-1439-404`` body.
- A deleted flow stays ``delete-finalizing`` for ``AEPFLOW_EMULATOR_DELETE_FINALIZE_MS``
  (flowcommon.DELETE_FINALIZING; help/sources/errors/flow-service-errors.md): GET shows it,
  PATCH answers 1457-400, DELETE 1458-400, and its connections stay in use (1418/1447-400).
- The authentication type (``auth.specName``) of a base connection cannot change
  (help/sources/tutorials/api/create/crm/ms-dynamics.md, "Create a base connection" tip).
- Flow GETs and lists show scheduleParams values as strings
  (help/sources/tutorials/api/update-dataflows.md).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from aepflow.emulator import dataprep, errors, flowchecks, jsonpatch, specs
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.flowcommon import (
    COLLECTIONS,
    DELETE_FINALIZING,
    PATCHABLE,
    _body,
    _check_version,
    _operation,
    _stored,
    gone,
    listing,
    live_flows,
    public,
    purge_gone_flows,
    refuse_if_finalizing,
)
from aepflow.emulator.flowextras import (
    explore,
    flow_action,
    get_connection_spec,
    get_flow_spec,
    get_run,
    list_connection_specs,
    list_flow_specs,
    list_runs,
    test_connection,
)
from aepflow.emulator.records import flow_stamp, new_uuid
from aepflow.emulator.router import Handler, Router
from aepflow.emulator.settings import FLOW_SERVICE
from aepflow.emulator.state import Tx


def register(router: Router) -> None:
    def add(method: str, path: str, handler: Handler) -> None:
        router.add(method, FLOW_SERVICE + path, handler, service="flow")

    add("GET", "/connectionSpecs", list_connection_specs)
    add("GET", "/connectionSpecs/{id}", get_connection_spec)
    add("GET", "/flowSpecs", list_flow_specs)
    add("GET", "/flowSpecs/{id}", get_flow_spec)
    for collection in COLLECTIONS:
        add("POST", f"/{collection}", _bound(create, collection))
        add("GET", f"/{collection}", _bound(list_objects, collection))
        add("GET", f"/{collection}/{{id}}", _bound(get_object, collection))
        add("PATCH", f"/{collection}/{{id}}", _bound(patch_object, collection))
        add("DELETE", f"/{collection}/{{id}}", _bound(delete_object, collection))
    add("GET", "/connections/{id}/test", test_connection)
    add("GET", "/connections/{id}/explore", explore)
    add("POST", "/flows/{id}/action", flow_action)
    add("GET", "/runs", list_runs)
    add("GET", "/runs/{id}", get_run)


def _bound(handler: Callable[[Call, Tx, str], Reply], collection: str) -> Handler:
    def bound(call: Call, tx: Tx) -> Reply:
        return handler(call, tx, collection)

    return bound


def create(call: Call, tx: Tx, collection: str) -> Reply:
    body = flowchecks.require_object(_body(call))
    purge_gone_flows(call, tx)
    if collection == "flows" and "state" in body:
        raise errors.flow("1410-400", "`State` is not allowed in the create flow request.")
    flowchecks.require_name(body)
    obj: dict[str, Any] = {
        "id": new_uuid(),
        # The body was parsed for this request alone: stored as it is, not copied.
        **{k: v for k, v in body.items() if k not in _SERVER_FIELDS},
    }
    if collection == "connections":
        spec = flowchecks.connection_spec(body)
        auth = flowchecks.check_auth(spec, body.get("auth"), tx.salt)
        obj["connectionSpec"] = _spec_ref(spec, body)
        obj.pop("auth", None)  # only the checked copy, secrets hashed, is kept
        if auth is not None:
            obj["auth"] = auth
        obj["state"] = "enabled"
    elif collection == "sourceConnections":
        flowchecks.check_source(tx, call.sandbox, body)
        obj["state"] = "enabled"
    elif collection == "targetConnections":
        flowchecks.check_target(tx, call.sandbox, body)
        obj["state"] = "enabled"
    else:
        _prepare_flow(call, tx, obj)
    flow_stamp(obj, call, created=True)
    tx.put(call.sandbox, collection, obj["id"], obj)
    location = f"{FLOW_SERVICE}/{collection}/{obj['id']}"
    return Reply(201, {"id": obj["id"], "etag": obj["etag"]}, {"Location": location})


_SERVER_FIELDS = {
    "id",
    "createdAt",
    "updatedAt",
    "createdBy",
    "updatedBy",
    "createdClient",
    "updatedClient",
    "sandboxId",
    "sandboxName",
    "imsOrgId",
    "version",
    "etag",
    "state",
    "inheritedAttributes",
    "lastOperation",
    "lastRunDetails",
    "runs",
    "_emu",
}


def _spec_ref(spec: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    version = (body.get("connectionSpec") or {}).get("version") or spec["version"]
    return {"id": spec["id"], "version": version}


def _prepare_flow(call: Call, tx: Tx, obj: dict[str, Any]) -> None:
    spec = flowchecks.flow_spec(obj)
    obj["inheritedAttributes"] = flowchecks.check_connections(tx, call.sandbox, obj, spec)
    flowchecks.check_transformations(tx, call.sandbox, obj, spec)
    flowchecks.check_schedule(obj, spec)
    source = tx.get(call.sandbox, "sourceConnections", str(obj["sourceConnectionIds"][0]))
    params = source.get("params") or {}
    # The base connection's spec names the connector: a REST source connection may name the
    # generic REST source spec (create/crm/sugarcrm-accounts-contacts.md).
    base = tx.get(call.sandbox, "connections", str(source.get("baseConnectionId"))) or source
    connector = specs.connection_specs()[base["connectionSpec"]["id"]]["name"]
    obj["state"] = "enabled"
    obj["runs"] = f"/flows/{obj['id']}/runs"
    obj["lastOperation"] = _operation(call, "create", [])
    obj["_emu"] = {
        "enabled": [[call.now, None]],
        "table": params.get("tableName")
        or params.get("path")
        or params.get("object_type")
        or specs.SINGLE_OBJECT,
        "connector": connector,
    }


def list_objects(call: Call, tx: Tx, collection: str) -> Reply:
    stored = [
        obj
        for obj in tx.collection(call.sandbox, collection).values()
        if collection != "flows" or not gone(obj, call.now)
    ]
    # Creation order (the state keeps insertion order; createdAt ties within a millisecond).
    items = sorted(stored, key=lambda o: o["createdAt"])

    def view(obj: dict[str, Any]) -> dict[str, Any]:
        return public(_outcome(call, tx, collection, obj), collection, call.now)

    return listing(call, items, collection, view)


def get_object(call: Call, tx: Tx, collection: str) -> Reply:
    obj = _outcome(call, tx, collection, _stored(call, tx, collection))
    return Reply(200, {"items": [public(obj, collection, call.now)]})


def _outcome(call: Call, tx: Tx, collection: str, obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """A flow with what its simulated runs need of its mapping (``lastRunDetails``)."""
    if collection != "flows":
        return obj
    return dataprep.with_mapping_outcome(tx, call.sandbox, obj, call.now)


def patch_object(call: Call, tx: Tx, collection: str) -> Reply:
    stored = _stored(call, tx, collection)
    if collection == "flows":
        refuse_if_finalizing(stored, "update")
    if_match = call.headers.get("if-match")
    if not if_match:
        raise errors.flow(
            "1403-400",
            "The header 'If-Match' is missing in the request. Please provide the header and "
            "try again.",
        )
    _check_version(if_match, stored)
    ops = _patch_ops(_body(call), collection)
    view = flowchecks.masked(stored) if collection == "connections" else stored
    try:
        patched = jsonpatch.apply({k: v for k, v in view.items() if k != "_emu"}, ops)
    except jsonpatch.PatchError as e:
        raise errors.flow_patch(e.message) from None
    updated = copy.deepcopy(stored)
    for field in PATCHABLE[collection]:
        if field in patched:
            updated[field] = patched[field]
        else:
            updated.pop(field, None)
    flowchecks.require_name(updated)
    if collection == "connections":
        _check_auth_type(stored, patched)
        spec = specs.connection_specs()[stored["connectionSpec"]["id"]]
        auth = flowchecks.check_auth(spec, patched.get("auth"), tx.salt, stored.get("auth"))
        if auth is not None:
            updated["auth"] = auth
    elif collection == "sourceConnections":
        flowchecks.check_source(tx, call.sandbox, updated)
    elif collection == "targetConnections":
        flowchecks.check_target(tx, call.sandbox, updated)
    else:
        _check_flow_update(call, tx, stored, updated)
        updated.setdefault("_emu", {}).pop("mapping", None)  # worked out again when needed
    if collection == "flows":  # connections' ops can carry secrets: never recorded
        updated["lastOperation"] = _operation(call, "update", ops)
    flow_stamp(updated, call, created=False)
    tx.put(call.sandbox, collection, updated["id"], updated)
    return Reply(200, {"id": updated["id"], "etag": updated["etag"]})


def _patch_ops(body: Any, collection: str) -> list[dict[str, Any]]:
    try:
        ops = jsonpatch.parse_ops(body)
    except jsonpatch.PatchError as e:
        if e.unsupported:
            raise errors.flow(
                "1434-400",
                f"{e.message}. Please use one of the supported operation types and try again.",
            ) from None
        raise errors.flow_patch(e.message) from None
    for op in ops:
        if op["op"] not in ("add", "replace", "remove"):
            raise errors.flow(
                "1434-400",
                f"Unsupported operation '{op['op']}' received. Please use one of the supported "
                "operation types and try again.",
            )
        field = op["path"].lstrip("/").split("/", 1)[0].replace("~1", "/").replace("~0", "~")
        if collection == "connections" and field == "connectionSpec":
            raise errors.flow("1414-400", "The connection spec of a connection cannot be updated.")
        if field not in PATCHABLE[collection]:
            raise errors.flow_patch(
                f'field "{field}" cannot be updated; updatable fields: '
                + ", ".join(sorted(PATCHABLE[collection]))
            )
    return ops


def _check_auth_type(stored: Mapping[str, Any], patched: Mapping[str, Any]) -> None:
    """The authentication type of a base connection cannot change: "Once created, you cannot
    change the authentication type of a Dynamics base connection. To change the authentication
    type, you must create a new base connection." (help/sources/tutorials/api/create/crm/
    ms-dynamics.md, "Create a base connection"; applied to every connector). The code and
    wording are the emulator's (UNCONFIRMED): the patch-validation error 1455-400."""
    before = (stored.get("auth") or {}).get("specName")
    after_auth = patched.get("auth")
    after = after_auth.get("specName") if isinstance(after_auth, dict) else None
    if before is not None and after != before:
        raise errors.flow_patch(
            f"auth.specName cannot be changed from '{before}' to '{after}': the authentication "
            "type of a base connection is fixed once it is created; create a new base "
            "connection to use another authentication type."
        )


def _check_flow_update(
    call: Call, tx: Tx, stored: Mapping[str, Any], updated: dict[str, Any]
) -> None:
    spec = flowchecks.flow_spec(stored)
    flowchecks.check_transformations(tx, call.sandbox, updated, spec)
    flowchecks.check_schedule(updated, spec)
    before = flowchecks.coerce_schedule(stored.get("scheduleParams") or {}).get("startTime")
    after = flowchecks.coerce_schedule(updated.get("scheduleParams") or {}).get("startTime")
    if before != after and isinstance(before, int) and before <= call.now:
        raise errors.flow_patch(
            "scheduleParams.startTime cannot be changed once the flow's start time has passed"
        )


def delete_object(call: Call, tx: Tx, collection: str) -> Reply:
    stored = _stored(call, tx, collection)
    obj_id = stored["id"]
    purge_gone_flows(call, tx)
    if collection == "flows":
        return _delete_flow(call, tx, stored)
    flows = live_flows(call, tx)  # delete-finalizing flows still hold their connections
    if collection == "connections":
        sources = tx.collection(call.sandbox, "sourceConnections")
        using = sorted(
            f["id"]
            for f in flows
            if any(
                (sources.get(s) or {}).get("baseConnectionId") == obj_id
                for s in f.get("sourceConnectionIds", [])
            )
        )
        if using:
            raise errors.flow(
                "1418-400",
                f"The base connection with the ID {obj_id} cannot be deleted because the base "
                "connection is being used in one or more flows. Please ensure that "
                "corresponding flows are deleted before deleting a base connection.",
                resource_id=obj_id,
                resource_type="connections",
            )
    elif collection in ("sourceConnections", "targetConnections"):
        key = "sourceConnectionIds" if collection == "sourceConnections" else "targetConnectionIds"
        using = sorted(f["id"] for f in flows if obj_id in f.get(key, []))
        if using:
            raise errors.flow(
                "1447-400",
                f"Found active flows containing id {obj_id}.",
                resource_id=obj_id,
                resource_type=collection,
            )
    tx.delete(call.sandbox, collection, obj_id)
    return Reply(204)


def _delete_flow(call: Call, tx: Tx, stored: Mapping[str, Any]) -> Reply:
    """204; with a delete-finalizing time the flow first passes through that state."""
    refuse_if_finalizing(stored, "delete")
    if call.delete_finalize_s <= 0:
        tx.delete(call.sandbox, "flows", stored["id"])
        return Reply(204)
    updated: dict[str, Any] = copy.deepcopy(dict(stored))
    emu = updated.setdefault("_emu", {})
    periods = emu.setdefault("enabled", [])
    if periods and periods[-1][1] is None:
        periods[-1][1] = call.now  # no run starts once the flow is being deleted
    emu["deleteAfter"] = call.now + call.delete_finalize_s
    updated["state"] = DELETE_FINALIZING
    updated["lastOperation"] = _operation(call, "delete", [])
    flow_stamp(updated, call, created=False)
    tx.put(call.sandbox, "flows", updated["id"], updated)
    return Reply(204)

"""Flow Service (``/data/foundation/flowservice``, reference §2).

Connection and flow specs (read-only), base connections (with ``/test`` and ``/explore``),
source and target connections, flows (with ``/action?op=enable|disable``) and their runs.

- Creates answer 201 ``{"id", "etag"}`` with a ``Location``; single GETs are wrapped in
  ``{"items": [obj]}``; lists page with ``limit`` and an opaque ``continuationToken`` in
  ``_links.next.href`` (``_links`` is ``{}`` on the last page) or count with ``count=true``.
- Every change rotates the quoted etag (``version`` == ``etag``) and ``updatedAt``; a PATCH is a
  JSON Patch array that needs the current etag in ``If-Match`` (1403 missing, 1404-412 stale)
  and records ``lastOperation``.
- Unknown ids get the catalog's ``FLOW-1439-404`` body.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Mapping
from typing import Any

from aepflow.emulator import errors, flowchecks, jsonpatch, query, runs, specs
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.records import flow_stamp, new_uuid
from aepflow.emulator.router import Handler, Router
from aepflow.emulator.settings import FLOW_SERVICE
from aepflow.emulator.state import Tx

COLLECTIONS = ("connections", "sourceConnections", "targetConnections", "flows")
DEFAULT_LIMIT = 100  # UNCONFIRMED: the page size AEP uses when no limit is given

# Top-level fields a PATCH may touch (reference §2, "Updating flows" and the update guides).
PATCHABLE = {
    "connections": {"name", "description", "auth"},
    "sourceConnections": {"name", "description", "params", "data"},
    "targetConnections": {"name", "description", "params", "data"},
    "flows": {"name", "description", "scheduleParams", "transformations", "labels", "policy"},
}

# Fields lists can filter and sort on: the documented ones (reference §2, "Listing,
# filtering, paging"), plus names, descriptions and timestamps everywhere.
_COMMON = {"id", "name", "description", "state", "createdAt", "updatedAt"}
FILTERABLE: dict[str, tuple[set[str], tuple[str, ...]]] = {
    "connections": (_COMMON | {"connectionSpec.id", "auth.specName"}, ()),
    "sourceConnections": (_COMMON | {"connectionSpec.id", "baseConnectionId"}, ()),
    "targetConnections": (_COMMON | {"connectionSpec.id"}, ()),
    "flows": (
        _COMMON | {"flowSpec.id", "sourceConnectionIds[]", "targetConnectionIds[]"},
        ("inheritedAttributes.", "lastRunDetails."),
    ),
    "runs": ({"id", "flowId", "createdAt", "updatedAt"}, ("metrics.",)),
    "connectionSpecs": ({"id", "name", "providerId"}, ("attributes.",)),
    "flowSpecs": ({"id", "name", "providerId", "sourceConnectionSpecIds[]"}, ()),
}


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


# -- listing ----------------------------------------------------------------------------------


def listing(call: Call, items: list[dict[str, Any]], kind: str) -> Reply:
    """Filter (``property``), count, sort (``orderby``) and page (``limit``/continuationToken)."""
    allowed, prefixes = FILTERABLE[kind]
    for expr in call.args("property"):
        condition = _condition(expr, allowed, prefixes)
        items = [item for item in items if condition.matches(item)]
    count = (call.arg("count") or "").lower() == "true"
    if count:
        if call.arg("limit") is not None:
            raise errors.flow(
                "1401-400",
                "The limit and count parameters cannot be given together in the same request. "
                "Please provide either only the limit or the count parameter and try again.",
            )
        return Reply(200, {"count": len(items)})
    order = call.arg("orderby")
    if order:
        items = _sorted(items, order, allowed, prefixes)
    limit = _positive(call, "limit", DEFAULT_LIMIT)
    offset = _offset(call.arg("continuationToken"))
    page = items[offset : offset + limit]
    links: dict[str, Any] = {}
    if offset + limit < len(items):
        token = base64.urlsafe_b64encode(f"o:{offset + limit}".encode()).decode().rstrip("=")
        links["next"] = {"href": f"/{kind}?continuationToken={token}"}
    return Reply(200, {"items": page, "_links": links})


def _condition(expr: str, allowed: set[str], prefixes: tuple[str, ...]) -> query.Condition:
    try:
        condition = query.parse(expr)
    except query.QueryError as e:
        if e.kind == "multiple":
            raise errors.flow("1443-400", e.message) from None
        raise errors.flow_bad_query(e.message) from None
    if condition.op == "~":
        raise errors.flow("1440-400", "Operator '~' not implemented.")
    if condition.op in ("exists", "missing"):
        raise errors.flow_bad_query(f"Invalid query value {expr} provided in query param.")
    if condition.field not in allowed and not condition.field.startswith(prefixes):
        raise errors.flow("1449-400", f"Invalid field {condition.field} in filter params.")
    return condition


def _sorted(
    items: list[dict[str, Any]], order: str, allowed: set[str], prefixes: tuple[str, ...]
) -> list[dict[str, Any]]:
    descending = order.startswith("-")
    field = order[1:] if order[0] in "+-" else order
    if not field[:1].isalpha():
        raise errors.flow(
            "1432-400",
            "Sort order specified is not correct, prepend + for ascending order and - for "
            "descending order in the fieldName.",
        )
    if "[]" in field or (field not in allowed and not field.startswith(prefixes)):
        raise errors.flow(
            "1433-400",
            f"Incorrect field= {field} passed in orderBy, example are +name, -name, name.",
        )

    def key(item: dict[str, Any]) -> tuple[int, Any]:
        values = query.values_at(item, field)
        value = values[0] if values else None
        if value is None:
            return (1, "")
        return (0, value if isinstance(value, (int, float)) else str(value).lower())

    return sorted(items, key=key, reverse=descending)


def _positive(call: Call, name: str, default: int) -> int:
    raw = call.arg(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise errors.flow_bad_query(f"Invalid query value {name}={raw} provided in query param.")
    return int(raw)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind == "o" and value.isdigit():
            return int(value)
    except ValueError:
        pass
    raise errors.flow_bad_query(
        f"Invalid query value continuationToken={token} provided in query param."
    )


# -- specs ------------------------------------------------------------------------------------


def list_connection_specs(call: Call, tx: Tx) -> Reply:
    return listing(call, list(specs.connection_specs().values()), "connectionSpecs")


def get_connection_spec(call: Call, tx: Tx) -> Reply:
    spec = specs.connection_specs().get(call.params["id"])
    if spec is None:
        raise errors.flow_not_found("connectionSpecs", call.params["id"])
    return Reply(200, {"items": [spec]})


def list_flow_specs(call: Call, tx: Tx) -> Reply:
    return listing(call, list(specs.flow_specs().values()), "flowSpecs")


def get_flow_spec(call: Call, tx: Tx) -> Reply:
    spec = specs.flow_specs().get(call.params["id"])
    if spec is None:
        raise errors.flow_not_found("flowSpecs", call.params["id"])
    return Reply(200, {"items": [spec]})


# -- the four collections ---------------------------------------------------------------------


def public(obj: Mapping[str, Any], collection: str, now: float) -> dict[str, Any]:
    """An object as the API shows it: no emulator bookkeeping, secrets masked, last run."""
    out = {k: v for k, v in obj.items() if k != "_emu"}
    if collection == "connections":
        return flowchecks.masked(out)
    if collection == "flows":
        details = runs.last_run_details(obj, now)
        if details is not None:
            out["lastRunDetails"] = details
    return out


def _stored(call: Call, tx: Tx, collection: str) -> dict[str, Any]:
    obj = tx.get(call.sandbox, collection, call.params["id"])
    if obj is None:
        raise errors.flow_not_found(collection, call.params["id"])
    found: dict[str, Any] = obj
    return found


def _body(call: Call) -> Any:
    return call.json(lambda detail: errors.flow("1405-400", detail))


def create(call: Call, tx: Tx, collection: str) -> Reply:
    body = flowchecks.require_object(_body(call))
    if collection == "flows" and "state" in body:
        raise errors.flow("1410-400", "`State` is not allowed in the create flow request.")
    flowchecks.require_name(body)
    obj: dict[str, Any] = {
        "id": new_uuid(),
        **{k: copy.deepcopy(v) for k, v in body.items() if k not in _SERVER_FIELDS},
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
    connector = specs.connection_specs()[source["connectionSpec"]["id"]]["name"]
    obj["state"] = "enabled"
    obj["runs"] = f"/flows/{obj['id']}/runs"
    obj["lastOperation"] = _operation(call, "create", [])
    obj["_emu"] = {
        "enabled": [[call.now, None]],
        "table": params.get("tableName") or params.get("path"),
        "connector": connector,
    }


def _operation(call: Call, operation: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "started": call.now_ms,
        "updated": call.now_ms,
        "percentCompleted": 100.0,
        "status": {"value": "completed", "errors": []},
        "ops": ops,
        "operation": operation,
    }


def list_objects(call: Call, tx: Tx, collection: str) -> Reply:
    stored = tx.collection(call.sandbox, collection).values()
    # Creation order (the state keeps insertion order; createdAt ties within a millisecond).
    items = sorted(
        (public(obj, collection, call.now) for obj in stored), key=lambda o: o["createdAt"]
    )
    return listing(call, items, collection)


def get_object(call: Call, tx: Tx, collection: str) -> Reply:
    return Reply(200, {"items": [public(_stored(call, tx, collection), collection, call.now)]})


def patch_object(call: Call, tx: Tx, collection: str) -> Reply:
    stored = _stored(call, tx, collection)
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
    if collection == "flows":  # connections' ops can carry secrets: never recorded
        updated["lastOperation"] = _operation(call, "update", ops)
    flow_stamp(updated, call, created=False)
    tx.put(call.sandbox, collection, updated["id"], updated)
    return Reply(200, {"id": updated["id"], "etag": updated["etag"]})


def _check_version(if_match: str, stored: Mapping[str, Any]) -> None:
    if if_match.strip() != stored["etag"]:
        raise errors.flow(
            "1404-412",
            f"The supplied version '{if_match}' does not match the current version on entity "
            f"'{stored['etag']}'. Please ensure that the supplied version matches the current "
            "version on entity and try again.",
        )


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
    flows = tx.collection(call.sandbox, "flows").values()
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
                f"Found active flows containing id {obj_id}: {', '.join(using)}.",
                resource_id=obj_id,
                resource_type=collection,
            )
    tx.delete(call.sandbox, collection, obj_id)
    return Reply(204)


# -- actions, test and explore ----------------------------------------------------------------


def flow_action(call: Call, tx: Tx) -> Reply:
    stored = _stored(call, tx, "flows")
    op = (call.arg("op") or "").lower()
    if op in ("finalize", "finalize_update", "publish"):
        raise errors.flow("1402-400", f"The action '{op}' is supported for provider requests only.")
    if op not in ("enable", "disable"):
        raise errors.flow(
            "1434-400",
            f"Unsupported operation '{call.arg('op')}' received. Please use one of the "
            "supported operation types and try again.",
        )
    if_match = call.headers.get("if-match")
    if if_match:  # optional here (spec)
        _check_version(if_match, stored)
    state = "enabled" if op == "enable" else "disabled"
    if stored["state"] == state:
        # Already there: answered as done, nothing changes. AEP's answer is UNCONFIRMED
        # (1422 is documented for transitional states); the safe reading for a client that
        # retries an action after a lost response.
        return Reply(200, {"id": stored["id"], "etag": stored["etag"]})
    updated = copy.deepcopy(stored)
    periods = updated["_emu"]["enabled"]
    if state == "enabled":
        periods.append([call.now, None])
    elif periods and periods[-1][1] is None:
        periods[-1][1] = call.now
    updated["state"] = state
    updated["lastOperation"] = _operation(call, op, [])
    flow_stamp(updated, call, created=False)
    tx.put(call.sandbox, "flows", updated["id"], updated)
    return Reply(200, {"id": updated["id"], "etag": updated["etag"]})


def test_connection(call: Call, tx: Tx) -> Reply:
    _stored(call, tx, "connections")
    return Reply(200, {"result": True})


def explore(call: Call, tx: Tx) -> Reply:
    connection = _stored(call, tx, "connections")
    spec = specs.connection_specs()[connection["connectionSpec"]["id"]]
    tables = specs.tables(spec["name"])
    object_type = call.arg("objectType") or "root"
    if object_type == "root":
        return Reply(
            200,
            [
                {
                    "type": "table",
                    "name": name,
                    "path": name,
                    "canPreview": True,
                    "canFetchSchema": True,
                }
                for name in tables
            ],
        )
    if object_type != "table":
        raise errors.flow_provider(
            f"objectType {object_type} is not supported by {spec['name']}: use root or table"
        )
    table = call.arg("object") or ""
    if table not in tables:
        raise errors.flow_provider(f"the table {table!r} was not found in the source")
    columns = [_column(c) for c in tables[table]]
    body: dict[str, Any] = {"format": "flat", "schema": {"columns": columns}}
    if (call.arg("preview") or "").lower() == "true":
        body["data"] = [{c["name"]: _sample(c, row) for c in tables[table]} for row in range(5)]
    return Reply(200, body)


def _column(column: Mapping[str, str]) -> dict[str, Any]:
    kind = column["type"]
    if kind in ("date", "date-time"):
        return {
            "name": column["name"],
            "type": "string",
            "meta:xdmType": kind,
            "xdm": {"type": "string", "format": kind},
        }
    return {"name": column["name"], "type": kind, "xdm": {"type": kind}}


_FIRST = ("Ava", "Noah", "Mia", "Liam", "Zoe")
_LAST = ("Martin", "Okafor", "Tanaka", "Silva", "Novak")


def _sample(column: Mapping[str, str], row: int) -> Any:
    """A plausible, fixed preview value for a column."""
    name, kind = column["name"], column["type"]
    lower = name.lower()
    if kind == "date-time":
        return f"2026-0{row + 1}-1{row}T09:{10 + row}:00Z"
    if kind == "date":
        return f"198{row}-0{row + 1}-2{row}"
    if kind == "integer":
        return (row + 1) * 3
    if kind == "number":
        return round((row + 1) * 1250.5, 2)
    if kind == "boolean":
        return row % 2 == 0
    if "email" in lower:
        return f"{_FIRST[row].lower()}.{_LAST[row].lower()}@example.com"
    if "first" in lower:
        return _FIRST[row]
    if "last" in lower:
        return _LAST[row]
    if "phone" in lower:
        return f"+1 555 010{row}"
    if lower in ("id", "sys_id") or lower.endswith("id"):
        return f"{name[:3].upper()}{row + 1:05d}"
    return f"{name} {row + 1}"


# -- runs -------------------------------------------------------------------------------------


def list_runs(call: Call, tx: Tx) -> Reply:
    flows = list(tx.collection(call.sandbox, "flows").values())
    allowed, prefixes = FILTERABLE["runs"]
    for expr in call.args("property"):
        condition = _condition(expr, allowed, prefixes)
        if condition.field == "flowId" and condition.op == "==":
            # Only materialise the runs of the flows asked for.
            flows = [f for f in flows if f["id"] in condition.values]
    items = [r for f in flows for r in runs.runs_of(f, call.now)]
    items.sort(key=lambda r: r["createdAt"])
    return listing(call, items, "runs")


def get_run(call: Call, tx: Tx) -> Reply:
    run_id = call.params["id"]
    for flow in tx.collection(call.sandbox, "flows").values():
        for found in runs.runs_of(flow, call.now):
            if found["id"] == run_id:
                return Reply(200, {"items": [found]})
    raise errors.flow_not_found("runs", run_id)

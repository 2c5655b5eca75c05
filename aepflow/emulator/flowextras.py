"""Flow Service beyond the four collections: connection and flow specs, flow actions, connection
tests, source exploration and runs.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping
from typing import Any

from aepflow.emulator import dataprep, errors, runs, samples, specs
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.flowcommon import (
    FILTERABLE,
    _check_version,
    _condition,
    _operation,
    _stored,
    listing,
    live_flows,
    refuse_if_finalizing,
)
from aepflow.emulator.records import flow_stamp
from aepflow.emulator.state import Tx


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
    refuse_if_finalizing(stored, op)
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
    """help/sources/tutorials/api/explore/tabular.md (``root``, ``table``),
    create/crm/ms-dynamics.md (``view``; the root listing marks views ``type: view``) and
    create/customer-success/zendesk.md (``rest``: a REST source answers a JSON schema for the
    object its base64 ``sourceParams`` name)."""
    connection = _stored(call, tx, "connections")
    spec = specs.connection_specs()[connection["connectionSpec"]["id"]]
    object_type = call.arg("objectType") or "root"
    if specs.is_rest(spec):
        if object_type != "rest":
            raise errors.flow_provider(
                f"objectType {object_type} is not supported by {spec['name']}: use rest"
            )
        return _explore_rest(call, spec)
    tables, views = specs.base_tables(spec["name"]), specs.views(spec["name"])
    if object_type == "root":
        listed = [("table", name) for name in tables] + [("view", name) for name in views]
        return Reply(
            200,
            [
                {
                    "type": kind,
                    "name": name,
                    "path": name,
                    "canPreview": True,
                    "canFetchSchema": True,
                }
                for kind, name in listed
            ],
        )
    if object_type not in ("table", "view") or (object_type == "view" and not views):
        supported = "root, table or view" if views else "root or table"
        raise errors.flow_provider(
            f"objectType {object_type} is not supported by {spec['name']}: use {supported}"
        )
    catalog = tables if object_type == "table" else views
    table = call.arg("object") or ""
    if table not in catalog:
        raise errors.flow_provider(f"the {object_type} {table!r} was not found in the source")
    columns = [_column(c) for c in catalog[table]]
    body: dict[str, Any] = {"format": "flat", "schema": {"columns": columns}}
    if (call.arg("preview") or "").lower() == "true":
        body["data"] = samples.rows(catalog[table])
    return Reply(200, body)


def _explore_rest(call: Call, spec: Mapping[str, Any]) -> Reply:
    if call.arg("fileType") != "json":
        raise errors.flow_provider("fileType=json is required: json is the only file type")
    raw = call.arg("sourceParams")
    if raw is None:
        # create/crm/sugarcrm-events.md: "you must include" sourceParams; a source that takes
        # no payload is sent {} (e30=), and the object is chosen by it alone.
        raise errors.flow_provider("sourceParams is required: a JSON object encoded in base64")
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
        params = json.loads(decoded.decode("utf-8")) if raw else {}
    except (ValueError, UnicodeDecodeError):
        raise errors.flow_provider(
            "sourceParams must be a JSON object encoded in base64 (e30= for {})"
        ) from None
    if not isinstance(params, dict):
        raise errors.flow_provider("sourceParams must encode a JSON object")
    objects = specs.rest_objects(str(spec["name"]))
    wanted = str(params.get("object_type", ""))
    if wanted not in objects:
        known = ", ".join(sorted(k for k in objects if k)) or "none: send {}"
        raise errors.flow_provider(f"object_type {wanted!r} is not served (object types: {known})")
    body: dict[str, Any] = {"format": "hierarchical", "schema": objects[wanted]}
    if (call.arg("preview") or "").lower() == "true":
        body["data"] = [_json_sample(objects[wanted], row) for row in range(2)]
    return Reply(200, body)


def _json_sample(schema: Mapping[str, Any], row: int, name: str = "") -> Any:
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: _json_sample(v, row, k) for k, v in props.items() if v}
    if kind == "array":
        return [_json_sample(schema.get("items") or {}, row, name)]
    return samples.value({"name": name, "type": str(kind or "string")}, row)


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


def list_runs(call: Call, tx: Tx) -> Reply:
    flows = live_flows(call, tx)
    allowed, prefixes = FILTERABLE["runs"]
    for expr in call.args("property"):
        condition = _condition(expr, allowed, prefixes)
        if condition.field == "flowId" and condition.op == "==":
            # Only materialise the runs of the flows asked for.
            flows = [f for f in flows if f["id"] in condition.values]
    items = [r for f in flows for r in runs.runs_of(_outcome(call, tx, f), call.now)]
    items.sort(key=lambda r: r["createdAt"])
    return listing(call, items, "runs")


def get_run(call: Call, tx: Tx) -> Reply:
    run_id = call.params["id"]
    for flow in live_flows(call, tx):
        for found in runs.runs_of(_outcome(call, tx, flow), call.now):
            if found["id"] == run_id:
                return Reply(200, {"items": [found]})
    raise errors.flow_not_found("runs", run_id)


def _outcome(call: Call, tx: Tx, flow: Mapping[str, Any]) -> Mapping[str, Any]:
    return dataprep.with_mapping_outcome(tx, call.sandbox, flow, call.now)

"""Flow Service beyond the four collections: connection and flow specs, flow actions, connection
tests, source exploration and runs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aepflow.emulator import errors, runs, samples, specs
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
        body["data"] = samples.rows(tables[table])
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


def list_runs(call: Call, tx: Tx) -> Reply:
    flows = live_flows(call, tx)
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
    for flow in live_flows(call, tx):
        for found in runs.runs_of(flow, call.now):
            if found["id"] == run_id:
                return Reply(200, {"items": [found]})
    raise errors.flow_not_found("runs", run_id)

"""What the Flow Service handlers share: stored objects, public views, etags, JSON Patch operations
and lists with property filters, ordering, limits and continuation tokens
(help/sources/tutorials/api/filter.md).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from aepflow.emulator import errors, flowchecks, query, runs
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.state import Tx

COLLECTIONS = ("connections", "sourceConnections", "targetConnections", "flows")


DEFAULT_LIMIT = 100  # UNCONFIRMED: the page size AEP uses when no limit is given


DELETE_FINALIZING = "delete-finalizing"
"""The state of a deleted flow until Flow Service has finished deleting it
(help/sources/errors/flow-service-errors.md: 1456/1457/1458-400 name the state). How long it
lasts is the ``AEPFLOW_EMULATOR_DELETE_FINALIZE_MS`` knob; the stored flow keeps the moment it
goes away in ``_emu.deleteAfter`` and is treated as gone (404, out of lists and runs) from then
on, whether or not a write has purged it yet. While finalizing it stays in lists and filters
like any other flow (AEP's lists are UNCONFIRMED on this; nothing is hidden)."""


PATCHABLE = {
    "connections": {"name", "description", "auth"},
    "sourceConnections": {"name", "description", "params", "data"},
    "targetConnections": {"name", "description", "params", "data"},
    # "options" too: help/ingestion/batch-ingestion/partial.md PATCHes /options of a flow.
    "flows": {
        "name",
        "description",
        "scheduleParams",
        "transformations",
        "labels",
        "policy",
        "options",
    },
}


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


# Fields of a public view that the stored object lacks (worked out when shown).
_COMPUTED = ("lastRunDetails.",)


def listing(
    call: Call,
    items: list[dict[str, Any]],
    kind: str,
    view: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Reply:
    """Filter (``property``), count, sort (``orderby``) and page (``limit``/continuationToken).

    ``view``: what a stored item is shown as (``public``). It is applied to the page alone,
    unless a filter or the order reads a field only the view has: a list read page by page
    does not make the view of every object for every page."""
    allowed, prefixes = FILTERABLE[kind]
    conditions = [_condition(expr, allowed, prefixes) for expr in call.args("property")]
    order = call.arg("orderby")
    if view is not None and (
        any(c.field.startswith(_COMPUTED) for c in conditions)
        or (order or "").lstrip("+-").startswith(_COMPUTED)
    ):
        items, view = [view(item) for item in items], None
    for condition in conditions:
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
    if order:
        items = _sorted(items, order, allowed, prefixes)
    limit = _positive(call, "limit", DEFAULT_LIMIT)
    offset = _offset(call.arg("continuationToken"))
    page = items[offset : offset + limit]
    if view is not None:
        page = [view(item) for item in page]
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
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise errors.flow_bad_query(f"Invalid query value {name}={raw} provided in query param.")
    return int(raw)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind == "o" and value.isascii() and value.isdigit():
            return int(value)
    except ValueError:
        pass
    raise errors.flow_bad_query(
        f"Invalid query value continuationToken={token} provided in query param."
    )


def finalizing(flow: Mapping[str, Any]) -> bool:
    return flow.get("state") == DELETE_FINALIZING


def gone(flow: Mapping[str, Any], now: float) -> bool:
    """A deleted flow whose delete-finalizing time is over: it no longer exists."""
    return finalizing(flow) and float((flow.get("_emu") or {}).get("deleteAfter", 0)) <= now


def live_flows(call: Call, tx: Tx) -> list[dict[str, Any]]:
    """The sandbox's flows that still exist (finalizing ones included)."""
    return [f for f in tx.collection(call.sandbox, "flows").values() if not gone(f, call.now)]


def purge_gone_flows(call: Call, tx: Tx) -> None:
    """Forget the flows whose delete-finalizing time is over (write transactions only).

    Housekeeping only: every read already treats such a flow as gone. An emulator whose flows
    are deleted at once (the default) makes none, so it does not scan every flow on every
    create for them (a fifth of the Flow Service creates' CPU at 1,000 pipelines); one left by
    an emulator run with a delete-finalizing time is forgotten by the next such run."""
    if not tx.writable or call.delete_finalize_s <= 0:
        return
    for key, flow in tx.collection(call.sandbox, "flows").items():
        # The state test first, inline: this runs over every flow on every create.
        if flow.get("state") == DELETE_FINALIZING and gone(flow, call.now):
            tx.delete(call.sandbox, "flows", key)


def schedule_strings(params: Mapping[str, Any]) -> dict[str, Any]:
    """scheduleParams as a flow GET shows them: every value a string (``"interval": "15"``,
    ``"backfill": "true"``, ``"startTime": "1612310466"``), as in the documented GET
    /flows/{id} response (help/sources/tutorials/api/update-dataflows.md). The stored values
    keep the types the client sent."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def public(obj: Mapping[str, Any], collection: str, now: float) -> dict[str, Any]:
    """An object as the API shows it: no emulator bookkeeping, secrets masked, last run."""
    out = {k: v for k, v in obj.items() if k != "_emu"}
    if collection == "connections":
        return flowchecks.masked(out)
    if collection == "flows":
        if isinstance(out.get("scheduleParams"), dict):
            out["scheduleParams"] = schedule_strings(out["scheduleParams"])
        details = runs.last_run_details(obj, now)
        if details is not None:
            out["lastRunDetails"] = details
    return out


def _stored(call: Call, tx: Tx, collection: str) -> dict[str, Any]:
    obj = tx.get(call.sandbox, collection, call.params["id"])
    if obj is None or (collection == "flows" and gone(obj, call.now)):
        raise errors.flow_not_found(collection, call.params["id"])
    found: dict[str, Any] = obj
    return found


def refuse_if_finalizing(flow: Mapping[str, Any], operation: str) -> None:
    """help/sources/errors/flow-service-errors.md: 1457-400 (update) and 1458-400 (delete) on a
    flow in state delete-finalizing. Enable and disable answer 1457-400 too, with their own
    operation name (UNCONFIRMED: the catalog only shows update and delete)."""
    if not finalizing(flow):
        return
    code = "1458-400" if operation == "delete" else "1457-400"
    raise errors.flow(
        code,
        f"Operation {operation} cannot be applied in state {DELETE_FINALIZING}.",
        resource_id=str(flow["id"]),
        resource_type="flows",
    )


def _body(call: Call) -> Any:
    return call.json(lambda detail: errors.flow("1405-400", detail))


def _operation(call: Call, operation: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "started": call.now_ms,
        "updated": call.now_ms,
        "percentCompleted": 100.0,
        "status": {"value": "completed", "errors": []},
        "ops": ops,
        "operation": operation,
    }


def _check_version(if_match: str, stored: Mapping[str, Any]) -> None:
    if if_match.strip() != stored["etag"]:
        raise errors.flow(
            "1404-412",
            f"The supplied version '{if_match}' does not match the current version on entity "
            f"'{stored['etag']}'. Please ensure that the supplied version matches the current "
            "version on entity and try again.",
        )

"""Data Prep mapping sets (``/data/foundation/conversion/mappingSets``).

Facts: help/data-prep/api/mapping-set.md.

- ``POST`` -> 200 (not 201) ``{id (32 hex), version: 0, createdDate, modifiedDate, createdBy,
  modifiedBy}``; ``PUT`` stores version N+1 with new mapping ids and answers the full set;
  ``GET`` answers the latest version or ``?version=N`` (old versions stay readable);
  ``GET /mappingSets`` answers ``{"data": [...], "_page": {"count", "limit"}}``.
- Both bodies are accepted: the current one (``outputSchema.schemaRef`` and mappings with
  ``sourceType`` ATTRIBUTE | EXPRESSION | STATIC, ``source``, ``destination``) and the legacy one
  of the source tutorials (``xdmSchema`` and ``sourceAttribute`` / ``destinationXdmPath``).
- Every destination must be a field of the resolved output schema. Attribute mappings come back
  with ``sourceType: "text/x.schema-path"``, as documented.
- ``DELETE`` is not in the published spec (UNCONFIRMED; a community client uses it): it answers
  204 and later reads 404.
- ``POST /mappingSets/validate`` answers ``{"validationResponse": [{"status", "errors"}]}``, one
  entry per mapping; ``POST /mappingSets/preview`` with ``{data, mappingSet}`` answers
  ``[{"data": record, "errors": null}]``, one entry per row. Both run the expressions through
  aepflow's one Data Prep evaluator (``aepflow.dataprep``). The shape of a failed entry is
  UNCONFIRMED (the docs show successes only): ``status: "FAILED"`` and ``errors`` as
  ``[{"code", "message"}]``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from aepflow import dataprep
from aepflow.dataprep import convert
from aepflow.emulator import errors, runs, samples, specs, xdm
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.records import new_hex
from aepflow.emulator.router import Handler, Router
from aepflow.emulator.settings import DATA_PREP
from aepflow.emulator.state import Tx

SOURCE_TYPES = ("ATTRIBUTE", "EXPRESSION", "STATIC")
STORED_SOURCE_TYPE = {"ATTRIBUTE": "text/x.schema-path"}
DEFAULT_CONTENT_TYPE = "application/vnd.adobe.xed-full+json;version=1"


def register(router: Router) -> None:
    def add(method: str, path: str, handler: Handler) -> None:
        router.add(method, DATA_PREP + path, handler, service="dataprep")

    add("POST", "/mappingSets", create)
    add("POST", "/mappingSets/validate", validate)
    add("POST", "/mappingSets/preview", preview)
    add("GET", "/mappingSets", list_sets)
    add("GET", "/mappingSets/{id}", get_set)
    add("GET", "/mappingSets/{id}/mappings", get_mappings)
    add("PUT", "/mappingSets/{id}", put_set)
    add("DELETE", "/mappingSets/{id}", delete_set)


def _parse(call: Call, tx: Tx, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(schemaRef, mappings as {sourceType, source, destination, ...}) of a request body."""
    if not isinstance(body, dict):
        raise errors.bad_request("The body must be a JSON object")
    output = body.get("outputSchema")
    if isinstance(output, dict) and isinstance(output.get("schemaRef"), dict):
        schema_ref = {"contentType": DEFAULT_CONTENT_TYPE, **output["schemaRef"]}
    elif isinstance(body.get("xdmSchema"), str):  # the legacy body
        schema_ref = {"id": body["xdmSchema"], "contentType": DEFAULT_CONTENT_TYPE}
    else:
        raise errors.bad_request("outputSchema.schemaRef.id is required: the target schema")
    schema = tx.get(call.sandbox, "schemas", str(schema_ref.get("id")))
    if schema is None:
        raise errors.bad_request(
            f"The output schema {schema_ref.get('id')} is not a schema of this sandbox"
        )
    raw = body.get("mappings")
    if not isinstance(raw, list) or not raw:
        raise errors.bad_request("mappings must be a non-empty list")
    fields = xdm.field_index(xdm.stored_fields(schema, tx.collection(call.sandbox, "fieldgroups")))
    mappings = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise errors.bad_request(f"mappings[{index}] must be an object")
        mapping = _mapping(item, index)
        if not fields.has(mapping["destination"]):
            raise errors.bad_request(
                f"mappings[{index}]: the destination {mapping['destination']} is not a field of "
                f"the output schema {schema['$id']}"
            )
        mappings.append(mapping)
    return schema_ref, mappings


def _mapping(item: Mapping[str, Any], index: int) -> dict[str, Any]:
    if "destinationXdmPath" in item or "sourceAttribute" in item:  # legacy
        source_type, source = "ATTRIBUTE", item.get("sourceAttribute")
        destination = item.get("destinationXdmPath")
    else:
        source_type = item.get("sourceType", "ATTRIBUTE")
        source, destination = item.get("source"), item.get("destination")
    if source_type not in SOURCE_TYPES:
        raise errors.bad_request(
            f"mappings[{index}]: sourceType {source_type!r} is not one of "
            + ", ".join(SOURCE_TYPES)
        )
    if source is None or (source_type != "STATIC" and not str(source).strip()):
        raise errors.bad_request(f"mappings[{index}]: source is required")
    if not isinstance(destination, str) or not destination.strip():
        raise errors.bad_request(f"mappings[{index}]: destination is required")
    return {
        **{k: copy.deepcopy(v) for k, v in item.items() if k in ("name", "description")},
        "sourceType": source_type,
        "source": source,
        "destination": destination,
    }


def _version(
    call: Call,
    set_id: str,
    version: int,
    schema_ref: dict[str, Any],
    mappings: list[dict[str, Any]],
) -> dict[str, Any]:
    who = call.identity
    return {
        "id": set_id,
        "version": version,
        "createdDate": call.now_ms,
        "modifiedDate": call.now_ms,
        "createdBy": who.user,
        "modifiedBy": who.user,
        "supportVersion": "1.1",
        "inputSchema": None,
        "outputSchema": {"schemaRef": schema_ref},
        "mappings": [
            {
                "id": new_hex(16),
                "version": version,
                "sourceType": STORED_SOURCE_TYPE.get(m["sourceType"], m["sourceType"]),
                "source": m["source"],
                "destination": m["destination"],
                "name": m.get("name"),
                "description": m.get("description"),
                "identity": False,
                "identityGroup": None,
                "namespaceCode": None,
                "primaryIdentity": False,
                "matchScore": 0.0,
                "functionVersion": 0,
                "sourceAttribute": m["source"],
                "destinationXdmPath": m["destination"],
            }
            for m in mappings
        ],
        "status": "PUBLISHED",
        "strictMapping": False,
        "allowNullValues": False,
        "xdmVersion": "1.0",
        "xdmSchema": schema_ref["id"],
        "schemaRef": schema_ref,
    }


def _body(call: Call) -> Any:
    return call.json(errors.bad_request)


def _stored(call: Call, tx: Tx) -> dict[str, Any]:
    found = tx.get(call.sandbox, "mappingSets", call.params["id"])
    if found is None:
        raise errors.not_found(f"Mapping set {call.params['id']} was not found.")
    stored: dict[str, Any] = found
    return stored


def create(call: Call, tx: Tx) -> Reply:
    schema_ref, mappings = _parse(call, tx, _body(call))
    set_id = new_hex(16)
    first = _version(call, set_id, 0, schema_ref, mappings)
    tx.put(call.sandbox, "mappingSets", set_id, {"versions": [first]})
    keys = ("id", "version", "createdDate", "modifiedDate", "createdBy", "modifiedBy")
    return Reply(200, {k: first[k] for k in keys})


def put_set(call: Call, tx: Tx) -> Reply:
    stored = _stored(call, tx)
    schema_ref, mappings = _parse(call, tx, _body(call))
    versions = stored["versions"]
    new = _version(call, stored["versions"][0]["id"], len(versions), schema_ref, mappings)
    new["createdDate"] = versions[0]["createdDate"]
    new["createdBy"] = versions[0]["createdBy"]
    tx.put(call.sandbox, "mappingSets", new["id"], {"versions": [*versions, new]})
    return Reply(200, new)


def _pick(call: Call, tx: Tx) -> dict[str, Any]:
    versions = _stored(call, tx)["versions"]
    raw = call.arg("version")
    if raw is None:
        chosen = versions[-1]
    elif raw.isascii() and raw.isdigit() and int(raw) < len(versions):
        chosen = versions[int(raw)]
    else:
        raise errors.not_found(f"Mapping set {call.params['id']} has no version {raw}.")
    out: dict[str, Any] = copy.deepcopy(chosen)
    if (call.arg("expandSchema") or "").lower() == "true":
        schema = tx.get(call.sandbox, "schemas", out["outputSchema"]["schemaRef"]["id"])
        if schema is not None:
            properties = xdm.resolved_properties(schema, tx.collection(call.sandbox, "fieldgroups"))
            out["outputSchema"]["jsonSchema"] = {"type": "object", "properties": properties}
    return out


def get_set(call: Call, tx: Tx) -> Reply:
    return Reply(200, _pick(call, tx))


def get_mappings(call: Call, tx: Tx) -> Reply:
    return Reply(200, _pick(call, tx)["mappings"])


def list_sets(call: Call, tx: Tx) -> Reply:
    def number(name: str, default: int) -> int:
        raw = call.arg(name)
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit()):
            raise errors.bad_request(f"{name} must be a non-negative integer, not {raw!r}")
        return int(raw)

    start, limit = number("start", 0), number("limit", 10)
    latest = [s["versions"][-1] for s in tx.collection(call.sandbox, "mappingSets").values()]
    order = call.arg("orderBy") or "+createdDate"
    field = {"createdDate": "createdDate", "updatedDate": "modifiedDate"}.get(order.lstrip("+-"))
    if field is None:
        raise errors.bad_request(f"orderBy {order} is not valid: use +/-createdDate or updatedDate")
    latest.sort(
        key=lambda s: s[field], reverse=order.startswith("-")
    )  # stable: ties keep creation order
    return Reply(
        200,
        {"data": latest[start : start + limit], "_page": {"count": len(latest), "limit": limit}},
    )


def delete_set(call: Call, tx: Tx) -> Reply:
    stored = _stored(call, tx)
    tx.delete(call.sandbox, "mappingSets", stored["versions"][0]["id"])
    return Reply(204)


_KINDS = {"ATTRIBUTE": "attribute", "EXPRESSION": "expression", "STATIC": "static"}
_ALIASES = {"text/x.schema-path": "ATTRIBUTE", "text/x.aep-xl": "EXPRESSION"}


def _rules(mappings: list[dict[str, Any]]) -> list[dataprep.Rule]:
    return [
        dataprep.Rule(
            _KINDS[_ALIASES.get(m["sourceType"], m["sourceType"])],
            str(m["source"]),
            m["destination"],
        )
        for m in mappings
    ]


def _targets(fields: Iterable[xdm.Field]) -> dict[str, dataprep.Target]:
    """Leaf path -> what a value must fit, by the one conversion rule of validate and preview."""
    return {
        f.path: dataprep.Target(convert.field_kind(f.type, f.xdm_type), f.format) for f in fields
    }


def validate(call: Call, tx: Tx) -> Reply:
    _, mappings = _parse(call, tx, _body(call))
    out = []
    for rule in _rules(mappings):
        problems = dataprep.check(rule.source) if rule.kind == "expression" else []
        out.append(
            {
                "status": "FAILED" if problems else "SUCCESS",
                "errors": [{"code": "MAPPER-1001-400", "message": p.message} for p in problems]
                or None,
            }
        )
    return Reply(200, {"validationResponse": out})


def preview(call: Call, tx: Tx) -> Reply:
    body = _body(call)
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise errors.bad_request("data must be a list of source rows")
    schema_ref, mappings = _parse(call, tx, body.get("mappingSet"))
    schema = tx.get(call.sandbox, "schemas", str(schema_ref["id"]))
    fields = xdm.stored_fields(schema or {}, tx.collection(call.sandbox, "fieldgroups"))
    types = _targets(fields)
    rules = _rules(mappings)
    now = datetime.fromtimestamp(call.now, tz=timezone.utc)
    out = []
    for row in body["data"]:
        if not isinstance(row, dict):
            raise errors.bad_request("each row of data must be an object")
        record = dataprep.apply(rules, row, lambda d: types.get(xdm.normalize(d)), now)
        out.append(
            {
                "data": record.nested(),
                "errors": [
                    {"code": "MAPPER-3001-400", "message": f"{e.destination}: {e.message}"}
                    for e in record.errors
                ]
                or None,
            }
        )
    return Reply(200, out)


_OUTCOMES: dict[tuple[str, str, str, str], dict[str, Any] | None] = {}
_OUTCOMES_MAX = 100_000


def with_mapping_outcome(
    tx: Tx, sandbox: str, flow: Mapping[str, Any], now: float
) -> Mapping[str, Any]:
    """The flow with ``_emu.mapping`` (``mapping_outcome``) for its simulated runs, worked
    out when one of its runs is first due and kept per state, flow and flow version (etag):
    a flow whose schedule starts later, as every flow of a fresh apply, never needs it.
    A flow stored by an older emulator may already hold it."""
    emu = flow.get("_emu") or {}
    if "mapping" in emu or not runs.due(flow, now):
        return flow
    key = (tx.salt, sandbox, str(flow.get("id")), str(flow.get("etag")))
    if key not in _OUTCOMES:
        if len(_OUTCOMES) >= _OUTCOMES_MAX:
            _OUTCOMES.clear()
        _OUTCOMES[key] = mapping_outcome(tx, sandbox, flow)
    return {**flow, "_emu": {**emu, "mapping": _OUTCOMES[key]}}


def mapping_outcome(tx: Tx, sandbox: str, flow: Mapping[str, Any]) -> dict[str, Any] | None:
    """How the flow's mapping fares on its table's sample rows, for its simulated runs:
    ``{"share": failed rows / rows, "message": the first error}``, or None when every row maps.
    A flow's mapping version and table only change by a PATCH (a new etag), so it is kept
    per etag (``with_mapping_outcome``)."""
    emu = flow.get("_emu") or {}
    connector = str(emu.get("connector", ""))
    # Tabular sources only: a REST source's objects are JSON schemas, not columns.
    tabular = {**specs.base_tables(connector), **specs.views(connector)}
    columns = tabular.get(str(emu.get("table")))
    params = next(
        (
            t.get("params") or {}
            for t in flow.get("transformations") or []
            if t.get("name") == "Mapping"
        ),
        None,
    )
    if not columns or params is None:
        return None
    stored = tx.get(sandbox, "mappingSets", str(params.get("mappingId")))
    version = int(str(params.get("mappingVersion", 0)))
    if stored is None or not 0 <= version < len(stored["versions"]):
        return None
    chosen = stored["versions"][version]
    schema = tx.get(sandbox, "schemas", str(chosen["outputSchema"]["schemaRef"]["id"]))
    fields = xdm.stored_fields(schema or {}, tx.collection(sandbox, "fieldgroups"))
    types = _targets(fields)
    rules = _rules(chosen["mappings"])
    now = datetime.fromtimestamp(flow.get("createdAt", 0) / 1000, tz=timezone.utc)
    rows = samples.rows(columns)
    failed = [
        record.errors[0]
        for record in (
            dataprep.apply(rules, row, lambda d: types.get(xdm.normalize(d)), now) for row in rows
        )
        if record.errors
    ]
    if not failed:
        return None
    return {
        "share": len(failed) / len(rows),
        "message": f"{failed[0].destination}: {failed[0].message}",
    }

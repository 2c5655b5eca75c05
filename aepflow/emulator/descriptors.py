"""Schema Registry identity descriptors (``/tenant/descriptors``, help/xdm/api/descriptors.md).

Lists: ``xdm-id``, ``xdm-link`` and ``xdm`` answer an object grouped by ``@type``, unpaged;
``xdm-v2`` ("This Accept header must be used to use paging capabilities") answers a page.
"""

from __future__ import annotations

from typing import Any

from aepflow.emulator import errors, query, xdm
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.records import new_hex
from aepflow.emulator.settings import SCHEMA_REGISTRY
from aepflow.emulator.state import Tx
from aepflow.emulator.xdmcommon import (
    DESCRIPTOR_KINDS,
    MAX_RESULTS,
    _bad,
    _body,
    _error,
    _tenant_groups,
    accept,
)


def _check_descriptor(call: Call, tx: Tx, body: Any, own: str | None) -> dict[str, Any]:
    def bad(detail: str) -> errors.ApiError:
        return _bad(call, detail, errors.XDM_BAD_DESCRIPTOR)

    if not isinstance(body, dict):
        raise bad("The body must be a JSON object")
    if body.get("@type") != "xdm:descriptorIdentity":
        # The emulator implements identity descriptors only (the ones aepflow manages).
        raise bad(f"Unsupported descriptor @type {body.get('@type')!r}: use xdm:descriptorIdentity")
    schema = tx.get(call.sandbox, "schemas", str(body.get("xdm:sourceSchema")))
    if schema is None:
        raise bad(
            f"xdm:sourceSchema {body.get('xdm:sourceSchema')} is not a schema of this sandbox"
        )
    if str(body.get("xdm:sourceVersion")) != "1":
        raise bad("xdm:sourceVersion must be 1, the schema's major version")
    prop = body.get("xdm:sourceProperty")
    if not isinstance(prop, str) or not prop.startswith("/") or prop.endswith("/"):
        raise bad(f"xdm:sourceProperty {prop!r} must be a path that starts and does not end with /")
    segments = prop[1:].split("/")
    if "properties" in segments:
        raise bad(f"xdm:sourceProperty {prop} must not contain 'properties' segments")
    fields = xdm.field_index(xdm.stored_fields(schema, _tenant_groups(call, tx)))
    if not fields.has_leaf(".".join(segments)):
        raise bad(f"xdm:sourceProperty {prop} is not a field of schema {schema['$id']}")
    if not isinstance(body.get("xdm:namespace"), str) or not body["xdm:namespace"]:
        raise bad("xdm:namespace is required: an identity namespace code such as Email")
    if body.get("xdm:property", "xdm:code") not in ("xdm:code", "xdm:id"):
        raise bad("xdm:property must be xdm:code or xdm:id")
    if body.get("xdm:isPrimary"):
        for key, other in tx.collection(call.sandbox, "descriptors").items():
            if (
                key != own
                and other.get("xdm:sourceSchema") == schema["$id"]
                and other.get("xdm:isPrimary")
            ):
                raise bad(f"The schema {schema['$id']} already has a primary identity ({key})")
    return dict(body)


def create_descriptor(call: Call, tx: Tx) -> Reply:
    body = _check_descriptor(call, tx, _body(call), None)
    descriptor = {**body, "meta:containerId": "tenant", "@id": new_hex(20)}
    tx.put(call.sandbox, "descriptors", descriptor["@id"], descriptor)
    return Reply(201, descriptor)


def _descriptor(call: Call, tx: Tx) -> dict[str, Any]:
    found = tx.get(call.sandbox, "descriptors", call.params["id"])
    if found is None:
        raise _error(
            errors.XDM_NOT_FOUND,
            "Not Found",
            f"The requested descriptor {call.params['id']} was not found.",
            call,
        )
    descriptor: dict[str, Any] = found
    return descriptor


def get_descriptor(call: Call, tx: Tx) -> Reply:
    accept(call, DESCRIPTOR_KINDS, lookup=True)
    return Reply(200, _descriptor(call, tx))


def list_descriptors(call: Call, tx: Tx) -> Reply:
    variant = accept(call, DESCRIPTOR_KINDS, lookup=False)
    items = list(tx.collection(call.sandbox, "descriptors").values())
    for expr in call.args("property"):
        try:
            condition = query.parse(expr)
        except query.QueryError as e:
            raise _bad(call, e.message, errors.XDM_BAD_QUERY) from None
        items = [d for d in items if condition.matches(d)]
    if variant.startswith("xdm-v2"):
        return _v2_page(call, items, variant)
    grouped: dict[str, list[Any]] = {}
    for d in items:
        entry: Any = d
        if variant == "xdm-id":
            entry = d["@id"]
        elif variant == "xdm-link":
            entry = f"/tenant/descriptors/{d['@id']}"
        grouped.setdefault(d["@type"], []).append(entry)
    return Reply(200, grouped)


def put_descriptor(call: Call, tx: Tx) -> Reply:
    old = _descriptor(call, tx)
    body = _check_descriptor(call, tx, _body(call), old["@id"])
    descriptor = {**body, "meta:containerId": "tenant", "@id": old["@id"]}
    tx.put(call.sandbox, "descriptors", old["@id"], descriptor)
    return Reply(201, {"@id": old["@id"]})


def delete_descriptor(call: Call, tx: Tx) -> Reply:
    old = _descriptor(call, tx)
    tx.delete(call.sandbox, "descriptors", old["@id"])
    return Reply(204)


def _v2_page(call: Call, items: list[Any], variant: str) -> Reply:
    """The paged list for ``application/vnd.adobe.xdm-v2+json`` (help/xdm/api/descriptors.md).

    UNCONFIRMED shape: the docs show no v2 example. It is the one the other Schema Registry
    lists answer (``results``, ``_page`` with ``next``, ``_links.next``), which is what
    pitchmuc/aepp's getDescriptors reads (``results`` and ``_page.next``, passed back as
    ``start``). ``start`` is the emulator's opaque token (an offset); ``limit`` caps a page
    at 300 like the other lists. ``xdm-v2-id`` / ``xdm-v2-link`` (aepp) list ids / paths.
    """
    raw_limit = call.arg("limit")
    limit = MAX_RESULTS
    if raw_limit is not None:
        if not (raw_limit.isascii() and raw_limit.isdigit()) or int(raw_limit) > 500:
            raise _bad(call, "limit must be a number from 0 to 500", errors.XDM_BAD_QUERY)
        limit = min(int(raw_limit) or MAX_RESULTS, MAX_RESULTS)
    start = call.arg("start") or "0"
    if not (start.isascii() and start.isdigit()):
        raise _bad(call, f"start {start!r} is not a token this list gave", errors.XDM_BAD_QUERY)
    offset = int(start)
    page = items[offset : offset + limit]
    results: list[Any] = list(page)
    if variant == "xdm-v2-id":
        results = [d["@id"] for d in page]
    elif variant == "xdm-v2-link":
        results = [f"/tenant/descriptors/{d['@id']}" for d in page]
    next_start = str(offset + limit) if offset + limit < len(items) else None
    next_link = None
    if next_start is not None:
        next_link = {
            "href": f"{SCHEMA_REGISTRY}/tenant/descriptors?start={next_start}&limit={limit}"
        }
    return Reply(
        200,
        {
            "results": results,
            "_page": {"orderby": "", "next": next_start, "count": len(results)},
            "_links": {"next": next_link},
        },
    )

"""Schema Registry (``/data/foundation/schemaregistry``, help/xdm/api/getting-started.md).

Tenant schemas and field groups (``/tenant/fieldgroups``, also under the legacy ``/mixins``),
identity descriptors, the read-only global classes and field groups, and ``GET /stats``.

- Accept rules: lists take ``application/vnd.adobe.xed-id+json`` or ``xed+json`` without a
  version; lookups need ``version=1`` (xed, xed-full, xed-notext, xed-full-notext,
  xed-full-desc, xed-deprecatefield); descriptors use the ``xdm`` variants.
- Titles are unique across the tenant's schemas and field groups (XDM-1521-400); custom fields
  live under ``_<tenant>`` (XDM-1020-400); PATCH (JSON Patch) and PUT bump the minor version.
- Once a dataset uses a schema, changes must be additive and the schema cannot be deleted
  (help/xdm/api/getting-started.md, evolution rules; the error codes are UNCONFIRMED).
"""

from __future__ import annotations

from typing import Any

from aepflow.emulator import errors, jsonpatch, xdm
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.descriptors import (
    create_descriptor,
    delete_descriptor,
    get_descriptor,
    list_descriptors,
    put_descriptor,
)
from aepflow.emulator.router import Handler, Router
from aepflow.emulator.settings import SCHEMA_REGISTRY
from aepflow.emulator.state import Tx
from aepflow.emulator.xdmcommon import (
    GLOBAL_SEGMENTS,
    LIST_KINDS,
    LOOKUP_KINDS,
    TENANT_SEGMENTS,
    _bad,
    _body,
    _bound,
    _error,
    _find,
    _paged,
    _segment,
    _tenant_groups,
    _view,
    accept,
)
from aepflow.emulator.xdmcompose import (
    _check_evolution,
    _check_group_users,
    _check_title,
    _check_union,
    _compose,
    _datasets_using,
    _finish,
)
from aepflow.emulator.xdmglobal import get_global, list_global, stats


def register(router: Router) -> None:
    def add(method: str, path: str, handler: Handler) -> None:
        router.add(method, SCHEMA_REGISTRY + path, handler, service="schema")

    add("GET", "/stats", stats)
    for segment, kind in TENANT_SEGMENTS:
        add("POST", f"/tenant/{segment}", _bound(create, kind))
        add("GET", f"/tenant/{segment}", _bound(list_resources, kind))
        add("GET", f"/tenant/{segment}/{{id}}", _bound(get_resource, kind))
        add("PUT", f"/tenant/{segment}/{{id}}", _bound(put_resource, kind))
        add("PATCH", f"/tenant/{segment}/{{id}}", _bound(patch_resource, kind))
        add("DELETE", f"/tenant/{segment}/{{id}}", _bound(delete_resource, kind))
    for segment, kind in GLOBAL_SEGMENTS:
        add("GET", f"/global/{segment}", _bound(list_global, kind))
        add("GET", f"/global/{segment}/{{id}}", _bound(get_global, kind))
    add("POST", "/tenant/descriptors", create_descriptor)
    add("GET", "/tenant/descriptors", list_descriptors)
    add("GET", "/tenant/descriptors/{id}", get_descriptor)
    add("PUT", "/tenant/descriptors/{id}", put_descriptor)
    add("DELETE", "/tenant/descriptors/{id}", delete_descriptor)


def create(call: Call, tx: Tx, kind: str) -> Reply:
    body = _body(call)
    composed = _compose(call, tx, kind, body)
    _check_title(call, tx, composed.get("title"), None)
    resource = _finish(call, kind, composed, None)
    if kind == "schemas":
        _check_union(call, tx, resource)
    tx.put(call.sandbox, kind, resource["$id"], resource)
    return Reply(201, resource)


def _replace(call: Call, tx: Tx, kind: str, old: dict[str, Any], body: Any) -> Reply:
    composed = _compose(call, tx, kind, body)
    if kind != "schemas" and "meta:intendedToExtend" not in body:
        composed["meta:intendedToExtend"] = old.get("meta:intendedToExtend", [])
    _check_title(call, tx, composed.get("title"), old["$id"])
    resource = _finish(call, kind, composed, old)
    if kind == "schemas":
        _check_evolution(call, tx, old, resource)
        _check_union(call, tx, resource)
    else:
        _check_group_users(call, tx, old, resource)
    tx.put(call.sandbox, kind, resource["$id"], resource)
    return Reply(200, resource)


def put_resource(call: Call, tx: Tx, kind: str) -> Reply:
    old = _find(call, tx, kind, call.params["id"])
    return _replace(call, tx, kind, old, _body(call))


def patch_resource(call: Call, tx: Tx, kind: str) -> Reply:
    old = _find(call, tx, kind, call.params["id"])
    try:
        ops = jsonpatch.parse_ops(_body(call))
        patched = jsonpatch.apply(old, ops)
    except jsonpatch.PatchError as e:
        raise _bad(call, e.message, errors.XDM_BAD_PATCH) from None
    if not isinstance(patched, dict):
        raise _bad(call, "The patched resource must stay an object", errors.XDM_BAD_PATCH)
    if not any(op["path"].startswith("/meta:class") for op in ops):
        patched.pop("meta:class", None)  # derived from allOf again
    return _replace(call, tx, kind, old, patched)


def delete_resource(call: Call, tx: Tx, kind: str) -> Reply:
    resource = _find(call, tx, kind, call.params["id"])
    resource_id = resource["$id"]
    if kind == "schemas":
        used = _datasets_using(call, tx, resource_id)
        if used:
            raise _error(
                errors.XDM_IN_USE,
                "Resource in use",
                f"The schema {resource_id} is used by dataset(s) {', '.join(used)} and cannot "
                "be deleted.",
                call,
            )
        for key, descriptor in tx.collection(call.sandbox, "descriptors").items():
            if descriptor.get("xdm:sourceSchema") == resource_id:
                tx.delete(call.sandbox, "descriptors", key)
    else:
        users = sorted(
            key
            for key, schema in tx.collection(call.sandbox, "schemas").items()
            if resource_id in xdm.refs(schema)
        )
        if users:
            raise _error(
                errors.XDM_IN_USE,
                "Resource in use",
                f"The field group {resource_id} is used by schema(s) {', '.join(users)} and "
                "cannot be deleted.",
                call,
            )
    tx.delete(call.sandbox, kind, resource_id)
    return Reply(204)


def get_resource(call: Call, tx: Tx, kind: str) -> Reply:
    variant = accept(call, LOOKUP_KINDS, lookup=True)
    resource = _find(call, tx, kind, call.params["id"])
    return Reply(200, _view(resource, variant, _tenant_groups(call, tx)))


def list_resources(call: Call, tx: Tx, kind: str) -> Reply:
    variant = accept(call, LIST_KINDS, lookup=False)
    items = sorted(
        tx.collection(call.sandbox, kind).values(),
        key=lambda r: r["meta:registryMetadata"]["repo:createdDate"],
    )
    return _paged(call, items, variant, f"global_{_segment(kind)}", "tenant/" + _segment(kind))

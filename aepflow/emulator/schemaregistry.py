"""Schema Registry (``/data/foundation/schemaregistry``, reference §3).

Tenant schemas and field groups (``/tenant/fieldgroups``, also under the legacy ``/mixins``),
identity descriptors, the read-only global classes and field groups, and ``GET /stats``.

- Accept rules: lists take ``application/vnd.adobe.xed-id+json`` or ``xed+json`` without a
  version; lookups need ``version=1`` (xed, xed-full, xed-notext, xed-full-notext,
  xed-full-desc, xed-deprecatefield); descriptors use the ``xdm`` variants.
- Titles are unique across the tenant's schemas and field groups (XDM-1521-400); custom fields
  live under ``_<tenant>`` (XDM-1020-400); PATCH (JSON Patch) and PUT bump the minor version.
- Once a dataset uses a schema, changes must be additive and the schema cannot be deleted
  (reference §3, evolution rules; the error codes are UNCONFIRMED).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from aepflow.emulator import errors, jsonpatch, query, xdm
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.records import new_hex, sandbox_id
from aepflow.emulator.router import Handler, Router
from aepflow.emulator.settings import SCHEMA_REGISTRY
from aepflow.emulator.state import Tx

_ACCEPT = re.compile(
    r"application/vnd\.adobe\.(?P<kind>x[de][dm](?:-[a-z0-9]+)*)\+json"
    r"(?:\s*;\s*version\s*=\s*(?P<version>[0-9.]+))?"
)
LIST_KINDS = {"xed-id", "xed"}
LOOKUP_KINDS = {
    "xed",
    "xed-full",
    "xed-notext",
    "xed-full-notext",
    "xed-full-desc",
    "xed-deprecatefield",
}
DESCRIPTOR_KINDS = {"xdm-id", "xdm-link", "xdm", "xdm-v2"}
MAX_RESULTS = 300  # reference §3: result sets are capped at 300 items per call
_FIELD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
GLOBAL_LINK = "https://platform.adobe.io" + SCHEMA_REGISTRY + "/global/"
# URL segment -> stored kind (field groups are also served under the legacy /mixins).
TENANT_SEGMENTS = (
    ("schemas", "schemas"),
    ("fieldgroups", "fieldgroups"),
    ("mixins", "fieldgroups"),
)
GLOBAL_SEGMENTS = (
    ("classes", "classes"),
    ("fieldgroups", "fieldgroups"),
    ("mixins", "fieldgroups"),
)

# Fields the registry owns: ignored in request bodies, recomputed on every write.
_SERVER_FIELDS = {
    "$id",
    "meta:altId",
    "meta:resourceType",
    "version",
    "meta:class",
    "meta:extends",
    "meta:containerId",
    "meta:tenantNamespace",
    "meta:registryMetadata",
    "meta:sandboxId",
    "meta:sandboxType",
    "meta:xdmType",
    "meta:abstract",
    "meta:extensible",
    "refs",
    "imsOrg",
    "properties",
}


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


def _bound(handler: Callable[[Call, Tx, str], Reply], kind: str) -> Handler:
    def bound(call: Call, tx: Tx) -> Reply:
        return handler(call, tx, kind)

    return bound


def _error(code: str, title: str, detail: str, call: Call) -> errors.ApiError:
    return errors.xdm(code, title, detail, request_id=call.request_id)


def _bad(call: Call, detail: str, code: str = errors.XDM_BAD_BODY) -> errors.ApiError:
    return _error(code, "Bad Request", detail, call)


# -- Accept ---------------------------------------------------------------------------------


def accept(call: Call, allowed: set[str], *, lookup: bool) -> str:
    """The Accept variant of the request (``xed-full``, ``xdm-link``...), checked."""
    header = call.headers.get("accept", "")
    found = _ACCEPT.search(header)
    if found is None:
        raise _error(
            errors.XDM_ACCEPT_MISSING,
            "Invalid Accept header",
            "An Accept header such as application/vnd.adobe.xed+json is required; "
            f"got {header or 'none'}.",
            call,
        )
    kind, version = found["kind"], found["version"]
    if kind not in allowed:
        raise _error(
            errors.XDM_ACCEPT_UNSUPPORTED,
            "Invalid Accept header",
            f"The Accept header {kind} is not supported here; use one of "
            + ", ".join(sorted(allowed)),
            call,
        )
    if lookup and kind.startswith("xed") and version is None:
        raise _error(
            errors.XDM_VERSION_REQUIRED,
            "Invalid Accept header",
            "version must be supplied in the accept header, e.g. "
            f"application/vnd.adobe.{kind}+json; version=1",
            call,
        )
    if not lookup and version is not None:
        raise _error(
            errors.XDM_VERSION_NOT_ALLOWED,
            "Invalid Accept header",
            "version must not be supplied in the accept header of a list",
            call,
        )
    if version is not None and version.split(".")[0] != "1":
        raise _error(errors.XDM_NOT_FOUND, "Not Found", f"Version {version} does not exist.", call)
    return kind


# -- identifiers ----------------------------------------------------------------------------


def _segment(kind: str) -> str:
    return "schemas" if kind == "schemas" else "mixins"


def _find(call: Call, tx: Tx, kind: str, ref: str) -> dict[str, Any]:
    """A tenant resource by ``$id`` or ``meta:altId``."""
    tenant = call.identity.tenant_id
    key = ref
    prefix = f"_{tenant}.{_segment(kind)}."
    if ref.startswith(prefix):
        key = f"https://ns.adobe.com/{tenant}/{_segment(kind)}/{ref[len(prefix) :]}"
    found = tx.get(call.sandbox, kind, key)
    if found is None:
        raise _error(
            errors.XDM_NOT_FOUND,
            "Not Found",
            f"The requested {_segment(kind)} resource {ref} was not found.",
            call,
        )
    resource: dict[str, Any] = found
    return resource


def _tenant_groups(call: Call, tx: Tx) -> Mapping[str, Mapping[str, Any]]:
    return tx.collection(call.sandbox, "fieldgroups")


def _alt_id(ref: str) -> str:
    """Standard ids: ``https://ns.adobe.com/xdm/context/profile`` -> ``_xdm.context.profile``."""
    return "_" + ref.replace("https://ns.adobe.com/", "").replace("/", ".")


# -- validation and composition -------------------------------------------------------------


def _check_title(call: Call, tx: Tx, title: Any, own: str | None) -> None:
    if not isinstance(title, str) or not title.strip():
        raise _bad(call, "title is required and must be a non-empty string")
    for kind in ("schemas", "fieldgroups"):
        for key, other in tx.collection(call.sandbox, kind).items():
            if key != own and other.get("title") == title:
                raise _error(
                    errors.XDM_TITLE_NOT_UNIQUE,
                    "Title not unique",
                    f"Object titles must be unique. The title {title!r} is already used by {key}.",
                    call,
                )


def _check_custom(call: Call, resource: Mapping[str, Any]) -> None:
    """Custom fields sit under ``_<tenant>`` and follow the field-name rules."""
    namespace = f"_{call.identity.tenant_id}"
    definitions = resource.get("definitions") or {}
    if not isinstance(definitions, dict):
        raise _bad(call, "definitions must be an object")
    for name, definition in definitions.items():
        properties = (definition or {}).get("properties") or {}
        for key, prop in properties.items():
            if key != namespace:
                raise _error(
                    errors.XDM_NOT_IN_TENANT_NAMESPACE,
                    "Bad Request",
                    f"Custom fields must be nested under the tenant namespace {namespace}; "
                    f"found {key!r} in definition {name}.",
                    call,
                )
            _check_names(call, (prop or {}).get("properties") or {}, namespace)
    for ref in xdm.refs(resource):
        if ref.startswith("#/") and ref.split("/", 2)[-1] not in definitions:
            raise _bad(call, f"{ref} does not name a definition", errors.XDM_BAD_REFERENCE)


def _check_names(call: Call, properties: Mapping[str, Any], where: str) -> None:
    for key, prop in properties.items():
        if not _FIELD_NAME.match(key):
            raise _error(
                errors.XDM_BAD_FIELD_NAME,
                "Bad Request",
                f"Invalid field name {where}.{key}: use letters, digits, '-' and '_', and do "
                "not start with '_'.",
                call,
            )
        if isinstance(prop, dict):
            nested = prop.get("properties")
            if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
                nested = prop["items"].get("properties")
            if isinstance(nested, dict):
                _check_names(call, nested, f"{where}.{key}")


def _compose_schema(call: Call, tx: Tx, body: Mapping[str, Any]) -> dict[str, Any]:
    """Check a schema body and return it with the registry's composition fields."""
    refs = xdm.refs(body)
    if not isinstance(body.get("allOf"), list) or len(refs) != len(body["allOf"]):
        raise _bad(call, 'allOf must be a list of {"$ref": ...} objects')
    classes = [r for r in refs if r in xdm.classes()]
    if len(classes) != 1:
        raise _bad(
            call,
            "A schema must reference exactly one class in allOf (e.g. "
            "https://ns.adobe.com/xdm/context/profile)",
            errors.XDM_BAD_CLASS,
        )
    klass = classes[0]
    if body.get("meta:class") not in (None, klass):
        raise _bad(call, f"meta:class {body['meta:class']} is not the class in allOf ({klass})")
    groups = _tenant_groups(call, tx)
    extends: list[str] = []
    for ref in refs:
        if ref == klass or ref.startswith("#/"):
            continue
        if ref in xdm.field_groups():
            intended = xdm.field_groups()[ref]["meta:intendedToExtend"]
        elif ref in groups:
            intended = groups[ref].get("meta:intendedToExtend") or []
        else:
            raise _bad(call, f"Unknown reference {ref} in allOf", errors.XDM_BAD_REFERENCE)
        if intended and klass not in intended:
            raise _bad(
                call,
                f"The field group {ref} is not intended to extend the class {klass}",
                errors.XDM_INCOMPATIBLE_GROUP,
            )
        if ref not in extends:
            extends.append(ref)
    _check_custom(call, body)
    behaviors = list(reversed(xdm.classes()[klass]["meta:extends"]))
    out = {k: copy.deepcopy(v) for k, v in body.items() if k not in _SERVER_FIELDS}
    out["allOf"] = [
        {"$ref": r}
        if r.startswith("#/")
        else {"$ref": r, "type": "object", "meta:xdmType": "object"}
        for r in refs
    ]
    out["type"] = "object"
    out["meta:class"] = klass
    out["meta:extends"] = [*extends, *behaviors, klass]
    out["refs"] = [*extends, klass]
    return out


def _compose_group(call: Call, body: Mapping[str, Any]) -> dict[str, Any]:
    intended = body.get("meta:intendedToExtend", [])
    if not isinstance(intended, list) or any(c not in xdm.classes() for c in intended):
        raise _bad(
            call,
            "meta:intendedToExtend must list class ids such as "
            "https://ns.adobe.com/xdm/context/profile",
            errors.XDM_BAD_REFERENCE,
        )
    refs = xdm.refs(body)
    if any(not r.startswith("#/") for r in refs):
        raise _bad(
            call,
            "a field group's allOf may only reference its own #/definitions",
            errors.XDM_BAD_REFERENCE,
        )
    _check_custom(call, body)
    out = {k: copy.deepcopy(v) for k, v in body.items() if k not in _SERVER_FIELDS}
    out["type"] = "object"
    out["meta:intendedToExtend"] = list(intended)
    return out


def _finish(
    call: Call,
    kind: str,
    composed: dict[str, Any],
    previous: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Add the registry-owned fields: ids, version (minor bump on change), metadata."""
    tenant = call.identity.tenant_id
    segment = _segment(kind)
    if previous is None:
        hex_id = new_hex(16)
        resource_id = f"https://ns.adobe.com/{tenant}/{segment}/{hex_id}"
        version = "1.0"
        created = call.now_ms
    else:
        resource_id = previous["$id"]
        hex_id = resource_id.rsplit("/", 1)[-1]
        major, _, minor = str(previous["version"]).partition(".")
        version = f"{major}.{int(minor or 0) + 1}"
        created = previous["meta:registryMetadata"]["repo:createdDate"]
    who = call.identity
    out: dict[str, Any] = {
        "$id": resource_id,
        "meta:altId": f"_{tenant}.{segment}.{hex_id}",
        "meta:resourceType": segment,
        "version": version,
        **composed,
        "meta:xdmType": "object",
        "meta:abstract": kind != "schemas",
        "meta:extensible": kind != "schemas",
        "meta:containerId": "tenant",
        "meta:tenantNamespace": f"_{tenant}",
        "meta:sandboxId": sandbox_id(who.org_id, call.sandbox),
        "meta:sandboxType": "production" if call.sandbox == "prod" else "development",
        "imsOrg": who.org_id,
        "meta:registryMetadata": {
            "repo:createdDate": created,
            "repo:lastModifiedDate": call.now_ms,
            "xdm:createdClientId": who.client_id,
            "xdm:lastModifiedClientId": who.client_id,
            "eTag": new_hex(32),
        },
    }
    return out


def _datasets_using(call: Call, tx: Tx, schema_id: str) -> list[str]:
    return sorted(
        key
        for key, dataset in tx.collection(call.sandbox, "dataSets").items()
        if (dataset.get("schemaRef") or {}).get("id") == schema_id
    )


def _check_evolution(call: Call, tx: Tx, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Union tags stay; once a dataset uses the schema, changes must be additive."""
    if "union" in (old.get("meta:immutableTags") or []) and "union" not in (
        new.get("meta:immutableTags") or []
    ):
        raise _bad(call, "meta:immutableTags cannot be removed", errors.XDM_BREAKING_CHANGE)
    used = _datasets_using(call, tx, old["$id"])
    if not used:
        return
    groups = _tenant_groups(call, tx)
    before = {f.path for f in xdm.fields_of(old, groups)}
    after = {f.path for f in xdm.fields_of(new, groups)}
    lost_refs = [r for r in old.get("meta:extends", []) if r not in new.get("meta:extends", [])]
    lost_fields = sorted(before - after)
    if old.get("meta:class") != new.get("meta:class") or lost_refs or lost_fields:
        what = lost_refs or lost_fields[:5] or [str(new.get("meta:class"))]
        raise _error(
            errors.XDM_BREAKING_CHANGE,
            "Breaking change",
            f"The schema is used by dataset(s) {', '.join(used)}: only additive changes are "
            f"allowed (removed or changed: {', '.join(what)}).",
            call,
        )


def _check_union(call: Call, tx: Tx, schema: Mapping[str, Any]) -> None:
    if "union" not in (schema.get("meta:immutableTags") or []):
        return
    has_map = "https://ns.adobe.com/xdm/context/identitymap" in schema.get("meta:extends", [])
    primary = any(
        d.get("xdm:sourceSchema") == schema["$id"] and d.get("xdm:isPrimary")
        for d in tx.collection(call.sandbox, "descriptors").values()
    )
    if not (has_map or primary):
        raise _error(
            errors.XDM_UNION_NEEDS_IDENTITY,
            "Bad Request",
            "A schema enabled for Profile needs the IdentityMap field group or a primary "
            "identity descriptor.",
            call,
        )


# -- tenant schemas and field groups --------------------------------------------------------


def _body(call: Call) -> Any:
    return call.json(lambda detail: _bad(call, detail))


def _compose(call: Call, tx: Tx, kind: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad(call, "The body must be a JSON object")
    if kind == "schemas":
        return _compose_schema(call, tx, body)
    return _compose_group(call, body)


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


def _check_group_users(call: Call, tx: Tx, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """A field group used by a schema with a dataset may only gain fields."""
    before = {f.path for f in xdm.fields_of(old, {})}
    after = {f.path for f in xdm.fields_of(new, {})}
    if before <= after:
        return
    for schema in tx.collection(call.sandbox, "schemas").values():
        if old["$id"] in schema.get("meta:extends", []) and _datasets_using(
            call, tx, schema["$id"]
        ):
            raise _error(
                errors.XDM_BREAKING_CHANGE,
                "Breaking change",
                f"The field group is used by schema {schema['$id']}, which a dataset uses: "
                f"fields cannot be removed ({', '.join(sorted(before - after)[:5])}).",
                call,
            )


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


def _view(
    resource: Mapping[str, Any], variant: str, groups: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    out = copy.deepcopy(dict(resource))
    if variant.startswith("xed-full"):
        out["properties"] = xdm.resolved_properties(resource, groups)
    if "notext" in variant:
        _strip_text(out.get("properties") or {})
        _strip_text(out.get("definitions") or {})
    return out


def _strip_text(node: dict[str, Any]) -> None:
    for value in node.values():
        if isinstance(value, dict):
            value.pop("title", None)
            value.pop("description", None)
            _strip_text(value)


def list_resources(call: Call, tx: Tx, kind: str) -> Reply:
    variant = accept(call, LIST_KINDS, lookup=False)
    items = sorted(
        tx.collection(call.sandbox, kind).values(),
        key=lambda r: r["meta:registryMetadata"]["repo:createdDate"],
    )
    return _paged(call, items, variant, f"global_{_segment(kind)}", "tenant/" + _segment(kind))


def _paged(call: Call, items: list[Mapping[str, Any]], variant: str, link: str, path: str) -> Reply:
    for expr in call.args("property"):
        try:
            condition = query.parse(expr)
        except query.QueryError as e:
            raise _bad(call, e.message, errors.XDM_BAD_QUERY) from None
        items = [item for item in items if condition.matches(item)]
    order = call.arg("orderby")
    start = call.arg("start")
    raw_limit = call.arg("limit")
    if (start is not None or raw_limit is not None) and not order:
        raise _bad(
            call, "limit and start are only valid together with orderby", errors.XDM_BAD_QUERY
        )
    limit = MAX_RESULTS
    if raw_limit is not None:
        if not raw_limit.isdigit() or int(raw_limit) > 500:
            raise _bad(call, "limit must be a number from 0 to 500", errors.XDM_BAD_QUERY)
        limit = min(int(raw_limit) or MAX_RESULTS, MAX_RESULTS)
    next_start: str | None = None
    if order:
        field = order.lstrip("+-")
        descending = order.startswith("-")
        items = sorted(items, key=lambda i: str(i.get(field, "")), reverse=descending)
        if start is not None:
            items = [
                i
                for i in items
                if (str(i.get(field, "")) < start if descending else str(i.get(field, "")) > start)
            ]
        if len(items) > limit:
            next_start = str(items[limit - 1].get(field, ""))
    page = items[:limit]
    results = [
        {k: r[k] for k in ("$id", "meta:altId", "version", "title") if k in r}
        if variant == "xed-id"
        else dict(r)
        for r in page
    ]
    next_link = None
    if next_start is not None:
        next_link = {"href": f"{SCHEMA_REGISTRY}/{path}?orderby={order}&start={next_start}"}
    return Reply(
        200,
        {
            "results": results,
            "_page": {"orderby": order or "", "next": next_start, "count": len(results)},
            "_links": {"next": next_link, link: {"href": GLOBAL_LINK + link.split("_", 1)[1]}},
        },
    )


# -- the global container (read-only) -------------------------------------------------------


def _global(kind: str) -> dict[str, dict[str, Any]]:
    source = xdm.classes() if kind == "classes" else xdm.field_groups()
    out = {}
    for ref, info in source.items():
        out[ref] = {
            "$id": ref,
            "meta:altId": _alt_id(ref),
            "meta:resourceType": "classes" if kind == "classes" else "mixins",
            "version": "1.0",
            "title": info["title"],
            "type": "object",
            "meta:containerId": "global",
            "meta:extends": list(info.get("meta:extends", [])),
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
    segment = "classes" if kind == "classes" else "mixins"
    return _paged(
        call, list(_global(kind).values()), variant, f"global_{segment}", "global/" + segment
    )


def get_global(call: Call, tx: Tx, kind: str) -> Reply:
    variant = accept(call, LOOKUP_KINDS, lookup=True)
    ref = call.params["id"]
    resources = _global(kind)
    by_alt = {r["meta:altId"]: r for r in resources.values()}
    found = resources.get(ref) or by_alt.get(ref)
    if found is None:
        raise _error(errors.XDM_NOT_FOUND, "Not Found", f"The resource {ref} was not found.", call)
    out = {k: v for k, v in found.items() if k != "allOf"}
    if variant.startswith("xed-full"):
        out["properties"] = xdm.nest(xdm.standard_fields(found["$id"]))
    return Reply(200, out)


# -- stats ----------------------------------------------------------------------------------


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


# -- descriptors ----------------------------------------------------------------------------


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
    fields = xdm.FieldIndex(xdm.fields_of(schema, _tenant_groups(call, tx)))
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
    if variant == "xdm-v2":
        return Reply(200, {"results": items, "_page": {"count": len(items), "next": None}})
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

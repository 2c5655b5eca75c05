"""Schema Registry writes: composing schemas and field groups, and the rules AEP enforces on them
(unique titles, fields under the tenant namespace, additive evolution once a dataset exists).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from aepflow.emulator import errors, xdm
from aepflow.emulator.context import Call
from aepflow.emulator.records import new_hex, sandbox_id
from aepflow.emulator.state import Tx
from aepflow.emulator.xdmcommon import (
    _FIELD_NAME,
    _SERVER_FIELDS,
    _bad,
    _error,
    _segment,
    _tenant_groups,
)


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


JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array")
"""The ``type`` values a field may have: JSON Schema types. A date is ``"type": "string"`` with
``"format": "date"``, a date-time ``"format": "date-time"``
(help/xdm/tutorials/custom-fields-api.md: "[Date] fields are indicated by `type: string` and
`format: date`"; "Best practice is to use JSON Schema types (such as `string` and `integer`)").
"""


def _check_types(call: Call, node: Any, where: str) -> None:
    """Every ``type`` in a field tree (nested ``properties``, ``items``, map values) is a JSON
    Schema type; anything else (``"date-time"``, ``"date"``, ``"long"``) is refused with 400 in
    the Schema Registry's error shape (help/xdm/troubleshooting-guide.md; the code, XDM-1010-400,
    is UNCONFIRMED: no code for this case is documented)."""
    if not isinstance(node, dict):
        return
    if "type" in node and node["type"] not in JSON_TYPES:
        kind = node["type"]
        hint = ""
        if kind in ("date", "date-time"):
            hint = f' (a {kind} field is "type": "string" with "format": "{kind}")'
        raise _error(
            errors.XDM_BAD_FIELD_TYPE,
            "Bad Request",
            f"Invalid type {json.dumps(kind)} for field {where}: the type must be one of "
            f"{', '.join(JSON_TYPES)}{hint}.",
            call,
        )
    properties = node.get("properties")
    if isinstance(properties, dict):
        for key, prop in properties.items():
            _check_types(call, prop, f"{where}.{key}" if where else key)
    items = node.get("items")
    for item in items if isinstance(items, list) else [items]:
        _check_types(call, item, f"{where}[]")
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        _check_types(call, extra, f"{where}.{{key}}")


def _check_custom(call: Call, resource: Mapping[str, Any]) -> None:
    """Custom fields sit under ``_<tenant>``, follow the field-name rules and have JSON types."""
    namespace = f"_{call.identity.tenant_id}"
    definitions = resource.get("definitions") or {}
    if not isinstance(definitions, dict):
        raise _bad(call, "definitions must be an object")
    for name, definition in definitions.items():
        _check_types(call, definition, "")
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
    """A ``union`` tag (Profile enablement) needs the identityMap field group or a primary
    identity descriptor on the schema, on create, PUT and PATCH alike.

    help/xdm/api/schemas.md ("Enable a schema for use in Real-time Customer Profile"),
    help/xdm/tutorials/create-schema-api.md (``#profile``) and, for the error,
    help/xdm/troubleshooting-guide.md ("The schema must include an identityMap or primary
    identity": XDM-1528-400, "Union descriptor validation error").
    """
    if "union" not in (schema.get("meta:immutableTags") or []):
        return
    has_map = "https://ns.adobe.com/xdm/context/identitymap" in schema.get("meta:extends", [])
    primary = any(
        d.get("@type") == "xdm:descriptorIdentity"
        and d.get("xdm:sourceSchema") == schema["$id"]
        and d.get("xdm:isPrimary") is True
        for d in tx.collection(call.sandbox, "descriptors").values()
    )
    if not (has_map or primary):
        raise _error(
            errors.XDM_UNION_NEEDS_IDENTITY,
            "Union descriptor validation error",
            "To participate in a union, a schema must include an identityMap fieldgroup or a "
            "primary identity descriptor.",
            call,
        )


def _compose(call: Call, tx: Tx, kind: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad(call, "The body must be a JSON object")
    if kind == "schemas":
        return _compose_schema(call, tx, body)
    return _compose_group(call, body)


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

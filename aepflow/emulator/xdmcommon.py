"""What the Schema Registry handlers share: Accept rules, lookups by $id or meta:altId, paging."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from aepflow.emulator import errors, query, xdm
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.router import Handler
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


DESCRIPTOR_KINDS = {"xdm-id", "xdm-link", "xdm", "xdm-v2", "xdm-v2-id", "xdm-v2-link"}


MAX_RESULTS = 300  # help/xdm/api/getting-started.md: result sets are capped at 300 items per call


_FIELD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


GLOBAL_LINK = "https://platform.adobe.io" + SCHEMA_REGISTRY + "/global/"


TENANT_SEGMENTS = (
    ("schemas", "schemas"),
    ("fieldgroups", "fieldgroups"),
    ("mixins", "fieldgroups"),
)


GLOBAL_SEGMENTS = (
    ("classes", "classes"),
    ("fieldgroups", "fieldgroups"),
    ("mixins", "fieldgroups"),
    ("datatypes", "datatypes"),
    ("behaviors", "behaviors"),
)


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


def _bound(handler: Callable[[Call, Tx, str], Reply], kind: str) -> Handler:
    def bound(call: Call, tx: Tx) -> Reply:
        return handler(call, tx, kind)

    return bound


def _error(code: str, title: str, detail: str, call: Call) -> errors.ApiError:
    return errors.xdm(code, title, detail, request_id=call.request_id)


def _bad(call: Call, detail: str, code: str = errors.XDM_BAD_BODY) -> errors.ApiError:
    return _error(code, "Bad Request", detail, call)


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


def _body(call: Call) -> Any:
    return call.json(lambda detail: _bad(call, detail))


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
        if not (raw_limit.isascii() and raw_limit.isdigit()) or int(raw_limit) > 500:
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

"""Catalog (``/data/foundation/catalog``, help/catalog/api/getting-started.md): datasets.

- ``POST /dataSets`` -> 201 ``["@/dataSets/<24 hex>"]`` and a ``Location``.
- ``GET /dataSets/{id}`` and ``GET /dataSets`` answer objects keyed by id (not arrays); the list
  pages with ``start`` (offset) and ``limit`` (default 20, at most 100) and filters with
  ``name=`` (comma = OR, ``!`` negates), ``property=`` (top-level fields, ``name`` takes ``*``),
  ``tags=<tag>:<value or *>``; ``properties=`` projects and ``orderBy=`` sorts.
- ``PATCH`` (help/catalog/api/update-object.md) takes, with ``Content-Type:
  application/json``, a partial object whose top-level fields each replace the stored field
  (``{"tags": {...}}`` replaces the whole tags object, system tags included), or, with
  ``Content-Type: application/json-patch+json``, a JSON Patch array (``/tags/unifiedProfile``
  leaves the other tags alone); it answers 200 ``["@/dataSets/<id>"]``. ``DELETE`` answers 200
  ``["@/dataSets/<id>"]`` (``[]`` for an unknown id).
- Create adds Catalog's system tags (``adobe/pqs/table``, ``adobe/siphon/table/format``).
- ``schemaRef`` cannot change once created (UNCONFIRMED; the safe reading) and the Profile
  tag needs a schema enabled for Profile (help/catalog/datasets/enable-for-profile.md).
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from aepflow.emulator import errors, jsonpatch, query
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.records import new_hex, sandbox_id
from aepflow.emulator.router import Handler, Router
from aepflow.emulator.settings import CATALOG
from aepflow.emulator.state import Tx

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
DEFAULT_CONTENT_TYPE = "application/vnd.adobe.xed-full+json;version=1"
_CONTENT_TYPE = re.compile(
    r"^application/vnd\.adobe\.xed(-full)?(-notext)?\+json\s*;\s*version\s*=\s*1(\.\d+)?$"
)
_SERVER_FIELDS = {
    "created",
    "updated",
    "createdClient",
    "createdUser",
    "updatedUser",
    "imsOrg",
    "sandboxId",
    "version",
    "viewId",
    "state",
    "files",
    "dataSourceId",
}


def register(router: Router) -> None:
    def add(method: str, path: str, handler: Handler) -> None:
        router.add(method, CATALOG + path, handler, service="catalog")

    add("POST", "/dataSets", create)
    add("GET", "/dataSets", list_datasets)
    add("GET", "/dataSets/{id}", get_dataset)
    add("PATCH", "/dataSets/{id}", patch_dataset)
    add("PUT", "/dataSets/{id}", put_dataset)
    add("DELETE", "/dataSets/{id}", delete_dataset)


def _ref(dataset_id: str) -> list[str]:
    return [f"@/dataSets/{dataset_id}"]


def _check(call: Call, tx: Tx, dataset: Mapping[str, Any]) -> None:
    if not isinstance(dataset.get("name"), str) or not dataset["name"].strip():
        raise errors.bad_request("name is required and must be a non-empty string")
    ref = dataset.get("schemaRef")
    if not isinstance(ref, dict) or not ref.get("id"):
        raise errors.bad_request("schemaRef.id is required: the $id of the dataset's schema")
    content_type = str(ref.get("contentType", DEFAULT_CONTENT_TYPE))
    if not _CONTENT_TYPE.match(content_type.strip()):
        raise errors.bad_request(
            f"schemaRef.contentType {content_type} is not valid; use {DEFAULT_CONTENT_TYPE}"
        )
    schema = tx.get(call.sandbox, "schemas", str(ref["id"]))
    if schema is None:
        raise errors.bad_request(f"schemaRef.id {ref['id']} is not a schema of this sandbox")
    tags = dataset.get("tags", {})
    if not isinstance(tags, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in tags.values()
    ):
        raise errors.bad_request("tags must map each tag name to a list of strings")
    # help/catalog/datasets/enable-for-profile.md: "you must know the ID of an existing XDM
    # schema that is enabled for Profile" (one whose meta:immutableTags holds "union",
    # help/xdm/api/schemas.md). The wording of the refusal is the emulator's (UNCONFIRMED).
    profile = [v.replace(" ", "") for v in tags.get("unifiedProfile", [])]
    if "enabled:true" in profile and "union" not in (schema.get("meta:immutableTags") or []):
        raise errors.bad_request(
            f"The dataset cannot be enabled for Profile: its schema {ref['id']} must be enabled "
            'for Profile first (add "union" to the schema\'s meta:immutableTags).'
        )


def _body(call: Call) -> Any:
    return call.json(errors.bad_request)


def system_tags(name: str) -> dict[str, list[str]]:
    """The tags Catalog adds to a new dataset. UNCONFIRMED: the names and values are taken from
    the GET /dataSets/{id} examples (help/catalog/datasets/enable-for-profile.md shows
    ``"adobe/pqs/table": [...]`` next to the client's tags); the table name is the dataset
    name lowercased with every other character turned into ``_``, and the format the
    dataset's parquet ``fileDescription``."""
    table = re.sub(r"[^a-z0-9]", "_", name.strip().lower())
    return {"adobe/pqs/table": [table], "adobe/siphon/table/format": ["parquet"]}


def create(call: Call, tx: Tx) -> Reply:
    body = _body(call)
    if not isinstance(body, dict):
        raise errors.bad_request("The body must be a JSON object")
    dataset = {k: copy.deepcopy(v) for k, v in body.items() if k not in _SERVER_FIELDS}
    dataset.setdefault("tags", {})
    dataset["schemaRef"] = {"contentType": DEFAULT_CONTENT_TYPE, **(body.get("schemaRef") or {})}
    dataset.setdefault(
        "fileDescription", {"persisted": True, "containerFormat": "parquet", "format": "parquet"}
    )
    if isinstance(dataset["tags"], dict) and isinstance(dataset.get("name"), str):
        dataset["tags"] = {**system_tags(dataset["name"]), **dataset["tags"]}
    _check(call, tx, dataset)
    dataset_id = new_hex(12)
    view_id = new_hex(12)
    who = call.identity
    dataset.update(
        {
            "version": "1.0.0",
            "created": call.now_ms,
            "updated": call.now_ms,
            "createdClient": who.client_id,
            "createdUser": who.user,
            "updatedUser": who.user,
            "imsOrg": who.org_id,
            "sandboxId": sandbox_id(who.org_id, call.sandbox),
            "viewId": view_id,
            "state": "DRAFT",
            "files": f"@/dataSets/{dataset_id}/views/{view_id}/files",
        }
    )
    # help/catalog/api/create-dataset.md posts to /dataSets?requestDataSource=true (never
    # explained); other query parameters are ignored.
    if (call.arg("requestDataSource") or "").lower() == "true":
        dataset["dataSourceId"] = int(dataset_id[:6], 16)
    tx.put(call.sandbox, "dataSets", dataset_id, dataset)
    return Reply(201, _ref(dataset_id), {"Location": f"{CATALOG}/dataSets/{dataset_id}"})


def _project(call: Call, dataset: Mapping[str, Any]) -> dict[str, Any]:
    raw = call.arg("properties")
    if not raw:
        return dict(dataset)
    wanted = [p.strip() for p in raw.split(",") if p.strip()]
    return {k: dataset[k] for k in wanted if k in dataset}


def get_dataset(call: Call, tx: Tx) -> Reply:
    dataset_id = call.params["id"]
    dataset = tx.get(call.sandbox, "dataSets", dataset_id)
    if dataset is None:
        raise errors.not_found(f"Dataset {dataset_id} was not found.")
    return Reply(200, {dataset_id: _project(call, dataset)})


def _int_arg(call: Call, name: str, default: int, low: int, high: int) -> int:
    raw = call.arg(name)
    if raw is None:
        return default
    if not (raw.strip().isascii() and raw.strip().isdigit()) or not low <= int(raw) <= high:
        raise errors.bad_request(f"{name} must be an integer from {low} to {high}, not {raw!r}")
    return int(raw)


def list_datasets(call: Call, tx: Tx) -> Reply:
    limit = _int_arg(call, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    start = _int_arg(call, "start", 0, 0, 10**9)
    items = sorted(tx.collection(call.sandbox, "dataSets").items(), key=lambda kv: kv[1]["created"])
    names = call.arg("name")
    if names is not None:
        items = [(k, v) for k, v in items if _name_matches(str(v.get("name", "")), names)]
    for expr in call.args("property"):
        items = [(k, v) for k, v in items if _property(expr).matches(v)]
    tags = call.arg("tags")
    if tags is not None:
        items = [(k, v) for k, v in items if _tags_match(v.get("tags") or {}, tags)]
    order = call.arg("orderBy")
    if order:
        items = _ordered(items, order)
    page = items[start : start + limit]
    return Reply(200, {k: _project(call, v) for k, v in page})


def _name_matches(name: str, spec: str) -> bool:
    wanted = [w.strip() for w in spec.split(",") if w.strip()]
    excluded = {w[1:] for w in wanted if w.startswith("!")}
    included = [w for w in wanted if not w.startswith("!")]
    if name in excluded:
        return False
    return not included or name in included


class _Wildcard(query.Condition):
    """``property=name==Foo*``: Catalog's ``*`` wildcard on names."""

    def matches(self, obj: Any) -> bool:
        hit = any(
            fnmatch.fnmatchcase(str(a), v)
            for a in query.values_at(obj, self.field)
            for v in self.values
        )
        return hit if self.op == "==" else not hit


def _property(expr: str) -> query.Condition:
    try:
        condition = query.parse(expr)
    except query.QueryError as e:
        raise errors.bad_request(e.message) from None
    if "." in condition.field or "[" in condition.field:
        raise errors.bad_request(
            f"Only top-level properties can be filtered ({condition.field} is not one)"
        )
    if condition.op in ("==", "!=") and any("*" in v for v in condition.values):
        if condition.field != "name":
            raise errors.bad_request("The * wildcard is only supported on name")
        return _Wildcard(condition.field, condition.op, condition.values)
    return condition


def _tags_match(tags: Mapping[str, Any], spec: str) -> bool:
    for alternative in spec.split(","):
        tag, _, value = alternative.strip().partition(":")
        values = tags.get(tag)
        if values is not None and (value in ("", "*") or value in values):
            return True
    return False


def _ordered(items: list[tuple[str, Any]], spec: str) -> list[tuple[str, Any]]:
    keys = []
    for part in reversed([p.strip() for p in spec.split(",") if p.strip()]):
        direction, _, field = part.rpartition(":")
        if direction not in ("", "asc", "desc"):
            raise errors.bad_request(
                f"orderBy {part} is not valid: use asc:<field> or desc:<field>"
            )
        keys.append((field, direction == "desc"))
    for field, descending in keys:  # least significant key first: stable sorts compose
        items = sorted(items, key=lambda kv: str(kv[1].get(field, "")), reverse=descending)
    return items


def _updated(call: Call, tx: Tx, old: Mapping[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    for field in _SERVER_FIELDS:
        if new.get(field) != old.get(field):
            raise errors.bad_request(f"{field} is set by Catalog and cannot be changed")
    if new.get("schemaRef", {}).get("id") != old["schemaRef"]["id"]:
        raise errors.bad_request("schemaRef cannot be changed once the dataset exists")
    _check(call, tx, new)
    major, minor, patch = [*str(old.get("version", "1.0.0")).split("."), "0", "0"][:3]
    new["version"] = f"{major}.{minor}.{int(patch) + 1}"
    new["updated"] = call.now_ms
    new["updatedUser"] = call.identity.user
    return new


def patch_dataset(call: Call, tx: Tx) -> Reply:
    dataset_id = call.params["id"]
    old = tx.get(call.sandbox, "dataSets", dataset_id)
    if old is None:
        raise errors.not_found(f"Dataset {dataset_id} was not found.")
    body = _body(call)
    # help/catalog/api/update-object.md: "When using JSON Patch, you must also set the
    # Content-Type header to application/json-patch+json"; otherwise the body is the fields to
    # update, each replacing the stored top-level field.
    json_patch = "json-patch" in call.headers.get("content-type", "").lower()
    if json_patch:
        if not isinstance(body, list):
            raise errors.bad_request(
                "With Content-Type application/json-patch+json the body must be a JSON Patch array"
            )
        try:
            new = jsonpatch.apply(old, jsonpatch.parse_ops(body))
        except jsonpatch.PatchError as e:
            raise errors.bad_request(e.message) from None
        if not isinstance(new, dict):
            raise errors.bad_request("The patched dataset must stay an object")
    elif isinstance(body, dict):
        new = {**copy.deepcopy(old), **copy.deepcopy(body)}
    elif isinstance(body, list):
        raise errors.bad_request(
            "A JSON Patch array needs Content-Type application/json-patch+json; with "
            "application/json the body is an object of the fields to update"
        )
    else:
        raise errors.bad_request("The body must be a partial dataset object or a JSON Patch array")
    tx.put(call.sandbox, "dataSets", dataset_id, _updated(call, tx, old, new))
    return Reply(200, _ref(dataset_id))


def put_dataset(call: Call, tx: Tx) -> Reply:
    dataset_id = call.params["id"]
    old = tx.get(call.sandbox, "dataSets", dataset_id)
    if old is None:
        raise errors.not_found(f"Dataset {dataset_id} was not found.")
    body = _body(call)
    if not isinstance(body, dict):
        raise errors.bad_request("The body must be a JSON object")
    new = {k: copy.deepcopy(v) for k, v in body.items() if k not in _SERVER_FIELDS}
    new.update({k: old[k] for k in _SERVER_FIELDS if k in old})
    new["schemaRef"] = {"contentType": DEFAULT_CONTENT_TYPE, **(body.get("schemaRef") or {})}
    new.setdefault("tags", {})
    tx.put(call.sandbox, "dataSets", dataset_id, _updated(call, tx, old, new))
    return Reply(200, _ref(dataset_id))


def delete_dataset(call: Call, tx: Tx) -> Reply:
    dataset_id = call.params["id"]
    if tx.get(call.sandbox, "dataSets", dataset_id) is None:
        # help/catalog/api/getting-started.md: an unknown id may still answer 200 with [].
        return Reply(200, [])
    tx.delete(call.sandbox, "dataSets", dataset_id)
    return Reply(200, _ref(dataset_id))

"""XDM composition: the standard classes and field groups, and the fields a schema resolves to.

The standard resources and their leaf fields come from the XDM catalog
(``aepflow.catalog.xdm``, generated from Adobe's XDM repository), the one validate reads too.
Paths are dotted XED names; ``[]`` marks an array and ``{namespace}`` / ``{key}`` the key of a
map (``identityMap.{namespace}[].id``).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from aepflow.catalog.xdm import BEHAVIOR, CLASS, DATA_TYPE, FIELD_GROUP, catalog, catalog_path


@dataclass(frozen=True)
class Field:
    path: str
    type: str = "string"
    format: str | None = None
    xdm_type: str | None = None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@cache
def _infos(kind: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for ref in catalog().ids(kind):
        r = catalog().get(ref)
        if r is None:
            continue
        info: dict[str, Any] = {"title": r.title, "meta:status": r.status}
        if kind in (CLASS, BEHAVIOR):
            info["meta:extends"] = list(r.extends)
        if kind == FIELD_GROUP:
            info["meta:intendedToExtend"] = list(r.intended_to_extend)
        out[ref] = info
    return out


def classes() -> dict[str, dict[str, Any]]:
    return _infos(CLASS)


def field_groups() -> dict[str, dict[str, Any]]:
    return _infos(FIELD_GROUP)


def data_types() -> dict[str, dict[str, Any]]:
    return _infos(DATA_TYPE)


def behaviors() -> dict[str, dict[str, Any]]:
    return _infos(BEHAVIOR)


@cache
def standard_fields(ref: str) -> tuple[Field, ...]:
    found = catalog().get(ref)
    if found is None:
        return ()
    return tuple(Field(f.path, f.type, f.json_format, f.xdm_type) for f in found.fields)


def custom_fields(properties: Mapping[str, Any], prefix: str = "") -> list[Field]:
    """The leaf fields of a JSON-schema ``properties`` object (a custom field group's)."""
    out: list[Field] = []
    for name, prop in properties.items():
        path = f"{prefix}{name}"
        if not isinstance(prop, dict):
            continue
        kind = prop.get("type")
        if kind == "object" and isinstance(prop.get("properties"), dict):
            out.extend(custom_fields(prop["properties"], path + "."))
        elif kind == "array":
            items = _object(prop.get("items"))
            if items.get("type") == "object" and isinstance(items.get("properties"), dict):
                out.extend(custom_fields(items["properties"], path + "[]."))
            else:
                out.append(Field(path + "[]", "array", None, "array"))
        else:
            out.append(
                Field(path, str(kind or "string"), prop.get("format"), prop.get("meta:xdmType"))
            )
    return out


def refs(resource: Mapping[str, Any]) -> list[str]:
    return [
        str(item["$ref"])
        for item in resource.get("allOf") or []
        if isinstance(item, dict) and isinstance(item.get("$ref"), str)
    ]


def definition_properties(resource: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    """The properties of ``#/definitions/<name>`` inside ``resource``."""
    name = ref.split("/", 2)[-1] if ref.startswith("#/definitions/") else ""
    definition = (resource.get("definitions") or {}).get(name) or {}
    found: Mapping[str, Any] = definition.get("properties") or {}
    return found


def fields_of(
    resource: Mapping[str, Any],
    tenant_groups: Mapping[str, Mapping[str, Any]],
    _seen: frozenset[str] = frozenset(),
) -> list[Field]:
    """Every field a schema or field group resolves to: class, standard and tenant groups."""
    out: list[Field] = []
    for ref in refs(resource):
        if ref.startswith("#/"):
            out.extend(custom_fields(definition_properties(resource, ref)))
        elif ref in classes() or ref in field_groups():
            out.extend(standard_fields(ref))
        elif ref in tenant_groups and ref not in _seen:
            out.extend(fields_of(tenant_groups[ref], tenant_groups, _seen | {ref}))
    return out


def stored_fields(
    resource: Mapping[str, Any], tenant_groups: Mapping[str, Mapping[str, Any]]
) -> list[Field]:
    """``fields_of`` a stored schema, worked out once per version of it and of the tenant
    groups it uses (a thousand mapping sets on one schema walk it once, not a thousand
    times). Stored objects are replaced on every change, never edited in place (a PATCH
    applies to a copy; the journal replays new objects), so the same objects mean the same
    fields. The result is shared: do not change it."""
    used = _tenant_closure(resource, tenant_groups)
    key = (id(resource), *(id(g) for g in used))
    with _STORED_LOCK:
        found = _STORED.get(key)
    if (
        found is not None
        and found[0] is resource
        and all(a is b for a, b in zip(found[1], used, strict=True))
    ):
        return found[2]
    fields = fields_of(resource, tenant_groups)
    with _STORED_LOCK:
        if len(_STORED) >= 256:
            _STORED.pop(next(iter(_STORED)))
        _STORED[key] = (resource, used, fields)
    return fields


_STORED: dict[tuple[int, ...], tuple[Any, tuple[Any, ...], list[Field]]] = {}
_STORED_LOCK = threading.Lock()


def _tenant_closure(
    resource: Mapping[str, Any], tenant_groups: Mapping[str, Mapping[str, Any]]
) -> tuple[Mapping[str, Any], ...]:
    """Every tenant group ``fields_of(resource)`` reads, in the order it reads them."""
    out: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    todo = [resource]
    while todo:
        for ref in refs(todo.pop()):
            if ref in tenant_groups and ref not in seen:
                seen.add(ref)
                out.append(tenant_groups[ref])
                todo.append(tenant_groups[ref])
    return tuple(out)


def normalize(path: str) -> str:
    """A destination in catalog form: ``identityMap.Email[0].id`` -> ``...{namespace}[].id``."""
    return catalog_path(path.strip())


def field_index(fields: Iterable[Field]) -> FieldIndex:
    """The index of these fields: made once per set of paths (a thousand mapping sets of
    one schema share one), as it depends on nothing else."""
    return _field_index(tuple(f.path for f in fields))


@lru_cache(maxsize=256)
def _field_index(paths: tuple[str, ...]) -> FieldIndex:
    return FieldIndex(paths)


class FieldIndex:
    """Leaf paths and object paths of a resolved schema, for path checks (``field_index``)."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.leaves = frozenset(paths)
        self.objects: set[str] = set()
        for leaf in self.leaves:
            parts = leaf.split(".")
            for i in range(1, len(parts)):
                self.objects.add(".".join(parts[:i]))
        for container in [p for p in self.objects if p.endswith("[]")]:
            self.objects.add(container[:-2])

    def has(self, path: str) -> bool:
        """A leaf or an object of the schema (a mapping may target either)."""
        wanted = normalize(path)
        return wanted in self.leaves or wanted in self.objects

    def has_leaf(self, path: str) -> bool:
        return normalize(path) in self.leaves


def nest(fields: Iterable[Field]) -> dict[str, Any]:
    """The ``properties`` tree of the resolved (``xed-full``) view of standard fields."""
    root: dict[str, Any] = {}
    for f in fields:
        _node(root, f.path.split("."), f)
    return root


def _node(properties: dict[str, Any], segments: list[str], f: Field) -> None:
    head, rest = segments[0], segments[1:]
    if head.startswith("{"):
        return  # a map's key: handled by the map above it
    if rest and rest[0].startswith("{"):  # identityMap.{namespace}[].id, x.{key}.y
        arrays = rest[0].endswith("[]")
        node = properties.get(head)
        if node is None or ("items" in node["additionalProperties"]) != arrays:
            node = properties[head] = _map(arrays)
        value = node["additionalProperties"]
        inner = value["items"] if arrays else value
        if len(rest) > 1:
            _node(inner.setdefault("properties", {}), rest[1:], f)
        return
    if not rest:
        if f.xdm_type == "map":
            properties.setdefault(head, _map(False))
        elif head.endswith("[]"):
            item: dict[str, Any] = {"type": f.type}
            if f.format:
                item["format"] = f.format
            properties[head[:-2]] = {"type": "array", "items": item, "meta:xdmType": "array"}
        else:
            leaf: dict[str, Any] = {"type": f.type}
            if f.format:
                leaf["format"] = f.format
            leaf["meta:xdmType"] = f.xdm_type or f.type
            properties[head] = leaf
        return
    if head.endswith("[]"):
        node = properties.setdefault(
            head[:-2],
            {"type": "array", "items": {"type": "object", "properties": {}}},
        )
        _node(node["items"].setdefault("properties", {}), rest, f)
        return
    node = properties.setdefault(
        head, {"type": "object", "meta:xdmType": "object", "properties": {}}
    )
    _node(node.setdefault("properties", {}), rest, f)


def _map(arrays: bool = True) -> dict[str, Any]:
    value: dict[str, Any] = (
        {"type": "array", "items": {"type": "object", "properties": {}}}
        if arrays
        else {"type": "object", "properties": {}}
    )
    return {"type": "object", "meta:xdmType": "map", "additionalProperties": value}


def merge_properties(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Deep-merge a custom ``properties`` object into a resolved tree (objects combine)."""
    for name, prop in extra.items():
        existing = target.get(name)
        if (
            isinstance(existing, dict)
            and isinstance(prop, dict)
            and isinstance(existing.get("properties"), dict)
            and isinstance(prop.get("properties"), dict)
        ):
            merge_properties(existing["properties"], prop["properties"])
        else:
            target[name] = copy.deepcopy(prop)


def resolved_properties(
    resource: Mapping[str, Any], tenant_groups: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The ``properties`` of a schema with its class and every field group resolved."""
    out: dict[str, Any] = {}
    _resolve_into(out, resource, tenant_groups, frozenset())
    return out


def _resolve_into(
    out: dict[str, Any],
    resource: Mapping[str, Any],
    tenant_groups: Mapping[str, Mapping[str, Any]],
    seen: frozenset[str],
) -> None:
    for ref in refs(resource):
        if ref.startswith("#/"):
            merge_properties(out, definition_properties(resource, ref))
        elif ref in classes() or ref in field_groups():
            merge_properties(out, nest(standard_fields(ref)))
        elif ref in tenant_groups and ref not in seen:
            _resolve_into(out, tenant_groups[ref], tenant_groups, seen | {ref})

"""Standard classes and field groups the shipped XDM catalog lacks, read from the platform.

Adobe adds field groups between aepflow releases. On a sandbox, a schema's class or field
group with a well-formed standard ``$id`` that the catalog does not hold is read once per run
from the Schema Registry's global container and used like a shipped one (validate offline
only warns that it cannot check its fields):

    GET /global/fieldgroups/{URL-encoded $id}   (help/xdm/api/field-groups.md, "Look up")
    GET /global/classes/{URL-encoded $id}       (help/xdm/api/classes.md, "Look up")
    Accept: application/vnd.adobe.xed-full+json; version=1   ($ref and allOf resolved)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from aepflow.api import SCHEMA, XED_FULL_V1, Door, Request
from aepflow.catalog.xdm import CLASS, FIELD_GROUP, Field, Resource
from aepflow.manifest import xdm
from aepflow.model import ProjectModel

# Only ids of Adobe's global container: a tenant's own ids live under its tenant namespace.
GLOBAL = ("https://ns.adobe.com/xdm/", "https://ns.adobe.com/experience/")
_SEGMENT = {CLASS: "classes", FIELD_GROUP: "fieldgroups"}
_INTEGERS = {127: "byte", 32767: "short", 2147483647: "int", 9007199254740991: "long"}


def lookup(ref: str, kind: str) -> Request:
    """The lookup of one global class or field group, resolved."""
    return Request(
        "GET", f"{SCHEMA}/global/{_SEGMENT[kind]}/{quote(ref, safe='')}", accept=XED_FULL_V1
    )


def missing(model: ProjectModel) -> list[tuple[str, str]]:
    """(``$id``, kind) of every standard class or field group of the model not known yet."""
    out: dict[str, str] = {}
    for s in model.schemas.values():
        for ref, kind in ((s.class_id, CLASS), *((g, FIELD_GROUP) for g in s.field_group_ids)):
            if (
                ref.startswith(GLOBAL)
                and xdm.WELL_FORMED.match(ref)
                and xdm.lookup(ref) is None
                and xdm.absent_from(ref) is None
            ):
                out.setdefault(ref, kind)
    return sorted(out.items())


def learn_missing(door: Door, model: ProjectModel, sandbox: str) -> bool:
    """Read what the catalog lacks from the registry of ``sandbox`` and learn it, or learn
    that the sandbox has no such resource; whether anything was (the model is then read
    again: checked against it, or refused)."""
    learned = False
    for ref, kind in missing(model):
        raw = door.send(lookup(ref, kind), allow_404=True)
        if isinstance(raw, Mapping):
            xdm.learn(resource(raw, kind))
        else:
            xdm.learn_absent(ref, sandbox)
        learned = True
    return learned


def resource(raw: Mapping[str, Any], kind: str) -> Resource:
    """A resolved (``xed-full``) class or field group as a catalog resource."""

    def ids(key: str) -> tuple[str, ...]:
        value = raw.get(key)
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    fields: dict[str, Field] = {}
    for f in leaves(raw.get("properties") or {}, ""):
        fields.setdefault(f.path, f)
    return Resource(
        kind=kind,
        id=str(raw["$id"]),
        status=str(raw.get("meta:status") or "stable"),
        title=str(raw.get("title") or ""),
        extends=ids("meta:extends"),
        intended_to_extend=ids("meta:intendedToExtend"),
        fields=tuple(fields.values()),
    )


def leaves(properties: Mapping[str, Any], prefix: str, old: bool = False) -> Iterator[Field]:
    """The leaf fields of a resolved ``properties`` tree, in the catalog's path form."""
    for name, node in properties.items():
        if not isinstance(node, Mapping):
            continue
        path = prefix + name
        dep = old or node.get("meta:status") == "deprecated"
        extra = node.get("additionalProperties")
        if node.get("meta:xdmType") == "map" or (
            isinstance(extra, Mapping) and not node.get("properties")
        ):
            yield Field(path, "map", None, dep)
            if isinstance(extra, Mapping):
                key = "{namespace}" if name == "identityMap" else "{key}"
                value = extra.get("items")
                if extra.get("type") == "array" and isinstance(value, Mapping):
                    yield from leaves(value.get("properties") or {}, f"{path}.{key}[].", dep)
                else:
                    yield from leaves(extra.get("properties") or {}, f"{path}.{key}.", dep)
        elif isinstance(node.get("properties"), Mapping) and node["properties"]:
            yield from leaves(node["properties"], path + ".", dep)
        elif node.get("type") == "array":
            found = node.get("items")
            items: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
            if isinstance(items.get("properties"), Mapping) and items["properties"]:
                yield from leaves(items["properties"], path + "[].", dep)
            else:
                yield _leaf(path + "[]", items, dep)
        else:
            yield _leaf(path, node, dep)


def _leaf(path: str, node: Mapping[str, Any], deprecated: bool) -> Field:
    kind = node.get("type") or "string"
    fmt = node.get("format")
    declared = node.get("meta:xdmType")
    if isinstance(declared, str) and declared:
        xdm_type = declared
    elif kind == "string" and fmt in ("date", "date-time"):
        xdm_type = str(fmt)
    elif kind == "integer":
        xdm_type = _INTEGERS.get(node.get("maximum"), "int")  # type: ignore[arg-type]
    else:
        xdm_type = str(kind)
    return Field(path, xdm_type, str(fmt) if fmt and fmt != xdm_type else None, deprecated)


def forget() -> None:
    """A new run: forget the 404s (and what was learned)."""
    xdm.forget()

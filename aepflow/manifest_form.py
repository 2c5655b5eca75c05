"""Live objects' parts read back into the manifest's form: the inverse of what the kinds send.

Row filters (the PQL JSON tree of help/sources/tutorials/api/filter.md, the inverse of
``aepflow.kinds.source_connection.pql``), mappings (help/data-prep/api/mapping-set.md) and a
custom field group's fields. A shape the manifests cannot express raises
:class:`CannotImport`, which ``import --all`` turns into a skip with its reason.
"""

from __future__ import annotations

from typing import Any

from aepflow.errors import UsageError


class CannotImport(UsageError):
    """A flow aepflow cannot bring under management; ``import --all`` skips it, naming why."""


_OPS = frozenset({"=", "!=", "<", "<=", ">", ">=", "like", "in", "isNull"})


def row_filter(node: Any) -> dict[str, Any]:
    """A source connection's PQL JSON filter (help/sources/tutorials/api/filter.md) in the
    manifest's form: the inverse of ``aepflow.kinds.source_connection.pql``."""
    if not isinstance(node, dict) or node.get("nodeType") != "fnApply":
        raise CannotImport(f"its row filter {node!r} has a shape aepflow cannot express")
    name, params = str(node.get("fnName", "")), list(node.get("params") or [])
    if name in ("and", "or"):
        return {name: [row_filter(p) for p in params]}
    if name == "NOT" and len(params) == 1:
        return {"not": row_filter(params[0])}
    lookup = params[0] if params else {}
    if (
        name not in _OPS
        or not isinstance(lookup, dict)
        or lookup.get("nodeType") != "fieldLookup"
        or len(params) != (1 if name == "isNull" else 2)
    ):
        raise CannotImport(f"its row filter {name!r} has a shape aepflow cannot express")
    out: dict[str, Any] = {"column": lookup.get("fieldName"), "op": name}
    if name != "isNull":
        literal = params[1]
        if not isinstance(literal, dict) or literal.get("nodeType") != "literal":
            raise CannotImport("its row filter compares two columns, which aepflow cannot express")
        out["value"] = literal.get("value")
    return out


def manifest_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        if not isinstance(spec, dict):
            continue
        kind = spec.get("type", "string")
        if kind == "string" and spec.get("format") in ("date", "date-time"):
            kind = spec["format"]
        entry: dict[str, Any] = {"type": kind}
        for key in ("title", "description"):
            if key in spec:
                entry[key] = spec[key]
        if kind == "object":
            entry["properties"] = manifest_fields(spec.get("properties") or {})
        out[name] = entry
    return out

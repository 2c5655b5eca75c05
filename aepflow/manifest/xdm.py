"""XDM knowledge for validate: class and field group ids, and the leaf fields of a schema.

Everything comes from the one XDM catalog (``aepflow.catalog.xdm``, generated from Adobe's
XDM repository), plus the classes and field groups a run read from the Schema Registry
because the shipped catalog lacks them (``learn``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from aepflow.catalog.xdm import CLASS, FIELD_GROUP, Catalog, Field, Resource, catalog_path
from aepflow.catalog.xdm import catalog as shipped
from aepflow.model import SchemaDef

NS = "https://ns.adobe.com/xdm/context/"
PROFILE = NS + "profile"
EXPERIENCE_EVENT = NS + "experienceevent"
IDENTITY_MAP = NS + "identitymap"
TENANT = "_${tenant}"
# A well-formed XDM $id that the shipped catalog may lack (a newer standard group, say).
WELL_FORMED = re.compile(r"^https://ns\.adobe\.com(/[A-Za-z0-9_.~-]+){2,}$")

_fetched: dict[str, Resource] = {}
_absent: dict[str, str] = {}  # $id -> the sandbox whose Schema Registry answered 404 for it
# Bumped whenever ``learn`` or ``forget`` changes what the checks know (a reused build must
# have been checked against the same knowledge).
generation = 0


def catalog() -> Catalog:
    """The shipped catalog (a test may stand in an older one)."""
    return shipped()


def learn(resource: Resource) -> None:
    """Use a class or field group read from the Schema Registry like a shipped one."""
    global generation
    _fetched[resource.id] = resource
    _schema_leaves.cache_clear()
    generation += 1


def learn_absent(ref: str, sandbox: str) -> None:
    """The Schema Registry of ``sandbox`` has no class or field group ``ref`` (a 404): it is
    an error, and a schema's fields are those of the rest."""
    global generation
    _absent[ref] = sandbox
    _schema_leaves.cache_clear()
    generation += 1


def absent_from(ref: str) -> str | None:
    """The sandbox that has no ``ref``, when a run found so."""
    return _absent.get(ref)


def forget() -> None:
    """Drop what ``learn`` and ``learn_absent`` added (a new run, or a test)."""
    global generation
    _fetched.clear()
    _absent.clear()
    _schema_leaves.cache_clear()
    generation += 1


def pristine() -> bool:
    """Nothing learned from a sandbox: the checks know the shipped catalog alone."""
    return not _fetched and not _absent


def lookup(ref: str) -> Resource | None:
    return catalog().get(ref) or _fetched.get(ref)


def class_id(value: str) -> str:
    """A class ``$id`` from its short name (``profile``) or its ``$id``."""
    return catalog().find(value, [CLASS]) or value


def field_group_id(value: str) -> str:
    """A field group ``$id`` from its short name (``profile-loyalty-details``) or ``$id``."""
    return catalog().find(value, [FIELD_GROUP]) or value


def custom_leaves(fields: Mapping[str, Any], prefix: str = TENANT + ".") -> list[str]:
    return list(custom_fields(fields, prefix))


def custom_fields(fields: Mapping[str, Any], prefix: str = TENANT + ".") -> dict[str, Field]:
    out: dict[str, Field] = {}
    for name, spec in fields.items():
        if isinstance(spec, dict) and spec.get("type") == "object":
            out.update(custom_fields(spec.get("properties") or {}, f"{prefix}{name}."))
        else:
            spec = spec if isinstance(spec, dict) else {}
            kind = str(spec.get("meta:xdmType") or spec.get("type") or "string")
            fmt = spec.get("format")
            if kind == "string" and fmt in ("date", "date-time"):
                kind = str(fmt)
            kind = "int" if kind == "integer" else kind
            out[prefix + name] = Field(prefix + name, kind, None)
    return out


def schema_leaves(
    klass: str, groups: Iterable[str], custom: Mapping[str, Any]
) -> dict[str, Field] | None:
    """Every leaf of a schema by path; None when a class or group is not known (a group the
    sandbox does not have adds no field: a mapping into it is to a field that does not exist)."""
    return _schema_leaves(klass, tuple(groups), _frozen(custom))


@lru_cache(maxsize=64)
def _schema_leaves(klass: str, groups: tuple[str, ...], custom: Any) -> dict[str, Field] | None:
    out: dict[str, Field] = {}
    for ref in (klass, *groups):
        found = lookup(ref)
        if found is None and ref != klass and ref in _absent:
            continue
        if found is None:
            return None
        for f in found.fields:
            out.setdefault(f.path, f)
    out.update(custom_fields(_thawed(custom)))
    return out


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list):
        return ("[list]", tuple(_frozen(v) for v in value))
    return value


def _thawed(value: Any) -> Any:
    if isinstance(value, tuple) and value[:1] == ("[list]",):
        return [_thawed(v) for v in value[1]]
    if isinstance(value, tuple):
        return {k: _thawed(v) for k, v in value}
    return value


def schema_fields(
    klass: str, groups: Iterable[str], custom: Mapping[str, Any]
) -> frozenset[str] | None:
    """All leaf paths of a schema; None when a class or group is not known."""
    leaves = schema_leaves(klass, groups, custom)
    return None if leaves is None else frozenset(leaves)


normal = catalog_path  # a destination in the catalog's form


def exists(path: str, fields: frozenset[str]) -> bool:
    """Whether ``path`` is a field of the schema: a leaf, or an object or array above one.
    A map's key (``{namespace}``, ``{key}`` in the catalog) matches any name."""
    wanted = normal(path)
    if wanted in _paths(fields):
        return True
    pattern = _map_paths(fields)
    return pattern is not None and pattern.fullmatch(wanted) is not None


@lru_cache(maxsize=64)
def _map_paths(fields: frozenset[str]) -> re.Pattern[str] | None:
    templates = sorted(p for p in _paths(fields) if "{" in p)
    if not templates:
        return None
    return re.compile(
        "|".join(re.sub(r"\\\{(namespace|key)\\\}", r"[^.\\[]+", re.escape(t)) for t in templates)
    )


@lru_cache(maxsize=64)
def _paths(fields: frozenset[str]) -> frozenset[str]:
    """Every leaf path and every path above one (cut before a ``.`` or ``[``): one set
    lookup per mapping instead of a scan of the schema's leaves."""
    return fields | {f[:i] for f in fields for i, ch in enumerate(f) if ch in ".["}


def leaf(path: str, leaves: Mapping[str, Field]) -> Field | None:
    """The leaf at ``path`` (an array of scalars matches without its ``[]``)."""
    p = normal(path)
    return leaves.get(p) or leaves.get(p + "[]")


def profile_ready(s: SchemaDef) -> bool:
    """help/xdm/api/schemas.md: a schema joins the Profile union with a primary identity or
    the identityMap field group."""
    return any(i.primary for i in s.identities) or IDENTITY_MAP in s.field_group_ids

"""Planning steps that ask the source itself, through the platform door.

- The source check: the tables (or views, or REST objects) and columns declared by the source
  connections a plan creates, against what the source serves (Flow Service explore), so a typo
  fails the plan with its manifest position and a did-you-mean instead of making a flow whose
  runs fail. A source whose base connection is created in the same run has no id to explore
  yet: it is checked through ``catalog`` when one is given (the embedded emulator serves a
  fixed catalog per connection spec).
- Generic connections (``connector: {spec: ID}``): their params against the authSpec JSON
  Schema of the connection spec the platform serves (``GET /connectionSpecs/{id}``), secrets
  (``"format": "password"``) only from ``${env:...}``.

Explore requests: help/sources/tutorials/api/explore/tabular.md (``objectType=root`` and
``table``), create/crm/ms-dynamics.md (``objectType=view``; the root listing marks views
``type: view``) and create/customer-success/zendesk.md (``objectType=rest&object=json&
fileType=json&preview=true&sourceParams=BASE64``, answered with a JSON schema).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import jsonschema

from aepflow.api import FLOW, Door, Request
from aepflow.connectors import CONNECTORS_BY_SPEC_ID, REST, connector_of_spec
from aepflow.engine.executor import Forwarding, Reporter
from aepflow.engine.plan import Plan
from aepflow.errors import PlanError, SourceLocation
from aepflow.kinds.base import Resource

REST_OBJECT = "json"  # what a REST source that serves one object lists


@dataclass(frozen=True)
class Table:
    name: str
    path: str
    type: str  # "table", "view" (Dynamics) or "rest" (an object of a REST source)


@dataclass(frozen=True)
class Column:
    name: str  # a column; for a REST source, a leaf's dotted path (results.email)
    type: str  # as Flow Service lists it: string, number, integer, boolean
    xdm_type: str  # the finer type when given (date, date-time), else ``type``


# Where a path of a resource's manifest is: (address, dotted path) -> location (None: unknown).
Locator = Callable[[str, str], SourceLocation | None]


def _at(r: Resource, locate: Locator | None, *paths: str) -> SourceLocation:
    for path in paths:
        found = locate(r.address, path) if locate is not None else None
        if found is not None:
            return found
    return r.location


# What a source serves, read without a base connection: spec id -> tables, and
# (spec id, table) -> columns. Only the embedded emulator offers one.
Catalog = Callable[[str], Mapping[Table, Sequence[Column]] | None]


def explore_request(conn_id: str, *params: tuple[str, str]) -> Request:
    return Request("GET", f"{FLOW}/connections/{conn_id}/explore", params=params)


def rest_request(conn_id: str, object_type: str) -> Request:
    source = {"object_type": object_type} if object_type and object_type != REST_OBJECT else {}
    encoded = base64.b64encode(json.dumps(source, separators=(",", ":")).encode()).decode()
    return explore_request(
        conn_id,
        ("objectType", "rest"),
        ("object", "json"),
        ("fileType", "json"),
        ("preview", "true"),
        ("sourceParams", encoded),
    )


def rest_tables(spec_id: str, key: str = "") -> list[Table]:
    """A REST source's objects, from its entry (its explore answers one object at a time).
    ``key`` is the manifest's connector: two SugarCRM sources share one connection spec."""
    connector = connector_of_spec(spec_id, key)
    objects = connector.rest.objects if connector and connector.rest else ()
    return [Table(o, o, "rest") for o in objects or (REST_OBJECT,)]


def is_rest(spec_id: str) -> bool:
    connector = CONNECTORS_BY_SPEC_ID.get(spec_id)
    return connector is not None and connector.shape == REST


def list_tables(door: Door, conn_id: str, spec_id: str = "", key: str = "") -> list[Table]:
    """What the source of connection ``conn_id`` serves; ``key``: its manifest's connector."""
    if is_rest(spec_id):
        return rest_tables(spec_id, key)
    body = door.send(explore_request(conn_id, ("objectType", "root")))
    items = body.get("items", []) if isinstance(body, Mapping) else body or []
    return [
        Table(str(i.get("name", "")), str(i.get("path", i.get("name", ""))), str(i.get("type", "")))
        for i in items
        if isinstance(i, Mapping)
    ]


def table_columns(door: Door, conn_id: str, table: Table) -> list[Column]:
    if table.type == "rest":
        body = door.send(rest_request(conn_id, table.path))
        return list(json_leaves((body or {}).get("schema") or {}))
    object_type = "view" if table.type == "view" else "table"
    body = door.send(explore_request(conn_id, ("objectType", object_type), ("object", table.path)))
    return columns_of(body)


def columns_of(body: Any) -> list[Column]:
    columns = ((body or {}).get("schema") or {}).get("columns") or []
    out = []
    for c in columns:
        kind = str(c.get("type", "string"))
        fine = c.get("meta:xdmType") or (c.get("xdm") or {}).get("format") or kind
        out.append(Column(str(c["name"]), kind, str(fine)))
    return out


def json_leaves(schema: Mapping[str, Any], prefix: str = "") -> Iterator[Column]:
    """The leaves of a JSON schema as dotted paths, the way a mapping names its source."""
    properties = schema.get("properties")
    if schema.get("type") == "object" and isinstance(properties, Mapping):
        for name, sub in properties.items():
            if isinstance(sub, Mapping):
                yield from json_leaves(sub, f"{prefix}{name}.")
        return
    if prefix:
        kind = str(schema.get("type") or "string")
        yield Column(prefix[:-1], kind, kind)


# -- the source check ------------------------------------------------------------------------


def check_sources(
    door: Door,
    plan: Plan,
    desired: Mapping[str, Resource],
    catalog: Catalog | None = None,
    locate: Locator | None = None,
    keys: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """One explore per connection and table. Raises PlanError at the first mismatch; returns
    the source connections it could not check (their base connection is created in this run
    and no catalog knows their source): ``check_at_apply`` checks them once it exists."""
    tables: dict[str, list[Table]] = {}
    columns: dict[tuple[str, str], set[str]] = {}
    later: list[str] = []
    for change in pending_sources(plan):
        r = desired.get(change.address)
        if r is None:
            continue
        base = (change.requests[-1].body or {}).get("baseConnectionId")
        spec_id = _base_spec(r.spec, desired)
        connector = _base_key(r.spec, keys)
        known: Mapping[Table, Sequence[Column]] | None = None
        if isinstance(base, str):
            key = base
            if key not in tables:
                tables[key] = list_tables(door, base, spec_id, connector)
        else:
            known = catalog(spec_id) if catalog is not None else None
            if known is None:
                later.append(change.address)
                continue
            key = f"spec:{spec_id}"
            tables[key] = list(known)

        def fetch(t: Table, key: str = key, known: Any = known) -> set[str]:
            if (key, t.path) not in columns:
                read = known[t] if known is not None else table_columns(door, key, t)
                columns[(key, t.path)] = {c.name for c in read}
            return columns[(key, t.path)]

        _check(r, tables[key], fetch, locate)
    return tuple(later)


def pending_sources(plan: Plan) -> list[Any]:
    return [
        c
        for c in plan.actionable
        if c.kind == "sourceConnection" and c.action in ("create", "replace") and c.requests
    ]


def check_at_apply(
    door: Door,
    r: Resource,
    desired: Mapping[str, Resource],
    base_id: str,
    locate: Locator | None = None,
    keys: Mapping[str, str] | None = None,
    memo: dict[tuple[str, ...], Any] | None = None,
) -> None:
    """The source check of one source connection once its base connection exists (created
    earlier in the same apply). ``memo``, shared by the checks of one apply: what a source
    serves is explored once per connection and table, however many flows read it (a thousand
    pipelines on four connections: eight requests, not two thousand)."""
    memo = {} if memo is None else memo
    key = _base_key(r.spec, keys)
    tables_key = ("tables", base_id, key)
    if tables_key not in memo:
        memo[tables_key] = list_tables(door, base_id, _base_spec(r.spec, desired), key)

    def columns(t: Table) -> set[str]:
        columns_key = ("columns", base_id, key, t.type, t.path)
        if columns_key not in memo:
            memo[columns_key] = {c.name for c in table_columns(door, base_id, t)}
        found: set[str] = memo[columns_key]
        return found

    _check(r, memo[tables_key], columns, locate)


def _check(
    r: Resource,
    tables: Sequence[Table],
    fetch: Callable[[Table], set[str]],
    locate: Locator | None = None,
) -> None:
    spec = r.spec
    wanted, kind = _wanted(spec)
    found = _find(tables, wanted, kind)
    if found is None:
        listed = [t.name for t in tables if t.type in _TYPES[kind]]
        near = get_close_matches(wanted, listed, n=1)
        at = _at(r, locate, "source.object" if kind == "rest" else "source.table", "source")
        raise PlanError(
            f"{at}: {r.address}: the source has no {_WORDS[kind]} {wanted!r}"
            + (f"; did you mean {near[0]!r}?" if near else "")
            + f" ({_WORDS[kind]}s: {', '.join(listed) or 'none'})"
        )
    if kind == "rest":
        return  # a REST source is read whole: no columns are declared
    names: set[str] | None = None
    for i, column in enumerate(spec.get("columns") or []):
        names = fetch(found) if names is None else names
        name = str(column.get("name"))
        if name not in names:
            near = get_close_matches(name, sorted(names), n=1)
            at = _at(r, locate, f"source.columns.{i}", "source.columns", "source")
            raise PlanError(
                f"{at}: {r.address}: {_WORDS[kind]} {wanted!r} has no column "
                f"{name!r}" + (f"; did you mean {near[0]!r}?" if near else "")
            )
    key = spec.get("primaryKey")  # Dynamics: a column of the table or view
    if key:
        names = fetch(found) if names is None else names
    if key and names is not None and str(key) not in names:
        near = get_close_matches(str(key), sorted(names), n=1)
        raise PlanError(
            f"{_at(r, locate, 'source.primaryKey', 'source')}: {r.address}: {_WORDS[kind]} "
            f"{wanted!r} has no column {key!r} (source.primaryKey)"
            + (f"; did you mean {near[0]!r}?" if near else "")
        )


_TYPES = {"table": ("table", ""), "view": ("view",), "rest": ("rest",)}
_WORDS = {"table": "table", "view": "view", "rest": "object"}


def _base_spec(spec: Mapping[str, Any], desired: Mapping[str, Resource]) -> str:
    base = spec.get("baseConnection")
    if isinstance(base, Mapping) and "$resource" in base:
        conn = desired.get(str(base["$resource"]))
        if conn is not None:
            return str(conn.spec.get("connectionSpec", ""))
    return str(spec.get("connectionSpec", ""))


def _base_key(spec: Mapping[str, Any], keys: Mapping[str, str] | None) -> str:
    """The connector key of the manifest of a source connection's base connection."""
    base = spec.get("baseConnection")
    if isinstance(base, Mapping) and "$resource" in base and keys:
        return keys.get(str(base["$resource"]), "")
    return ""


def _wanted(spec: Mapping[str, Any]) -> tuple[str, str]:
    if spec.get("format") == "json":
        return str(spec.get("object", REST_OBJECT)), "rest"
    return str(spec.get("table", "")), "view" if spec.get("entityType") == "view" else "table"


def _find(tables: Sequence[Table], wanted: str, kind: str) -> Table | None:
    for t in tables:
        if t.type in _TYPES[kind] and wanted in (t.name, t.path):
            return t
    return None


# -- generic connections -----------------------------------------------------------------------


def check_generic_connections(
    door: Door, desired: Mapping[str, Resource], locate: Locator | None = None
) -> None:
    """Params of every connection against its connection spec's authSpec (one
    ``GET /connectionSpecs/{id}`` per spec): all of it for ``connector: {spec: ID}``; for a
    connector aepflow has an entry for (validate checked names and secrets), the types and
    formats of the resolved values, so a value the platform would refuse (and echo in its
    error) stops the plan."""
    specs: dict[str, Mapping[str, Any] | None] = {}
    for r in desired.values():
        spec_id = str(r.spec.get("connectionSpec", ""))
        if r.kind != "connection":
            continue
        if spec_id not in specs:
            body = door.send(Request("GET", f"{FLOW}/connectionSpecs/{spec_id}"), allow_404=True)
            items = body.get("items") if isinstance(body, Mapping) else None
            specs[spec_id] = items[0] if items else None
        found = specs[spec_id]
        if spec_id in CONNECTORS_BY_SPEC_ID:
            if found is not None:  # not served to this org: the platform checks at apply
                check_param_values(r, found, locate)
            continue
        if found is None:
            raise PlanError(
                f"{_at(r, locate, 'connector.spec', 'connector')}: {r.address}: the platform has "
                f"no connection spec {spec_id} "
                "(GET /connectionSpecs/ID): check connector.spec"
            )
        check_generic_params(r, found, locate)


def check_generic_params(
    r: Resource, connection_spec: Mapping[str, Any], locate: Locator | None = None
) -> None:
    name = str(r.spec.get("authSpec", ""))
    auths = [a for a in connection_spec.get("authSpec") or [] if isinstance(a, Mapping)]
    chosen = next((a for a in auths if a.get("name") == name), None)

    def where(*paths: str) -> str:
        return f"{_at(r, locate, *paths, 'auth.params', 'auth')}: {r.address}"

    if chosen is None:
        names = ", ".join(repr(a.get("name")) for a in auths) or "none"
        raise PlanError(
            f"{where('auth.specName')}: connection spec {connection_spec.get('name', '')} has "
            f"no authSpec {name!r} (authSpecs: {names})"
        )
    schema = chosen.get("spec") or {}
    properties = schema.get("properties") or {}
    secret = {
        k for k, v in properties.items() if isinstance(v, Mapping) and v.get("format") == "password"
    }
    written = sorted(secret & set(r.spec.get("params") or {}))
    if written:
        raise PlanError(
            f"{where('auth.params.' + written[0])}: auth.params.{written[0]} is a secret of "
            f"authSpec {name!r} (format: password): write exactly ${{env:NAME}} and set NAME in "
            "the environment"
        )
    params = {**(r.spec.get("params") or {}), **r.secrets}
    unknown = sorted(set(params) - set(properties))
    if unknown:
        raise PlanError(
            f"{where('auth.params.' + unknown[0])}: auth.params.{unknown[0]}: unknown param "
            f"for authSpec {name!r} (known: {', '.join(properties)})"
        )
    _check_schema(r, schema, params, name, where)


def check_param_values(
    r: Resource, connection_spec: Mapping[str, Any], locate: Locator | None = None
) -> None:
    """The resolved params of a named connector's connection against the JSON Schema of its
    authSpec: types, formats and allowed values of the params given (names and secrets are
    validate's)."""
    name = str(r.spec.get("authSpec", ""))
    auths = [a for a in connection_spec.get("authSpec") or [] if isinstance(a, Mapping)]
    chosen = next((a for a in auths if a.get("name") == name), None)
    if chosen is None:
        return

    def where(*paths: str) -> str:
        return f"{_at(r, locate, *paths, 'auth.params', 'auth')}: {r.address}"

    params = {**(r.spec.get("params") or {}), **r.secrets}
    _check_schema(r, chosen.get("spec") or {}, params, name, where, only_values=True)


def _check_schema(
    r: Resource,
    schema: Mapping[str, Any],
    params: Mapping[str, Any],
    name: str,
    where: Callable[..., str],
    *,
    only_values: bool = False,
) -> None:
    validator = jsonschema.Draft7Validator(schema, format_checker=_FORMATS)
    errors = sorted(
        (e for e in validator.iter_errors(params) if e.absolute_path or not only_values),
        key=lambda e: (list(map(str, e.absolute_path)), str(e.validator)),
    )
    if not errors:
        return
    e = errors[0]
    path = ".".join(str(p) for p in e.absolute_path)
    if not path:
        detail = e.message
    elif path.split(".")[0] in r.secrets:
        # A secret or a value read from the environment: never quoted, only what it must be.
        detail = (
            f"auth.params.{path}: the value read from the environment does not match the "
            f"authSpec ({e.validator}: {e.validator_value!r})"
        )
    else:
        detail = f"auth.params.{path}: {e.message}"
    raise PlanError(f"{where('auth.params.' + path)}: {detail} (authSpec {name!r})")


_FORMATS = jsonschema.Draft7Validator.FORMAT_CHECKER


class CheckingReporter(Forwarding):
    """A progress reporter that runs the source check of ``pending`` source connections right
    before each is created (its base connection was created earlier in the same apply, so the
    plan had no id to explore with). A mismatch fails that step, before anything is written."""

    def __init__(
        self,
        inner: Reporter,
        door: Door,
        desired: Mapping[str, Resource],
        pending: frozenset[str],
        base_id: Callable[[str], str | None],
        locate: Locator | None = None,
        keys: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(inner)
        self.door, self.desired = door, desired
        self.pending, self.base_id, self.locate, self.keys = pending, base_id, locate, keys
        self.memo: dict[tuple[str, ...], Any] = {}  # one exploration per connection and table

    def started(self, step: str) -> None:
        address = step.split(":", 1)[1]
        r = self.desired.get(address)
        if address in self.pending and r is not None:
            base = r.spec.get("baseConnection")
            found = self.base_id(str(base["$resource"])) if isinstance(base, Mapping) else None
            if found is not None:
                check_at_apply(self.door, r, self.desired, found, self.locate, self.keys, self.memo)
        self.inner.started(step)

"""`aepflow explore`: what a connection's source holds, and a Dataflow skeleton to start from.

Reads go through the platform door to Flow Service's explore endpoint
(``aepflow.engine.sourcecheck``: tables and views of a table source, the JSON schema of a REST
source's objects). Everything after the reads is pure: the last-modified column and the
proposed mappings are picked by name, from the rules below, and every proposal is marked for
review in the skeleton (``aepflow.render.explore``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from aepflow.api import Door
from aepflow.engine.sourcecheck import Column, Table, list_tables, table_columns
from aepflow.errors import UsageError
from aepflow.hints import command
from aepflow.manifest import load_model, xdm
from aepflow.model import ProjectModel, SchemaDef
from aepflow.project import Environment, Project

__all__ = ["Column", "Table", "list_tables", "table_columns"]


@dataclass(frozen=True)
class Proposal:
    column: str
    destination: str
    rule: str  # why: "field name", "address field", "table and column name", "id column", "alias"


@dataclass(frozen=True)
class Skeleton:
    name: str  # metadata.name
    connection: str
    table: str
    columns: tuple[Column, ...]
    schema: str
    schema_rule: str  # "given" or "first schema"
    dataset: str | None  # a Dataset of the schema, or None for an inline dataset
    delta: str
    delta_rule: str  # "name" (matched a last-modified name), "date-time" or "none"
    start: str
    mappings: tuple[Proposal, ...]
    unmatched: tuple[str, ...]  # column names, with " (ambiguous: ...)" when several fit
    kind: str = "table"  # "table", "view" or "rest" (a REST source: source.object, no delta)
    event: tuple[Proposal, ...] = ()  # _id and timestamp of an ExperienceEvent schema


# -- reads -----------------------------------------------------------------------------


def connection_id(
    desired: Mapping[str, Any],
    locked: Mapping[str, Any],
    env: str,
    name: str,
    given_env: str | None = None,
) -> str:
    """The platform id of the Connection ``name``, from the lock."""
    known = sorted(a.split(".", 1)[1] for a in desired if a.startswith("connection."))
    if name not in known:
        raise UsageError(
            f"no Connection named {name!r} in the manifests"
            + (f" (connections: {', '.join(known)})" if known else " (there is none)")
        )
    entry = locked.get(f"connection.{name}")
    if entry is None:
        raise UsageError(
            f"connection {name} is not applied in environment {env}: it has no id in "
            "the lock yet. Apply it first: "
            + command("apply", "--target", f"connection.{name}", environment=given_env)
        )
    return str(entry.id)


def connection_spec(desired: Mapping[str, Any], name: str) -> str:
    r = desired.get(f"connection.{name}")
    return str(r.spec.get("connectionSpec", "")) if r is not None else ""


def find_table(tables: Sequence[Table], wanted: str, connection: str) -> Table:
    """The table (view, object) named (or with the path) ``wanted``; a clear error otherwise."""
    for t in tables:
        if wanted in (t.name, t.path):
            return t
    near = [t.name for t in tables if t.name.lower() == wanted.lower()]
    hint = f"; did you mean {near[0]}?" if near else ""
    names = ", ".join(t.name for t in tables) or "none"
    word = "object" if tables and tables[0].type == "rest" else "table"
    raise UsageError(
        f"no {word} {wanted!r} in the source of connection {connection} ({word}s: {names}){hint}"
    )


def read_source(door: Door, conn_id: str, spec_id: str, key: str = "") -> list[Table]:
    """``key``: the connection's connector in the manifest (two entries may share a spec)."""
    return list_tables(door, conn_id, spec_id, key)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def build_skeleton(
    project: Project,
    env: Environment,
    connection: str,
    table: Table,
    columns: Sequence[Column],
    schema: str | None,
) -> Skeleton:
    """The Dataflow skeleton for ``table``, from the project's manifests (no secrets read)."""
    model = load_model(project, env)
    # The project's own start variable when it has one (as the example manifests use).
    scheduled = "scheduleStart" in env.variables
    start = "${var.scheduleStart}" if scheduled else next_hour(utcnow())
    return skeleton(model, connection, table, columns, schema, start)


# -- the skeleton (pure) ---------------------------------------------------------------


def next_hour(now: datetime) -> str:
    """The next full hour (UTC), ISO-8601: a schedule start in the future."""
    hour = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return (hour + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def manifest_name(table: str, taken: Iterable[str] = ()) -> str:
    """A metadata.name from a table name: lower-case words joined by '-' (``sys_user`` ->
    ``sys-user``, ``AccountContactRelation`` -> ``account-contact-relation``); a suffix
    ``-2``, ``-3``... when a Dataflow already has that name."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", table)
    base = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:55].strip("-") or "table"
    used = set(taken)
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}-{n}"
    return name


def skeleton(
    model: ProjectModel,
    connection: str,
    table: Table,
    columns: Sequence[Column],
    schema: str | None,
    start: str,
) -> Skeleton:
    schema_def, schema_rule = _pick_schema(model, schema)
    fields = xdm.schema_fields(
        schema_def.class_id, schema_def.field_group_ids, schema_def.custom_fields
    )
    if fields is None:  # a class or group outside the catalog: only the custom fields are known
        fields = frozenset(xdm.custom_leaves(schema_def.custom_fields))
    mappings, unmatched = propose_mappings(columns, fields, table.name, table.type == "rest")
    delta, delta_rule = delta_column(columns)
    event: tuple[Proposal, ...] = ()
    if schema_def.class_id == xdm.EXPERIENCE_EVENT:
        # An ExperienceEvent needs a unique _id and the event time (validate checks both).
        stamps = [c.name for c in columns if c.xdm_type == "date-time"]
        when = delta if delta in stamps else (stamps[0] if stamps else delta)
        event = (
            Proposal("uuid()", "_id", "expression"),
            Proposal(when, "timestamp", "event time"),
        )
        mappings = [m for m in mappings if m.destination not in ("_id", "timestamp")]
        unmatched = [u for u in unmatched if u.split(" ", 1)[0] != when]
    return Skeleton(
        # A REST source that serves one object lists it as "json": name it after the connection.
        name=manifest_name(
            connection if table.type == "rest" and table.name == "json" else table.name,
            model.dataflows,
        ),
        connection=connection,
        table=table.path,
        columns=tuple(columns),
        schema=schema_def.name,
        schema_rule=schema_rule,
        dataset=_pick_dataset(model, schema_def.name),
        delta=delta,
        delta_rule=delta_rule,
        start=start,
        mappings=tuple(mappings),
        unmatched=tuple(unmatched),
        kind=table.type if table.type in ("view", "rest") else "table",
        event=event,
    )


def _inline(model: ProjectModel, name: str, attr: str) -> bool:
    """Whether ``name`` is a schema or dataset written inline in the Dataflow of that name."""
    flow = model.dataflows.get(name)
    return flow is not None and getattr(flow, attr) == name


def _pick_schema(model: ProjectModel, wanted: str | None) -> tuple[SchemaDef, str]:
    if wanted is not None:
        if wanted not in model.schemas:
            known = ", ".join(model.schemas) or "none"
            raise UsageError(f"--schema {wanted}: no Schema of that name (schemas: {known})")
        return model.schemas[wanted], "given"
    ordered = sorted(model.schemas.values(), key=lambda s: _inline(model, s.name, "schema"))
    if not ordered:
        raise UsageError(
            "the manifests define no Schema to map into: write one (kind: Schema) first, "
            "or pass --schema NAME"
        )
    return ordered[0], "first schema"


def _pick_dataset(model: ProjectModel, schema: str) -> str | None:
    own = [d for d in model.datasets.values() if d.schema == schema]
    own.sort(key=lambda d: _inline(model, d.name, "dataset"))
    return own[0].name if own else None


# Last-modified column names, by preference, compared lower-case without '_', '-' or spaces.
DELTA_NAMES = (
    "lastmodifieddate",  # Salesforce
    "modifiedon",  # Microsoft Dynamics
    "sysupdatedon",  # ServiceNow
    "updatedat",
    "lastmodified",
    "lastmodifiedat",
    "lastmodifiedon",
    "lastmodifiedtime",
    "modifiedat",
    "modifieddate",
    "modifiedtime",
    "updatedon",
    "updateddate",
    "updatedtime",
    "lastupdated",
    "lastupdatedat",
    "lastupdatedate",
    "systemmodstamp",  # Salesforce's system timestamp
)
_DELTA_WORDS = re.compile(r"modif|updat")


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def delta_column(columns: Sequence[Column]) -> tuple[str, str]:
    """(column, rule): a known last-modified name; else a date-time column whose name says
    modified or updated; else the first date-time column; else the first column."""
    by_key = {_key(c.name): c.name for c in reversed(columns)}
    for key in DELTA_NAMES:
        if key in by_key:
            return by_key[key], "name"
    stamps = [c for c in columns if c.xdm_type == "date-time"]
    for c in stamps:
        if _DELTA_WORDS.search(_key(c.name)):
            return c.name, "name"
    if stamps:
        return stamps[0].name, "date-time"
    return (columns[0].name if columns else "", "none")


# Common CRM column names -> XDM destinations, first existing (and free) one wins; an alias
# earlier in its list outranks a later one, so MobilePhone beats Phone for mobilePhone.number.
ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("personalEmail.address",),
    "emailaddress": ("personalEmail.address",),
    "emailaddress1": ("personalEmail.address",),
    "personalemail": ("personalEmail.address",),
    "workemail": ("workEmail.address",),
    "firstname": ("person.name.firstName",),
    "givenname": ("person.name.firstName",),
    "lastname": ("person.name.lastName",),
    "surname": ("person.name.lastName",),
    "familyname": ("person.name.lastName",),
    "middlename": ("person.name.middleName",),
    "fullname": ("person.name.fullName",),
    "name": ("person.name.fullName",),
    "salutation": ("person.name.courtesyTitle",),
    "mobilephone": ("mobilePhone.number",),
    "mobile": ("mobilePhone.number",),
    "cellphone": ("mobilePhone.number",),
    "phone": ("workPhone.number", "mobilePhone.number"),
    "telephone": ("workPhone.number", "mobilePhone.number"),
    "telephone1": ("workPhone.number", "mobilePhone.number"),
    "phonenumber": ("workPhone.number", "mobilePhone.number"),
    "businessphone": ("workPhone.number",),
    "homephone": ("homePhone.number",),
    "fax": ("faxPhone.number",),
    "birthdate": ("person.birthDate",),
    "birthday": ("person.birthDate",),
    "dateofbirth": ("person.birthDate",),
    "mailingstreet": ("mailingAddress.street1",),
    "billingstreet": ("billingAddress.street1",),
    "shippingstreet": ("shippingAddress.street1",),
    "street": ("homeAddress.street1",),
    "city": ("homeAddress.city",),
    "country": ("homeAddress.country",),
    "postalcode": ("homeAddress.postalCode",),
    "zip": ("homeAddress.postalCode",),
    "zipcode": ("homeAddress.postalCode",),
    "address1line1": ("homeAddress.street1",),  # Microsoft Dynamics
    "address1city": ("homeAddress.city",),
    "address1country": ("homeAddress.country",),
    "address1postalcode": ("homeAddress.postalCode",),
    "address1stateorprovince": ("homeAddress.stateProvince",),
}
# Leaves too generic to match a column by themselves (Type would find workEmail.type).
_GENERIC_LEAVES = frozenset(
    {"type", "status", "statusreason", "label", "primary", "number", "validity", "extension"}
    | {"description", "id", "name", "value"}
)
_SYSTEM_LEAVES = frozenset(
    {"repositorycreatedby", "repositorylastmodifiedby", "createdbybatchid", "modifiedbybatchid"}
)


def _mappable(path: str) -> bool:
    """Not a system field (``_id``, ``_repo.*``, ``_schema.*``, batch ids, repository users),
    and not inside an array or a map, whose index or key a column alone does not give."""
    if "[" in path or ".{" in path:
        return False
    parts = path.split(".")
    if parts[0] == xdm.TENANT:
        parts = parts[1:]
    return not any(p.startswith("_") for p in parts) and parts[-1].lower() not in _SYSTEM_LEAVES


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


_INDEX = re.compile(r"\[\d*\]")


def json_path_parts(path: str) -> list[str]:
    """The names along a REST source's JSON path, array marks dropped
    (``customers[].personalInfo.firstName`` -> customers, personalInfo, firstName)."""
    return [p for p in _INDEX.sub("", path).split(".") if p]


def _candidates(
    column: str, table: str, fields: Sequence[str], json: bool = False
) -> tuple[list[tuple[int, str, str]], list[str]]:
    """(rank, destination, rule) for one column (lower rank is better), and the fields its name
    fits when they are too many to choose from. A REST source's column is a JSON path
    (``results.email``): it is matched by its leaf's name, and by its parent and leaf for
    address fields (``billing.city`` -> billingAddress.city)."""
    parts = json_path_parts(column) if json else [column]
    key = _key(parts[-1]) if parts else _key(column)
    compound = _key(parts[-2]) + key if len(parts) > 1 else key
    out: list[tuple[int, str, str]] = []
    leaf_hits = [f for f in fields if _key(_leaf(f)) == key and key not in _GENERIC_LEAVES]
    if len(leaf_hits) == 1:
        out.append((0, leaf_hits[0], "field name"))
    ambiguous = leaf_hits if len(leaf_hits) > 1 else []
    for f in fields:  # mailingAddress.city <- MailingCity, mobilePhone.number <- MobilePhoneNumber
        segments = f.split(".")
        if len(segments) == 2 and segments[0] != xdm.TENANT:
            parent = _key(segments[0])
            if {key, compound} & {
                parent + _key(segments[1]),
                parent.removesuffix("address") + _key(segments[1]),
            }:
                out.append((1, f, "address field"))
    for f in fields:  # _${tenant}.accountName <- Name of the Account table
        if f.startswith(xdm.TENANT + ".") and _key(_leaf(f)) == _key(table) + key:
            out.append((1, f, "table and column name"))
    if key in ("id", "sysid", _key(table) + "id"):
        ids = [f for f in fields if f.startswith(xdm.TENANT + ".") and _key(f).endswith("id")]
        if len(ids) == 1:
            out.append((2, ids[0], "id column"))
    for i, destination in enumerate(ALIASES.get(key, ())):
        if xdm.exists(destination, frozenset(fields)):
            out.append((3 + i, destination, "alias"))
    return out, ambiguous


def propose_mappings(
    columns: Sequence[Column], fields: Iterable[str], table: str, json: bool = False
) -> tuple[list[Proposal], list[str]]:
    """(proposals in column order, unmatched columns). Each destination takes one column:
    the best-ranked candidate wins (field name, then address field or table and column name,
    then id column, then aliases in their order); ties go to the earlier column. With
    ``json`` the columns are a REST source's JSON paths, matched by their leaf names."""
    usable = sorted(f for f in fields if _mappable(f))
    found: list[tuple[int, int, str, str]] = []
    ambiguous: dict[str, list[str]] = {}
    for index, c in enumerate(columns):
        ranked, several = _candidates(c.name, table, usable, json)
        found.extend((rank, index, dest, rule) for rank, dest, rule in ranked)
        if several:
            ambiguous[c.name] = several
    chosen: dict[int, Proposal] = {}
    taken: set[str] = set()
    for _, index, dest, rule in sorted(found):
        if index not in chosen and dest not in taken:
            chosen[index] = Proposal(columns[index].name, dest, rule)
            taken.add(dest)
    unmatched = [
        c.name + (_several(ambiguous[c.name]) if c.name in ambiguous else "")
        for i, c in enumerate(columns)
        if i not in chosen
    ]
    return [chosen[i] for i in sorted(chosen)], unmatched


def _several(fields: Sequence[str]) -> str:
    return (
        f" (fits {len(fields)} fields: {', '.join(fields[:3])}{', ...' if len(fields) > 3 else ''})"
    )

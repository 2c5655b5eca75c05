"""``aepflow import --flow ID`` / ``--all``: bring whole pipelines made in the AEP UI under
management, as manifests and lock entries, in one command.

The live flow and everything it uses are read (base, source and target connections, mapping
set and the version the flow uses, dataset, schema with its field groups and identity
descriptors); a manifest is written per pipeline — connections, schemas and datasets shared by
several flows once, and referenced by name — secrets as ``${env:NAME}`` with the names
printed; and every id is recorded in the lock, so the next plan shows only what truly differs
(a connection's secrets cannot be read back, so they are re-sent once). Objects the lock
already records are referenced, never imported twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import quote

from aepflow.api import FLOW, Request
from aepflow.connectors import (
    CONNECTORS,
    FLOW_SPEC_ID,
    FLOW_SPEC_NAME,
    REST,
    REST_FLOW_SPEC_ID,
    Connector,
)
from aepflow.engine.lockfile import LockWriter
from aepflow.engine.plan import Lock, LockEntry
from aepflow.errors import UsageError
from aepflow.kinds import KINDS
from aepflow.kinds.base import Resource, tenantize
from aepflow.kinds.schema import tenant_owned
from aepflow.manifest_form import CannotImport
from aepflow.platform import PlatformClient

API = "aepflow.io/v1"


# The flow specs aepflow's connectors use (connectors.py: CRMToAEP for table sources and the
# generic form, the REST flow spec for self-serve REST sources), by id: import reads each.
FLOW_SPECS = frozenset({FLOW_SPEC_ID, *(c.flow_spec_id for c in CONNECTORS.values())})


def unknown_flow_spec(spec_id: str) -> str:
    """Why a flow of another flow spec is skipped (told apart from the listing)."""
    return (
        f"its flow spec {spec_id or '(none)'} is not one aepflow's sources use "
        f"({FLOW_SPEC_NAME} for tables, {REST_FLOW_SPEC_ID} for REST sources)"
    )


NAME_MAX = 63  # a manifest name: lower-case letters, digits and '-', at most 63 characters
NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def slug(text: str, suffix: str = "") -> str:
    """A manifest name from a live name, with room kept for ``suffix`` (``-2``, ...)."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "imported"
    return out[: NAME_MAX - len(suffix)].strip("-") + suffix


@dataclass(frozen=True)
class Skipped:
    id: str
    name: str
    reason: str


@dataclass
class Importer:
    client: PlatformClient
    lock: Lock
    tenant: str
    taken: dict[str, set[str]]  # manifest kind -> names already used
    docs: list[dict[str, Any]] = field(default_factory=list)
    records: dict[str, tuple[str, str, int | None]] = field(default_factory=dict)
    env_vars: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    by_id: dict[str, str] = field(default_factory=dict)  # live id -> manifest name
    _recorded: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, id) -> address
    _taken_log: list[tuple[str, str]] = field(default_factory=list)  # names taken, in order
    _keys: dict[str, str] = field(default_factory=dict)  # connection id -> connector key
    _connections: dict[str, dict[str, Any]] = field(default_factory=dict)  # raw, read once

    # -- reads ---------------------------------------------------------------------------

    def _read(self, kind: str, id: str) -> dict[str, Any]:
        k = KINDS[kind]
        raw = k.unwrap(self.client.send(k.get(id), allow_404=True), id)
        if raw is None:
            raise UsageError(f"no {kind} with id {id} in this sandbox")
        return raw

    @cached_property
    def _descriptors(self) -> list[dict[str, Any]]:
        """The sandbox's descriptors, listed once however many schemas are imported."""
        query = KINDS["descriptor"].list_all([])
        assert query is not None
        return list(self.client.list(query))

    @cached_property
    def _lock_index(self) -> dict[tuple[str | None, str], str]:
        """The lock's addresses by (kind, id) and by (None, id): first one wins, as before."""
        index: dict[tuple[str | None, str], str] = {}
        for address, e in self.lock.resources.items():
            index.setdefault((e.kind, e.id), address)
            index.setdefault((None, e.id), address)
        return index

    def _owner(self, id: str) -> str | None:
        return self._lock_index.get((None, id))

    def _name(self, kind: str, wanted: str, marked: str | None = None) -> str:
        """The name an object carrying aepflow's marker had (``flow.NAME``: a project whose
        lock was lost gets its own names back), else the first free name of
        ``slug(wanted)``, ``...-2``, ``...-3``: the same names on every import of the same
        sandbox (flows are imported in id order)."""
        old = (marked or "").partition(".")[2]
        if NAME.fullmatch(old) and old not in self.taken.setdefault(kind, set()):
            self.taken[kind].add(old)
            self._taken_log.append((kind, old))
            return old
        n, name = 1, slug(wanted)
        while name in self.taken.setdefault(kind, set()):
            n += 1
            name = slug(wanted, f"-{n}")
        self.taken[kind].add(name)
        self._taken_log.append((kind, name))
        return name

    def _record(self, address: str, kind: str, id: str, version: int | None = None) -> None:
        """One id, one address: an object another address of its kind already records (in
        the lock or in this import) is never recorded again."""
        other = self._recorded.get((kind, id))
        if other is not None and other != address:
            raise CannotImport(f"its {kind} {id} is also used by {other}")
        owner = self._lock_index.get((kind, id))
        if owner is not None and owner != address:
            raise CannotImport(f"its {kind} {id} is already managed as {owner}")
        self.records[address] = (kind, id, version)
        self._recorded[(kind, id)] = address

    def snapshot(self) -> tuple[int, ...]:
        """Where the importer stands, to roll back to when a flow turns out not importable.
        Everything only grows while a flow is read, so a position per journal is enough."""
        return (
            len(self.docs),
            len(self.records),
            len(self.env_vars),
            len(self.notes),
            len(self.by_id),
            len(self._taken_log),
            len(self._keys),
        )

    def restore(self, state: tuple[int, ...]) -> None:
        docs, records, env_vars, notes, by_id, taken, keys = state
        del self.docs[docs:], self.env_vars[env_vars:], self.notes[notes:]
        for address in list(self.records)[records:]:
            kind, id, _ = self.records.pop(address)
            self._recorded.pop((kind, id), None)
        for id in list(self.by_id)[by_id:]:
            del self.by_id[id]
        for id in list(self._keys)[keys:]:
            del self._keys[id]
        for kind, name in self._taken_log[taken:]:
            self.taken[kind].discard(name)
        del self._taken_log[taken:]

    # -- pieces --------------------------------------------------------------------------

    def _connection_raw(self, id: str) -> dict[str, Any]:
        """A base connection, read once however many flows use it."""
        if id not in self._connections:
            self._connections[id] = self._read("connection", id)
        return self._connections[id]

    def source_connector(self, base: str, src: Mapping[str, Any]) -> Connector | None:
        """The connector entry a flow's source belongs to, from its base connection's spec
        and the source connection's shape (several entries share a spec: SugarCRM's two
        sources; SugarCRM and SAP Subscription Billing read through one REST source spec);
        None for a source with no entry, which the generic form reads as tables."""
        spec_id = str((self._connection_raw(base).get("connectionSpec") or {}).get("id", ""))
        fits = [c for c in CONNECTORS.values() if c.spec_id == spec_id]
        rest = src["format"] == "json"
        if not fits:
            if rest:
                raise CannotImport(
                    f"it reads JSON through connection spec {spec_id}, which aepflow has no "
                    "entry for (the generic connector form reads tables)"
                )
            return None
        for c in fits:
            if not rest and c.shape != REST:
                return c
            if rest and c.rest is not None and src["connectionSpec"] == c.rest.source_spec_id:
                wanted = src.get("object")
                if (wanted in c.rest.objects) if c.rest.objects else wanted is None:
                    return c
        shape = f"object {src.get('object')!r}" if rest else f"table {src.get('table')!r}"
        raise CannotImport(
            f"its source connection ({shape}, connection spec {src['connectionSpec']}) "
            f"fits no source of {' or '.join(c.title for c in fits)}"
        )

    def connection(self, id: str, connector: Connector | None) -> str:
        owner = self._owner(id) or (f"connection.{self.by_id[id]}" if id in self.by_id else None)
        if owner is not None:
            key = self._keys.get(id)
            if key is not None and connector is not None and key != connector.key:
                raise CannotImport(
                    f"its connection {id} is imported as {key} already, and this flow reads "
                    f"it as {connector.key}"
                )
            return owner.split(".", 1)[1]
        kind = KINDS["connection"]
        raw = self._connection_raw(id)
        back = kind.manifest(kind.normalize(raw), self.tenant)
        auth, live = back["auth"], back["auth"]["params"]
        spec: dict[str, Any]
        if isinstance(back["connector"], dict):
            # No entry (or an auth type its entry lacks): the generic form, its secrets from
            # the connection spec's authSpec (help/sources/tutorials/api/create/crm/adwords.md).
            if connector is not None and connector.shape == REST:
                raise CannotImport(
                    f"its connection {id} authenticates with {auth['specName']!r}, which the "
                    f"{connector.title} entry lacks, and the generic form reads tables only"
                )
            name = self._name("Connection", str(raw.get("name") or "connection"))
            spec_id = back["connector"]["spec"]
            required, secrets = self._auth_spec(spec_id, str(auth["specName"]))
            params = self._params(name, live, required, secrets, tuple(live))
            spec = {"connector": back["connector"], "auth": {**auth, "params": params}}
        else:
            entry = connector if connector is not None else CONNECTORS[back["connector"]]
            auth_type = entry.auth_types[auth["type"]]
            name = self._name("Connection", str(raw.get("name") or entry.key))
            params = self._params(
                name, live, auth_type.required, auth_type.secrets, auth_type.params
            )
            spec = {"connector": entry.key, "auth": {**auth, "params": params}}
            self._keys[id] = entry.key
        if back["name"] != name:
            spec["name"] = back["name"]
        if "description" in back:
            spec["description"] = back["description"]
        self._doc("Connection", name, spec)
        self.by_id[id] = name
        self._record(f"connection.{name}", "connection", id)
        return name

    def _params(
        self,
        name: str,
        live: dict[str, Any],
        required: Sequence[str],
        secrets: AbstractSet[str],
        known: Sequence[str],
    ) -> dict[str, Any]:
        """Live params as the manifest writes them: secrets (and required params AEP does not
        show) as ``${env:NAME}``, recorded for the CI workflow."""
        params: dict[str, Any] = {}
        for p in [*known, *(r for r in required if r not in known)]:
            if p in secrets or (p in required and p not in live):
                snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", p)
                variable = f"{name}_{snake}".upper().replace("-", "_")
                params[p] = f"${{env:{variable}}}"
                self.env_vars.append(variable)
            elif p in live:
                params[p] = live[p]
        return params

    def _auth_spec(self, spec_id: str, spec_name: str) -> tuple[tuple[str, ...], frozenset[str]]:
        """(required, secret) params of an authSpec, from ``GET /connectionSpecs/{id}``."""
        body = self.client.send(
            Request("GET", f"{FLOW}/connectionSpecs/{quote(spec_id, safe='')}"), allow_404=True
        )
        items = body.get("items") if isinstance(body, dict) else None
        found = items[0] if items else {}
        for a in found.get("authSpec") or []:
            if a.get("name") == spec_name:
                schema = a.get("spec") or {}
                props = schema.get("properties") or {}
                secret = frozenset(
                    k
                    for k, v in props.items()
                    if isinstance(v, dict) and v.get("format") == "password"
                )
                return tuple(schema.get("required") or ()), secret
        raise UsageError(
            f"the connection spec {spec_id} has no authSpec {spec_name!r}: cannot tell its secrets"
        )

    def schema(self, id: str) -> str:
        owner = self._owner(id) or (f"schema.{self.by_id[id]}" if id in self.by_id else None)
        if owner is not None:
            return owner.split(".", 1)[1]
        raw = self._read("schema", id)
        kind, field_group = KINDS["schema"], KINDS["fieldGroup"]
        back = kind.manifest(kind.normalize(raw), self.tenant)
        name = self._name("Schema", back["title"], kind.marked(raw))
        groups: list[str] = []
        custom: dict[str, Any] = {}
        for ref in back.get("fieldGroups", []):
            if not tenant_owned(ref, self.tenant):
                groups.append(ref)  # a standard field group, by its short name
                continue
            fields = field_group.manifest(
                field_group.normalize(self._read("fieldGroup", ref)), self.tenant
            )
            if custom or not fields:
                groups.append(ref)  # another tenant field group: referenced as it is
                continue
            custom = fields["customFields"]
            self._record(f"fieldGroup.{name}", "fieldGroup", ref)
        spec: dict[str, Any] = {"title": back["title"], "class": back["class"]}
        if "description" in back:
            spec["description"] = back["description"]
        if groups:
            spec["fieldGroups"] = groups
        if custom:
            spec["customFields"] = custom
        identities = []
        descriptor = KINDS["descriptor"]
        for d in self._descriptors:
            if d.get("xdm:sourceSchema") != id or d.get("@type") != "xdm:descriptorIdentity":
                continue
            ident = descriptor.manifest(descriptor.normalize(d), self.tenant)
            identities.append(ident)
            field_path = tenantize(ident["field"], self.tenant).lstrip("_")
            self._record(f"descriptor.{name}.{field_path}", "descriptor", str(d["@id"]))
        if identities:
            spec["identities"] = identities
        self._doc("Schema", name, spec)
        self.by_id[id] = name
        self._record(f"schema.{name}", "schema", id)
        return name

    def dataset(self, id: str, schema: str) -> str:
        owner = self._owner(id) or (f"dataset.{self.by_id[id]}" if id in self.by_id else None)
        if owner is not None:
            return owner.split(".", 1)[1]
        raw = self._read("dataset", id)
        live = KINDS["dataset"].normalize(raw)
        name = self._name("Dataset", str(live["name"]), KINDS["dataset"].marked(raw))
        spec = {"schema": schema, **KINDS["dataset"].manifest(live, self.tenant)}
        self._doc("Dataset", name, {k: spec[k] for k in ("name", *spec) if k in spec})
        self.by_id[id] = name
        self._record(f"dataset.{name}", "dataset", id)
        if live["profile"]:
            self.profile(str(live["schema"]), schema)
        return name

    def profile(self, schema_id: str, schema: str) -> None:
        """A Profile dataset's schema is in the union (help/catalog/datasets/
        enable-for-profile.md): recorded as the schema's profile resource, which shares the
        schema's id."""
        address = f"profile.{schema}"
        if address in self.lock.resources or address in self.records:
            return
        found = KINDS["profile"].read(self.client, schema_id)
        if found is not None and found.spec["union"]:
            self._record(address, "profile", schema_id)

    def flow(self, id: str) -> str:
        owner = self._owner(id)
        if owner is not None:
            raise UsageError(f"flow {id} is already managed as {owner}")
        raw = self._read("flow", id)
        spec_id = str((raw.get("flowSpec") or {}).get("id", ""))
        if spec_id not in FLOW_SPECS:
            raise CannotImport(unknown_flow_spec(spec_id))
        live = KINDS["flow"].normalize(raw)
        name = self._name("Dataflow", str(live["name"]), KINDS["flow"].marked(raw))
        source_kind = KINDS["sourceConnection"]
        src = source_kind.normalize(self._read("sourceConnection", str(live["sourceConnection"])))
        tgt = KINDS["targetConnection"].normalize(
            self._read("targetConnection", str(live["targetConnection"]))
        )
        connector = self.source_connector(str(src["baseConnection"]), src)
        expected = connector.flow_spec_id if connector is not None else FLOW_SPEC_ID
        if spec_id != expected:
            title = connector.title if connector is not None else "a generic connection"
            raise CannotImport(
                f"its flow spec {spec_id} is not the one {title} dataflows use ({expected})"
            )
        connection = self.connection(str(src["baseConnection"]), connector)
        schema = self.schema(str(tgt["schema"]))
        dataset = self.dataset(str(tgt["dataset"]), schema)
        mapping_id, version = str(live["mappingId"]), live["mappingVersion"]
        get = KINDS["mappingSet"].get(mapping_id)  # the version the flow uses
        mapping_raw = self.client.send(
            Request("GET", get.path, params=(("version", str(version)),))
        )
        mapping_set = KINDS["mappingSet"]
        mappings = mapping_set.manifest(mapping_set.normalize(mapping_raw), self.tenant)
        source = source_kind.manifest(src, self.tenant)["source"]
        flow = KINDS["flow"].manifest(live, self.tenant)
        spec: dict[str, Any] = {
            "name": flow.pop("name"),
            "connection": connection,
            "source": source,
            "schema": schema,
            "dataset": dataset,
            **mappings,
        }
        if "description" in flow:
            spec = {"name": spec["name"], "description": flow.pop("description"), **spec}
        spec.update(flow)
        self._doc("Dataflow", name, spec)
        for kind, live_id in (
            ("sourceConnection", str(live["sourceConnection"])),
            ("targetConnection", str(live["targetConnection"])),
            ("flow", id),
        ):
            self._record(f"{kind}.{name}", kind, live_id)
        self._record(f"mappingSet.{name}", "mappingSet", mapping_id, int(version))
        return name

    def _doc(self, kind: str, name: str, spec: dict[str, Any]) -> None:
        self.docs.append(
            {"apiVersion": API, "kind": kind, "metadata": {"name": name}, "spec": spec}
        )

    # -- output --------------------------------------------------------------------------

    def record(self, writer: LockWriter, baseline: Mapping[str, Resource]) -> None:
        """Every id, as the lock records what apply made: with the hash of the manifest just
        written as the last-applied baseline, so a later change in the UI is labelled drift."""
        clash = sorted(a for a in self.records if a in self.lock.resources)
        if clash:  # never write over what the lock records (names are picked free of it)
            raise UsageError(f"{', '.join(clash)} already in the lock: nothing was imported")
        for address, (kind, id, version) in sorted(self.records.items()):
            r = baseline.get(address)
            entry = LockEntry(
                id=id,
                kind=kind,
                hash=None if r is None else r.hash,
                depends_on=() if r is None else r.depends_on,
                version=version,
                # Datasets are protected unless a manifest says otherwise (the manifest default).
                protect=r.protect if r is not None else kind == "dataset",
            )
            writer.put(address, entry)

    def take(self) -> list[dict[str, Any]]:
        """The documents made since the last call."""
        docs, self.docs = self.docs, []
        return docs

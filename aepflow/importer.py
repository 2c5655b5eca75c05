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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from aepflow.api import FLOW, ListRequest, Request
from aepflow.catalog.xdm import CLASS, FIELD_GROUP
from aepflow.connectors import CONNECTORS_BY_SPEC_ID, FLOW_SPEC_ID
from aepflow.engine.lockfile import LockWriter
from aepflow.engine.plan import Lock, LockEntry
from aepflow.errors import UsageError
from aepflow.kinds import KINDS
from aepflow.kinds.base import split_marker
from aepflow.manifest import xdm
from aepflow.model import TENANT_PLACEHOLDER
from aepflow.platform import PlatformClient

API = "aepflow.io/v1"


def slug(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-")
    return out or "imported"


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

    def _owner(self, id: str) -> str | None:
        return next((a for a, e in self.lock.resources.items() if e.id == id), None)

    def _name(self, kind: str, wanted: str) -> str:
        base, n = slug(wanted), 1
        name = base
        while name in self.taken.setdefault(kind, set()):
            n += 1
            name = f"{base}-{n}"
        self.taken[kind].add(name)
        return name

    def _record(self, address: str, kind: str, id: str, version: int | None = None) -> None:
        self.records[address] = (kind, id, version)

    # -- pieces --------------------------------------------------------------------------

    def connection(self, id: str) -> str:
        owner = self._owner(id) or (f"connection.{self.by_id[id]}" if id in self.by_id else None)
        if owner is not None:
            return owner.split(".", 1)[1]
        raw = self._read("connection", id)
        connector = CONNECTORS_BY_SPEC_ID.get((raw.get("connectionSpec") or {}).get("id", ""))
        if connector is None:
            raise UsageError(f"connection {id} is not of a connector aepflow manages")
        auth = raw.get("auth") or {}
        auth_type = next(
            (a for a in connector.auth_types.values() if a.spec_name == auth.get("specName")),
            None,
        )
        if auth_type is None:
            raise UsageError(f"connection {id}: unknown auth spec {auth.get('specName')!r}")
        name = self._name("Connection", str(raw.get("name") or connector.key))
        params: dict[str, Any] = {}
        live = auth.get("params") or {}
        for p in auth_type.params:
            if p in auth_type.secrets or (p in auth_type.required and p not in live):
                snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", p)
                variable = f"{name}_{snake}".upper().replace("-", "_")
                params[p] = f"${{env:{variable}}}"
                self.env_vars.append(variable)
            elif p in live:
                params[p] = live[p]
        spec: dict[str, Any] = {
            "connector": connector.key,
            "auth": {"type": auth_type.key, "params": params},
        }
        if raw.get("name") != name:
            spec["name"] = raw.get("name")
        description = split_marker(raw.get("description"))[0]
        if description:
            spec["description"] = description
        self._doc("Connection", name, spec)
        self.by_id[id] = name
        self._record(f"connection.{name}", "connection", id)
        return name

    def schema(self, id: str) -> str:
        owner = self._owner(id) or (f"schema.{self.by_id[id]}" if id in self.by_id else None)
        if owner is not None:
            return owner.split(".", 1)[1]
        raw = self._read("schema", id)
        title = str(raw.get("title", ""))
        name = self._name("Schema", title)
        klass = str(raw.get("meta:class", ""))
        groups: list[str] = []
        custom: dict[str, Any] = {}
        for item in raw.get("allOf") or []:
            ref = item.get("$ref")
            if not ref or ref == klass:
                continue
            if ref.startswith("https://ns.adobe.com/xdm/") or xdm.lookup(ref):
                groups.append(xdm.short_name(ref, FIELD_GROUP))
                continue
            group = self._read("fieldGroup", ref)
            fields = KINDS["fieldGroup"].normalize(group)["fields"]
            if custom or not fields:
                groups.append(ref)  # another tenant field group: referenced as it is
                continue
            custom = _manifest_fields(fields)
            self._record(f"fieldGroup.{name}", "fieldGroup", ref)
        spec: dict[str, Any] = {"title": title, "class": xdm.short_name(klass, CLASS)}
        description = split_marker(raw.get("description"))[0]
        if description:
            spec["description"] = description
        if groups:
            spec["fieldGroups"] = groups
        if custom:
            spec["customFields"] = custom
        identities = []
        for d in self._descriptors:
            if d.get("xdm:sourceSchema") != id or d.get("@type") != "xdm:descriptorIdentity":
                continue
            dotted = str(d.get("xdm:sourceProperty", "")).strip("/").replace("/", ".")
            dotted = dotted.replace(f"_{self.tenant}", TENANT_PLACEHOLDER, 1)
            ident: dict[str, Any] = {"field": dotted, "namespace": d.get("xdm:namespace")}
            if d.get("xdm:isPrimary"):
                ident["primary"] = True
            identities.append(ident)
            field_path = dotted.replace(TENANT_PLACEHOLDER, f"_{self.tenant}").lstrip("_")
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
        name = self._name("Dataset", str(live["name"]))
        spec: dict[str, Any] = {"name": live["name"], "schema": schema}
        if live["description"]:
            spec["description"] = live["description"]
        for key in ("profile", "identity"):
            if live[key]:
                spec[key] = True
        self._doc("Dataset", name, spec)
        self.by_id[id] = name
        self._record(f"dataset.{name}", "dataset", id)
        return name

    def flow(self, id: str) -> str:
        owner = self._owner(id)
        if owner is not None:
            raise UsageError(f"flow {id} is already managed as {owner}")
        raw = self._read("flow", id)
        if (raw.get("flowSpec") or {}).get("id") != FLOW_SPEC_ID:
            raise UsageError(f"flow {id} is not a CRMToAEP flow (the only kind aepflow manages)")
        live = KINDS["flow"].normalize(raw)
        name = self._name("Dataflow", str(live["name"]))
        source = self._read("sourceConnection", str(live["sourceConnection"]))
        target = self._read("targetConnection", str(live["targetConnection"]))
        src, tgt = (
            KINDS["sourceConnection"].normalize(source),
            KINDS["targetConnection"].normalize(target),
        )
        connection = self.connection(str(src["baseConnection"]))
        schema = self.schema(str(tgt["schema"]))
        dataset = self.dataset(str(tgt["dataset"]), schema)
        mapping_id, version = str(live["mappingId"]), live["mappingVersion"]
        get = KINDS["mappingSet"].get(mapping_id)  # the version the flow uses
        mapping_raw = self.client.send(
            Request("GET", get.path, params=(("version", str(version)),))
        )
        mappings = [
            _mapping(m, self.tenant) for m in KINDS["mappingSet"].normalize(mapping_raw)["mappings"]
        ]
        columns = [
            c["name"] if c["type"] == "string" else {"name": c["name"], "type": c["type"]}
            for c in src["columns"]
        ]
        spec: dict[str, Any] = {
            "name": live["name"],
            "connection": connection,
            "source": {"table": src["table"], **({"columns": columns} if columns else {})},
            "schema": schema,
            "dataset": dataset,
            "mappings": mappings,
        }
        if live["description"]:
            spec["description"] = live["description"]
        if src.get("filter") is not None:
            self.notes.append(f"flow.{name}: its source row filter is not imported; add it by hand")
        if live["deltaColumn"]:
            spec["deltaColumn"] = dict(live["deltaColumn"])
        schedule = dict(live["schedule"])
        if "startTime" in schedule:
            start = datetime.fromtimestamp(int(schedule.pop("startTime")), tz=timezone.utc)
            schedule["start"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        spec["schedule"] = schedule
        if not live["enabled"]:
            spec["enabled"] = False
        if live.get("options"):
            options = live["options"]
            spec["errorHandling"] = {
                **(
                    {"diagnostics": options["errorDiagnosticsEnabled"]}
                    if "errorDiagnosticsEnabled" in options
                    else {}
                ),
                **(
                    {"partialIngestionPercent": options["partialIngestionPercent"]}
                    if "partialIngestionPercent" in options
                    else {}
                ),
            }
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

    def record(self, writer: LockWriter) -> None:
        clash = sorted(a for a in self.records if a in self.lock.resources)
        if clash:  # never write over what the lock records (names are picked free of it)
            raise UsageError(f"{', '.join(clash)} already in the lock: nothing was imported")
        for address, (kind, id, version) in sorted(self.records.items()):
            # Datasets are protected unless a manifest says otherwise (the manifest default).
            entry = LockEntry(id=id, kind=kind, version=version, protect=kind == "dataset")
            writer.put(address, entry)

    def take(self) -> list[dict[str, Any]]:
        """The documents made since the last call."""
        docs, self.docs = self.docs, []
        return docs


def write(path: Path, docs: list[dict[str, Any]]) -> None:
    header = "# Imported from the sandbox by `aepflow import`; review, then commit.\n"
    body = "---\n".join(yaml.safe_dump(d, sort_keys=False, allow_unicode=True) for d in docs)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + body, encoding="utf-8")


def _mapping(m: dict[str, Any], tenant: str) -> dict[str, Any]:
    destination = str(m["destination"]).replace(f"_{tenant}", TENANT_PLACEHOLDER, 1)
    kind = {"ATTRIBUTE": "source", "EXPRESSION": "expression", "STATIC": "value"}.get(
        str(m["sourceType"]), "source"
    )
    return {kind: m["source"], "destination": destination}


def _manifest_fields(fields: dict[str, Any]) -> dict[str, Any]:
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
            entry["properties"] = _manifest_fields(spec.get("properties") or {})
        out[name] = entry
    return out


def all_flows(client: PlatformClient) -> list[str]:
    query = ListRequest(
        f"{FLOW}/flows", "flowservice", (("property", f"flowSpec.id=={FLOW_SPEC_ID}"),)
    )
    return sorted(str(f["id"]) for f in client.list(query) if f.get("state") != "delete-finalizing")


@dataclass
class ImportResult:
    files: list[Path]
    flows: list[str]
    env_vars: list[str]
    notes: list[str]


def import_pipelines(
    client: PlatformClient,
    lock: Lock,
    writer: LockWriter,
    manifests: Path,
    taken: dict[str, set[str]],
    flow_ids: list[str],
    everything: bool,
) -> ImportResult:
    """Import the flows (or every CRMToAEP flow not managed yet): manifests, then the lock."""
    imp = Importer(client, lock, client.tenant_id(), taken)
    managed = {e.id for e in lock.resources.values()}
    ids = [i for i in all_flows(client) if i not in managed] if everything else flow_ids
    if not ids:
        raise UsageError(
            "no flow to import: the sandbox has no CRMToAEP flow that aepflow does not manage"
            if everything
            else "give --flow ID (repeatable) or --all"
        )
    planned: list[tuple[Path, list[dict[str, Any]]]] = []
    names = []
    for id in ids:
        name = imp.flow(id)
        path = manifests / "imported" / f"{name}.yaml"
        if path.exists():
            raise UsageError(f"{path} already exists: aepflow import never overwrites a file")
        planned.append((path, imp.take()))
        names.append(f"flow.{name}")
    for path, docs in planned:  # nothing is written before every flow was read
        write(path, docs)
    imp.record(writer)
    return ImportResult([p for p, _ in planned], names, sorted(set(imp.env_vars)), imp.notes)

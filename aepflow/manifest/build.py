"""Documents to definitions: variables resolved late, every check, every problem at its line.

``Builder`` reads the documents of every manifest and turns them into the typed
``ProjectModel``, collecting each problem as a diagnostic anchored at the key or value at
fault, so ``aepflow validate`` reports them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aepflow.catalog.xdm import Field
from aepflow.connectors import CONNECTORS
from aepflow.errors import Diagnostic, SourceLocation
from aepflow.manifest import schema as jsonschemas
from aepflow.manifest import xdm
from aepflow.manifest.checks import check_model
from aepflow.manifest.expressions import check_expressions
from aepflow.manifest.generic import generic_connection
from aepflow.manifest.schedule import read_schedule
from aepflow.manifest.sourceopts import check_source, flow_options
from aepflow.manifest.variables import resolve
from aepflow.manifest.walk import (
    defined,
    did_you_mean,
    env_references,
    locations,
    plain,
    static_text,
    type_name,
)
from aepflow.manifest.xdmchecks import (
    check_event_mappings,
    check_identity_fields,
    check_mapping_types,
    check_schema_refs,
)
from aepflow.manifest.yamlload import Document, LocDict
from aepflow.model import (
    ColumnDef,
    ConnectionDef,
    DataflowDef,
    DatasetDef,
    Definition,
    DeltaColumnDef,
    IdentityDef,
    MappingDef,
    ProjectModel,
    SchemaDef,
)

if TYPE_CHECKING:
    pass

API_VERSION = "aepflow.io/v1"
KINDS = {
    "Connection": "connection",
    "Schema": "schema",
    "Dataset": "dataset",
    "Dataflow": "dataflow",
}


class Builder:
    """Reads documents and collects definitions and diagnostics."""

    def __init__(self, variables: Mapping[str, str], environ: Mapping[str, str] | None) -> None:
        self.variables = variables
        self.environ = environ  # None: leave ${env:X} as written (validate needs no secrets)
        self.problems: list[Diagnostic] = []
        self.model = ProjectModel()
        self.first_at: dict[tuple[str, str], SourceLocation] = {}
        self.missing_env: list[tuple[str, SourceLocation, str]] = []
        # Every ${env:NAME} read, whatever ``environ`` holds: what ``required_env`` lists.
        self.env_used: list[tuple[str, SourceLocation, str]] = []
        self._leaf_memo: dict[
            str, tuple[SchemaDef, dict[str, Field] | None, frozenset[str] | None]
        ] = {}
        self.warnings: list[Diagnostic] = []
        # Each connection's auth.params as written, before any variable is resolved: what
        # ``bind_secrets`` resolves again with the environment's values.
        self.raw_auth: dict[str, LocDict] = {}

    def problem(self, at: SourceLocation, message: str) -> None:
        self.problems.append(Diagnostic(at, message))

    def warn(self, at: SourceLocation, message: str, code: str) -> None:
        self.warnings.append(Diagnostic(at, message, code))

    # -- variables ------------------------------------------------------------------------

    def resolve(self, value: Any, at: SourceLocation, owner: str) -> Any:
        return resolve(value, at, owner, self)

    # -- documents ------------------------------------------------------------------------

    def add(self, doc: Document) -> None:
        body = doc.body
        if not isinstance(body, LocDict):
            self.problem(
                doc.at, "a manifest must be a mapping with apiVersion, kind, metadata and spec"
            )
            return
        kind = body.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            at = body.value_at.get("kind", doc.at)
            if "kind" not in body:
                what = "missing key 'kind'"
            elif not isinstance(kind, str):
                what = f"kind must be a name, not {type_name(kind)}"
            else:
                what = f"unknown kind {kind!r}"
            hint = did_you_mean(kind, KINDS)
            self.problem(at, f"{what}: use one of {', '.join(KINDS)}{hint}")
            return
        if body.get("apiVersion") != API_VERSION:
            at = body.value_at.get("apiVersion", body.at)
            found = body.get("apiVersion")
            shown = repr(found) if found is None or isinstance(found, str) else type_name(found)
            self.problem(at, f"apiVersion must be {API_VERSION} (found {shown})")
            return
        problems = jsonschemas.validate(body, f"{KINDS[kind]}.schema.json", doc.at)
        if problems:
            self.problems.extend(problems)
            return
        name = body["metadata"]["name"]
        name_at = body["metadata"].value_at["name"]
        allowed = ("spec", "auth", "params") if kind == "Connection" else None
        for path, at in env_references(body, (), body.at) if doc.refs else ():
            if allowed is None or path[:3] != allowed:
                self.problem(
                    at,
                    "${env:...} is only allowed in a Connection's auth.params: values read from "
                    "the environment are sensitive and never shown, so they cannot name or "
                    "shape a resource; use ${var.name} from aepflow.yaml for values that differ "
                    "per environment",
                )
        if kind == "Connection":
            self.raw_auth.setdefault(name, body["spec"]["auth"]["params"])
        spec = body["spec"]
        if doc.refs:  # else resolving would return the same values and report nothing
            spec = self.resolve(spec, body.value_at["spec"], f"{KINDS[kind]} {name!r}")
        description = str(body["metadata"].get("description", spec.get("description", "")))
        getattr(self, f"_add_{KINDS[kind]}")(name, name_at, spec, description)
        moved = tuple(body["metadata"].get("movedFrom", ()))
        store: dict[str, Any] = getattr(self.model, f"{KINDS[kind]}s")
        if moved and name in store:
            store[name] = replace(store[name], moved_from=moved)

    def _claim(self, kind: str, name: str, at: SourceLocation) -> bool:
        first = self.first_at.get((kind, name))
        if first is not None:
            self.problem(at, f"duplicate {kind} name {name!r} (first defined at {first})")
            return False
        self.first_at[(kind, name)] = at
        return True

    def _add_connection(
        self, name: str, at: SourceLocation, spec: LocDict, description: str
    ) -> None:
        if not self._claim("Connection", name, at):
            return
        if not isinstance(spec["connector"], str):  # connector: {spec: ID}
            generic = generic_connection(
                name, at, spec, description, self.raw_auth[name], locations(spec), self.problem
            )
            if generic is not None:
                self.model.connections[name] = generic
            return
        connector = CONNECTORS[spec["connector"]]
        auth = spec["auth"]
        auth_type = connector.auth_types.get(auth["type"])
        if auth_type is None:
            self.problem(
                auth.value_at["type"],
                f"auth type {auth['type']!r} is not available for {connector.key}: use "
                + " or ".join(connector.auth_types)
                + did_you_mean(auth["type"], connector.auth_types),
            )
            return
        if auth_type.deprecated:
            self.warn(auth.value_at["type"], f"warning: {auth_type.deprecated}", "deprecated-auth")
        params = auth["params"]
        for p in auth_type.required:
            if p not in params:
                self.problem(
                    auth.key_at["params"],
                    f"auth.params: missing {p!r} (required by {connector.key} {auth_type.key} auth)",
                )
        for p in params:
            if p not in auth_type.params:
                self.problem(
                    params.key_at[p],
                    f"auth.params.{p}: unknown param for {connector.key} {auth_type.key} auth (known: {', '.join(auth_type.params)})"
                    + did_you_mean(p, auth_type.params),
                )
        raw = self.raw_auth[name]
        for p in sorted(auth_type.secrets & set(params)):
            if not re.fullmatch(r"\$\{env:[^}]+\}", str(raw.get(p, "")).strip()):
                self.problem(
                    params.value_at[p],
                    f"auth.params.{p} is a secret: do not write it, or any part of it, in a "
                    "manifest; write exactly ${env:NAME} and set NAME in the environment",
                )
        self.model.connections[name] = ConnectionDef(
            name=name,
            location=at,
            locations=locations(spec),
            connector=connector.key,
            aep_name=str(spec.get("name", "")),
            connection_spec_id=connector.spec_id,
            auth_spec_name=auth_type.spec_name,
            params=dict(params),
            # Secret by the connector's spec, or read from the environment: sensitive either way.
            secret_params=auth_type.secrets
            | {p for p in params if "${env:" in str(raw.get(p, ""))},
            description=description,
        )

    def _schema_def(
        self, name: str, at: SourceLocation, spec: LocDict, description: str
    ) -> SchemaDef:
        identities = tuple(
            IdentityDef(i["field"], i["namespace"], bool(i.get("primary", False)))
            for i in spec.get("identities", [])
        )
        return SchemaDef(
            name=name,
            location=at,
            locations=locations(spec),
            title=str(spec.get("title", name)),
            description=str(spec.get("description", description)),
            class_id=xdm.class_id(spec["class"]),
            field_group_ids=tuple(xdm.field_group_id(g) for g in spec.get("fieldGroups", [])),
            custom_fields=plain(spec.get("customFields", {})),
            identities=identities,
        )

    def _add_schema(self, name: str, at: SourceLocation, spec: LocDict, description: str) -> None:
        if self._claim("Schema", name, at):
            self.model.schemas[name] = self._schema_def(name, at, spec, description)

    def _dataset_def(
        self, name: str, at: SourceLocation, spec: LocDict, description: str, schema: str
    ) -> DatasetDef:
        return DatasetDef(
            name=name,
            location=at,
            locations=locations(spec),
            dataset_name=str(spec.get("name", name)),
            description=str(spec.get("description", description)),
            schema=schema,
            profile=bool(spec.get("profile", False)),
            identity=bool(spec.get("identity", False)),
            protect=bool(spec.get("protect", True)),
        )

    def _add_dataset(self, name: str, at: SourceLocation, spec: LocDict, description: str) -> None:
        if "schema" not in spec:
            self.problem(
                at, f"dataset {name!r}: missing key 'schema' (the Schema manifest it uses)"
            )
            return
        if self._claim("Dataset", name, at):
            self.model.datasets[name] = self._dataset_def(
                name, at, spec, description, spec["schema"]
            )

    def _add_dataflow(self, name: str, at: SourceLocation, spec: LocDict, description: str) -> None:
        if not self._claim("Dataflow", name, at):
            return
        schema_name = spec["schema"]
        if isinstance(spec["schema"], LocDict):
            schema_name = name
            inline_at = spec.value_at["schema"]
            if self._claim("Schema", name, inline_at):
                self.model.schemas[name] = self._schema_def(name, inline_at, spec["schema"], "")
        dataset_name = spec["dataset"]
        if isinstance(spec["dataset"], LocDict):
            dataset_name = name
            inline_at = spec.value_at["dataset"]
            inline = spec["dataset"]
            if self._claim("Dataset", name, inline_at):
                self.model.datasets[name] = self._dataset_def(
                    name, inline_at, inline, "", inline.get("schema", schema_name)
                )
        columns = tuple(
            ColumnDef(c) if isinstance(c, str) else ColumnDef(c["name"], c.get("type", "string"))
            for c in spec["source"].get("columns", [])
        )
        mappings = tuple(
            MappingDef("attribute", str(m["source"]), m["destination"])
            if "source" in m
            else MappingDef("expression", str(m["expression"]), m["destination"])
            if "expression" in m
            else MappingDef("static", static_text(m["value"]), m["destination"])
            for m in spec["mappings"]
        )
        connector = CONNECTORS.get(
            getattr(self.model.connections.get(spec["connection"]), "connector", ""), None
        )
        dc = spec.get("deltaColumn")  # REST sources have none (manifest.sourceopts)
        delta = (
            DeltaColumnDef(
                dc["name"],
                dc.get("dateFormat", connector.date_format if connector else "yyyy-MM-dd HH:mm:ss"),
                dc.get("timezone", "UTC"),
            )
            if dc is not None
            else None
        )
        schedule = read_schedule(spec["schedule"], self.problem)
        self.model.dataflows[name] = DataflowDef(
            name=name,
            location=at,
            locations=locations(spec),
            flow_name=str(spec.get("name", name)),
            description=str(spec.get("description", description)),
            connection=spec["connection"],
            table=str(spec["source"].get("table", spec["source"].get("object", ""))),
            columns=columns,
            schema=schema_name,
            dataset=dataset_name,
            mappings=mappings,
            delta_column=delta,
            schedule=schedule,
            enabled=bool(spec.get("enabled", True)),
            ignore_changes=frozenset((spec.get("lifecycle") or {}).get("ignoreChanges", [])),
            entity_type=str(spec["source"].get("entityType", "table")),
            primary_key=str(spec["source"].get("primaryKey", "")),
            row_filter=plain(spec["source"]["filter"]) if "filter" in spec["source"] else None,
            options=flow_options(spec.get("errorHandling") or {}, self.problem),
        )

    # -- cross-document checks ------------------------------------------------------------

    def check(self) -> None:
        m = self.model
        for d in m.datasets.values():
            if d.schema not in m.schemas:
                self.problem(
                    d.at("schema"),
                    f"dataset {d.name!r}: no Schema named {d.schema!r}{defined(m.schemas)}"
                    + did_you_mean(d.schema, m.schemas),
                )
            elif d.profile and not xdm.profile_ready(m.schemas[d.schema]):
                self.problem(
                    d.at("profile"),
                    f"dataset {d.name!r} has profile: true, but schema {d.schema!r} has no "
                    "primary identity: mark one of its identities primary: true (or add the "
                    "identitymap field group); AEP enables Profile only on such a schema",
                )
        for s in m.schemas.values():
            self._check_schema(s)
        for f in m.dataflows.values():
            self._check_dataflow(f)
        check_model(self.model, self.problem)
        stores: tuple[tuple[str, Mapping[str, Definition]], ...] = (
            ("Connection", m.connections),
            ("Schema", m.schemas),
            ("Dataset", m.datasets),
            ("Dataflow", m.dataflows),
        )
        for kind, store in stores:
            for definition in store.values():
                for old in definition.moved_from:
                    if old in store:
                        self.problem(
                            definition.location,
                            f"{kind} {definition.name!r} is movedFrom {old!r}, but {old!r} is still "
                            "defined: remove the old definition (or the movedFrom entry)",
                        )

    def _leaves(self, s: SchemaDef) -> tuple[dict[str, Field] | None, frozenset[str] | None]:
        """A schema's leaves and leaf paths, worked out once per schema per build (a thousand
        dataflows share a handful of schemas)."""
        memo = self._leaf_memo.get(s.name)
        if memo is None or memo[0] is not s:
            leaves = xdm.schema_leaves(s.class_id, s.field_group_ids, s.custom_fields)
            memo = (s, leaves, None if leaves is None else frozenset(leaves))
            self._leaf_memo[s.name] = memo
        return memo[1], memo[2]

    def _fields(self, s: SchemaDef) -> frozenset[str] | None:
        return self._leaves(s)[1]

    def _check_schema(self, s: SchemaDef) -> None:
        check_schema_refs(s, self.problem, self.warn)
        primaries = [i for i, ident in enumerate(s.identities) if ident.primary]
        for i in primaries[1:]:
            self.problem(
                s.at(f"identities.{i}.primary"),
                f"schema {s.name!r} has more than one primary identity",
            )
        check_identity_fields(s, self.problem)

    def _check_dataflow(self, f: DataflowDef) -> None:
        check_source(f, self.model.connections, self.problem)
        check_expressions(f, self.problem)
        m = self.model
        if f.schema in m.schemas:
            check_event_mappings(f, m.schemas[f.schema], self.problem)
        if f.connection not in m.connections:
            self.problem(
                f.at("connection"),
                f"dataflow {f.name!r}: no Connection named {f.connection!r}{defined(m.connections)}"
                + did_you_mean(f.connection, m.connections),
            )
        if f.schema not in m.schemas:
            self.problem(
                f.at("schema"),
                f"dataflow {f.name!r}: no Schema named {f.schema!r}{defined(m.schemas)}"
                + did_you_mean(f.schema, m.schemas),
            )
        if f.dataset not in m.datasets:
            self.problem(
                f.at("dataset"),
                f"dataflow {f.name!r}: no Dataset named {f.dataset!r}{defined(m.datasets)}"
                + did_you_mean(f.dataset, m.datasets),
            )
        elif f.schema in m.schemas and m.datasets[f.dataset].schema != f.schema:
            self.problem(
                f.at("dataset"),
                f"dataflow {f.name!r} maps into schema {f.schema!r}, but dataset {f.dataset!r} uses schema "
                f"{m.datasets[f.dataset].schema!r}: they must be the same",
            )
        columns = {c.name for c in f.columns}
        if columns and f.delta_column and f.delta_column.name not in columns:
            self.problem(
                f.at("deltaColumn.name"),
                f"deltaColumn {f.delta_column.name!r} is not among the declared columns",
            )
        for i, mapping in enumerate(f.mappings):
            if mapping.kind == "attribute" and columns and mapping.source not in columns:
                self.problem(
                    f.at(f"mappings.{i}.source"),
                    f"mapping source {mapping.source!r} is not among the declared columns ({', '.join(c.name for c in f.columns)})",
                )
        schema = m.schemas.get(f.schema)
        if schema is not None:
            leaves, _ = self._leaves(schema)
            check_mapping_types(f, leaves, self.problem, self.warn)
        fields = self._fields(schema) if schema else None
        if fields is not None:
            for i, mapping in enumerate(f.mappings):
                if not xdm.exists(mapping.destination, fields):
                    self.problem(
                        f.at(f"mappings.{i}.destination"),
                        f"mapping destination {mapping.destination!r} does not exist in schema {f.schema!r}",
                    )

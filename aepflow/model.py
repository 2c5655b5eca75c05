"""The manifests as typed data: what the loader produces and the engine consumes.

These are plain frozen dataclasses with no behaviour, shared by the layers. Every
definition keeps the location of its document and, in ``locations``, the location of
each field by its dotted path inside ``spec`` (e.g. ``"schedule.interval"``,
``"mappings.2.destination"``, ``"auth.params.password"``), so later layers can point at
the exact line.

Values are already resolved for the environment the model was built for: ``${var.x}``
replaced by the environment's variable, ``${env:X}`` replaced by the environment value
when secrets were requested, and left as the literal ``${env:X}`` text otherwise
(``aepflow validate`` needs no secrets).

Custom XDM fields live under the tenant namespace. Manifests spell that namespace
``_${tenant}`` (e.g. ``_${tenant}.loyalty.tier``); the model keeps it literally and the
engine substitutes the sandbox's tenant id, read from the Schema Registry, at plan time.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aepflow.errors import SourceLocation

MappingKind = Literal["attribute", "expression", "static"]
Frequency = Literal["once", "minute", "hour", "day", "week"]
TENANT_PLACEHOLDER = "_${tenant}"


class Positions(Mapping[str, SourceLocation]):
    """A definition's positions by dotted path (``locations``).

    Stored (the build cache) packed: the paths as one string and the lines and columns as
    one array, for the one file they are all in, and unpacked only when a position is
    asked for, which a plan that finds no problem never does: most of the positions of a
    thousand manifests are never read back."""

    __slots__ = ("_file", "_packed", "_paths", "_table")

    def __init__(self, table: Mapping[str, SourceLocation] | None = None) -> None:
        self._table: dict[str, SourceLocation] | None = dict(table or {})
        self._file, self._paths, self._packed = "", "", b""

    def _unpacked(self) -> dict[str, SourceLocation]:
        table = self._table
        if table is None:
            numbers = array("I")
            numbers.frombytes(self._packed)
            paths = self._paths.split("\0") if self._paths else []
            file = self._file
            table = {
                path: SourceLocation(file, numbers[2 * i], numbers[2 * i + 1])
                for i, path in enumerate(paths)
            }
            self._table = table
        return table

    def _index(self, path: str) -> int:
        """Where ``path`` is among the packed paths, or -1 (a search in one string)."""
        if "\0" in path:
            return -1
        at = ("\0" + self._paths + "\0").find("\0" + path + "\0") if self._paths else -1
        return -1 if at < 0 else self._paths.count("\0", 0, at)

    def __getitem__(self, path: str) -> SourceLocation:
        if self._table is not None:
            return self._table[path]
        index = self._index(path)
        if index < 0:
            raise KeyError(path)
        numbers = memoryview(self._packed).cast("I")
        return SourceLocation(self._file, numbers[2 * index], numbers[2 * index + 1])

    def __contains__(self, path: object) -> bool:
        if self._table is not None:
            return path in self._table
        return isinstance(path, str) and self._index(path) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._unpacked())

    def __len__(self) -> int:
        return len(self._unpacked())

    def __reduce__(self) -> tuple[Any, ...]:
        table = self._unpacked()
        files = {at.file for at in table.values()}
        if (
            len(files) > 1
            or any("\0" in p for p in table)
            or not all(0 < at.line < 2**32 and 0 < at.col < 2**32 for at in table.values())
        ):
            return (Positions, (table,))
        numbers = array("I", [n for at in table.values() for n in (at.line, at.col)])
        return (
            packed_positions,
            (files.pop() if files else "", "\0".join(table), numbers.tobytes()),
        )


def packed_positions(file: str, paths: str, packed: bytes) -> Positions:
    """What ``Positions.__reduce__`` stores, as it was (unpacked when first read)."""
    found = Positions()
    found._table = None
    found._file, found._paths, found._packed = file, paths, packed
    return found


@dataclass(frozen=True)
class Definition:
    name: str
    location: SourceLocation
    locations: Mapping[str, SourceLocation] = field(
        default_factory=Positions, compare=False, repr=False
    )
    moved_from: tuple[str, ...] = ()  # earlier names (metadata.movedFrom)

    def at(self, path: str) -> SourceLocation:
        """Location of ``path`` (dotted, inside spec), else of its nearest parent, else the doc."""
        while path:
            if path in self.locations:
                return self.locations[path]
            path = path.rpartition(".")[0]
        return self.location


@dataclass(frozen=True)
class ConnectionDef(Definition):
    connector: str = ""  # friendly name, e.g. "servicenow"
    aep_name: str = ""  # the connection's name in AEP (spec.name); "" = metadata.name
    connection_spec_id: str = ""
    auth_spec_name: str = ""  # AEP authSpec name, e.g. "Basic Authentication"
    params: dict[str, Any] = field(default_factory=dict)
    secret_params: frozenset[str] = frozenset()  # names in params that are secrets
    description: str = ""


@dataclass(frozen=True)
class IdentityDef:
    field: str  # dotted XED path, e.g. "personalEmail.address" or "_${tenant}.crmId"
    namespace: str  # identity namespace code, e.g. "Email", "CRMID"
    primary: bool = False


@dataclass(frozen=True)
class SchemaDef(Definition):
    title: str = ""
    description: str = ""
    class_id: str = ""  # e.g. "https://ns.adobe.com/xdm/context/profile"
    field_group_ids: tuple[str, ...] = ()  # standard field group $ids, in manifest order
    # Custom fields under _${tenant}: a JSON-Schema "properties" object (XDM types), or {} for none.
    custom_fields: dict[str, Any] = field(default_factory=dict)
    identities: tuple[IdentityDef, ...] = ()


@dataclass(frozen=True)
class DatasetDef(Definition):
    dataset_name: str = ""  # the Catalog name
    description: str = ""
    schema: str = ""  # name of a SchemaDef
    profile: bool = False  # unifiedProfile tag
    identity: bool = False  # unifiedIdentity tag
    # Deleting or replacing a dataset deletes its data: only with --allow-data-loss unless false.
    protect: bool = True


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type: str = "string"  # source column type as Flow Service lists it


@dataclass(frozen=True)
class MappingDef:
    kind: MappingKind
    source: str  # attribute path, expression text or static value
    destination: str  # dotted XED path in the target schema


@dataclass(frozen=True)
class DeltaColumnDef:
    name: str
    date_format: str = ""  # "" = not sent
    timezone: str = ""


@dataclass(frozen=True)
class ScheduleDef:
    frequency: Frequency
    start_time: int  # epoch seconds
    interval: int | None = None  # None for "once"
    backfill: bool | None = None  # None = not sent (AEP default true)


@dataclass(frozen=True)
class DataflowDef(Definition):
    flow_name: str = ""  # the Flow Service name
    description: str = ""
    connection: str = ""  # name of a ConnectionDef
    table: str = ""
    columns: tuple[ColumnDef, ...] = ()  # () = all columns (none declared)
    schema: str = ""  # name of a SchemaDef (inline schemas are hoisted under the dataflow's name)
    dataset: str = ""  # name of a DatasetDef (likewise)
    mappings: tuple[MappingDef, ...] = ()
    delta_column: DeltaColumnDef | None = None
    schedule: ScheduleDef | None = None
    enabled: bool = True
    ignore_changes: frozenset[str] = frozenset()  # flow fields managed outside aepflow
    entity_type: str = "table"  # Dynamics: table or view
    primary_key: str = ""  # Dynamics: optimizes the source queries
    row_filter: dict[str, Any] | None = None  # PQL JSON (params.filters.value)
    options: dict[str, Any] = field(default_factory=dict)  # flow options, as AEP names them


@dataclass(frozen=True)
class ProjectModel:
    """All definitions of a project, keyed by name within each kind."""

    connections: dict[str, ConnectionDef] = field(default_factory=dict)
    schemas: dict[str, SchemaDef] = field(default_factory=dict)
    datasets: dict[str, DatasetDef] = field(default_factory=dict)
    dataflows: dict[str, DataflowDef] = field(default_factory=dict)

"""`aepflow preview`: the XDM records a flow would write, from sample rows of its source.

The rows come from Flow Service's explore endpoint with ``preview=true``, asked the way the
source check and ``aepflow explore`` ask (:mod:`aepflow.engine.sourcecheck`'s request
builders): ``objectType=table`` (help/sources/tutorials/api/explore/tabular.md) or ``view``
(a Dynamics view, create/crm/ms-dynamics.md) answer columns and ``data``, a few rows; a REST
source (create/customer-success/zendesk.md) answers ``objectType=rest&object=json&fileType=json&
preview=true&sourceParams=BASE64`` with a JSON schema and ``data``, JSON documents that are
flattened into the paths mappings name (``results.email``). Everything after that read is
pure: the flow's mappings run through the one Data Prep evaluator (:mod:`aepflow.dataprep`)
and each value is checked against the type and format of its target field in the flow's
schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

from aepflow import dataprep
from aepflow.api import Request
from aepflow.connectors import CONNECTORS, REST
from aepflow.engine.sourcecheck import REST_OBJECT, Table, explore_request, rest_request
from aepflow.errors import PlatformError, UsageError
from aepflow.kinds.base import tenantize
from aepflow.manifest import load_model, xdmtypes
from aepflow.model import DataflowDef, ProjectModel

if TYPE_CHECKING:
    from aepflow.engine.plan import Plan
    from aepflow.workspace import Workspace

DEFAULT_ROWS = 5
PLAN_ROWS = 3  # records per flow in a pull-request comment


@dataclass(frozen=True)
class Sample:
    row: dict[str, Any]  # the source row, declared columns only
    record: dataprep.Record


@dataclass(frozen=True)
class FlowPreview:
    flow: str
    environment: str
    connection: str
    table: str
    mappings: tuple[dataprep.Rule, ...]
    samples: tuple[Sample, ...]
    unchecked: tuple[str, ...]  # destinations whose type the field catalog does not know
    kind: str = "table"  # what ``table`` is: "table", "view" or "rest" (a REST source's object)


@dataclass(frozen=True)
class PlanPreview:
    """One flow of a plan whose mappings change: its preview, or why there is none."""

    flow: str
    preview: FlowPreview | None
    note: str = ""


def find_flow(model: ProjectModel, name: str) -> DataflowDef:
    if name in model.dataflows:
        return model.dataflows[name]
    known = sorted(model.dataflows)
    near = get_close_matches(name, known, n=1)
    raise UsageError(
        f"no Dataflow named {name!r} in the manifests"
        + (f": did you mean {near[0]!r}?" if near else "")
        + (f" (dataflows: {', '.join(known)})" if known else " (there is none)")
    )


def _connection_id(ws: Workspace, flow: DataflowDef) -> str:
    entry = ws.lock.resources.get(f"connection.{flow.connection}")
    if entry is None:
        raise UsageError(
            f"dataflow {flow.name!r} reads from connection {flow.connection!r}, which does not "
            f"exist yet in environment {ws.env.name} (it has no id in the lock): create it "
            f"first with `{ws.hint('apply', '--target', f'connection.{flow.connection}')}`, "
            "then preview again"
        )
    return entry.id


def source_of(model: ProjectModel, flow: DataflowDef) -> Table:
    """What the flow reads: a table, a view (``entityType: view``) or a REST source's object."""
    connection = model.connections.get(flow.connection)
    connector = CONNECTORS.get(connection.connector) if connection is not None else None
    if connector is not None and connector.shape == REST:
        name = flow.table or REST_OBJECT
        return Table(name, name, "rest")
    return Table(flow.table, flow.table, "view" if flow.entity_type == "view" else "table")


def sample_request(conn_id: str, source: Table) -> Request:
    if source.type == "rest":
        return rest_request(conn_id, source.path)  # asks for preview rows already
    return explore_request(
        conn_id, ("objectType", source.type), ("object", source.path), ("preview", "true")
    )


def sample_rows(ws: Workspace, conn_id: str, source: Table) -> list[dict[str, Any]]:
    body = ws.client.send(sample_request(conn_id, source))
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        return []
    if source.type == "rest":
        return [flatten(doc) for doc in data if isinstance(doc, Mapping)]
    return [dict(row) for row in data if isinstance(row, Mapping)]


def flatten(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A REST source's JSON document as the paths a mapping names: ``{"results": {"email":
    "a@b.co"}}`` -> ``{"results.email": "a@b.co"}``. An array keeps its whole value under its
    path, and each object in it is flattened under ``path[i]`` (``emails[0].address``)."""
    out: dict[str, Any] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, Mapping) and (value or not path):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
            return
        out[path] = value
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, (Mapping, list)):
                    walk(item, f"{path}[{i}]")

    walk(doc, "")
    return out


def rules_of(flow: DataflowDef, tenant: str) -> tuple[dataprep.Rule, ...]:
    """The flow's mappings as the mapping set holds them: ``_${tenant}`` made the sandbox's."""
    return tuple(
        dataprep.Rule(m.kind, m.source, tenantize(m.destination, tenant)) for m in flow.mappings
    )


def build_preview(
    ws: Workspace,
    model: ProjectModel,
    flow: DataflowDef,
    rows: int,
    now: datetime,
) -> FlowPreview:
    read = source_of(model, flow)
    source = sample_rows(ws, _connection_id(ws, flow), read)[:rows]
    declared = [c.name for c in flow.columns]
    if declared:  # the flow reads these columns only
        source = [{c: row.get(c) for c in declared} for row in source]
    schema = model.schemas.get(flow.schema)
    types = xdmtypes.field_types(schema) if schema is not None else {}
    rules = rules_of(flow, ws.tenant)

    def target_of(destination: str) -> dataprep.Target | None:
        return xdmtypes.target_of(types, destination.replace(f"_{ws.tenant}.", "_${tenant}.", 1))

    samples = tuple(Sample(row, dataprep.apply(rules, row, target_of, now)) for row in source)
    unchecked = tuple(r.destination for r in rules if target_of(r.destination) is None)
    return FlowPreview(
        flow.name, ws.env.name, flow.connection, flow.table, rules, samples, unchecked, read.type
    )


def preview_flow(ws: Workspace, name: str, rows: int, now: datetime) -> FlowPreview:
    model = load_model(ws.project, ws.env)
    return build_preview(ws, model, find_flow(model, name), rows, now)


def preview_plan(
    ws: Workspace, plan: Plan, now: datetime, rows: int | None = None
) -> list[PlanPreview]:
    """A preview of every flow whose mappings the plan creates or changes. A flow that
    cannot be previewed (its connection is created by this plan, the source refuses) gets a
    note instead: the plan itself never fails for a preview."""
    names = sorted(
        c.address.split(".", 1)[1]
        for c in plan.actionable
        if c.kind == "mappingSet" and c.action in ("create", "update", "replace")
    )
    if not names:
        return []
    model = load_model(ws.project, ws.env)
    out: list[PlanPreview] = []
    for name in names:
        flow = model.dataflows.get(name)
        if flow is None:
            continue
        if f"connection.{flow.connection}" not in ws.lock.resources:
            note = f"connection {flow.connection} is created by this plan: no rows to preview yet"
            out.append(PlanPreview(name, None, note))
            continue
        try:
            preview = build_preview(ws, model, flow, rows or PLAN_ROWS, now)
            out.append(PlanPreview(name, preview))
        except (PlatformError, UsageError) as e:
            out.append(PlanPreview(name, None, f"no preview: {e}"))
    return out

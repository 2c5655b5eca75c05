"""Flow: the dataflow itself, CRMToAEP from a source to a target connection (``/flows``).

Create: help/sources/tutorials/api/collect/crm.md ("Create a dataflow"): ``flowSpec``,
``sourceConnectionIds``, ``targetConnectionIds``, the ``Copy`` (deltaColumn) and ``Mapping``
(mappingId, mappingVersion) transformations and ``scheduleParams``. Update: a JSON Patch with
``If-Match`` (help/sources/tutorials/api/update-dataflows.md); enable and disable go through
``POST /flows/{id}/action?op=enable|disable``. AEP refuses to move a start time that has
passed, so the plan never sends one (``check``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from aepflow.api import SELF, ListRequest, Request
from aepflow.connectors import FLOW_SPEC_ID, FLOW_SPEC_IDS, connector_of
from aepflow.kinds.base import (
    Change,
    LiveObject,
    PlanContext,
    Resource,
    naming_ops,
    ref,
    with_marker,
)
from aepflow.kinds.flowservice import FlowServiceKind, description_of, spec_ref
from aepflow.model import DataflowDef, ProjectModel

_SCHEDULE = (("startTime", int), ("frequency", str), ("interval", int), ("backfill", bool))


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


_CONVERT: dict[type, Callable[[Any], Any]] = {int: _int, str: str, bool: _bool}


def _delta(f: DataflowDef) -> dict[str, Any]:
    d = f.delta_column
    if d is None:
        return {}
    pairs = (("name", d.name), ("dateFormat", d.date_format), ("timezone", d.timezone))
    return {k: v for k, v in pairs if v}


def _schedule(f: DataflowDef) -> dict[str, Any]:
    s = f.schedule
    if s is None:
        return {}
    pairs = (
        ("startTime", s.start_time),
        ("frequency", s.frequency),
        ("interval", s.interval),
        ("backfill", s.backfill),
    )
    return {k: v for k, v in pairs if v is not None}


_MANAGED = ("partialIngestionPercent", "errorDiagnosticsEnabled")


def _options(raw: Any) -> dict[str, Any]:
    """The error-handling options aepflow manages (help/ingestion/batch-ingestion/partial.md),
    as numbers and booleans; others (isSampleDataflow …) are AEP's own."""
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, Any] = {}
    if "partialIngestionPercent" in raw:
        value = raw["partialIngestionPercent"]
        try:
            number = float(value)
            out["partialIngestionPercent"] = int(number) if number.is_integer() else number
        except (TypeError, ValueError):
            out["partialIngestionPercent"] = value
    if "errorDiagnosticsEnabled" in raw:
        out["errorDiagnosticsEnabled"] = _bool(raw["errorDiagnosticsEnabled"])
    return {"options": out} if out else {}


def _copy(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": "Copy", "params": {"deltaColumn": dict(spec["deltaColumn"])}}


def _flow_spec(raw: Mapping[str, Any]) -> dict[str, Any]:
    spec_id = (raw.get("flowSpec") or {}).get("id", FLOW_SPEC_ID)
    return {"flowSpec": spec_id} if spec_id != FLOW_SPEC_ID else {}


def _mapping(spec: Mapping[str, Any]) -> dict[str, Any]:
    params = {"mappingId": spec["mappingId"], "mappingVersion": spec["mappingVersion"]}
    return {"name": "Mapping", "params": params}


class Flow(FlowServiceKind):
    name = "flow"
    collection = "flows"
    replace_fields = frozenset({"sourceConnection", "targetConnection", "flowSpec"})

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        for f in model.dataflows.values():
            mapping = f"mappingSet.{f.name}"
            spec = {
                "name": f.flow_name,
                "description": f.description,
                "sourceConnection": ref(f"sourceConnection.{f.name}"),
                "targetConnection": ref(f"targetConnection.{f.name}"),
                "deltaColumn": _delta(f),
                "mappingId": ref(mapping),
                "mappingVersion": ref(mapping, "version"),
                "schedule": _schedule(f),
                "enabled": f.enabled,
            }
            if f.options:
                spec["options"] = dict(f.options)
            connector = connector_of(getattr(model.connections.get(f.connection), "connector", ""))
            if connector is not None and connector.flow_spec_id != FLOW_SPEC_ID:
                spec["flowSpec"] = connector.flow_spec_id  # a REST source (connectors.py)
            yield Resource(f"flow.{f.name}", self.name, spec, f.location, ignore=f.ignore_changes)

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        copy: dict[str, Any] = {}
        mapping: dict[str, Any] = {}
        for t in raw.get("transformations") or []:
            if t.get("name") == "Copy":
                copy = (t.get("params") or {}).get("deltaColumn") or {}
            elif t.get("name") == "Mapping":
                mapping = t.get("params") or {}
        # Flow Service shows scheduleParams values as strings in its documented GET examples.
        live_schedule = raw.get("scheduleParams") or {}
        schedule = {k: _CONVERT[t](live_schedule[k]) for k, t in _SCHEDULE if k in live_schedule}
        return {
            "name": raw.get("name", ""),
            "description": description_of(raw),
            "sourceConnection": (raw.get("sourceConnectionIds") or [None])[0],
            "targetConnection": (raw.get("targetConnectionIds") or [None])[0],
            "deltaColumn": dict(copy),
            "mappingId": mapping.get("mappingId"),
            "mappingVersion": _int(mapping.get("mappingVersion")),
            "schedule": schedule,
            "enabled": raw.get("state") == "enabled",
            **_options(raw.get("options")),
            **_flow_spec(raw),
        }

    def manifest(self, live: Mapping[str, Any], tenant: str) -> dict[str, Any]:
        """The Dataflow manifest's flow fields: name, description, deltaColumn, schedule,
        enabled and errorHandling (the inverse of ``desired`` and ``sourceopts.flow_options``)."""
        out: dict[str, Any] = {"name": live["name"]}
        if live["description"]:
            out["description"] = live["description"]
        if live["deltaColumn"]:
            # An absent dateFormat or timezone is "" (not sent): the manifest's defaults
            # would otherwise add them.
            delta = live["deltaColumn"]
            out["deltaColumn"] = {
                "name": delta.get("name"),
                "dateFormat": delta.get("dateFormat", ""),
                "timezone": delta.get("timezone", ""),
            }
        schedule = {k: v for k, v in live["schedule"].items() if k != "startTime"}
        if "startTime" in live["schedule"]:
            start = datetime.fromtimestamp(int(live["schedule"]["startTime"]), tz=timezone.utc)
            schedule = {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), **schedule}
        out["schedule"] = schedule
        if not live["enabled"]:
            out["enabled"] = False
        options = live.get("options") or {}
        handling = {
            key: options[option]
            for key, option in (
                ("diagnostics", "errorDiagnosticsEnabled"),
                ("partialIngestionPercent", "partialIngestionPercent"),
            )
            if option in options
        }
        if handling:
            out["errorHandling"] = handling
        return out

    def check(
        self,
        r: Resource,
        live: LiveObject,
        after: dict[str, Any],
        changes: list[Change],
        ctx: PlanContext,
        notes: list[str],
    ) -> list[Change]:
        """AEP refuses to change a flow's start time once it has passed: never re-send it."""
        started = live.spec.get("schedule", {}).get("startTime")
        if not isinstance(started, int) or started > ctx.now:
            return changes
        kept = [c for c in changes if c.path != "schedule.startTime"]
        if len(kept) != len(changes):
            notes.append(
                f"{r.address}: schedule start {r.spec['schedule'].get('startTime')} is not "
                f"applied: the flow already started at {started}, and AEP cannot move a past "
                "start time."
            )
        return kept

    def list_all(self, desired: Sequence[Resource]) -> ListRequest | None:
        return self.listed_by("flowSpec.id", list(FLOW_SPEC_IDS))

    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        s = spec
        body = {
            "name": s["name"],
            "description": with_marker(s["description"], r.address),
            "flowSpec": spec_ref(s.get("flowSpec", FLOW_SPEC_ID)),
            "sourceConnectionIds": [s["sourceConnection"]],
            "targetConnectionIds": [s["targetConnection"]],
            # A REST source's flow has no Copy (create/customer-success/zendesk.md).
            "transformations": [_copy(s), _mapping(s)] if s["deltaColumn"] else [_mapping(s)],
            "scheduleParams": dict(s["schedule"]),
        }
        if s.get("options"):  # a top-level "options" object (collect/crm.md optionSpec)
            body["options"] = dict(s["options"])
        requests = [self.post(body)]
        if not s["enabled"]:
            requests.append(self._action(SELF, "disable"))
        return requests

    def _action(self, id: str, op: str) -> Request:
        return Request("POST", f"{self.path(id)}/action", params=(("op", op),))

    def update(
        self,
        r: Resource,
        spec: Mapping[str, Any],
        live: LiveObject,
        changes: Sequence[Change],
        tenant: str,
    ) -> Sequence[Request]:
        s = spec
        ops = naming_ops(r, r.spec, changes)
        live_schedule = live.raw.get("scheduleParams") or {}
        for key in sorted({c.path.split(".", 1)[1] for c in changes if c.field == "schedule"}):
            if key not in s["schedule"]:
                ops.append({"op": "remove", "path": f"/scheduleParams/{key}"})
            else:
                op = "replace" if key in live_schedule else "add"
                ops.append(
                    {"op": op, "path": f"/scheduleParams/{key}", "value": s["schedule"][key]}
                )
        if any(c.field == "options" for c in changes):
            # One "add" of the whole object (JSON Patch: add replaces a member that exists),
            # keeping the options AEP sets itself.
            kept = {k: v for k, v in (live.raw.get("options") or {}).items() if k not in _MANAGED}
            value = {**kept, **s.get("options", {})}
            ops.append({"op": "add", "path": "/options", "value": value})
        fields = {c.field for c in changes}
        wanted = {
            "Copy": (_copy(s), {"deltaColumn"}),
            "Mapping": (_mapping(s), {"mappingId", "mappingVersion"}),
        }
        present = [t.get("name") for t in live.raw.get("transformations") or []]
        for name, (value, relevant) in wanted.items():
            if fields & relevant:
                at = str(present.index(name)) if name in present else "-"
                op = "replace" if name in present else "add"
                ops.append({"op": op, "path": f"/transformations/{at}", "value": value})
        requests = [self.patch(live, ops)] if ops else []
        if "enabled" in fields:
            requests.append(self._action(live.id, "enable" if s["enabled"] else "disable"))
        return requests


KIND = Flow()

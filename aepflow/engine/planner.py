"""The planner: desired resources + lock + live state -> Plan. Pure: no I/O, no clock reads.

Rules per kind follow DESIGN.md "How a change is decided".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aepflow.engine.graph import CycleError, topological_order
from aepflow.engine.live import LiveObject, LiveState
from aepflow.engine.lockfile import Lock
from aepflow.engine.plan import UNKNOWN, Change, Plan, ResourceChange
from aepflow.engine.resources import Resource, is_ref
from aepflow.errors import PlanError

# Fields whose change cannot be made in place: the object is deleted and created again.
REPLACE_FIELDS: dict[str, frozenset[str]] = {
    "connection": frozenset({"connectionSpec"}),
    "sourceConnection": frozenset(
        {"baseConnection", "connectionSpec", "format", "table", "columns"}
    ),
    "fieldGroup": frozenset({"class"}),
    "schema": frozenset(),
    "descriptor": frozenset({"schema"}),
    "dataset": frozenset({"schema"}),
    "targetConnection": frozenset({"dataset", "schema"}),
    "mappingSet": frozenset({"schema"}),
    "flow": frozenset({"sourceConnection", "targetConnection"}),
}
SECRETS_PATH = "params (secrets)"
DATA_LOSS_HINT = (
    "deleting a dataset deletes the data ingested into it; if that is intended, run again with "
    "--allow-data-loss or set `protect: false` on the dataset"
)


def resolve(value: Any, known: Mapping[str, Mapping[str, Any] | None]) -> Any:
    """Replace ``$ref``s by the referenced ids (or versions); UNKNOWN when not known yet."""
    if is_ref(value):
        target = known.get(value["$ref"])
        if target is None:
            return UNKNOWN
        return target.get(value.get("field", "id"), UNKNOWN)
    if isinstance(value, dict):
        return {k: resolve(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, known) for v in value]
    return value


def diff(before: Any, after: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Field-level differences as (dotted path, before, after)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                out.append((sub, None, after[key]))
            elif key not in after:
                out.append((sub, before[key], None))
            else:
                out.extend(diff(before[key], after[key], sub))
        return out
    if isinstance(before, list) and isinstance(after, list) and before != after:
        if all(isinstance(x, dict) for x in before + after):
            out = []
            for i in range(max(len(before), len(after))):
                b = before[i] if i < len(before) else None
                a = after[i] if i < len(after) else None
                out.extend(diff(b, a, f"{path}.{i}") if b and a else [(f"{path}.{i}", b, a)])
            return out
        return [(path, before, after)]
    return [] if before == after else [(path, before, after)]


def _dependency_edges(desired: Mapping[str, Resource], lock: Lock) -> dict[str, list[str]]:
    edges: dict[str, list[str]] = {a: list(e.depends_on) for a, e in lock.resources.items()}
    for a, r in desired.items():
        edges[a] = list(r.depends_on)
    return edges


def build_plan(
    desired: Mapping[str, Resource],
    lock: Lock,
    live: LiveState,
    *,
    now: float,
    allow_data_loss: bool = False,
    destroy: bool = False,
) -> Plan:
    """Compare what the manifests want with what the lock and the platform say.

    ``now`` (epoch seconds) decides whether a flow's start time already passed.
    With ``destroy``, every resource in the lock is planned for deletion.
    """
    if destroy:
        desired = {}
    try:
        order = topological_order(_dependency_edges(desired, lock))
    except CycleError as e:
        raise PlanError(f"resources depend on each other in a cycle: {e}") from None

    known: dict[str, dict[str, Any] | None] = {}
    changes: dict[str, ResourceChange] = {}
    notes: list[str] = []
    # Schemas that hold data (a dataset lives on them): their field groups and class are fixed.
    dataset_schema_ids = {
        o.spec.get("schema")
        for a, o in live.objects.items()
        if o is not None and a.startswith("dataset.")
    }
    schemas_in_use = {
        a
        for a, o in live.objects.items()
        if o is not None and a.startswith("schema.") and o.id in dataset_schema_ids
    }

    for address in order:
        if address in desired:
            change, known[address] = _plan_resource(
                desired[address],
                lock,
                live.objects.get(address),
                known,
                now=now,
                allow_data_loss=allow_data_loss,
                schemas_in_use=schemas_in_use,
                notes=notes,
            )
            changes[address] = change
    for address in reversed(order):
        if address not in desired and address in lock.resources:
            entry = lock.resources[address]
            obj = live.objects.get(address)
            if obj is not None and entry.protect and not allow_data_loss:
                raise PlanError(
                    f"{address} would be destroyed"
                    f"{' (destroy requested)' if destroy else ' (no longer in the manifests)'}: "
                    + DATA_LOSS_HINT
                )
            reason = "destroy requested" if destroy else "no longer in the manifests"
            if obj is None:
                reason += "; already deleted outside aepflow, only forgotten"
            changes[address] = ResourceChange(
                address=address,
                kind=entry.kind,
                action="delete",
                id=entry.id,
                reason=reason,
                depends_on=entry.depends_on,
                before=None if obj is None else obj.spec,
            )

    return Plan(
        environment=lock.environment,
        sandbox=lock.sandbox,
        changes=tuple(changes[a] for a in sorted(changes)),
        lock_checksum=lock.checksum(),
        live_checksum=live.checksum(),
        lineage=lock.lineage,
        destroy=destroy,
        notes=tuple(notes),
    )


def _plan_resource(
    r: Resource,
    lock: Lock,
    obj: LiveObject | None,
    known: Mapping[str, Mapping[str, Any] | None],
    *,
    now: float,
    allow_data_loss: bool,
    schemas_in_use: set[str],
    notes: list[str],
) -> tuple[ResourceChange, dict[str, Any] | None]:
    entry = lock.resources.get(r.address)
    after = resolve(r.spec, known)
    common: dict[str, Any] = {
        "address": r.address,
        "kind": r.kind,
        "depends_on": r.depends_on,
        "hash": r.hash,
    }
    if obj is None:
        reason = "deleted outside aepflow" if entry is not None else None
        return (
            ResourceChange(**common, action="create", reason=reason, after=after),
            None,
        )

    diffs = diff(obj.spec, after)
    if r.kind == "flow":
        diffs = _drop_past_start(r, obj, diffs, now, notes)
    replace_fields = REPLACE_FIELDS[r.kind]
    field_changes = [
        Change(path, b, a, forces_replacement=path.split(".")[0] in replace_fields)
        for path, b, a in diffs
    ]
    if r.secrets:
        recorded = entry.secrets_hash if entry is not None else None
        if recorded is None or recorded != lock.secrets_hash(r.secrets):
            field_changes.append(Change(SECRETS_PATH, None, None, sensitive=True))

    if r.kind in ("schema", "fieldGroup"):
        _check_schema_evolution(r, obj, after, field_changes, schemas_in_use)
    replace = any(c.forces_replacement for c in field_changes)
    if replace and r.protect and not allow_data_loss:
        fields = ", ".join(c.path for c in field_changes if c.forces_replacement)
        raise PlanError(f"{r.address} must be replaced (change of {fields}): " + DATA_LOSS_HINT)

    drift = bool(field_changes) and entry is not None and entry.hash == r.hash
    reason = "changed outside aepflow" if drift else None
    if replace:
        action = "replace"
        next_known: dict[str, Any] | None = None
    elif obj.adopted:
        action = "adopt"
        reason = "found on the platform with its aepflow marker, not in the lock"
        next_known = {"id": obj.id, "version": obj.version}
    elif field_changes:
        action = "update"
        next_known = {"id": obj.id, "version": obj.version}
        if r.kind == "mappingSet":
            next_known = {"id": obj.id}  # a new version is made: known after apply
    else:
        action = "noop"
        next_known = {"id": obj.id, "version": obj.version}
    if (
        action == "noop"
        and r.kind == "mappingSet"
        and entry is not None
        and entry.version is not None
    ):
        next_known = {"id": obj.id, "version": entry.version}  # the version the flow was given
    return (
        ResourceChange(
            **common,
            action=action,  # type: ignore[arg-type]
            id=obj.id,
            reason=reason,
            changes=tuple(field_changes),
            before=obj.spec,
            after=after,
            drift=drift,
        ),
        next_known,
    )


def _drop_past_start(
    r: Resource, obj: LiveObject, diffs: list[tuple[str, Any, Any]], now: float, notes: list[str]
) -> list[tuple[str, Any, Any]]:
    """AEP refuses to change a flow's start time once it has passed: never re-send it."""
    live_start = obj.spec.get("schedule", {}).get("startTime")
    if not isinstance(live_start, int) or live_start > now:
        return diffs
    kept = [d for d in diffs if d[0] != "schedule.startTime"]
    if len(kept) != len(diffs):
        notes.append(
            f"{r.address}: schedule start {r.spec['schedule'].get('startTime')} is not applied: "
            f"the flow already started at {live_start}, and AEP cannot move a past start time."
        )
    return kept


def _check_schema_evolution(
    r: Resource,
    obj: LiveObject,
    after: dict[str, Any],
    field_changes: list[Change],
    schemas_in_use: set[str],
) -> None:
    """Schemas only grow once data lives on them: removals and class changes fail the plan."""
    if r.kind == "schema":
        in_use = r.address in schemas_in_use
        before_groups = set(obj.spec.get("fieldGroups", []))
        after_groups = {g for g in after.get("fieldGroups", []) if g != UNKNOWN}
        removed = sorted(before_groups - after_groups)
        # A custom field group being replaced shows as UNKNOWN: its old id is not a removal.
        fg_replaced = any(g == UNKNOWN for g in after.get("fieldGroups", []))
        if fg_replaced and removed:
            removed = [g for g in removed if g.startswith("https://ns.adobe.com/xdm/")]
        class_changed = obj.spec.get("class") != after.get("class")
        if removed or class_changed:
            what = (
                f"changes its class from {obj.spec.get('class')} to {after.get('class')}"
                if class_changed
                else f"removes the field group(s) {', '.join(removed)}"
            )
            if in_use:
                raise PlanError(
                    f"{r.address}: the change {what}, but a dataset already uses this schema and "
                    "AEP only allows additive schema changes once a dataset exists. Keep the "
                    "existing field groups and class, or create a new schema (new name) and "
                    "point the dataset and dataflows at it."
                )
            for i, c in enumerate(field_changes):
                if c.path.split(".")[0] in ("fieldGroups", "class"):
                    field_changes[i] = Change(c.path, c.before, c.after, forces_replacement=True)
        # Order of field groups is not meaningful: drop pure reorderings.
        if not removed and not class_changed and before_groups == after_groups:
            field_changes[:] = [c for c in field_changes if not c.path.startswith("fieldGroups")]
        elif not removed and not class_changed:
            field_changes[:] = [c for c in field_changes if not c.path.startswith("fieldGroups")]
            added = [g for g in after.get("fieldGroups", []) if g not in before_groups]
            field_changes.append(Change("fieldGroups", None, added))
    else:  # fieldGroup: custom fields may be added, never removed or retyped once in use
        removed_fields = [
            c.path for c in field_changes if c.path.startswith("fields.") and c.before is not None
        ]
        if removed_fields and f"schema.{r.name}" in schemas_in_use:
            raise PlanError(
                f"{r.address}: the change removes or redefines the custom field(s) "
                f"{', '.join(sorted(removed_fields))}, but a dataset already uses the schema "
                "and AEP only allows additive changes: add new fields instead."
            )

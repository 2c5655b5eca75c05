"""The planner: desired resources + lock + live state -> Plan. Pure: no I/O, no clock reads.

It knows no kind by name: each kind's module says which fields update in place, force
replacement or are refused, and builds the exact requests. The planner decides the action,
labels drift, guards data, and records the requests in the plan for apply to send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aepflow.api import Hole, Request, fill_holes, holes, is_ref
from aepflow.engine.diff import diff
from aepflow.engine.plan import (
    UNKNOWN,
    Change,
    Later,
    LiveObject,
    LiveState,
    Lock,
    LockEntry,
    Plan,
    ResourceChange,
)
from aepflow.errors import PlanError
from aepflow.graph import CycleError, topological_order
from aepflow.hints import command
from aepflow.kinds import KINDS
from aepflow.kinds.base import PlanContext, Resource
from aepflow.kinds.connection import SECRET_PREFIX

DATA_LOSS_HINT = (
    "deleting a dataset deletes the data ingested into it; if that is intended, run again with "
    "--allow-data-loss or set `protect: false` on the dataset"
)
Known = Mapping[str, Mapping[str, Any] | None]
PROTECT_PATH = "protect (lock)"
MARKER_PATH = "marker"

__all__ = ["DATA_LOSS_HINT", "PROTECT_PATH", "build_plan", "resolve"]


def resolve(
    value: Any, known: Known, *, keep_unknown: bool = False, found: list[Hole] | None = None
) -> Any:
    """References replaced by the referenced ids (or versions). One not known yet becomes
    UNKNOWN, or stays a reference for apply to fill with ``keep_unknown``. ``found``: the
    value's ``holes``, when already worked out."""

    def lookup(placeholder: Mapping[str, Any]) -> Any:
        if not is_ref(placeholder):
            return dict(placeholder)  # a secret: filled only when sent
        target = known.get(placeholder["$resource"])
        found = None if target is None else target.get(placeholder.get("field", "id"))
        if found is None:
            return dict(placeholder) if keep_unknown else UNKNOWN
        return found

    return fill_holes(value, holes(value) if found is None else found, lookup)


def _all_known(found: list[Hole], known: Known) -> bool:
    """Every reference among ``found`` is known: resolving keeps none of them for apply."""
    for _, placeholder in found:
        if is_ref(placeholder):
            target = known.get(placeholder["$resource"])
            if target is None or target.get(placeholder.get("field", "id")) is None:
                return False
    return True


def _dependency_edges(desired: Mapping[str, Resource], lock: Lock) -> dict[str, list[str]]:
    edges: dict[str, list[str]] = {a: list(e.depends_on) for a, e in lock.resources.items()}
    for a, r in desired.items():
        edges[a] = list(r.depends_on)
    return edges


def _in_use(live: LiveState) -> frozenset[str]:
    """Addresses of live objects that data lives on: whatever a live dataset refers to."""
    ids = {
        v
        for o in live.objects.values()
        if o is not None and KINDS[o.kind].holds_data
        for v in o.spec.values()
        if isinstance(v, str)
    }
    return frozenset(a for a, o in live.objects.items() if o is not None and o.id in ids)


def build_plan(
    desired: Mapping[str, Resource],
    lock: Lock,
    live: LiveState,
    *,
    now: float,
    tenant: str = "",
    allow_data_loss: bool = False,
    destroy: bool = False,
    scope: frozenset[str] | None = None,
    replace: frozenset[str] = frozenset(),
    environment: str | None = None,
) -> Plan:
    """Compare what the manifests want with what the lock and the platform say.

    ``now`` (epoch seconds) decides whether a flow's start time already passed; ``tenant``
    is the sandbox's tenant namespace. With ``destroy``, every resource in the lock is
    planned for deletion. With ``scope`` (a partial plan), only those addresses are planned
    and nothing outside them is ever destroyed. ``replace`` names resources to replace
    although nothing forces it (``--replace``, Terraform's ``-replace``). ``environment`` is
    the ``-e`` the command was given (None: none), carried by the commands errors suggest.
    """
    full = desired
    if scope is not None:
        desired = {a: r for a, r in desired.items() if a in scope}
    if destroy:
        desired = {}
    _check_replace(replace, full, desired, lock, destroy, environment)
    try:
        order = topological_order(_dependency_edges(desired, lock))
    except CycleError as e:
        raise PlanError(f"resources depend on each other in a cycle: {e}") from None

    for address in sorted(a for a in live.taken if a in desired):
        id, title, owner = live.taken[address]
        if owner:
            raise PlanError(
                f"{address} would be created with the title {title!r}, which {owner} ({id}) "
                "already has. If this is a rename, re-address it instead of creating a copy: "
                "add metadata.movedFrom with the old name, or run "
                f"`{command('state mv', owner, address, environment=environment)}`"
            )
        manage = command("import", address, id, environment=environment)
        raise PlanError(
            f"{address} would be created with the title {title!r}, which the object {id} "
            "(not managed by aepflow) already has; AEP keeps titles unique, so the apply would "
            f"fail. Manage that object with `{manage}`, or change the title in the manifest"
        )
    known: dict[str, dict[str, Any] | None] = {}
    changes: dict[str, ResourceChange] = {}
    notes: list[str] = []
    ctx = PlanContext(now=now, in_use=_in_use(live), desired=desired)
    for address in order:
        if address in desired:
            changes[address], known[address] = _plan_resource(
                desired[address],
                lock,
                live.objects.get(address),
                known,
                ctx,
                tenant,
                notes,
                allow_data_loss=allow_data_loss,
                requested=address in replace,
            )
    _refuse_replace_in_use(changes, ctx)
    for address in reversed(order):
        if scope is not None and address not in scope:
            continue
        if address not in desired and address in lock.resources:
            changes[address] = _plan_delete(address, lock, live, destroy, allow_data_loss)

    if scope is not None:
        _refuse_forced_outside(changes, full, scope)
        notes.append(
            f"this plan is partial: it covers {len(changes)} resource(s) named by the given "
            "paths or --target and what they depend on; nothing outside them is planned or "
            "destroyed."
        )
    return Plan(
        environment=lock.environment,
        sandbox=lock.sandbox,
        changes=tuple(changes[a] for a in sorted(changes)),
        lock_checksum=lock.checksum(),
        live_checksum=Later(live.checksum),
        lineage=lock.lineage,
        destroy=destroy,
        notes=tuple(notes),
        scope=None if scope is None else tuple(sorted(scope)),
    )


def _check_replace(
    replace: frozenset[str],
    full: Mapping[str, Resource],
    desired: Mapping[str, Resource],
    lock: Lock,
    destroy: bool,
    environment: str | None,
) -> None:
    """Only a resource this plan keeps can be replaced: an unknown address is an error."""
    for address in sorted(replace):
        if destroy:
            raise PlanError(f"--replace {address}: a destroy plan replaces nothing")
        if address in desired:
            refused = KINDS[desired[address].kind].refuse_requested_replace(address)
            if refused is not None:
                raise PlanError(refused)
            continue
        if address in full:
            raise PlanError(
                f"--replace {address}: outside this partial plan; add --target {address}"
            )
        if address in lock.resources:
            raise PlanError(
                f"--replace {address}: no longer in the manifests (this plan destroys it); "
                "only a resource the manifests declare can be replaced"
            )
        kind = address.split(".", 1)[0]
        near = sorted(a for a in full if a.split(".", 1)[0] == kind)
        raise PlanError(
            f"--replace {address}: no such resource in the manifests"
            + (f" (of that kind: {', '.join(near[:10])})" if near else "")
            + f"; `{command('state list', environment=environment)}` shows the addresses"
        )


def _refuse_replace_in_use(changes: Mapping[str, ResourceChange], ctx: PlanContext) -> None:
    """A replacement deletes first: of a kind AEP keeps while something refers to it, it
    cannot apply if this plan keeps a user of it in place (``--replace`` forcing it, or a
    forced change), so the plan refuses it rather than fail at apply."""
    for change in changes.values():
        kind = KINDS[change.kind]
        if change.action != "replace" or not kind.kept_while_used:
            continue
        users = sorted(
            u.address
            for u in changes.values()
            if change.address in u.depends_on and u.action in ("update", "noop", "adopt")
        )
        if users:
            forced = [c.path for c in change.changes if c.forces_replacement]
            why = f"change of {', '.join(forced)}" if forced else "as requested with --replace"
            raise PlanError(kind.refuse_replace(change.address, why, users, ctx))


def _refuse_forced_outside(
    changes: Mapping[str, ResourceChange], full: Mapping[str, Resource], scope: frozenset[str]
) -> None:
    """Replacing or deleting a resource forces what refers to it to be replaced too: a partial
    plan that leaves those outside its scope could not be applied as reviewed."""
    for change in changes.values():
        if change.action not in ("replace", "delete"):
            continue
        outside = sorted(
            a for a, r in full.items() if a not in scope and change.address in r.depends_on
        )
        if outside:
            targets = " ".join(f"--target {a}" for a in outside)
            verb = "replaced" if change.action == "replace" else "destroyed"
            raise PlanError(
                f"{change.address} must be {verb}, "
                f"which forces {', '.join(outside)} to be replaced too, outside this partial "
                f"plan: add {targets}, or plan without --target"
            )


def _plan_delete(
    address: str, lock: Lock, live: LiveState, destroy: bool, allow_data_loss: bool
) -> ResourceChange:
    entry = lock.resources[address]
    kind = KINDS[entry.kind]
    obj = live.objects.get(address)
    why = "destroy requested" if destroy else "no longer in the manifests"
    if obj is not None and entry.protect and not allow_data_loss:
        raise PlanError(f"{address} would be destroyed ({why}): " + DATA_LOSS_HINT)
    if obj is None:
        why += "; already deleted outside aepflow, only forgotten"
    return ResourceChange(
        address=address,
        kind=entry.kind,
        action="delete",
        id=entry.id,
        reason=why,
        depends_on=entry.depends_on,
        before=None if obj is None else kind.hide(obj.spec, frozenset(entry.secret_hashes)),
        protect=entry.protect,
        delete_requests=() if obj is None else tuple(KINDS[entry.kind].delete(entry.id)),
    )


def _plan_resource(
    r: Resource,
    lock: Lock,
    obj: LiveObject | None,
    known: Known,
    ctx: PlanContext,
    tenant: str,
    notes: list[str],
    *,
    allow_data_loss: bool,
    requested: bool = False,
) -> tuple[ResourceChange, dict[str, Any] | None]:
    kind = KINDS[r.kind]
    entry = lock.resources.get(r.address)
    after = resolve(r.spec, known, found=r.holes)  # what the plan shows
    # What requests carry: the same, unless a reference is not known yet (apply fills it in).
    spec = (
        after
        if _all_known(r.holes, known)
        else resolve(r.spec, known, keep_unknown=True, found=r.holes)
    )
    common: dict[str, Any] = {
        "address": r.address,
        "kind": r.kind,
        "depends_on": r.depends_on,
        "hash": Later(lambda: r.hash),
        "protect": r.protect,
        "after": after,
    }
    if obj is None:
        reason = "deleted outside aepflow" if entry is not None else None
        creates = tuple(kind.create(r, spec, tenant))
        return ResourceChange(**common, action="create", reason=reason, requests=creates), None

    # Values sent from ${env:...} last time are sensitive still, even if no longer secret now.
    was_secret = frozenset(entry.secret_hashes if entry is not None else ()) - set(r.secrets)
    before = kind.hide(kind.mask(obj.spec, r), was_secret)
    field_changes = [
        Change(
            path, b, a, forces_replacement=path.split(".")[0].split("[")[0] in kind.replace_fields
        )
        for path, b, a in diff(before, after, kind.list_keys)
    ]
    field_changes = [c for c in field_changes if c.field not in r.ignore]
    field_changes = kind.check(r, obj, after, field_changes, ctx, notes)
    drift = (
        entry is not None
        and any(not _caused_by_dependency(c, r) for c in field_changes)
        and entry.hash == r.hash  # last: hashing a spec is a fifth of a no-op plan's CPU
    )
    marked = kind.marked(obj.raw) if obj.raw else None
    if marked is not None and marked != r.address:  # re-addressed (state mv, movedFrom)
        field_changes.append(Change(MARKER_PATH, marked, r.address))
    if entry is not None and entry.protect != r.protect:
        # Recorded in the lock only (no request): what a later destroy or replace obeys.
        field_changes.append(Change(PROTECT_PATH, entry.protect, r.protect))
    field_changes.extend(_secret_changes(r, entry, lock))

    replace = requested or any(c.forces_replacement for c in field_changes)
    if replace and r.protect and not allow_data_loss:
        fields = ", ".join(c.path for c in field_changes if c.forces_replacement)
        why = "as requested with --replace" if requested else f"change of {fields}"
        raise PlanError(f"{r.address} must be replaced ({why}): " + DATA_LOSS_HINT)

    version = entry.version if entry is not None and entry.version is not None else obj.version
    next_known: dict[str, Any] | None = {"id": obj.id, "version": version}
    reason = "changed outside aepflow" if drift else None
    requests: tuple[Request, ...] = ()
    delete_requests: tuple[Request, ...] = ()
    if replace:
        action = "replace"
        if requested and not any(c.forces_replacement for c in field_changes):
            reason = "as requested with --replace" + ("; changed outside aepflow" if drift else "")
        next_known = None
        delete_requests = tuple(kind.delete(obj.id))
        requests = tuple(kind.create(r, spec, tenant))
    elif obj.adopted:
        action = "adopt"
        owner = next(
            (
                a
                for a, e in lock.resources.items()
                if e.id == obj.id
                and a != r.address
                and r.kind != KINDS[e.kind].facet_of
                and e.kind != kind.facet_of
            ),
            None,
        )
        if owner is not None:
            raise PlanError(
                f"{r.address}: the live object {obj.id} that carries its marker is recorded in "
                f"the lock as {owner}; one object cannot be two resources. Check the lock file "
                "and the object's description, then plan again"
            )
        reason = (
            f"its recorded id {entry.id} is gone; found on the platform by its aepflow marker"
            if entry is not None
            else "found on the platform with its aepflow marker, not in the lock"
        )
        next_known = {"id": obj.id, "version": obj.version}
        if field_changes:
            requests = tuple(kind.update(r, spec, obj, field_changes, tenant))
    elif field_changes:
        action = "update"
        requests = tuple(kind.update(r, spec, obj, field_changes, tenant))
        if kind.versioned:
            next_known = {"id": obj.id}  # a new version is made: known after apply
    else:
        action = "noop"
    change = ResourceChange(
        **common,
        action=action,  # type: ignore[arg-type]
        id=obj.id,
        reason=reason,
        changes=tuple(field_changes),
        before=before,
        drift=drift,
        version=obj.version,
        delete_requests=delete_requests,
        requests=requests,
    )
    return change, next_known


def _secret_changes(r: Resource, entry: LockEntry | None, lock: Lock) -> list[Change]:
    """A change per secret whose value differs from the one last applied (by salted hash)."""
    if not r.secrets:
        return []
    now = lock.secret_hashes(r.secrets)
    old = dict(entry.secret_hashes) if entry is not None else {}
    if entry is not None and not old and entry.secrets_hash is not None:
        old = now if entry.secrets_hash == lock.secrets_hash(r.secrets) else {}  # format 1
    return [
        Change(f"{SECRET_PREFIX}{k}", None, None, sensitive=True)
        for k in sorted(set(now) | set(old))
        if now.get(k) != old.get(k)
    ]


def _caused_by_dependency(c: Change, r: Resource) -> bool:
    """A change whose new value is only known after apply, or that is in a field holding a
    reference, comes from a dependency (a new mapping version, a replaced connection, one
    applied by a partial plan), not from outside."""
    return bool(c.after == UNKNOWN) or is_ref(r.spec.get(c.field))

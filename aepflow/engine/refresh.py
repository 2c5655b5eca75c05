"""``--refresh-only``: the lock accepts the sandbox's current state; nothing changes in AEP.

Terraform's ``-refresh-only``. A refresh plan is made from an ordinary plan (so both read the
sandbox the same way) and keeps only what the lock would record differently. Its actions
are the lock's own, never AEP's: nothing is created, changed or destroyed in the sandbox.

- ``forget``: an object recorded in the lock but deleted outside aepflow leaves the lock;
- ``record``: the lock records the live values:
  - an object found on the platform by its aepflow marker is recorded under its address,
    with no update sent;
  - an object changed outside aepflow has its last-applied baseline dropped: the sandbox's
    state is accepted, so the next plan shows the difference to the manifests as an
    ordinary change rather than as drift, and does not put it back unless the manifests say
    so;
  - a versioned object (a mapping set) records the version its dependents use live (a flow
    moved to a new mapping version in the UI), so the next plan does not move them back.

A refresh plan has no request at all; applying it writes only the lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from aepflow.api import is_ref
from aepflow.engine.lockfile import LockWriter
from aepflow.engine.plan import Change, Lock, LockEntry, Plan, ResourceChange, settled
from aepflow.kinds.base import Resource

FORGOTTEN = "deleted outside aepflow; nothing is deleted in AEP"
RECORDED = "found on the platform by its aepflow marker; nothing is sent"
ACCEPTED = "changed outside aepflow; the sandbox's values become the baseline"
BASELINE_PATH = "baseline (lock)"
VERSION_PATH = "version (lock)"


def used_versions(plan: Plan, desired: Mapping[str, Resource]) -> dict[str, int]:
    """address -> the version its dependents use live, read from each dependent's live
    object (a flow's ``mappingVersion``): what a field referring to ``version`` holds."""
    before = {c.address: c.before for c in plan.changes}
    ids = {c.address: c.id for c in plan.changes}
    used: dict[str, int] = {}
    for r in desired.values():
        live = before.get(r.address)
        if not live:
            continue
        refs = {k: v for k, v in r.spec.items() if is_ref(v)}
        for key, value in refs.items():
            target = str(value["$resource"])
            found = live.get(key)
            if value.get("field") != "version" or type(found) is not int:
                continue
            # Only while it still uses that very object (not another one made in the UI).
            same = [k for k, v in refs.items() if v["$resource"] == target and "field" not in v]
            if all(live.get(k) == ids.get(target) for k in same):
                used[target] = found
    return used


def refresh_plan(plan: Plan, lock: Lock, desired: Mapping[str, Resource] | None = None) -> Plan:
    """The refresh-only plan of an ordinary ``plan`` made from ``lock`` (and ``desired``,
    the resources it was planned for: where the live versions in use are read)."""
    versions = used_versions(plan, desired or {})
    changes: list[ResourceChange] = []
    for c in plan.changes:
        entry = lock.resources.get(c.address)
        if entry is None and c.action != "adopt":
            continue  # not managed: a refresh records only what the sandbox holds
        if c.action == "create" or (c.action == "delete" and not c.delete_requests):
            assert entry is not None
            changes.append(
                ResourceChange(
                    c.address,
                    c.kind,
                    "forget",
                    id=entry.id,
                    reason=FORGOTTEN,
                    depends_on=entry.depends_on,
                    protect=entry.protect,
                )
            )
            continue
        if c.action == "adopt":
            in_sync = not [ch for ch in c.changes if not ch.sensitive]
            changes.append(
                replace(
                    c,
                    action="record",
                    reason=RECORDED,
                    changes=(),
                    requests=(),
                    hash=c.hash if in_sync else None,
                    version=versions.get(c.address, c.version),
                )
            )
            continue
        if entry is None:
            continue
        recorded: list[Change] = []
        reasons: list[str] = []
        hash = entry.hash
        if c.drift:
            recorded.append(Change(BASELINE_PATH, "last applied manifest", "sandbox's values"))
            reasons.append(ACCEPTED)
            hash = None
        version = entry.version
        used = versions.get(c.address)
        if used is not None and used != entry.version:
            recorded.append(Change(VERSION_PATH, entry.version, used))
            reasons.append(f"changed outside aepflow: what uses it now uses version {used}")
            version = used
        if recorded:
            changes.append(
                ResourceChange(
                    c.address,
                    c.kind,
                    "record",
                    id=c.id,
                    reason="; ".join(dict.fromkeys(reasons)),
                    changes=tuple(recorded),
                    depends_on=entry.depends_on,
                    hash=hash,
                    before=c.before,
                    after=c.before,
                    drift=c.drift,
                    protect=entry.protect,
                    version=version,
                )
            )
        else:
            changes.append(
                replace(c, action="noop", reason=None, changes=(), requests=(), delete_requests=())
            )
    return replace(plan, changes=tuple(changes), refresh_only=True)


def apply_refresh(lock: Lock, path: Path, plan: Plan) -> list[str]:
    """Write a refresh plan into the lock file (and nothing else): the addresses written."""
    writer = LockWriter(lock, path)
    try:
        record_refresh(writer, plan)
    finally:
        writer.close()
    return [c.address for c in plan.actionable]


def record_refresh(writer: LockWriter, plan: Plan) -> int:
    """Write a refresh plan's entries through ``writer``; the number written."""
    written = 0
    for c in plan.actionable:
        previous = writer.lock.resources.get(c.address)
        if c.action == "forget":
            writer.remove(c.address)
        elif previous is not None and c.id == previous.id:
            writer.update(c.address, hash=settled(c.hash), version=c.version)
        else:  # found by its marker: recorded under its address
            assert c.id is not None
            writer.put(
                c.address,
                LockEntry(
                    id=c.id,
                    kind=c.kind,
                    hash=settled(c.hash),
                    depends_on=c.depends_on,
                    version=c.version,
                    protect=c.protect,
                    secret_hashes=dict(previous.secret_hashes) if previous is not None else {},
                ),
            )
        written += 1
    return written

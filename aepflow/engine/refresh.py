"""``--refresh-only``: the lock accepts the sandbox's current state; nothing changes in AEP.

Terraform's ``-refresh-only``. A refresh plan is made from an ordinary plan (so both read the
sandbox the same way) and keeps only what the lock would record differently:

- an object recorded in the lock but deleted outside aepflow is forgotten;
- an object found on the platform by its aepflow marker is recorded (adopted), with no
  update sent;
- an object changed outside aepflow has its last-applied baseline dropped: the sandbox's
  state is accepted, so the next plan shows the difference to the manifests as an ordinary
  change rather than as drift, and does not put it back unless the manifests say so.

A refresh plan has no request at all; applying it writes only the lock.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aepflow.engine.lockfile import LockWriter
from aepflow.engine.plan import Change, Lock, LockEntry, Plan, ResourceChange

FORGOTTEN = "deleted outside aepflow; the lock only forgets it"
RECORDED = "found on the platform by its aepflow marker; the lock records it, nothing is sent"
ACCEPTED = "changed outside aepflow; the lock accepts the sandbox's state as its baseline"
BASELINE_PATH = "baseline (lock)"


def refresh_plan(plan: Plan, lock: Lock) -> Plan:
    """The refresh-only plan of an ordinary ``plan`` made from ``lock``."""
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
                    "delete",
                    id=entry.id,
                    reason=FORGOTTEN,
                    depends_on=entry.depends_on,
                    protect=entry.protect,
                )
            )
        elif c.action == "adopt":
            in_sync = not [ch for ch in c.changes if not ch.sensitive]
            changes.append(
                replace(
                    c, reason=RECORDED, changes=(), requests=(), hash=c.hash if in_sync else None
                )
            )
        elif c.drift and entry is not None:
            changes.append(
                ResourceChange(
                    c.address,
                    c.kind,
                    "update",
                    id=c.id,
                    reason=ACCEPTED,
                    changes=(Change(BASELINE_PATH, "last applied manifest", "sandbox's state"),),
                    depends_on=entry.depends_on,
                    hash=None,
                    before=c.before,
                    after=c.before,
                    protect=entry.protect,
                    version=c.version,
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
        if c.action == "delete":
            writer.remove(c.address)
        elif c.action == "adopt":
            assert c.id is not None
            previous = writer.lock.resources.get(c.address)
            writer.put(
                c.address,
                LockEntry(
                    id=c.id,
                    kind=c.kind,
                    hash=c.hash,
                    depends_on=c.depends_on,
                    version=c.version,
                    protect=c.protect,
                    secret_hashes=dict(previous.secret_hashes) if previous is not None else {},
                ),
            )
        else:
            writer.update(c.address, hash=None)
        written += 1
    return written

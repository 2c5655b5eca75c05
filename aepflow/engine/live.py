"""Read the live state of every managed resource through the one door to AEP.

Each resource is read at most once: by its id when the lock knows it, otherwise looked up by
the marker aepflow puts on everything it creates (a lost lock, a crash between the platform's
write and the lock's, a lost response), so it is adopted instead of created twice. Reads run
concurrently; a lookup waits for the lookups it depends on (a source connection is found
through its base connection's id). What to read and how is each kind's business.
"""

from __future__ import annotations

from collections.abc import Mapping

from aepflow.api import Door
from aepflow.engine.plan import LiveObject, LiveState, Lock
from aepflow.engine.scheduler import run_dag
from aepflow.kinds import KINDS
from aepflow.kinds.base import Resource


def read_live(
    door: Door,
    desired: Mapping[str, Resource],
    lock: Lock,
    *,
    parallelism: int = 10,
) -> LiveState:
    """Live objects for every address in the manifests or the lock."""
    addresses = sorted(set(desired) | set(lock.resources))
    ids: dict[str, str] = {a: e.id for a, e in lock.resources.items()}
    deps: dict[str, list[str]] = {}
    for a in addresses:
        if a in lock.resources or a not in desired:
            deps[a] = []
        else:
            deps[a] = [d for d in desired[a].depends_on if d in addresses]

    def read(address: str) -> LiveObject | None:
        entry = lock.resources.get(address)
        if entry is not None:
            return KINDS[entry.kind].read(door, entry.id)
        r = desired[address]
        obj = KINDS[r.kind].find(r, ids, desired, door)
        if obj is not None:
            ids[address] = obj.id
        return obj

    results, errors = run_dag(deps, read, parallelism, stop_on_error=True)
    if errors:
        raise next(iter(errors.values()))
    return LiveState({a: results.get(a) for a in addresses})

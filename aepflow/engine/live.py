"""Read the live state of every managed resource through the one door to AEP.

Reads go by list: each kind names one paged list that holds every object of its kind aepflow
manages (filtered where the API allows), all kinds are listed at once, and the objects are
indexed by id and by the identity that ties them to an address (the aepflow marker, or a
descriptor's schema and field). A no-op plan of a thousand pipelines is a few dozen pages,
and adopting what a lost lock forgot needs no extra lookup. A kind with no such list, or too
few objects for a list to pay, is read object by object. An id the lock records that the
list does not show is read by id before it is called gone.

When two live objects carry the same resource's marker, the plan stops and names them:
choosing one would leave the other running.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from aepflow.api import Door
from aepflow.engine.plan import LiveObject, LiveState, Lock
from aepflow.engine.scheduler import run_dag
from aepflow.errors import PlanError
from aepflow.hints import command
from aepflow.kinds import KINDS, Kind
from aepflow.kinds.base import Resource


class Listing:
    """One kind's listed objects, by id, by identity and (kinds AEP keeps unique) by title."""

    def __init__(self, kind: Kind, items: list[dict[str, Any]]) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self.by_identity: dict[Hashable, list[dict[str, Any]]] = defaultdict(list)
        self.by_title: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for raw in items:
            self.by_id[kind.object_id(raw)] = raw
            identity = kind.identity(raw)
            if identity is not None:
                self.by_identity[identity].append(raw)
            title = kind.title(raw)
            if title is not None:
                self.by_title[title].append(raw)


def _listings(
    door: Door, desired: Mapping[str, Resource], lock: Lock, parallelism: int
) -> dict[str, Listing]:
    wanted: dict[str, list[Resource]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for r in desired.values():
        wanted[r.kind].append(r)
    for address in set(desired) | set(lock.resources):
        kind = desired[address].kind if address in desired else lock.resources[address].kind
        counts[kind] += 1
    queries = {
        name: query
        for name, kind in KINDS.items()
        if counts[name] and kind.list_worthwhile(counts[name])
        for query in [kind.list_all(wanted[name])]
        if query is not None
    }
    if not queries:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(queries)))) as pool:
        pages = {name: pool.submit(door.list, q) for name, q in queries.items()}
        return {name: Listing(KINDS[name], future.result()) for name, future in pages.items()}


def read_live(
    door: Door,
    desired: Mapping[str, Resource],
    lock: Lock,
    *,
    parallelism: int = 10,
    aliases: Mapping[str, Sequence[str]] | None = None,
    environment: str | None = None,
) -> LiveState:
    """Live objects for every address in the manifests or the lock.

    ``aliases`` gives a desired address's former addresses (``movedFrom``): a live copy that
    carries a former address's marker is adopted too, so a rename under a lost lock is never
    created twice. ``environment``: the ``-e`` given, for the command an error suggests."""
    listings = _listings(door, desired, lock, parallelism)
    aliases = aliases or {}
    # The renamed resources under their old addresses, for kinds that find an object through
    # another one of its pipeline (a mapping set through its flow's marker).
    former = {
        old: replace(desired[new], address=old)
        for new, olds in aliases.items()
        if new in desired
        for old in olds
        if old not in desired
    }
    lookup_desired: Mapping[str, Resource] = {**former, **desired} if former else desired

    def listed(kind: str, identity: Hashable) -> list[dict[str, Any]] | None:
        found = listings.get(kind)
        return None if found is None else found.by_identity.get(identity, [])

    addresses = sorted(set(desired) | set(lock.resources))
    ids: dict[str, str] = {a: e.id for a, e in lock.resources.items()}
    deps: dict[str, list[str]] = {}
    for a in addresses:
        if a not in desired:
            deps[a] = []
        else:
            deps[a] = [d for d in desired[a].depends_on if d in addresses]

    def read(address: str) -> LiveObject | None:
        entry = lock.resources.get(address)
        if entry is not None:
            kind = KINDS[entry.kind]
            listing = listings.get(entry.kind)
            raw = listing.by_id.get(entry.id) if listing is not None else None
            obj = kind.live(raw) if raw is not None else kind.read(door, entry.id)
            if obj is not None or address not in desired:
                return obj
            # The recorded object is gone. Before it is created again, a live copy that
            # carries its marker (a lock edited by hand, a lost write) is adopted instead.
        r = desired[address]
        obj = adopt(address, r)
        for old in aliases.get(address, ()):
            if obj is not None:
                break
            obj = adopt(address, former.get(old) or replace(r, address=old))
        if obj is not None:
            ids[address] = obj.id
        return obj

    def adopt(address: str, r: Resource) -> LiveObject | None:
        """The live copy carrying ``r``'s marker (``r`` may be under a former address)."""
        kind = KINDS[r.kind]
        listing = listings.get(r.kind)
        if listing is None:
            return kind.find(r, ids, lookup_desired, door, listed)
        identity = kind.wanted(r, ids)
        found = listing.by_identity.get(identity, []) if identity is not None else []
        if len(found) > 1:
            copies = ", ".join(sorted(kind.object_id(raw) for raw in found))
            raise PlanError(
                f"{address}: {len(found)} live objects carry its aepflow marker ({copies}); "
                "aepflow will not choose one and leave the other running. Delete the copy "
                "that should not exist, or record the right one with "
                f"`{command('import', address, 'ID', environment=environment)}`, then plan "
                "again"
            )
        return kind.live(found[0], adopted=True) if found else None

    results, errors = run_dag(deps, read, parallelism, stop_on_error=True)
    if errors:
        raise next(iter(errors.values()))
    state = LiveState({a: results.get(a) for a in addresses})
    for address, r in desired.items():
        kind, listing = KINDS[r.kind], listings.get(r.kind)
        title = kind.title(r.spec)
        if state.objects.get(address) is None and title is not None and listing is not None:
            for raw in listing.by_title.get(title, []):
                owner = kind.marked(raw)
                if owner != address:
                    known = owner if owner in lock.resources else ""
                    state.taken[address] = (kind.object_id(raw), title, known)
                    break
    return state

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

import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Generic, Protocol, TypeVar

from aepflow.api import Door, ListRequest
from aepflow.background import in_background
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


class Prefetch:
    """List reads started before the manifests are read, for ``read_live`` to take.

    Only the lists a plan is sure to read: kinds whose list does not depend on the manifests
    (``list_all([])``), with enough objects in the lock alone for a list to pay (the plan
    counts the lock's and the manifests' addresses, never fewer). Each read runs in a daemon
    thread, so a command that stops early (invalid manifests) never waits for one; a list the
    plan does not take is dropped unread by it."""

    def __init__(self, door: Door, lock: Lock) -> None:
        counts: dict[str, int] = defaultdict(int)
        for entry in lock.resources.values():
            counts[entry.kind] += 1
        self.reads: dict[str, tuple[ListRequest, Future[list[dict[str, Any]]]]] = {}
        for name, kind in KINDS.items():
            if not (counts[name] and kind.list_worthwhile(counts[name])):
                continue
            query = kind.list_all([])
            if query is None:
                continue
            query = replace(query, expect=counts[name])
            self.reads[name] = (query, in_background(functools.partial(door.list, query)))

    def take(self, name: str, query: ListRequest) -> Future[list[dict[str, Any]]] | None:
        """The read of ``query`` started early, or None (then the plan reads it itself)."""
        early = self.reads.pop(name, None)
        return early[1] if early is not None and early[0] == query else None


class ClosingDoor(Door, Protocol):
    def close(self) -> None: ...


D = TypeVar("D", bound=ClosingDoor)


class Early(Generic[D]):
    """The door to AEP, made in a thread of its own while the manifests load, and the plan's
    sure list reads started through it (``Prefetch``, from the lock as ``load_lock`` reads
    it). ``client()`` hands the door over, or raises what making it raised, at the point
    where the command used to make it; ``abandon()`` when the command stops before that."""

    def __init__(self, connect: Callable[[], D], load_lock: Callable[[], Lock]) -> None:
        self.prefetch: Prefetch | None = None
        self._client: D | None = None
        self._error: BaseException | None = None
        self._abandoned = False
        self._mutex = threading.Lock()
        self._ready = threading.Event()
        threading.Thread(target=self._run, args=(connect, load_lock), daemon=True).start()

    def _run(self, connect: Callable[[], D], load_lock: Callable[[], Lock]) -> None:
        try:
            try:
                lock: Lock | None = load_lock()
            except Exception:  # the command reads it again, and says what is wrong
                lock = None
            client = connect()
        except BaseException as e:
            self._error = e
            self._ready.set()
            return
        with self._mutex:
            if self._abandoned:
                client.close()
            else:
                self._client = client
                self.prefetch = Prefetch(client, lock) if lock is not None else None
        self._ready.set()

    def client(self) -> D:
        self._ready.wait()
        if self._error is not None:
            raise self._error
        assert self._client is not None
        return self._client

    def abandon(self) -> None:
        """The command stopped before it took the door: close it (its reads are dropped)."""
        with self._mutex:
            self._abandoned = True
            if self._client is not None:
                self._client.close()


def _listings(
    door: Door,
    desired: Mapping[str, Resource],
    lock: Lock,
    parallelism: int,
    prefetch: Prefetch | None = None,
) -> dict[str, Listing]:
    wanted: dict[str, list[Resource]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for r in desired.values():
        wanted[r.kind].append(r)
    for address in set(desired) | set(lock.resources):
        kind = desired[address].kind if address in desired else lock.resources[address].kind
        counts[kind] += 1
    # Pages read at once (lists paged by offset): as many as the objects known to exist (the
    # lock's), never the manifests' count, which a first apply has none of yet.
    recorded: dict[str, int] = defaultdict(int)
    for entry in lock.resources.values():
        recorded[entry.kind] += 1
    queries = {
        name: replace(query, expect=recorded[name])
        for name, kind in KINDS.items()
        if counts[name] and kind.list_worthwhile(counts[name])
        for query in [kind.list_all(wanted[name])]
        if query is not None
    }
    if not queries:
        return {}
    early = {
        name: future
        for name, q in queries.items()
        for future in [prefetch.take(name, q) if prefetch is not None else None]
        if future is not None
    }
    rest = {name: q for name, q in queries.items() if name not in early}
    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(rest) or 1))) as pool:
        pages = {name: pool.submit(door.list, q) for name, q in rest.items()} | early
        return {name: Listing(KINDS[name], pages[name].result()) for name in queries}


def read_live(
    door: Door,
    desired: Mapping[str, Resource],
    lock: Lock,
    *,
    parallelism: int = 10,
    aliases: Mapping[str, Sequence[str]] | None = None,
    environment: str | None = None,
    prefetch: Prefetch | None = None,
) -> LiveState:
    """Live objects for every address in the manifests or the lock.

    ``aliases`` gives a desired address's former addresses (``movedFrom``): a live copy that
    carries a former address's marker is adopted too, so a rename under a lost lock is never
    created twice. ``environment``: the ``-e`` given, for the command an error suggests."""
    listings = _listings(door, desired, lock, parallelism, prefetch)
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

    every = set(desired) | set(lock.resources)
    addresses = sorted(every)
    ids: dict[str, str] = {a: e.id for a, e in lock.resources.items()}
    deps: dict[str, list[str]] = {}
    for a in addresses:
        if a not in desired:
            deps[a] = []
        else:
            deps[a] = [d for d in desired[a].depends_on if d in every]

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

    # What the lock records and a list shows needs no request and changes no id another read
    # uses: normalised here, in order, rather than through the pool (a no-op plan is all
    # of it). The rest, whose reads and adoptions may wait on each other, goes through it.
    listed_now: dict[str, LiveObject | None] = {}
    for a in addresses:
        entry = lock.resources.get(a)
        listing = listings.get(entry.kind) if entry is not None else None
        raw = listing.by_id.get(entry.id) if entry is not None and listing is not None else None
        if entry is not None and raw is not None:
            listed_now[a] = KINDS[entry.kind].live(raw)
    rest = {a: d for a, d in deps.items() if a not in listed_now}
    results, errors = run_dag(rest, read, parallelism, stop_on_error=True)
    if errors:
        raise next(iter(errors.values()))
    results.update(listed_now)
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

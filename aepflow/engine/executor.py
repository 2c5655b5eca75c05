"""The executor: the only code that changes the platform, and the only writer of the lock.

It walks a Plan as a graph of steps: ``delete:X`` for destroys and the first half of a
replacement, ``apply:X`` for creates, updates, adoptions and the second half of a
replacement. A step starts as soon as its own dependencies are done (deletes wait for the
deletes of what depends on them; applies wait for the applies of what they reference), and
the lock is saved after every successful step, so an interrupted apply leaves a truthful
lock and the next apply carries on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aepflow.engine import operations
from aepflow.engine.live import find_by_marker
from aepflow.engine.lockfile import LockEntry, LockWriter
from aepflow.engine.plan import UNKNOWN, Plan, ResourceChange
from aepflow.engine.planner import SECRETS_PATH, resolve
from aepflow.engine.resources import Resource
from aepflow.engine.scheduler import run_dag

if TYPE_CHECKING:
    from aepflow.platform import PlatformClient


class Reporter(Protocol):
    """Progress callbacks; implementations live in aepflow.render."""

    def begin(self, total: int) -> None: ...
    def started(self, step: str) -> None: ...
    def finished(self, step: str, elapsed: float) -> None: ...
    def failed(self, step: str, error: BaseException) -> None: ...
    def end(self) -> None: ...


class NullReporter:
    def begin(self, total: int) -> None:
        pass

    def started(self, step: str) -> None:
        pass

    def finished(self, step: str, elapsed: float) -> None:
        pass

    def failed(self, step: str, error: BaseException) -> None:
        pass

    def end(self) -> None:
        pass


@dataclass
class ApplyResult:
    done: list[str] = field(default_factory=list)
    errors: dict[str, BaseException] = field(default_factory=dict)
    not_started: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.not_started


def step_graph(plan: Plan, desired: Mapping[str, Resource]) -> dict[str, list[str]]:
    """The steps of a plan and, for each, the steps it waits for."""
    changes = {c.address: c for c in plan.actionable}
    deletes = {a for a, c in changes.items() if c.action in ("delete", "replace")}
    applies = {a for a, c in changes.items() if c.action != "delete"}
    graph: dict[str, list[str]] = {}
    for a in sorted(deletes):
        # Whatever depends on a must be deleted before it.
        graph[f"delete:{a}"] = sorted(
            f"delete:{b}" for b in deletes if a in changes[b].depends_on and b != a
        )
    for a in sorted(applies):
        deps = [f"apply:{d}" for d in desired[a].depends_on if d in applies]
        if a in deletes:
            deps.append(f"delete:{a}")
        graph[f"apply:{a}"] = sorted(deps)
    return graph


class Executor:
    def __init__(
        self,
        client: PlatformClient,
        lock: LockWriter,
        desired: Mapping[str, Resource],
        tenant: str,
        *,
        parallelism: int = 10,
        reporter: Reporter | None = None,
    ) -> None:
        self.client = client
        self.lock = lock
        self.desired = desired
        self.tenant = tenant
        self.parallelism = parallelism
        self.reporter = reporter or NullReporter()
        self._values: dict[str, dict[str, Any]] = {}
        self._mutex = threading.Lock()

    def apply(self, plan: Plan) -> ApplyResult:
        changes = {c.address: c for c in plan.changes}
        for address, entry in self.lock.lock.resources.items():
            self._values[address] = {"id": entry.id, "version": entry.version}
        graph = step_graph(plan, self.desired)
        self.reporter.begin(len(graph))

        def run(step: str) -> None:
            verb, address = step.split(":", 1)
            self.reporter.started(step)
            started = time.monotonic()
            try:
                if verb == "delete":
                    self._delete(changes[address])
                else:
                    self._apply(changes[address])
            except BaseException as e:
                self.reporter.failed(step, e)
                raise
            self.reporter.finished(step, time.monotonic() - started)

        results, errors = run_dag(graph, run, self.parallelism)
        self.reporter.end()
        return ApplyResult(
            done=sorted(results),
            errors=errors,
            not_started=sorted(set(graph) - set(results) - set(errors)),
        )

    # -- steps ---------------------------------------------------------------------------

    def _delete(self, change: ResourceChange) -> None:
        entry = self.lock.lock.resources.get(change.address)
        if change.id is not None and change.before is not None:
            operations.delete(self.client, change.kind, change.id)
        if entry is not None:
            self.lock.remove(change.address)
        with self._mutex:
            self._values.pop(change.address, None)

    def _resolved(self, r: Resource) -> dict[str, Any]:
        with self._mutex:
            spec: dict[str, Any] = resolve(r.spec, dict(self._values))
        missing = _unknown_paths(spec)
        if missing:
            raise RuntimeError(f"{r.address}: unresolved references at {', '.join(missing)}")
        return spec

    def _record(self, r: Resource, id: str, version: int | None, hash: str | None) -> None:
        lock = self.lock.lock
        entry = LockEntry(
            id=id,
            kind=r.kind,
            hash=hash,
            depends_on=r.depends_on,
            version=version,
            secrets_hash=lock.secrets_hash(r.secrets),
            protect=r.protect,
        )
        self.lock.put(r.address, entry)
        with self._mutex:
            self._values[r.address] = {"id": id, "version": version}

    def _apply(self, change: ResourceChange) -> None:
        r = self.desired[change.address]
        spec = self._resolved(r)
        if change.action in ("create", "replace"):
            outcome = self._create(r, spec)
            self._record(r, outcome.id, outcome.version, r.hash)
            return
        assert change.id is not None
        entry = self.lock.lock.resources.get(r.address)
        version = entry.version if entry is not None else None
        if change.action == "adopt":
            if r.kind == "mappingSet":
                live = self.client.mapping_set_get(change.id) or {}
                version = int(live.get("version", 0))
            # Recorded first, so the adoption survives a failure of the update below.
            self._record(r, change.id, version, None if change.changes else r.hash)
            if not change.changes:
                return
        changed = {c.path.split(".")[0] for c in change.changes if c.path != SECRETS_PATH}
        if any(c.path == SECRETS_PATH for c in change.changes):
            changed.add("secrets")
        outcome = operations.update(self.client, r, spec, change.id, changed, self.tenant)
        self._record(
            r, change.id, outcome.version if outcome.version is not None else version, r.hash
        )

    def _create(self, r: Resource, spec: dict[str, Any]) -> operations.Outcome:
        from aepflow.platform.errors import OutcomeUnknown

        try:
            return operations.create(self.client, r, spec, self.tenant)
        except OutcomeUnknown:
            # The request went out and no answer came back: the object may exist. Look for
            # it by its marker before creating it again, so it never exists twice.
            with self._mutex:
                ids = {a: v["id"] for a, v in self._values.items()}
            found = find_by_marker(self.client, r, ids, self.desired)
            if found is not None:
                return operations.Outcome(found.id, found.version)
            # Not there: the request never took effect. Create it, once. (A mapping set is
            # found through its flow, which does not exist yet: a second one may be left
            # orphaned; it ingests nothing.)
            return operations.create(self.client, r, spec, self.tenant)


def _unknown_paths(value: Any, path: str = "") -> list[str]:
    if value == UNKNOWN:
        return [path or "."]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _unknown_paths(v, f"{path}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _unknown_paths(v, f"{path}.{i}")]
    return []

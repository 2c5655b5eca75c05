"""The executor: the only code that changes the platform, and the only writer of the lock.

It walks a Plan as a graph of steps: ``delete:X`` for destroys and the first half of a
replacement, ``apply:X`` for creates, updates, adoptions and the second half of a
replacement. A step starts as soon as its own dependencies are done, sends exactly the
requests the plan holds (filling in ids created earlier in this run and secrets from the
environment), and records the outcome in the lock at once, so an interrupted apply leaves
a truthful lock and the next apply carries on. It never re-reads or re-diffs, except to
resolve a lost response on a create (look for the marker, then create once) or a 412 (the
object changed since the plan: re-read it, and stop unless the reviewed change still holds).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import quote

from aepflow.api import SELF, Door, Request, fill, holes, is_ref, is_secret
from aepflow.engine.lockfile import LockWriter
from aepflow.engine.plan import LockEntry, Plan, ResourceChange
from aepflow.engine.scheduler import run_dag
from aepflow.errors import (
    ChangedSincePlanError,
    LockWriteError,
    NotRecordedError,
    OutcomeUnknown,
    PlatformError,
    PreconditionFailed,
)
from aepflow.hints import command
from aepflow.kinds import KINDS
from aepflow.kinds.base import Resource

_PATH_REF = re.compile(r"\{ref:([^}]+)\}")
CREATE_ATTEMPTS = 5  # a create whose outcome stays unknown is looked for, then sent again
DELETE_WAIT_S = 120.0  # how long a delete waits for what uses the object to finish deleting


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


class Forwarding:
    """A reporter that hands every callback on to ``inner``; a subclass overrides the ones
    it adds to."""

    def __init__(self, inner: Reporter) -> None:
        self.inner = inner

    def begin(self, total: int) -> None:
        self.inner.begin(total)

    def started(self, step: str) -> None:
        self.inner.started(step)

    def finished(self, step: str, elapsed: float) -> None:
        self.inner.finished(step, elapsed)

    def failed(self, step: str, error: BaseException) -> None:
        self.inner.failed(step, error)

    def end(self) -> None:
        self.inner.end()


@dataclass
class ApplyResult:
    done: list[str] = field(default_factory=list)
    errors: dict[str, BaseException] = field(default_factory=dict)
    not_started: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.not_started


def step_graph(plan: Plan) -> dict[str, list[str]]:
    """The steps of a plan and, for each, the steps it waits for."""
    changes = {c.address: c for c in plan.actionable}
    deletes = {a for a, c in changes.items() if c.action in ("delete", "replace")}
    applies = {a for a, c in changes.items() if c.action != "delete"}
    dependents: dict[str, list[str]] = {a: [] for a in deletes}
    for b in deletes:
        for a in changes[b].depends_on:
            if a in dependents and a != b:
                dependents[a].append(f"delete:{b}")
    graph: dict[str, list[str]] = {}
    for a in sorted(deletes):
        graph[f"delete:{a}"] = sorted(dependents[a])  # what depends on a goes first
    # The pairwise orderings below only ever pair a step with a delete or an update of the
    # same kind: grouped by kind, a plan of creates pays nothing for them.
    deletes_of: dict[str, list[str]] = {}
    for b in deletes:
        deletes_of.setdefault(changes[b].kind, []).append(b)
    updates_of: dict[str, list[str]] = {}
    for b in applies:
        if changes[b].action == "update":
            updates_of.setdefault(changes[b].kind, []).append(b)
    for a in sorted(applies):
        change = changes[a]
        deps = [f"apply:{d}" for d in change.depends_on if d in applies]
        if a in deletes:
            deps.append(f"delete:{a}")
        kind = KINDS[change.kind]
        if change.action == "create":  # e.g. a primary identity moved to another field
            deps += [
                f"delete:{b}"
                for b in deletes_of.get(change.kind, ())
                if b != a and kind.create_after_delete(change.after, changes[b].before)
            ]
        deps += [  # e.g. primary: true moved from one identity to another: the loser first
            f"apply:{b}"
            for b in updates_of.get(change.kind, ())
            if b != a
            and kind.apply_after_update(
                change.before, change.after, changes[b].before, changes[b].after
            )
        ]
        graph[f"apply:{a}"] = sorted(deps)
    return graph


class Executor:
    def __init__(
        self,
        door: Door,
        lock: LockWriter,
        desired: Mapping[str, Resource],
        *,
        parallelism: int = 10,
        reporter: Reporter | None = None,
        environment: str | None = None,  # the -e given, for the command an error suggests
    ) -> None:
        self.door = door
        self.environment = environment
        self.lock = lock
        self.desired = desired
        self.parallelism = parallelism
        self.reporter = reporter or NullReporter()
        self._values: dict[str, dict[str, Any]] = {}
        self._mutex = threading.Lock()

    def apply(self, plan: Plan) -> ApplyResult:
        changes = {c.address: c for c in plan.changes}
        for address, entry in self.lock.lock.resources.items():
            self._values[address] = {"id": entry.id, "version": entry.version}
        graph = step_graph(plan)
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
        kind = KINDS[change.kind]
        for request in change.delete_requests:
            waited = 0.0
            while True:
                try:
                    self.door.send(request, allow_404=True)  # already gone counts as deleted
                    break
                except PlatformError as e:
                    outcome = kind.delete_outcome(e.code) if e.status == 400 else "failed"
                    if outcome == "done":
                        break
                    if outcome == "failed" or waited >= DELETE_WAIT_S:
                        raise
                    pause = min(5.0, max(0.25, waited))  # doubling, at most 5 s apart
                    time.sleep(pause)
                    waited += pause
        if change.address in self.lock.lock.resources:
            self.lock.remove(change.address)
        with self._mutex:
            self._values.pop(change.address, None)

    def _apply(self, change: ResourceChange) -> None:
        r = self.desired[change.address]
        if change.action in ("create", "replace"):
            id, version = self._create(r, change)
            self._record(r, change, id, version, r.hash)
            return
        assert change.id is not None
        entry = self.lock.lock.resources.get(r.address)
        version = entry.version if entry is not None else None
        if change.action == "adopt":
            version = change.version
            # Recorded first, so the adoption survives a failure of the update below.
            self._record(r, change, change.id, version, None if change.requests else r.hash)
            if not change.requests:
                return
        for request in change.requests:
            body = self._send(r, change, request, change.id)
            made = KINDS[r.kind].updated(body) if body is not None else None
            version = made if made is not None else version
        self._record(r, change, change.id, version, r.hash)

    def _create(self, r: Resource, change: ResourceChange) -> tuple[str, int | None]:
        kind = KINDS[r.kind]
        first, *rest = change.requests
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                id, version = kind.created(self._send(r, change, first, None))
                break
            except OutcomeUnknown:
                # The request went out and no answer (or a 5xx) came back: the object may
                # exist. Look for it by its marker before creating it again, so it never
                # exists twice. (A mapping set is found through its flow, which does not
                # exist yet: a second one may be left orphaned; it ingests nothing.)
                with self._mutex:
                    ids = {a: v["id"] for a, v in self._values.items()}
                found = kind.find(r, ids, self.desired, self.door)
                if found is not None:
                    id, version = found.id, found.version
                    break
                if attempt == CREATE_ATTEMPTS:
                    raise
                time.sleep(min(2.0, 0.1 * 2**attempt) * random.random())
        for request in rest:
            self._send(r, change, request, id)
        return id, version

    def _send(self, r: Resource, change: ResourceChange, request: Request, id: str | None) -> Any:
        """Send one planned request with its placeholders filled; a 412 is resolved once."""
        ready = self._filled(r, request, id)
        try:
            return self.door.send(ready)
        except PreconditionFailed:
            if change.id is None or change.before is None:
                raise
            kind = KINDS[r.kind]
            fresh = kind.read(self.door, change.id)
            if fresh is None:
                raise ChangedSincePlanError(
                    f"{r.address}: deleted since the plan was made; run "
                    f"`{command('plan', environment=self.environment)}` again"
                ) from None
            before, after = change.before, change.after or {}
            # Spec fields can be compared by reading; a secret cannot (it is never read back)
            # and the marker is compared on the raw object.
            fields = {c.field for c in change.changes if not c.sensitive and c.field in before}
            secrets = any(c.sensitive for c in change.changes)
            marker_moved = any(c.field == "marker" for c in change.changes)
            marker_holds = kind.marked(fresh.raw) == r.address
            if (
                not secrets
                and (marker_holds or not marker_moved)
                and all(fresh.spec.get(f) == after.get(f) for f in fields)
            ):
                return None  # the reviewed change already holds
            if all(fresh.spec.get(f) == before.get(f) for f in fields):
                return self.door.send(replace(ready, if_match=fresh.etag))
            moved = ", ".join(sorted(f for f in fields if fresh.spec.get(f) != before.get(f)))
            plan_again = command("plan", environment=self.environment)
            raise ChangedSincePlanError(
                f"{r.address}: changed since the plan ({moved} differ from what the plan "
                f"read); nothing was written. Run `{plan_again}` again and review the new plan"
            ) from None

    def _filled(self, r: Resource, request: Request, id: str | None) -> Request:
        def lookup(placeholder: Mapping[str, Any]) -> Any:
            if is_ref(placeholder):
                with self._mutex:
                    value = self._values.get(placeholder["$resource"], {})
                found = value.get(placeholder.get("field", "id"))
                if found is None:
                    raise RuntimeError(f"{r.address}: {placeholder['$resource']} has no id yet")
                return found
            return r.secrets[placeholder["$secret"]]

        path = request.path if id is None else request.path.replace(SELF, id)
        path = _PATH_REF.sub(lambda m: quote(str(lookup({"$resource": m[1]})), safe=""), path)
        return replace(request, path=path, body=fill(request.body, lookup))

    def _record(
        self, r: Resource, change: ResourceChange, id: str, version: int | None, hash: str | None
    ) -> None:
        # The hashes of the secrets this step sent; a step that sent none keeps what the lock
        # knew, so a secret changed since the plan is still a change at the next plan.
        previous = self.lock.lock.resources.get(r.address)
        sent = bool(r.secrets) and any(  # only a resource with secrets can have sent one
            is_secret(p) for req in change.requests for _, p in holes(req.body)
        )
        hashes = (
            self.lock.lock.secret_hashes(r.secrets)
            if sent or previous is None
            else dict(previous.secret_hashes)
        )
        entry = LockEntry(
            id=id,
            kind=r.kind,
            hash=hash,
            depends_on=r.depends_on,
            version=version,
            secret_hashes=hashes,
            protect=r.protect,
        )
        try:
            self.lock.put(r.address, entry)
        except LockWriteError as e:
            raise NotRecordedError(r.address, id, e) from None
        with self._mutex:
            self._values[r.address] = {"id": id, "version": version}

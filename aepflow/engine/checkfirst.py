"""Check a source before anything else of the run is written.

A source connection whose base connection is created in the same apply cannot be checked at
plan time on a real sandbox (there is no connection id to explore with). Its base connection
is therefore created first, on its own; then every such source is checked (Flow Service
explore); only when all of them pass does the rest of the plan run. Invalid input thus writes
nothing beyond the connection, and the connection is what a corrected manifest needs anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from aepflow.api import Door
from aepflow.engine.executor import ApplyResult, Forwarding, Reporter, step_graph
from aepflow.engine.plan import Plan
from aepflow.engine.sourcecheck import Locator, check_at_apply, pending_sources
from aepflow.errors import PlanError
from aepflow.kinds.base import Resource


def deferred(plan: Plan, desired: Mapping[str, Resource]) -> dict[str, str]:
    """Source connection -> the base connection this apply creates before it can be checked.

    Only creates: a replaced connection is deleted after what uses it, so its sources are
    checked right before they are created instead (``CheckingReporter``)."""
    changes = {c.address: c for c in plan.actionable}
    out: dict[str, str] = {}
    for c in pending_sources(plan):
        if isinstance((c.requests[-1].body or {}).get("baseConnectionId"), str):
            continue  # the connection exists: the plan checked this source
        r = desired.get(c.address)
        base = r.spec.get("baseConnection") if r is not None else None
        address = str(base["$resource"]) if isinstance(base, Mapping) else ""
        if address in changes and changes[address].action == "create":
            out[c.address] = address
    return out


def unchecked(plan: Plan) -> frozenset[str]:
    """The source connections to create whose base connection has no id yet."""
    return frozenset(
        c.address
        for c in pending_sources(plan)
        if not isinstance((c.requests[-1].body or {}).get("baseConnectionId"), str)
    )


def checked_once_connected(
    plan: Plan, desired: Mapping[str, Resource], later: Sequence[str]
) -> list[str]:
    """The plan's word on the sources it could not check (their connection does not exist
    yet): when apply checks them."""
    first = deferred(plan, desired)
    out = []
    for address in later:
        if address in first:
            out.append(
                f"{address}: the source is checked once {first[address]} exists: apply "
                "creates the connection first and checks the source before it writes anything "
                "else."
            )
        else:
            out.append(
                f"{address}: the source is checked once its connection exists, right before "
                "the source connection is created."
            )
    return out


def check_now(
    door: Door,
    desired: Mapping[str, Resource],
    first: Mapping[str, str],
    base_id: Callable[[str], str | None],
    locate: Locator | None = None,
    keys: Mapping[str, str] | None = None,
) -> dict[str, BaseException]:
    """The source check of each source connection in ``first`` (-> its base connection, now
    created): source connection -> why it fails."""
    failures: dict[str, BaseException] = {}
    memo: dict[tuple[str, ...], Any] = {}  # each connection's tables and columns, read once
    for source, connection in sorted(first.items()):
        found = base_id(connection)
        if found is None:
            continue
        try:
            check_at_apply(door, desired[source], desired, found, locate, keys, memo)
        except PlanError as e:
            failures[source] = e
    return failures


class _Phases(Forwarding):
    """One progress display over both phases: begun once with every step, ended once."""

    def __init__(self, inner: Reporter, total: int) -> None:
        super().__init__(inner)
        self.total, self.begun = total, False

    def begin(self, total: int) -> None:
        if not self.begun:
            self.begun = True
            self.inner.begin(self.total)

    def end(self) -> None:
        pass


def apply_checked(
    plan: Plan,
    first: frozenset[str],
    check: Callable[[], dict[str, BaseException]],
    run: Callable[[Plan, Reporter], ApplyResult],
    reporter: Reporter,
) -> ApplyResult:
    """Apply ``plan`` in two phases: the connections ``first``, then ``check()`` (source
    connection -> its failure), then, only if all passed, everything else."""
    every = step_graph(plan)
    phases = _Phases(reporter, len(every))
    try:
        one = run(_only(plan, lambda a: a in first), phases)
        failures: dict[str, BaseException] = check() if one.ok else {}
        if not one.ok or failures:
            phases.begin(0)
            for address, error in sorted(failures.items()):
                phases.failed(f"apply:{address}", error)
            errors: dict[str, BaseException] = {
                **one.errors,
                **{f"apply:{a}": e for a, e in failures.items()},
            }
            left = set(every) - set(one.done) - set(errors)
            return ApplyResult(done=one.done, errors=errors, not_started=sorted(left))
        two = run(_only(plan, lambda a: a not in first), phases)
        return ApplyResult(
            done=sorted([*one.done, *two.done]), errors=two.errors, not_started=two.not_started
        )
    finally:
        reporter.end()


def _only(plan: Plan, keep: Callable[[str], bool]) -> Plan:
    changes: Any = tuple(c for c in plan.changes if keep(c.address))
    return replace(plan, changes=changes)

"""``aepflow status``: how the managed flows are doing, from their recent runs.

Reads only. For each flow the lock records (or the ones asked for) it reads the flow
(``GET /flows/{id}``) and a bounded window of its newest runs (``GET /runs?property=
flowId=={id}&orderby=-createdAt&limit=N+1``, help/sources/tutorials/api/monitor.md and
help/dataflows/api/sort-and-filter.md): a flow running every 15 minutes gathers some 35,000
runs a year, and status reads a page, never the history. It derives plain data: state, next
scheduled run, the last runs newest first, and whether the flow is failing.

A run's status and errors are read from ``metrics.statusSummary`` (what the emulator and the
monitor tutorial's examples show), falling back to a top-level ``status: {value, errors}``.

A flow is *failing* when its last finished run in that window (``inProgress`` and other
unfinished runs are skipped) has status ``failed``, or when the flow recorded in the lock no
longer exists in the sandbox. A run that succeeded with some failed records (partial
ingestion within the flow's threshold) is not failing: AEP itself fails a run that crosses
the threshold, and the failed record count is shown for every run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aepflow.api import FLOW, Door, Request
from aepflow.engine.plan import Lock
from aepflow.errors import UsageError
from aepflow.hints import command
from aepflow.kinds import KINDS

clock: Callable[[], float] = time.time
"""The wall clock the next run is computed from (tests set it to the emulator's clock)."""

UNIT_S = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}
FINISHED = frozenset({"success", "failed"})
MISSING = "missing"


@dataclass(frozen=True)
class RunError:
    code: str
    message: str


@dataclass(frozen=True)
class Run:
    id: str
    status: str
    started: float | None  # epoch seconds
    duration_s: float | None  # None while the run has not completed
    records_read: int
    records_written: int
    records_failed: int
    errors: tuple[RunError, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status.lower() == "failed"  # the docs write it Failed as well

    @property
    def finished(self) -> bool:
        return self.status.lower() in FINISHED


@dataclass(frozen=True)
class FlowStatus:
    address: str
    id: str
    state: str  # enabled, disabled, or "missing" (in the lock, not in the sandbox)
    next_run: float | None  # epoch seconds
    runs: tuple[Run, ...]  # the last N, newest first
    last_finished: Run | None = None  # of every run read (N + 1), not only the N shown

    @property
    def failing(self) -> bool:
        if self.state == MISSING:
            return True
        return self.last_finished is not None and self.last_finished.failed


@dataclass(frozen=True)
class Status:
    environment: str
    flows: tuple[FlowStatus, ...] = field(default_factory=tuple)

    @property
    def failing(self) -> list[FlowStatus]:
        return [f for f in self.flows if f.failing]


def chosen_flows(
    lock: Lock, addresses: Sequence[str], environment: str | None = None
) -> dict[str, str]:
    """address -> id of the flows to report: every flow in the lock, or the given ones
    (``environment``: the ``-e`` given, for the command an error suggests)."""
    flows = {a: e.id for a, e in sorted(lock.resources.items()) if e.kind == "flow"}
    if not addresses:
        return flows
    unknown = [a for a in addresses if a not in flows]
    if unknown:
        apply = command("apply", environment=environment)
        known = ", ".join(flows) if flows else f"none (run `{apply}` first)"
        raise UsageError(
            f"{', '.join(unknown)}: not a flow in the lock; the managed flows are: {known}"
        )
    return {a: flows[a] for a in sorted(set(addresses))}


def read_status(
    client: Door,
    lock: Lock,
    environment: str,
    addresses: Sequence[str] = (),
    *,
    runs: int = 5,
    parallelism: int = 10,
) -> Status:
    flows = chosen_flows(lock, addresses)
    now = clock()

    def one(item: tuple[str, str]) -> FlowStatus:
        return _flow_status(client, item[0], item[1], runs, now)

    if not flows:
        return Status(environment)
    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(flows)))) as pool:
        found = tuple(pool.map(one, flows.items()))
    return Status(environment, found)


def _flow_status(client: Door, address: str, id: str, keep: int, now: float) -> FlowStatus:
    kind = KINDS["flow"]
    flow = kind.unwrap(client.send(kind.get(id), allow_404=True), id)
    if flow is None:
        return FlowStatus(address, id, MISSING, None, ())
    body = client.send(runs_request(id, keep))
    items = (body.get("items") or []) if isinstance(body, Mapping) else []
    every = sorted(
        (parse_run(r) for r in items if isinstance(r, Mapping)),
        key=lambda r: (r.started or 0.0, r.id),
        reverse=True,
    )
    state = str(flow.get("state") or "enabled")
    return FlowStatus(
        address=address,
        id=id,
        state=state,
        next_run=next_run(flow.get("scheduleParams") or {}, now) if state == "enabled" else None,
        runs=tuple(every[: max(keep, 0)]),
        last_finished=next((r for r in every if r.finished), None),
    )


def runs_request(flow_id: str, keep: int) -> Request:
    """One page of a flow's newest runs, never its whole history: ``property=flowId==ID``,
    ``orderby=-createdAt`` and ``limit`` (help/dataflows/api/sort-and-filter.md, "Sorting"
    and the ``run`` filterable properties; help/sources/tutorials/api/monitor.md). One run more
    than shown is read, so the last finished run is known while the newest is in progress."""
    params = (
        ("property", f"flowId=={flow_id}"),
        ("orderby", "-createdAt"),
        ("limit", str(max(keep, 1) + 1)),
    )
    return Request("GET", f"{FLOW}/runs", params=params)


def parse_run(raw: Mapping[str, Any]) -> Run:
    metrics = raw.get("metrics") or {}
    summary = metrics.get("statusSummary") or {}
    top_raw = raw.get("status")
    top: Mapping[str, Any] = top_raw if isinstance(top_raw, Mapping) else {}
    status = str(summary.get("status") or top.get("value") or "unknown")
    errors = summary.get("errors") or top.get("errors") or []
    durations = metrics.get("durationSummary") or {}
    started = _seconds(durations.get("startedAtUTC"))
    completed = _seconds(durations.get("completedAtUTC"))
    records = metrics.get("recordSummary") or {}
    return Run(
        id=str(raw.get("id", "")),
        status=status,
        started=started,
        duration_s=completed - started if started is not None and completed is not None else None,
        records_read=_count(records.get("inputRecordCount")),
        records_written=_count(records.get("outputRecordCount")),
        records_failed=_count(records.get("failedRecordCount")),
        errors=tuple(
            RunError(str(e.get("code", "")), str(e.get("message", "")))
            for e in errors
            if isinstance(e, Mapping)
        ),
    )


def next_run(schedule: Mapping[str, Any], now: float) -> float | None:
    """The first due time ``startTime + k * interval * unit`` after ``now`` (None: no more).

    A ``once`` flow runs at its start time: it has a next run only while that is ahead.
    """
    start = _number(schedule.get("startTime"))
    if start is None:
        return None
    end = _number(schedule.get("endTime"))
    frequency = str(schedule.get("frequency") or "once")
    if frequency == "once":
        due: float | None = start if start > now else None
    elif frequency in UNIT_S:
        step = UNIT_S[frequency] * max(int(_number(schedule.get("interval")) or 1), 1)
        due = start if start > now else start + (math.floor((now - start) / step) + 1) * step
    else:
        return None
    if due is not None and end and due > end:
        return None
    return due


def _number(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def _seconds(value: Any) -> float | None:
    """An epoch-milliseconds field in seconds."""
    ms = _number(value) if value is not None else None
    return ms / 1000 if ms is not None else None


def _count(value: Any) -> int:
    n = _number(value) if value is not None else None
    return int(n) if n is not None else 0

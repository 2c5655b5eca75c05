"""Flow runs, materialised lazily from each flow's schedule on the emulator clock.

A flow runs at ``startTime + k * interval * unit`` (``once``: a single run) while it is
enabled; the first run is the first due time at or after the flow was created (a start time in
the past means "start now"). Nothing about runs is stored: each run is a pure function of the
flow and its index ``k``, so its id, timing and metrics are the same on every read. The flow
keeps the periods it was enabled in (``_emu.enabled``), so disabling stops new runs and keeps
the old ones. Only the last :data:`MAX_RUNS` runs of a flow are listed.

About one run in eight fails with an error (``statusSummary.errors[{code, message}]``); a run
whose source table the connector does not have always fails; a run whose expected end is still
in the future is ``inProgress``. The flow's mapping is run on its table's sample rows by the one
Data Prep evaluator (``dataprep.mapping_outcome``, kept in ``_emu.mapping``): the share of rows it
fails is the least share of failed records, and a mapping that fails every row fails the run.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from aepflow.emulator import specs
from aepflow.emulator.records import sandbox_id

MAX_RUNS = 100
UNIT_S = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}
FAILURE_RATE = 0.12
RUN_ERRORS = (
    (
        "CONNECTOR-2001-500",
        "The source did not answer in time. The next scheduled run will try again.",
    ),
    (
        "CONNECTOR-1001-401",
        "The source refused the connection's credentials. Update the base connection.",
    ),
    (
        "MAPPER-3001-400",
        "Too many records failed the mapping; the run exceeded the partial ingestion threshold.",
    ),
)

MAPPING_FAILED = "Every record failed the mapping, for example "


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def due(flow: Mapping[str, Any], now: float) -> list[tuple[int, int]]:
    """(index, due time in epoch seconds) of the flow's last MAX_RUNS runs up to ``now``."""
    created = flow["createdAt"] // 1000
    schedule = flow.get("scheduleParams") or {}
    start = _int(schedule.get("startTime"), created)
    end = _int(schedule.get("endTime"), 0) or None
    frequency = str(schedule.get("frequency") or "once")
    periods = flow.get("_emu", {}).get("enabled", [])
    limit = min(now, end) if end else now

    def enabled_at(t: float) -> bool:
        return any(a <= t and (b is None or t < b) for a, b in periods)

    if frequency not in UNIT_S:  # once: at its start, or when first enabled after it
        base = max(start, created)
        for a, b in periods:
            # createdAt is whole milliseconds and due times whole seconds; the period begins a
            # fraction later: the run is at the first whole second the flow is enabled.
            t = max(base, math.ceil(a))
            if b is None or t < b:
                return [(0, t)] if t <= limit else []
        return []
    step = UNIT_S[frequency] * max(_int(schedule.get("interval"), 1), 1)
    first = max(0, math.ceil((created - start) / step))
    indexes: list[int] = []
    for a, b in periods:
        lo = max(first, math.ceil((a - start) / step))
        top = limit if b is None else min(limit, b - 1e-6)
        hi = math.floor((top - start) / step)
        if hi >= lo:
            indexes.extend(range(max(lo, hi - MAX_RUNS + 1), hi + 1))
    picked = sorted(set(indexes))[-MAX_RUNS:]
    return [(k, start + k * step) for k in picked]


def run(
    flow: Mapping[str, Any], index: int, due_at: int, now: float, tables: frozenset[str]
) -> dict[str, Any]:
    """Run ``index`` of ``flow``: the same object every time for the same flow and index."""
    seed = hashlib.sha256(f"{flow['id']}:{index}".encode()).digest()
    rng = random.Random(seed)
    run_id = str(uuid.UUID(bytes=seed[:16], version=4))
    started = due_at * 1000 + rng.randint(200, 5_000)
    duration = rng.randint(20_000, 420_000)
    completed = started + duration
    records = rng.randint(200, 25_000)
    failed_draw = rng.random() < FAILURE_RATE
    error = RUN_ERRORS[rng.randrange(len(RUN_ERRORS))]
    table = _table(flow)
    mapping = (flow.get("_emu") or {}).get("mapping")  # dataprep.mapping_outcome
    errors: list[dict[str, str]] = []
    if table is not None and table not in tables:
        completed = started + 3_000  # fails at once
    if completed > now * 1000:
        status, completed_at = "inProgress", None
        out, bad = 0, 0
    elif table is not None and table not in tables:
        status, completed_at = "failed", completed
        records, out, bad = 0, 0, 0
        errors = [{"code": "CONNECTOR-2002-400", "message": f"The table {table} was not found."}]
    elif mapping is not None and mapping["share"] >= 1:
        status, completed_at = "failed", completed
        out, bad = 0, records
        errors = [{"code": "MAPPER-3001-400", "message": MAPPING_FAILED + mapping["message"]}]
    elif failed_draw:
        status, completed_at = "failed", completed
        out, bad = 0, records // rng.randint(2, 5)
        errors = [{"code": error[0], "message": error[1]}]
    else:
        status, completed_at = "success", completed
        bad = rng.randint(0, records // 100)
        if mapping is not None:  # the share of sample rows the mapping fails
            bad = max(bad, round(records * mapping["share"]))
        out = records - bad
    width = rng.randint(180, 420)
    return {
        "id": run_id,
        "createdAt": started,
        "updatedAt": completed_at or started,
        "createdBy": "flow-service",
        "updatedBy": "flow-service",
        "createdClient": "flow-service",
        "updatedClient": "flow-service",
        "sandboxId": sandbox_id(flow.get("imsOrgId", ""), flow.get("sandboxName", "")),
        "sandboxName": flow.get("sandboxName"),
        "imsOrgId": flow.get("imsOrgId"),
        "flowId": flow["id"],
        "flowSpec": flow.get("flowSpec"),
        "providerRefId": seed[16:32].hex(),
        "etag": f'"{seed[:4].hex()}-0000-0200-0000-{due_at:08x}0000"',
        "metrics": {
            "durationSummary": {
                "startedAtUTC": started,
                **({"completedAtUTC": completed_at} if completed_at else {}),
            },
            "sizeSummary": {"inputBytes": records * width, "outputBytes": out * (width - 40)},
            "recordSummary": {
                "inputRecordCount": records,
                "outputRecordCount": out,
                "failedRecordCount": bad,
            },
            "fileSummary": {
                "inputFileCount": 1 if records else 0,
                "outputFileCount": 1 if out else 0,
            },
            "statusSummary": {"status": status, "errors": errors},
        },
        "activities": [],
    }


def _table(flow: Mapping[str, Any]) -> str | None:
    source = (flow.get("_emu") or {}).get("table")
    return str(source) if source else None


def runs_of(flow: Mapping[str, Any], now: float) -> Iterator[dict[str, Any]]:
    """The flow's materialised runs, oldest first."""
    connector = (flow.get("_emu") or {}).get("connector", "")
    tables = frozenset(specs.tables(connector))
    for index, due_at in due(flow, now):
        yield run(flow, index, due_at, now, tables)


def last_run_details(flow: Mapping[str, Any], now: float) -> dict[str, Any] | None:
    found = due(flow, now)
    if not found:
        return None
    connector = (flow.get("_emu") or {}).get("connector", "")
    last = run(flow, *found[-1], now, frozenset(specs.tables(connector)))
    details = {
        "id": last["id"],
        "state": last["metrics"]["statusSummary"]["status"],
        "startedAtUTC": last["metrics"]["durationSummary"]["startedAtUTC"],
    }
    completed = last["metrics"]["durationSummary"].get("completedAtUTC")
    if completed:
        details["completedAtUTC"] = completed
    return details

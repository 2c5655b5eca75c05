"""A dataflow's schedule: its start (ISO-8601 or epoch seconds), frequency and interval."""

from __future__ import annotations

from collections.abc import Callable

from aepflow.errors import SourceLocation
from aepflow.manifest.walk import epoch
from aepflow.manifest.yamlload import LocDict
from aepflow.model import ScheduleDef

Problem = Callable[[SourceLocation, str], None]


def read_schedule(s: LocDict, problem: Problem) -> ScheduleDef | None:
    """A flow's schedule, or None after reporting what is wrong with it."""
    frequency = s["frequency"]
    start = epoch(s["start"])
    ok = True
    if start is not None and start > 10**11:  # year 5138: epoch milliseconds, surely
        problem(
            s.value_at["start"],
            f"schedule.start: {s['start']!r} looks like epoch milliseconds; give epoch "
            "seconds or an ISO-8601 date-time",
        )
        ok = False
    elif start is None:
        problem(
            s.value_at["start"],
            f"schedule.start: {s['start']!r} is not an ISO-8601 date-time or epoch seconds",
        )
        ok = False
    # The CRMToAEP scheduleSpec (machine-readable) wins over the tutorial prose, which says
    # interval >= 15 for every frequency: minimum 15 for minute, 1 for the others.
    if frequency == "once":
        for key in ("interval", "backfill"):
            if key in s:
                problem(s.key_at[key], f"schedule.{key} is not allowed when frequency is once")
                ok = False
    elif "interval" not in s:
        problem(
            s.key_at["frequency"],
            f"schedule.interval is required when frequency is {frequency}",
        )
        ok = False
    elif frequency == "minute" and s["interval"] < 15:
        problem(
            s.value_at["interval"],
            f"schedule.interval must be at least 15 when frequency is minute (got {s['interval']})",
        )
        ok = False
    if not ok or start is None:
        return None
    return ScheduleDef(frequency, start, s.get("interval"), s.get("backfill"))

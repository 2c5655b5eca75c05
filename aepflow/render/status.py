"""``aepflow status`` as text for a person and as JSON for a script.

Text, per flow::

    flow.NAME (ID): enabled, next run 2030-01-01T05:00:00Z
      2030-01-01T04:00:03Z  success     4m 12s  read 1200  written 1188  failed 12
      2030-01-01T03:00:01Z  failed          3s  read 0  written 0  failed 0  CODE: message
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from aepflow.status import MISSING, FlowStatus, Run, Status


def iso(seconds: float | None) -> str | None:
    """UTC ISO-8601 to the second (``2030-01-01T00:00:00Z``)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(int(seconds), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "running"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def header(flow: FlowStatus, env_flag: str = "") -> str:
    if flow.state == MISSING:
        return (
            f"{flow.address} ({flow.id}): missing from the sandbox "
            f"(deleted outside aepflow? `aepflow plan{env_flag}` shows it)"
        )
    return f"{flow.address} ({flow.id}): {flow.state}, next run {iso(flow.next_run) or 'none'}"


def run_line(run: Run) -> str:
    line = (
        f"  {iso(run.started) or '-':<20}  {run.status:<10}  {duration(run.duration_s):>10}  "
        f"read {run.records_read}  written {run.records_written}  failed {run.records_failed}"
    )
    if run.failed:
        line += "".join(f"  {e.code}: {e.message}" for e in run.errors)
    return line


def render_text(status: Status, env_flag: str = "") -> str:
    """``env_flag`` (`` -e NAME`` when the user gave one) goes into every suggested command."""
    if not status.flows:
        return (
            f"No managed flows in the lock of environment {status.environment}: "
            f"`aepflow apply{env_flag}` creates them.\n"
        )
    blocks = []
    for flow in status.flows:
        lines = [header(flow, env_flag)]
        if flow.state != MISSING:
            lines += [run_line(r) for r in flow.runs] if flow.runs else ["  no runs yet"]
        blocks.append("\n".join(lines))
    out = "\n\n".join(blocks) + "\n"
    failing = status.failing
    if failing:
        out += f"\nFailing: {', '.join(f.address for f in failing)}\n"
    return out


def run_data(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "started": iso(run.started),
        "duration_s": run.duration_s,
        "status": run.status,
        "records_read": run.records_read,
        "records_written": run.records_written,
        "records_failed": run.records_failed,
        "errors": [{"code": e.code, "message": e.message} for e in run.errors],
    }


def status_data(status: Status) -> dict[str, Any]:
    return {
        "failing": [f.address for f in status.failing],
        "flows": [
            {
                "address": f.address,
                "id": f.id,
                "state": f.state,
                "next_run": iso(f.next_run),
                "runs": [run_data(r) for r in f.runs],
            }
            for f in status.flows
        ],
    }


def render_json(status: Status) -> str:
    return json.dumps(status_data(status), indent=2, ensure_ascii=False) + "\n"

"""The human plan, in the shape Terraform users read every day."""

from __future__ import annotations

import json
from typing import Any

from aepflow.engine.plan import SENSITIVE, UNKNOWN, Plan, ResourceChange

SYMBOLS = {
    "create": "+",
    "update": "~",
    "replace": "-/+",
    "delete": "-",
    "adopt": "=",
    "forget": "-",
    "record": "~",
}
HEADLINES = {
    "create": "will be created",
    "update": "will be updated in-place",
    "replace": "must be replaced",
    "delete": "will be destroyed",
    "adopt": "will be adopted",
    # A refresh-only plan's: what the lock will record, never a change in AEP.
    "forget": "will be forgotten",
    "record": "will record the live values",
}


def value(v: Any) -> str:
    if v in (UNKNOWN, SENSITIVE):
        return str(v)
    if v is None:
        return "(none)"
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def _flatten(spec: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, spec[k]) for k in spec]


COLORS = {"+": "32", "~": "33", "-": "31", "-/+": "35", "=": "36"}  # ANSI: green, yellow, ...


def _paint(line: str) -> str:
    """A plan line in its symbol's colour (Terraform's habit on a terminal)."""
    stripped = line.lstrip()
    for symbol in ("-/+", "+", "~", "-", "="):
        if stripped.startswith(symbol + " "):
            return f"\033[{COLORS[symbol]}m{line}\033[0m"
    if stripped.startswith("# "):
        return f"\033[1m{line}\033[0m"
    return line


def render_change(c: ResourceChange) -> list[str]:
    symbol = SYMBOLS[c.action]
    headline = HEADLINES[c.action]
    if c.action == "record" and not c.changes:
        symbol, headline = "=", "will be recorded"
    if c.action == "adopt" and c.changes:
        headline += " and updated in-place"
    reason = f" ({c.reason})" if c.reason else ""
    lines = [
        f"  # {c.address} {headline}{reason}",
        f"{symbol:>3} {c.address}" + (f" (id {c.id})" if c.id else ""),
    ]
    if c.action == "create":
        rows = _flatten(c.after or {})
        width = max((len(k) for k, _ in rows), default=0)
        lines += [f"      + {k.ljust(width)} = {value(v)}" for k, v in rows]
        if c.kind == "connection":
            lines.append(f"      + {'secrets'.ljust(width)} = {SENSITIVE}")
    elif c.action in ("delete", "forget"):
        pass
    else:
        for ch in c.changes:
            if ch.sensitive:
                lines.append(f"      ~ {ch.path}: (sensitive value changed)")
                continue
            note = "  # forces replacement" if ch.forces_replacement else ""
            if ch.before is None:
                lines.append(f"      + {ch.path}: {value(ch.after)}{note}")
            elif ch.after is None:
                lines.append(f"      - {ch.path}: {value(ch.before)}{note}")
            else:
                lines.append(f"      ~ {ch.path}: {value(ch.before)} -> {value(ch.after)}{note}")
    return lines


def render_text(plan: Plan, *, color: bool = False) -> str:
    actionable = plan.actionable
    out: list[str] = []
    if actionable:
        if plan.refresh_only:
            out.append(
                f'This is a refresh-only plan: the lock of environment "{plan.environment}" '
                f"will record the state of sandbox {plan.sandbox}; nothing changes in AEP:"
            )
        else:
            verb = "destroy everything aepflow manages in" if plan.destroy else "change"
            out.append(
                f'aepflow will {verb} environment "{plan.environment}" (sandbox {plan.sandbox}):'
            )
        out.append("")
        drifted = [
            c.address for c in actionable if c.drift or (c.reason or "").endswith("outside aepflow")
        ]
        if drifted:
            out.append("Note: objects have changed outside aepflow: " + ", ".join(drifted))
            out.append("")
        for c in actionable:
            out.extend(render_change(c))
            out.append("")
    for note in plan.notes:
        out.append(f"Note: {note}")
    if plan.notes:
        out.append("")
    out.append(plan.summary())
    if color:
        out = [_paint(line) for line in out]
    return "\n".join(out) + "\n"

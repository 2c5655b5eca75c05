"""The plan as a pull-request comment: counts first, the graph of the change, the full plan
folded, never too long."""

from __future__ import annotations

from aepflow.engine.plan import Plan
from aepflow.hints import command
from aepflow.render.graph import render_graph
from aepflow.render.plan_text import render_text

MAX_CHARS = 65_000  # GitHub rejects comments over 65,536 characters
SECTION_CHARS = 8_000  # each warning list above the plan


def truncated(environment: str | None = None) -> str:
    """The line ending a plan cut to fit, with the ``-e`` the plan was made with."""
    plan_again = command("plan", environment=environment)
    return (
        f"\n... (plan truncated to fit a pull-request comment; run `{plan_again}` for all of it)\n"
    )


def render_markdown(
    plan: Plan, max_chars: int = MAX_CHARS, *, environment: str | None = None
) -> str:
    """``environment``: the ``-e`` given, carried by the command the comment suggests."""
    head = [f"**{plan.summary()}**", ""]
    head.append(f"Environment `{plan.environment}` (sandbox `{plan.sandbox}`)")
    head.append("")
    # A refresh-only plan changes nothing in AEP: its "deletes" only forget lock entries.
    risky = [
        c for c in plan.actionable if c.action in ("delete", "replace") and not plan.refresh_only
    ]
    if risky:
        listed = _listed(
            [f"`{c.address}` ({'replace' if c.action == 'replace' else 'destroy'})" for c in risky]
        )
        head.append(f":warning: **This plan destroys or replaces resources:** {listed}")
        head.append("")
    drifted = [
        c.address
        for c in plan.actionable
        if c.drift or (c.reason or "").endswith("outside aepflow")
    ]
    if drifted:
        head.append(
            "**Objects have changed outside aepflow:** " + _listed([f"`{a}`" for a in drifted])
        )
        head.append("")
    if not plan.has_changes:
        return "\n".join(head)
    if not plan.refresh_only:  # the graph shows changes in AEP; a refresh has none
        graph, note = render_graph(plan)
        head += ["```mermaid", graph.rstrip("\n"), "```", ""]
        if note:
            head += [f"_{note}_", ""]
    open_block = "<details><summary>Show plan</summary>\n\n```diff\n"
    close_block = "```\n\n</details>\n"
    # Markers at column 0 so GitHub colours the diff.
    body = "\n".join(_diff_line(line) for line in render_text(plan).splitlines()) + "\n"
    text = "\n".join(head) + "\n" + open_block + body + close_block
    if len(text) <= max_chars:
        return text
    note = truncated(environment)
    budget = max_chars - len("\n".join(head)) - len(open_block) - len(close_block) - len(note) - 2
    cut = body[: max(budget, 0)]
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else ""
    return "\n".join(head) + "\n" + open_block + cut + note + close_block


def _listed(items: list[str], budget: int = SECTION_CHARS) -> str:
    """Items joined by commas, at most ``budget`` characters: the rest is counted, so a plan
    destroying thousands of resources still fits a comment (the full list is in the plan)."""
    shown: list[str] = []
    used = 0
    for item in items:
        if used + len(item) + 2 > budget:
            return ", ".join(shown) + f" and {len(items) - len(shown)} more"
        shown.append(item)
        used += len(item) + 2
    return ", ".join(shown)


def _diff_line(line: str) -> str:
    """Move the action marker to column 0 (``!`` for changes) so GitHub colours the diff."""
    stripped = line.lstrip()
    indent = len(line) - len(stripped)
    for symbol in ("-/+", "+", "-", "~", "="):
        if stripped.startswith(symbol + " "):
            marker = {"~": "!", "=": " ", "-/+": "!"}.get(symbol, symbol)
            if indent > 3:  # an attribute line: keep its own symbol, indented
                return f"{marker}     {stripped}"
            rest = stripped if symbol == "-/+" else stripped[len(symbol) + 1 :]
            return f"{marker} {rest}"
    return line

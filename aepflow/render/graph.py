"""The shape of a change as a Mermaid ``flowchart`` for the pull-request comment.

The graph holds every resource the plan changes, marked by its action (a class style and the
action in words, for readers who do not see colours), and its direct neighbours: what it
depends on and what depends on it, drawn unchanged. Arrows point from a dependency to what
uses it (connection -> source connection -> flow), the way data flows.

GitHub renders Mermaid in comments within limits (its renderer refuses diagrams over
50,000 characters or 500 edges), so the graph is capped: the changed resources come first,
destroys and replacements before the rest, then neighbours, and a note says what was left
out. Labels are always quoted and escaped with Mermaid's entity codes, so no address or
character can break the diagram.
"""

from __future__ import annotations

from aepflow.engine.plan import Plan, ResourceChange

MAX_NODES = 80
MAX_EDGES = 200
ACTION_WORDS = {
    "create": "create",
    "update": "update",
    "replace": "replace",
    "delete": "destroy",
    "adopt": "adopt",
    "noop": "unchanged",
}
CLASS_STYLES = {
    "create": "fill:#dafbe1,stroke:#1a7f37,color:#0b2e13",
    "update": "fill:#fff8c5,stroke:#9a6700,color:#3b2300",
    "replace": "fill:#fbefff,stroke:#8250df,color:#21005d",
    "destroy": "fill:#ffebe9,stroke:#cf222e,color:#4c0007",
    "adopt": "fill:#ddf4ff,stroke:#0969da,color:#002155",
    "unchanged": "fill:#f6f8fa,stroke:#8c959f,color:#24292f,stroke-dasharray:3 3",
}
# Destroys and replacements are what a reviewer must not miss: they are kept first.
_PRIORITY = {"delete": 0, "replace": 1, "create": 2, "update": 3, "adopt": 4, "noop": 5}


def escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label: entity codes for what Mermaid or Markdown
    would read as syntax (quotes, ``#``, angle brackets, backticks) and no line breaks."""
    out = []
    for ch in text:
        if ch in '"#<>`&|[]{}();':
            out.append(f"#{ord(ch)};")
        elif ch in "\r\n\t":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def render_graph(
    plan: Plan, max_nodes: int = MAX_NODES, max_edges: int = MAX_EDGES
) -> tuple[str, str | None]:
    """The Mermaid diagram (without the code fence), and a note when it was capped; ``("",
    None)`` for a plan without changes."""
    by_address = {c.address: c for c in plan.changes}
    changed = sorted(plan.actionable, key=lambda c: (_PRIORITY[c.action], c.address))
    if not changed:
        return "", None
    edges = _edges(plan)
    shown_changed = changed[:max_nodes]
    chosen = [c.address for c in shown_changed]
    chosen_set = set(chosen)
    neighbours = sorted(
        {
            other
            for c in shown_changed
            for a, b in edges
            for other in ((b,) if a == c.address else (a,) if b == c.address else ())
        }
        - chosen_set
    )
    left_neighbours = 0
    for address in neighbours:
        if len(chosen) >= max_nodes:
            left_neighbours += 1
            continue
        chosen.append(address)
        chosen_set.add(address)
    drawn = sorted((a, b) for a, b in edges if a in chosen_set and b in chosen_set)
    left_edges = max(len(drawn) - max_edges, 0)
    drawn = drawn[:max_edges]

    ids = {address: f"r{i}" for i, address in enumerate(sorted(chosen_set))}
    lines = ["flowchart LR"]
    for address in sorted(chosen_set):
        word = _word(by_address.get(address))
        lines.append(f'  {ids[address]}["{escape(address)} ({word})"]')
    for dependent, dependency in drawn:
        lines.append(f"  {ids[dependency]} --> {ids[dependent]}")
    used = sorted({_word(by_address.get(a)) for a in chosen_set})
    for word in used:
        lines.append(f"  classDef {word} {CLASS_STYLES[word]}")
    for word in used:
        members = [ids[a] for a in sorted(chosen_set) if _word(by_address.get(a)) == word]
        lines.append(f"  class {','.join(members)} {word}")

    left = []
    if len(changed) > len(shown_changed):
        left.append(f"{len(changed) - len(shown_changed)} changed resource(s)")
    if left_neighbours:
        left.append(f"{left_neighbours} unchanged neighbour(s)")
    if left_edges:
        left.append(f"{left_edges} dependency arrow(s)")
    note = None
    if left:
        note = (
            f"The graph is capped at {max_nodes} resources and {max_edges} arrows so that "
            f"GitHub can draw it: it leaves out {', '.join(left)}; the plan below lists every "
            "change."
        )
    return "\n".join(lines) + "\n", note


def _word(change: ResourceChange | None) -> str:
    return ACTION_WORDS[change.action if change is not None else "noop"]


def _edges(plan: Plan) -> set[tuple[str, str]]:
    """(dependent, dependency) pairs between resources the plan knows."""
    known = {c.address for c in plan.changes}
    return {(c.address, d) for c in plan.changes for d in c.depends_on if d in known}

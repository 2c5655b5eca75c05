"""The Mermaid graph of a change in the pull-request comment."""

from __future__ import annotations

import re

from aepflow.engine.plan import Plan, ResourceChange
from aepflow.render.graph import escape, render_graph
from aepflow.render.plan_markdown import render_markdown

NODE = re.compile(r'^  (r\d+)\["([^"]*)"\]$')
EDGE = re.compile(r"^  (r\d+) --> (r\d+)$")
CLASSDEF = re.compile(r"^  classDef (\w+) [\w:#,. -]+$")
CLASS = re.compile(r"^  class (r\d+(?:,r\d+)*) (\w+)$")


def change(address: str, action: str, *deps: str) -> ResourceChange:
    return ResourceChange(address, address.split(".")[0], action, depends_on=deps)  # type: ignore[arg-type]


def plan_of(*changes: ResourceChange) -> Plan:
    return Plan("prod", "prod", tuple(sorted(changes, key=lambda c: c.address)), "", "", "")


def parse(graph: str) -> tuple[dict[str, str], list[tuple[str, str]], dict[str, str]]:
    """Every line must be one of the statements GitHub's Mermaid reads: anything else fails."""
    lines = graph.splitlines()
    assert lines[0] == "flowchart LR"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    classes: dict[str, str] = {}
    for line in lines[1:]:
        if m := NODE.match(line):
            nodes[m[1]] = m[2]
        elif m := EDGE.match(line):
            edges.append((nodes[m[1]], nodes[m[2]]))
        elif CLASSDEF.match(line):
            pass
        elif m := CLASS.match(line):
            for id in m[1].split(","):
                classes[nodes[id]] = m[2]
        else:
            raise AssertionError(f"not a Mermaid statement: {line!r}")
    return nodes, edges, classes


PIPELINE = plan_of(
    change("connection.crm", "noop"),
    change("sourceConnection.f", "replace", "connection.crm"),
    change("dataset.d", "noop", "schema.s"),
    change("schema.s", "noop"),
    change("mappingSet.f", "update", "schema.s"),
    change("flow.f", "update", "sourceConnection.f", "mappingSet.f", "targetConnection.f"),
    change("targetConnection.f", "noop", "dataset.d"),
    change("dataset.old", "delete"),
    change("flow.g", "create", "connection.crm"),
)


def test_the_graph_holds_the_changes_marked_by_action_and_their_direct_neighbours() -> None:
    graph, note = render_graph(PIPELINE)
    nodes, edges, classes = parse(graph)
    assert note is None
    assert sorted(nodes.values()) == [
        "connection.crm (unchanged)",  # neighbour of the replaced source and the new flow
        "dataset.old (destroy)",
        "flow.f (update)",
        "flow.g (create)",
        "mappingSet.f (update)",
        "schema.s (unchanged)",  # the mapping set's dependency
        "sourceConnection.f (replace)",
        "targetConnection.f (unchanged)",  # the flow's dependency
    ]  # dataset.d: a neighbour of a neighbour only, left out
    assert sorted(edges) == [
        ("connection.crm (unchanged)", "flow.g (create)"),
        ("connection.crm (unchanged)", "sourceConnection.f (replace)"),
        ("mappingSet.f (update)", "flow.f (update)"),
        ("schema.s (unchanged)", "mappingSet.f (update)"),
        ("sourceConnection.f (replace)", "flow.f (update)"),
        ("targetConnection.f (unchanged)", "flow.f (update)"),
    ]
    assert classes == {label: label.split("(")[1].rstrip(")") for label in nodes.values()}
    assert "classDef destroy fill:#ffebe9,stroke:#cf222e" in graph


def test_the_markdown_plan_shows_the_graph_in_a_mermaid_block_and_none_without_changes() -> None:
    md = render_markdown(PIPELINE)
    graph, _ = render_graph(PIPELINE)
    assert "\n```mermaid\n" + graph + "```\n" in md
    assert md.index("```mermaid") < md.index("<details><summary>Show plan</summary>")
    unchanged = render_markdown(plan_of(change("flow.f", "noop")))
    assert "mermaid" not in unchanged
    assert render_graph(plan_of(change("flow.f", "noop"))) == ("", None)


def test_labels_are_quoted_and_escaped_so_no_character_breaks_the_diagram() -> None:
    assert escape('a"b#c<d>e`f') == "a#34;b#35;c#60;d#62;e#96;f"
    assert escape("x[1]{y}(z);w|v&u\nt") == "x#91;1#93;#123;y#125;#40;z#41;#59;w#124;v#38;u t"
    graph, _ = render_graph(plan_of(change('flow.we"ird]<b>', "create")))
    nodes, _, _ = parse(graph)
    assert list(nodes.values()) == ["flow.we#34;ird#93;#60;b#62; (create)"]


def test_a_huge_plan_is_capped_with_a_note_keeping_destroys_first() -> None:
    creates = [change(f"flow.f{i:04d}", "create", "connection.crm") for i in range(3000)]
    deletes = [change(f"dataset.old{i}", "delete") for i in range(5)]
    plan = plan_of(change("connection.crm", "noop"), *creates, *deletes)
    graph, note = render_graph(plan)
    nodes, edges, _ = parse(graph)
    assert len(nodes) == 80 and len(edges) <= 200
    assert {f"dataset.old{i} (destroy)" for i in range(5)} <= set(nodes.values())
    assert note == (
        "The graph is capped at 80 resources and 200 arrows so that GitHub can draw it: it "
        "leaves out 2925 changed resource(s), 1 unchanged neighbour(s); the plan below lists "
        "every change."
    )
    assert len(graph) < 50_000
    md = render_markdown(plan)
    assert f"_{note}_" in md and len(md) <= 65_000


def test_arrows_are_capped_too() -> None:
    hub = [change(f"flow.f{i}", "update", *[f"dataset.d{j}" for j in range(30)]) for i in range(20)]
    datasets = [change(f"dataset.d{j}", "noop") for j in range(30)]
    graph, note = render_graph(plan_of(*hub, *datasets), max_edges=50)
    _, edges, _ = parse(graph)
    assert len(edges) == 50
    assert note is not None and "leaves out 550 dependency arrow(s)" in note

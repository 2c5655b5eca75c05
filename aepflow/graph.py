"""A small deterministic DAG: topological order and cycle detection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class CycleError(ValueError):
    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(" -> ".join(cycle))


def topological_order(edges: Mapping[str, Iterable[str]]) -> list[str]:
    """Nodes ordered so each comes after everything it depends on; ties broken by name.

    ``edges`` maps a node to the nodes it depends on. Dependencies not present as keys are ignored.
    """
    deps = {n: sorted(d for d in edges[n] if d in edges) for n in edges}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            start = path.index(node)
            raise CycleError([*path[start:], node])
        state[node] = 1
        path.append(node)
        for dep in deps[node]:
            visit(dep, path)
        path.pop()
        state[node] = 2
        order.append(node)

    for node in sorted(deps):
        visit(node, [])
    return order


def depth(edges: Mapping[str, Iterable[str]]) -> int:
    """Length of the longest dependency chain (1 for independent nodes, 0 for none)."""
    memo: dict[str, int] = {}
    for node in topological_order(edges):
        memo[node] = 1 + max((memo[d] for d in edges[node] if d in memo), default=0)
    return max(memo.values(), default=0)

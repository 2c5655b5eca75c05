from __future__ import annotations

import threading
import time

import pytest

from aepflow.engine.scheduler import run_dag
from aepflow.graph import CycleError, depth, topological_order


def test_topological_order_is_deterministic_and_respects_dependencies() -> None:
    edges = {
        "flow": ["src", "tgt"],
        "src": ["conn"],
        "tgt": ["ds"],
        "ds": ["schema"],
        "conn": [],
        "schema": [],
    }
    assert topological_order(edges) == ["conn", "schema", "ds", "src", "tgt", "flow"]
    assert depth(edges) == 4


def test_a_cycle_is_reported_with_its_path() -> None:
    with pytest.raises(CycleError) as e:
        topological_order({"a": ["b"], "b": ["c"], "c": ["a"]})
    assert str(e.value) == "a -> b -> c -> a"


def test_each_task_starts_as_soon_as_its_own_dependencies_are_done() -> None:
    # slow -> after_slow is one branch; fast -> after_fast another. after_fast must not wait
    # for slow, which a level-by-level scheduler would make it do.
    release = threading.Event()
    order: list[str] = []

    def task(node: str) -> str:
        if node == "slow":
            assert release.wait(5)
        if node == "after_fast":
            release.set()
        order.append(node)
        return node.upper()

    deps = {"slow": [], "after_slow": ["slow"], "fast": [], "after_fast": ["fast"]}
    results, errors = run_dag(deps, task, parallelism=4)
    assert errors == {}
    assert results == {n: n.upper() for n in deps}
    assert order.index("after_fast") < order.index("slow") < order.index("after_slow")


def test_a_failure_stops_new_tasks_and_reports_the_error() -> None:
    def task(node: str) -> None:
        if node == "a":
            raise ValueError("boom")
        time.sleep(0)

    results, errors = run_dag({"a": [], "b": ["a"], "c": []}, task, parallelism=1)
    assert list(errors) == ["a"] and str(errors["a"]) == "boom"
    assert "b" not in results

"""run_dag: ordering, the parallelism cap, failures and large graphs (no timing assertions)."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from aepflow.engine.scheduler import run_dag


class Recorder:
    """Records, under a lock, when each node starts and finishes and how many run at once."""

    def __init__(self, sleep: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.sleep = sleep
        self.events: list[tuple[str, str]] = []  # ("start" | "finish", node)
        self.running = 0
        self.max_running = 0
        self.calls: Counter[str] = Counter()

    def __call__(self, node: str) -> str:
        with self.lock:
            self.events.append(("start", node))
            self.calls[node] += 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        if self.sleep:
            time.sleep(self.sleep)
        with self.lock:
            self.running -= 1
            self.events.append(("finish", node))
        return node.upper()

    def started(self) -> list[str]:
        return [n for kind, n in self.events if kind == "start"]


def test_every_node_starts_only_after_all_its_dependencies_finished() -> None:
    deps = {
        "flow": ["src", "tgt", "mapping"],
        "src": ["conn"],
        "tgt": ["ds"],
        "ds": ["schema"],
        "mapping": ["schema", "ds"],
        "conn": [],
        "schema": [],
        "other": [],
    }
    rec = Recorder(sleep=0.001)
    results, errors = run_dag(deps, rec, parallelism=3)
    assert errors == {}
    assert results == {n: n.upper() for n in deps}
    position = {event: i for i, event in enumerate(rec.events)}
    for node, ds in deps.items():
        for d in ds:
            assert position[("finish", d)] < position[("start", node)], (d, node)


def test_the_parallelism_cap_is_never_exceeded() -> None:
    deps: dict[str, list[str]] = {f"n{i:02}": [] for i in range(40)}
    deps.update({f"m{i:02}": [f"n{i:02}", f"n{(i + 1) % 40:02}"] for i in range(40)})
    rec = Recorder(sleep=0.002)
    results, errors = run_dag(deps, rec, parallelism=3)
    assert errors == {}
    assert len(results) == 80
    assert 1 <= rec.max_running <= 3


@pytest.mark.parametrize("parallelism", [0, -5])
def test_a_non_positive_parallelism_runs_one_task_at_a_time(parallelism: int) -> None:
    rec = Recorder(sleep=0.001)
    results, errors = run_dag({"a": [], "b": [], "c": ["a"]}, rec, parallelism=parallelism)
    assert errors == {}
    assert set(results) == {"a", "b", "c"}
    assert rec.max_running == 1


def test_ready_nodes_start_in_sorted_order() -> None:
    deps = {"d": [], "b": [], "a": [], "c": [], "z": ["a", "b"], "y": ["a", "b"], "x": ["c"]}
    rec = Recorder()
    results, _ = run_dag(deps, rec, parallelism=1)
    # roots in sorted order; then each batch that becomes ready at once, sorted, in the order
    # the batches became ready
    assert rec.started() == ["a", "b", "c", "d", "y", "z", "x"]
    assert list(results) == rec.started()


def test_with_stop_on_error_a_failure_starts_nothing_new() -> None:
    started: list[str] = []

    def task(node: str) -> str:
        started.append(node)
        if node == "b":
            raise ValueError("boom")
        return node

    deps = {"a": [], "b": [], "c": [], "d": ["a"], "e": ["b"], "f": ["c"]}
    results, errors = run_dag(deps, task, parallelism=1)
    assert started == ["a", "b"]
    assert results == {"a": "a"}
    assert list(errors) == ["b"] and str(errors["b"]) == "boom"
    for node in ("c", "d", "e", "f"):
        assert node not in results and node not in errors


def test_with_stop_on_error_tasks_already_running_finish_and_are_recorded() -> None:
    fail_now = threading.Event()
    slow_started = threading.Event()

    def task(node: str) -> str:
        if node == "slow":
            slow_started.set()
            assert fail_now.wait(5)
            time.sleep(0.01)
            return "slow done"
        if node == "fail":
            assert slow_started.wait(5)
            fail_now.set()
            raise RuntimeError("nope")
        return node

    deps = {"fail": [], "slow": [], "after_fail": ["fail"], "after_slow": ["slow"]}
    results, errors = run_dag(deps, task, parallelism=2)
    assert results == {"slow": "slow done"}
    assert list(errors) == ["fail"]
    assert "after_slow" not in results and "after_fail" not in results


def test_without_stop_on_error_independent_branches_finish() -> None:
    rec = Recorder()

    def task(node: str) -> str:
        if node == "bad":
            raise ValueError("bad")
        return rec(node)

    deps = {
        "bad": [],
        "after_bad": ["bad"],
        "after_after_bad": ["after_bad"],
        "mixed": ["bad", "good"],
        "good": [],
        "after_good": ["good"],
        "last": ["after_good"],
    }
    results, errors = run_dag(deps, task, parallelism=1, stop_on_error=False)
    assert list(errors) == ["bad"]
    assert set(results) == {"good", "after_good", "last"}
    assert not {"after_bad", "after_after_bad", "mixed"} & set(rec.started())


def test_exceptions_of_any_type_are_captured() -> None:
    def task(node: str) -> str:
        if node == "interrupted":
            raise KeyboardInterrupt
        if node == "exited":
            raise SystemExit(3)
        return node

    deps = {"interrupted": [], "exited": [], "fine": [], "child": ["interrupted"]}
    results, errors = run_dag(deps, task, parallelism=2, stop_on_error=False)
    assert results == {"fine": "fine"}
    assert isinstance(errors["interrupted"], KeyboardInterrupt)
    assert isinstance(errors["exited"], SystemExit)
    assert set(errors) == {"interrupted", "exited"}


def test_dependencies_on_unknown_nodes_are_ignored() -> None:
    rec = Recorder()
    deps = {"a": ["missing"], "b": ["a", "elsewhere", "a"], "c": iter(["b", "ghost"])}
    results, errors = run_dag(deps, rec, parallelism=4)
    assert errors == {}
    assert results == {"a": "A", "b": "B", "c": "C"}
    assert rec.started() == ["a", "b", "c"]
    assert "missing" not in rec.calls


def test_an_empty_graph_runs_nothing() -> None:
    rec = Recorder()
    assert run_dag({}, rec) == ({}, {})
    assert rec.events == []


def test_nodes_on_a_cycle_never_run_and_the_rest_does() -> None:
    rec = Recorder()
    deps = {"a": ["b"], "b": ["a"], "c": ["a"], "d": [], "self": ["self"]}
    results, errors = run_dag(deps, rec, parallelism=2)
    assert errors == {}
    assert results == {"d": "D"}


def test_a_large_chain_and_fan_graph_runs_every_node_exactly_once() -> None:
    # 4,000 chains of depth 5, each hanging off one of 10 shared roots, and a final node that
    # depends on every chain's end: 20,011 nodes.
    deps: dict[str, list[str]] = {f"root{r}": [] for r in range(10)}
    for c in range(4_000):
        previous = f"root{c % 10}"
        for level in range(5):
            node = f"c{c}.{level}"
            deps[node] = [previous]
            previous = node
    deps["final"] = [f"c{c}.4" for c in range(4_000)]
    assert len(deps) == 20_011

    lock = threading.Lock()
    calls: Counter[str] = Counter()

    def task(node: str) -> int:
        with lock:
            calls[node] += 1
        return len(node)

    results, errors = run_dag(deps, task, parallelism=16)
    assert errors == {}
    assert set(results) == set(deps)
    assert set(calls) == set(deps) and set(calls.values()) == {1}
    assert results["final"] == len("final")

"""Benchmark: the scheduling overhead of run_dag on a realistic DAG with a no-op task.

    python benchmarks/scheduler_bench.py --nodes 6000 --parallelism 16
    python benchmarks/scheduler_bench.py --nodes 6000 --impl /tmp/old_scheduler.py
    python benchmarks/scheduler_bench.py --nodes 6000 --task-ms 1 --repeat 5

The DAG looks like an apply plan: a few shared roots (connections, schemas), each fanning out to
many chains of depth 5 (source -> dataset -> target -> mapping -> flow). By default the task does
nothing, so the figures are the scheduler's own cost; ``--task-ms`` makes each task sleep that
long instead (completions then arrive one by one, as with real API calls). Prints CPU seconds
(time.process_time, all threads) and wall seconds, the best of ``--repeat`` runs. ``--impl``
loads ``run_dag`` from another file, e.g. an older version of aepflow/engine/scheduler.py.

Not part of the test suite: it measures, it does not assert.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections.abc import Callable
from typing import Any

CHAIN = ("source", "dataset", "target", "mapping", "flow")


def build_dag(nodes: int, roots: int = 20) -> dict[str, list[str]]:
    """About ``nodes`` nodes: ``roots`` shared roots fanned out to chains of depth 5."""
    roots = max(1, min(roots, nodes))
    deps: dict[str, list[str]] = {f"connection.{r:03}": [] for r in range(roots)}
    for c in range(max(0, nodes - roots) // len(CHAIN)):
        previous = f"connection.{c % roots:03}"
        for kind in CHAIN:
            node = f"{kind}.{c:06}"
            deps[node] = [previous]
            previous = node
    return deps


def load_run_dag(impl: str | None) -> Callable[..., Any]:
    if impl is None:
        from aepflow.engine.scheduler import run_dag

        return run_dag
    spec = importlib.util.spec_from_file_location("scheduler_under_test", impl)
    assert spec is not None and spec.loader is not None, impl
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run_dag  # type: ignore[no-any-return]


def make_task(task_ms: float) -> Callable[[str], None]:
    if task_ms <= 0:
        return lambda node: None
    seconds = task_ms / 1000
    return lambda node: time.sleep(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=6000)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--task-ms", type=float, default=0.0, help="each task sleeps (default 0)")
    parser.add_argument("--repeat", type=int, default=1, help="report the best of N runs")
    parser.add_argument("--impl", help="a file defining run_dag (default: aepflow's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    run_dag = load_run_dag(args.impl)
    deps = build_dag(args.nodes)
    task = make_task(args.task_ms)
    cpu = wall = float("inf")
    for _ in range(max(1, args.repeat)):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        results, errors = run_dag(deps, task, args.parallelism)
        cpu = min(cpu, time.process_time() - cpu0)
        wall = min(wall, time.perf_counter() - wall0)
        if errors or len(results) != len(deps):
            raise SystemExit(
                f"run_dag ran {len(results)} of {len(deps)} nodes, {len(errors)} errors"
            )

    figures = {
        "impl": args.impl or "aepflow.engine.scheduler",
        "nodes": len(deps),
        "parallelism": args.parallelism,
        "task_ms": args.task_ms,
        "repeat": args.repeat,
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{figures['impl']}: {figures['nodes']} nodes, parallelism {args.parallelism}, "
            f"task {args.task_ms:g} ms, best of {args.repeat}: cpu {cpu:.3f} s, wall {wall:.3f} s"
        )


if __name__ == "__main__":
    main()

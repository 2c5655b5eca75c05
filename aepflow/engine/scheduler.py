"""Run a DAG of tasks on a thread pool: each task starts as soon as its own dependencies are done.

Not level by level: a slow branch never holds up an unrelated one. The first failure stops
new tasks from starting; tasks already running finish, and the failures are returned.

Scheduling costs O(1) amortised per task (plus sorting each batch of newly ready nodes):
every node has a counter of unfinished dependencies and a list of dependents; a finished task
decrements its dependents' counters, and the ones that reach zero join the ready queue. Workers
hand completed futures to the coordinating thread through a queue, so the coordinator never
rescans the waiting nodes nor waits on the whole running set.
"""

from __future__ import annotations

import queue
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_dag(
    deps: Mapping[str, Iterable[str]],
    task: Callable[[str], T],
    parallelism: int = 10,
    *,
    stop_on_error: bool = True,
) -> tuple[dict[str, T], dict[str, BaseException]]:
    """Run ``task(node)`` for every node once its dependencies (among ``deps``) succeeded.

    Returns (results, errors). A node whose dependency failed (or that never started after a
    failure) is in neither.

    At most ``max(1, parallelism)`` tasks run at once. Nodes that become ready at the same
    moment start in sorted order, after the nodes that became ready before them. With
    ``stop_on_error`` the first failure starts nothing new (running tasks finish and are
    recorded); without it, only the dependents of a failed node are skipped.
    """
    results: dict[str, T] = {}
    errors: dict[str, BaseException] = {}
    if not deps:
        return results, errors

    pending: dict[str, int] = {}  # node -> number of its dependencies not yet succeeded
    dependents: dict[str, list[str]] = {n: [] for n in deps}
    for node, ds in deps.items():
        own = {d for d in ds if d in deps}
        pending[node] = len(own)
        for d in own:
            dependents[d].append(node)
    ready: deque[str] = deque(sorted(n for n, count in pending.items() if count == 0))

    limit = max(1, parallelism)
    done: queue.SimpleQueue[tuple[str, Future[T]]] = queue.SimpleQueue()
    with ThreadPoolExecutor(max_workers=limit) as pool:
        running = 0

        def start(node: str) -> None:
            future = pool.submit(task, node)
            future.add_done_callback(lambda f: done.put((node, f)))

        while True:
            while ready and running < limit and not (errors and stop_on_error):
                start(ready.popleft())
                running += 1
            if not running:
                break
            node, future = done.get()
            running -= 1
            exc = future.exception()
            if exc is not None:
                errors[node] = exc
                continue
            results[node] = future.result()
            newly_ready = []
            for child in dependents[node]:
                pending[child] -= 1
                if pending[child] == 0:
                    newly_ready.append(child)
            ready.extend(sorted(newly_ready))
    return results, errors

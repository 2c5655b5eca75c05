"""Run a DAG of tasks on a thread pool: each task starts as soon as its own dependencies are done.

Not level by level: a slow branch never holds up an unrelated one. The first failure stops
new tasks from starting; tasks already running finish, and the failures are returned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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
    """
    waiting = {n: {d for d in ds if d in deps} for n, ds in deps.items()}
    dependents: dict[str, list[str]] = {n: [] for n in deps}
    for n, ds in waiting.items():
        for d in ds:
            dependents[d].append(n)
    results: dict[str, T] = {}
    errors: dict[str, BaseException] = {}
    lock = threading.Lock()
    if not deps:
        return results, errors

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        running: dict[Future[T], str] = {}

        def start_ready() -> None:
            ready = sorted(n for n, ds in waiting.items() if not ds)
            for n in ready:
                del waiting[n]
                running[pool.submit(task, n)] = n

        start_ready()
        while running:
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                node = running.pop(fut)
                exc = fut.exception()
                with lock:
                    if exc is not None:
                        errors[node] = exc
                        continue
                    results[node] = fut.result()
                for child in dependents[node]:
                    if child in waiting:
                        waiting[child].discard(node)
            if errors and stop_on_error:
                continue  # let running tasks finish, start nothing new
            start_ready()
    return results, errors

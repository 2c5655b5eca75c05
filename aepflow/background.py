"""Work started beside a command that never holds the command back when it stops early.

A daemon thread per call, its outcome in a Future: unlike a ThreadPoolExecutor's workers,
which the interpreter joins at exit, a read still in flight when a command fails (invalid
manifests, a refused plan) is dropped, not waited for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


def in_background(work: Callable[[], T]) -> Future[T]:
    """Start ``work`` in a daemon thread; its result (or exception) in the Future."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as e:  # handed to whoever asks for the result
            future.set_exception(e)

    threading.Thread(target=run, daemon=True).start()
    return future


def all_at_once(works: Iterable[Callable[[], T]], at_most: int) -> list[T]:
    """Each of ``works``, ``at_most`` at a time, in daemon threads; their results in order
    (the first exception, in order, is raised)."""
    pending = list(works)
    results: list[T] = []
    for first in range(0, len(pending), at_most):
        batch = [in_background(work) for work in pending[first : first + at_most]]
        results.extend(future.result() for future in batch)
    return results

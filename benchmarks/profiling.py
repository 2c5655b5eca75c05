"""cProfile over every thread of a process, for the benchmarks.

cProfile sees only the thread that enabled it; apply runs its requests on a pool of threads.
:func:`profiled` gives each thread started inside it a profiler of its own and merges them.
The timer is each thread's CPU time (``time.thread_time``), so the figures are CPU seconds:
time spent waiting on a socket, a lock or a queue counts for nothing.

    python benchmarks/profiling.py -o apply.prof -- -m aepflow apply --auto-approve
    python benchmarks/profiling.py --show apply.prof

The first form runs ``python ARGS...`` (``-m module`` or a script) under the profiler and
writes the merged statistics; ``--show`` prints the top entries by cumulative and own time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import runpy
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def profiled(out: Path) -> Iterator[None]:
    """Profile the block and every thread it starts; write the merged stats to ``out``."""
    profiles: list[cProfile.Profile] = []
    mutex = threading.Lock()

    def start(*_: Any) -> None:
        sys.setprofile(None)
        mine = cProfile.Profile(time.thread_time)
        with mutex:
            profiles.append(mine)
        mine.enable()

    main = cProfile.Profile(time.thread_time)
    threading.setprofile(start)
    main.enable()
    try:
        yield
    finally:
        main.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        stats = pstats.Stats(main)
        with mutex:
            for one in profiles:
                one.create_stats()
                stats.add(one)
        stats.dump_stats(str(out))


def summary(path: Path, top: int = 15) -> str:
    """The top entries by cumulative and by own time, aepflow's and the standard library's."""
    buf = io.StringIO()
    stats = pstats.Stats(str(path), stream=buf)
    stats.strip_dirs()
    for key in ("cumulative", "tottime"):
        buf.write(f"--- top {top} by {key} ---\n")
        stats.sort_stats(key).print_stats(top)
    lines = [
        line
        for line in buf.getvalue().splitlines()
        if line.strip() and not line.startswith(("   Ordered by", "   List reduced"))
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("-o", "--out", type=Path)
    parser.add_argument("--show", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.show:
        print(summary(args.show, args.top))
        return
    rest = [a for a in args.args if a != "--"]
    if not rest or args.out is None:
        parser.error("give -o FILE and the program: -- -m module args... or -- script args...")
    exit_code: Any = 0
    with profiled(args.out):
        try:
            if rest[0] == "-m":
                sys.argv = [rest[1], *rest[2:]]
                runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
            else:
                sys.argv = rest
                runpy.run_path(rest[0], run_name="__main__")
        except SystemExit as e:
            exit_code = e.code
    sys.exit(exit_code)


if __name__ == "__main__":
    main()

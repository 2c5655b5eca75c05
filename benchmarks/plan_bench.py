"""Benchmark: a no-op ``aepflow plan`` of N generated pipelines, its wall and CPU time.

    python benchmarks/plan_bench.py --pipelines 1000 --keep /tmp/plan-1000 --runs 3
    python benchmarks/plan_bench.py --pipelines 1000 --keep /tmp/plan-1000 --profile plan.prof

Generates a project (benchmarks/generate.py), applies it once against ``aepflow emulator
serve`` in its own process with no latency (kept in --keep, so later runs skip this), then
serves the same state with --latency-ms added to every request and times ``--runs`` no-op
plans in this process (open_workspace + make_plan, as ``aepflow plan`` does), each without
and with the list reads overlapping the loading of the manifests (``prefetch``). CPU is
user + system seconds of this process (getrusage), so a shared machine shows in the wall time
but barely in the CPU. --profile writes one more, profiled, plan's statistics (all threads,
CPU time) and prints its top entries.

Not part of the test suite: it measures, it does not assert. Output: one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate as generator
from apply_bench import Served, _bound, _list_pages, run_apply, run_noop_plan
from profiling import profiled
from profiling import summary as profile_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pipelines", type=int, default=1000)
    parser.add_argument("--keep", type=Path, required=True, help="folder for project + state")
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write a profiled run's stats here")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    root, state = args.keep / "project", args.keep / "emulator"
    applied = args.keep / "applied"
    if not applied.exists():
        generator.generate(root, args.pipelines)
        served = Served(state, 0)
        try:
            run_apply(root, served, args.parallelism, None)
        finally:
            served.stop()
        applied.write_text(f"{args.pipelines}\n")
    served = Served(state, args.latency_ms)
    try:
        bound = _bound(2, _list_pages(args.pipelines), args.latency_ms / 1000, args.parallelism)
        for run in range(args.runs):
            for prefetch in (False, True):
                row = run_noop_plan(root, served, args.parallelism, prefetch)
                row = {k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}
                print(json.dumps({"run": run, "bound_s": round(bound, 2), **row}), flush=True)
        if args.profile:
            with profiled(args.profile):
                run_noop_plan(root, served, args.parallelism, True)
            print(profile_summary(args.profile, args.top))
    finally:
        served.stop()


if __name__ == "__main__":
    main()

"""Benchmark: every figure of the performance table, per N generated pipelines, in one command.

    python benchmarks/apply_bench.py                      # N = 10, 100, 1000, then faults
    python benchmarks/apply_bench.py --pipelines 1000 --seeds 0 --profile /tmp/prof
    python benchmarks/apply_bench.py --pipelines --seeds 5        # faults only

The projects come from benchmarks/generate.py, which knows nothing of aepflow's code. Per N:

- validate: ``aepflow validate`` in a child process, best of --runs by CPU, cold (no
  .aepflow/cache: the first run on a fresh checkout) and warm (the build and parsed-manifest
  caches the run before wrote);
- embedded apply: ``aepflow apply`` on the embedded emulator (the local default), no latency;
- apply: in this process, from the project's folder after validate (so warm, as ``aepflow
  apply`` after ``aepflow validate``), against ``aepflow emulator serve`` in its own process on
  loopback with --latency-ms added to every request and --parallelism P;
- no-op plan: the plan after that apply, as ``aepflow plan`` runs it (the list reads overlap
  the loading of the manifests); it must have no change.

CPU is measured, not only wall time (the machine may be shared): user + system seconds from
getrusage for this process and for finished children, and from /proc for the served emulator.
Each bound comes from the work that must be done, never from the requests aepflow chose to
send, with R and depth taken from the generator (the AEP workflow), not from aepflow's plan:
apply >= max(depth x L, R x L / P); no-op plan >= max(2 x L, pages x L / P), with pages the
list pages needed to see every managed object (100 per page) plus the token and tenant lookup.

--profile DIR adds one profiled apply per N (a run of its own: the profiler slows what it
watches), and prints its top entries by cumulative and own CPU time (benchmarks/profiling.py).
Then, unless --seeds 0, one fresh apply per seed at --fault-pipelines (100) under --faults
(10% 429, 5% 500, 2% lost responses): it must exit 0 in one run, the next plan must have no
change, and no marker may be live twice (``duplicates``).

Every module of aepflow is compiled to bytecode first, as ``pip install`` does: no measured
command pays for compiling aepflow's source (an editable install run with
PYTHONDONTWRITEBYTECODE, as on this project's CI machine, compiles every module in every
process: about 0.25 s of each command there).

Not part of the test suite: it measures, it does not assert. Output: one JSON line per row.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate as generator
from profiling import profiled
from profiling import summary as profile_summary


def _bound(depth: int, work: int, latency_s: float, parallelism: int) -> float:
    return max(depth * latency_s, work * latency_s / parallelism)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Served:
    """``aepflow emulator serve`` in its own process, on a loopback port."""

    def __init__(self, state: Path, latency_ms: float, faults: str = "", seed: int = 0) -> None:
        self.port = _free_port()
        env = {**os.environ, "AEPFLOW_EMULATOR_LATENCY_MS": str(latency_ms)}
        if faults:
            env |= {"AEPFLOW_EMULATOR_FAULTS": faults, "AEPFLOW_EMULATOR_SEED": str(seed)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aepflow", "emulator", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--state", str(state)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise SystemExit("the emulator did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return _cpu_of(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _environ(url: str) -> dict[str, str]:
    """The served emulator's default credentials (see ``aepflow emulator serve --help``)."""
    values = {
        "AEP_CLIENT_ID": "aepflow-emulator",
        "AEP_CLIENT_SECRET": "aepflow-emulator-secret",
        "AEP_ORG_ID": "AEPFLOW0EMULATOR000000000@AdobeOrg",
        "AEP_SCOPES": "openid,AdobeID",
        "AEPFLOW_PLATFORM_URL": url,
        "AEPFLOW_IMS_URL": url,
    }
    for name in generator.env_names():
        values[name] = "bench-" + name.lower()
    return values


class Cpu:
    """CPU seconds (user, system) of this process and of its finished children."""

    def __init__(self) -> None:
        self.start = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float, float]:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime, me.ru_stime, kids.ru_utime, kids.ru_stime

    def self_s(self) -> tuple[float, float]:
        now = self._now()
        return now[0] - self.start[0], now[1] - self.start[1]

    def children_s(self) -> tuple[float, float]:
        now = self._now()
        return now[2] - self.start[2], now[3] - self.start[3]


def _cli(root: Path, args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``aepflow ARGS`` in ``root``: wall seconds, user and system CPU seconds."""
    cpu, wall = Cpu(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "aepflow", *args],
        cwd=root, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - wall
    if done.returncode != 0:
        raise SystemExit(f"aepflow {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr}")
    user, system = cpu.children_s()
    return {"s": wall, "user_s": user, "sys_s": system}


def run_validate(root: Path, runs: int, *, warm: bool) -> dict[str, Any]:
    """``aepflow validate``, best of ``runs`` by CPU time: cold (no parsed-manifest cache
    under .aepflow/cache, as on a first run or after any upgrade) or warm (the cache
    written by the run before, as on a second run with the same files)."""
    cache = root / ".aepflow" / "cache"

    def once() -> dict[str, Any]:
        if not warm:
            shutil.rmtree(cache, ignore_errors=True)
        return _cli(root, ["validate"])

    if warm:
        once()
    return min((once() for _ in range(runs)), key=lambda r: r["user_s"] + r["sys_s"])


def run_embedded(root: Path, parallelism: int) -> dict[str, Any]:
    """``aepflow apply`` on the embedded emulator (the local default), no added latency."""
    return _cli(root, ["apply", "--auto-approve", "--parallelism", str(parallelism)])


@contextlib.contextmanager
def _cwd(root: Path) -> Iterator[None]:
    """In the project's folder, as the command line runs: the manifests are shown (and their
    build cached) by names relative to it."""
    before = os.getcwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(before)


def run_apply(root: Path, served: Served, parallelism: int, prof: Path | None) -> dict[str, Any]:
    from aepflow.workspace import apply_plan, make_plan, open_workspace

    environ = _environ(served.url)
    emulator_cpu = served.cpu()

    def work() -> Any:
        ws = open_workspace("bench", (), project_dir=root, parallelism=parallelism, environ=environ)
        try:
            plan = make_plan(ws)
            result = apply_plan(ws, plan)
            if not result.ok:
                raise SystemExit(f"apply failed: {result.errors}")
            return ws, plan
        finally:
            ws.close()

    cpu, wall = Cpu(), time.perf_counter()
    with (
        _cwd(root),  # as `aepflow apply` runs: from the project, after validate's cache
        profiled(prof) if prof else contextlib.nullcontext(),  # a profiled run is slower
    ):
        ws, plan = work()
    wall = time.perf_counter() - wall
    user, system = cpu.self_s()
    return {
        "steps": len(plan.actionable),
        "s": wall,
        "user_s": user,
        "sys_s": system,
        "emulator_cpu_s": served.cpu() - emulator_cpu,
        "requests": ws.client.request_count,
    }


def run_noop_plan(
    root: Path, served: Served, parallelism: int, prefetch: bool = False
) -> dict[str, Any]:
    """``open_workspace`` + ``make_plan`` (``prefetch``: the list reads overlap the loading of
    the manifests, as ``aepflow plan`` does); the plan must have no change."""
    from aepflow.workspace import make_plan, open_workspace

    environ = _environ(served.url)
    emulator_cpu = served.cpu()
    cpu, wall = Cpu(), time.perf_counter()
    with _cwd(root):
        ws = open_workspace(
            "bench",
            (),
            project_dir=root,
            parallelism=parallelism,
            environ=environ,
            prefetch=prefetch,
        )
        try:
            plan = make_plan(ws)
        finally:
            ws.close()
    wall = time.perf_counter() - wall
    user, system = cpu.self_s()
    if plan.has_changes:
        raise SystemExit(f"no-op plan has changes: {plan.summary()}")
    return {
        "prefetch": prefetch,
        "managed": len(plan.changes),
        "s": wall,
        "user_s": user,
        "sys_s": system,
        "emulator_cpu_s": served.cpu() - emulator_cpu,
        "requests": ws.client.request_count,
    }


def _list_pages(pipelines: int) -> int:
    """List pages needed to see every managed object, by the AEP endpoints each kind is
    listed from (100 per page): connections (base, source, target), schemas, descriptors,
    datasets, mapping sets, flows; plus the token and the tenant lookup."""
    per_kind = {
        "connections": len(generator.CONNECTORS) + 2 * pipelines,
        "schemas": generator.SCHEMAS,
        "descriptors": generator.SCHEMAS * generator.IDENTITIES,
        "dataSets": pipelines,
        "mappingSets": pipelines,
        "flows": pipelines,
    }
    return 2 + sum(-(-n // 100) for n in per_kind.values())


def measure(n: int, args: argparse.Namespace) -> dict[str, Any]:
    latency = args.latency_ms / 1000
    resources = generator.expected_resources(n)
    prof = args.profile / f"apply-{n}.prof" if args.profile else None
    with tempfile.TemporaryDirectory(prefix="aepflow-bench-") as tmp:
        root = Path(tmp) / "project"
        size = generator.generate(root, n)
        validate = run_validate(root, args.runs, warm=False)
        warm = run_validate(root, args.runs, warm=True)  # the applies below start warm too
        embedded = run_embedded(root, args.parallelism)
        served = Served(Path(tmp) / "emulator", args.latency_ms)
        try:
            applied = run_apply(root, served, args.parallelism, None)
            noop = run_noop_plan(root, served, args.parallelism, prefetch=True)
        finally:
            served.stop()
        if prof:  # a run of its own, on a fresh project: the profiler slows what it watches
            again = Path(tmp) / "profiled"
            generator.generate(again, n)
            run_validate(again, 1, warm=False)  # as the measured apply: after validate
            served = Served(Path(tmp) / "emulator-profiled", args.latency_ms)
            try:
                run_apply(again, served, args.parallelism, prof)
            finally:
                served.stop()
    apply_bound = _bound(generator.depth(), resources, latency, args.parallelism)
    noop_bound = _bound(2, _list_pages(n), latency, args.parallelism)
    apply_cpu = applied["user_s"] + applied["sys_s"]
    row = {
        "pipelines": n,
        "resources": resources,
        "manifest_mb": round(size / 1e6, 2),
        "latency_ms": args.latency_ms,
        "parallelism": args.parallelism,
        "validate_s": round(validate["s"], 2),
        "validate_cpu_s": round(validate["user_s"] + validate["sys_s"], 2),
        "validate_warm_s": round(warm["s"], 2),
        "validate_warm_cpu_s": round(warm["user_s"] + warm["sys_s"], 2),
        "noop_plan_s": round(noop["s"], 2),
        "noop_plan_bound_s": round(noop_bound, 2),
        "noop_plan_requests": noop["requests"],
        "noop_plan_cpu_s": round(noop["user_s"] + noop["sys_s"], 2),
        "apply_s": round(applied["s"], 2),
        "apply_bound_s": round(apply_bound, 2),
        "apply_ratio": round(applied["s"] / apply_bound, 2),
        "apply_steps": applied["steps"],
        "apply_requests_per_resource": round(applied["requests"] / resources, 3),
        "apply_cpu_s": round(apply_cpu, 2),
        "apply_cpu_ms_per_resource": round(1000 * apply_cpu / resources, 2),
        "apply_emulator_cpu_s": round(applied["emulator_cpu_s"], 2),
        "embedded_apply_s": round(embedded["s"], 2),
        "embedded_apply_user_s": round(embedded["user_s"], 2),
        "embedded_apply_sys_s": round(embedded["sys_s"], 2),
    }
    if prof:
        print(profile_summary(prof, args.top), file=sys.stderr, flush=True)
    return row


def _duplicates(state: Path) -> dict[str, int]:
    """Objects whose marker (name or description) is live more than once, per collection, and
    mapping sets no flow uses, read from the emulator's files after it stopped."""
    from aepflow.emulator.state import Store

    with Store(state).read() as tx:
        live = tx.doc["sandboxes"]["prod"]
    out: dict[str, int] = {}
    for collection, key in [
        ("connections", "description"),
        ("sourceConnections", "description"),
        ("targetConnections", "description"),
        ("flows", "name"),
        ("dataSets", "name"),
        ("schemas", "title"),
        ("fieldgroups", "title"),
    ]:
        seen = [obj.get(key) for obj in live.get(collection, {}).values()]
        out[collection] = len(seen) - len(set(seen))
    used = {
        t["params"]["mappingId"]
        for flow in live.get("flows", {}).values()
        for t in flow.get("transformations") or []
        if t.get("name") == "Mapping"
    }
    out["unused mappingSets"] = len(set(live.get("mappingSets", {})) - used)
    return out


def faults(n: int, spec: str, seeds: int, parallelism: int) -> Iterator[dict[str, Any]]:
    """A fresh apply per seed under faults: exit status, duplicates, then a no-op plan."""
    for seed in range(seeds):
        with tempfile.TemporaryDirectory(prefix="aepflow-faults-") as tmp:
            root = Path(tmp) / "project"
            generator.generate(root, n)
            served = Served(Path(tmp) / "emulator", 0, spec, seed)
            started = time.perf_counter()
            try:
                env = {**os.environ, **_environ(served.url)}
                done = subprocess.run(
                    [sys.executable, "-m", "aepflow", "apply", "-e", "bench", "--auto-approve",
                     "--parallelism", str(parallelism)],
                    cwd=root, env=env, capture_output=True, text=True, check=False,
                )  # fmt: skip
            finally:
                served.stop()
            seconds = time.perf_counter() - started
            calm = Served(Path(tmp) / "emulator", 0)
            try:
                env = {**os.environ, **_environ(calm.url)}
                plan = subprocess.run(
                    [sys.executable, "-m", "aepflow", "plan", "-e", "bench",
                     "--detailed-exitcode"],
                    cwd=root, env=env, capture_output=True, text=True, check=False,
                )  # fmt: skip
            finally:
                calm.stop()
            yield {
                "seed": seed,
                "apply_exit": done.returncode,
                "apply_s": round(seconds, 1),
                "apply_error": done.stderr.strip().splitlines()[-3:] if done.returncode else [],
                "next_plan_exit": plan.returncode,
                "next_plan": plan.stdout.strip().splitlines()[-1:],
                "duplicates": _duplicates(Path(tmp) / "emulator"),
            }


def _compile_package() -> None:
    """aepflow's bytecode, as ``pip install`` writes it (Python reads it even where it is told
    not to write any)."""
    import compileall

    import aepflow

    compileall.compile_dir(Path(aepflow.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pipelines", type=int, nargs="*", default=[10, 100, 1000])
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="validate runs (best CPU kept)")
    parser.add_argument("--faults", default="429=0.1,500=0.05,lost=0.02")
    parser.add_argument("--fault-pipelines", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=5, help="fault seeds (0: skip faults)")
    parser.add_argument("--profile", type=Path, help="folder for cProfile output of apply")
    parser.add_argument("--top", type=int, default=15, help="profile entries shown")
    args = parser.parse_args()
    _compile_package()
    from aepflow.cli import tune_gc

    tune_gc()  # as the command line does: the in-process plan and apply are measured as run
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    for n in args.pipelines:
        print(json.dumps(measure(n, args)), flush=True)
    if args.seeds:
        for row in faults(args.fault_pipelines, args.faults, args.seeds, args.parallelism):
            row = {"pipelines": args.fault_pipelines, "faults": args.faults, **row}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

"""Benchmark: validate, a fresh apply and a no-op plan of N generated pipelines, against the
emulator served in its own process on loopback, so aepflow's CPU is measured apart from the
emulator's.

    python benchmarks/apply_bench.py --pipelines 10 100 1000 --latency-ms 50 --parallelism 16
    python benchmarks/apply_bench.py --pipelines 100 --faults 429=0.1,500=0.05,lost=0.02 --seeds 5

Each bound is computed from the work that must be done, never from the requests aepflow chose
to send. Apply: max(depth x L, R x L / P), with R the resources written and depth the longest
dependency chain among them. No-op plan: max(2 x L, pages x L / P) with pages the list pages
needed to see every managed object (100 per page, one list per kind) plus the token and the
tenant lookup. Reported per N: wall, bound, ratio, requests (per resource written for apply,
per managed resource for the plan), aepflow's CPU and the emulator's CPU. With --faults, a
fresh apply per seed must exit 0 in one run, leave no duplicate, and the next plan must have
no changes.

Not part of the test suite: it measures, it does not assert.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONNECTORS = [
    (
        "salesforce",
        "basic",
        {
            "username": "${env:SF_USER}",
            "password": "${env:SF_PASSWORD}",
            "securityToken": "${env:SF_TOKEN}",
            "environmentUrl": "https://acme.my.salesforce.com",
        },
    ),
    (
        "salesforce-service-cloud",
        "basic",
        {
            "username": "${env:SFSC_USER}",
            "password": "${env:SFSC_PASSWORD}",
            "securityToken": "${env:SFSC_TOKEN}",
            "environmentUrl": "https://acme.my.salesforce.com",
        },
    ),
    (
        "servicenow",
        "basic",
        {
            "endpoint": "https://acme.service-now.com",
            "username": "${env:SN_USER}",
            "password": "${env:SN_PASSWORD}",
        },
    ),
    (
        "dynamics",
        "basic",
        {
            "serviceUri": "https://acme.crm.dynamics.com",
            "username": "${env:DYN_USER}",
            "password": "${env:DYN_PASSWORD}",
        },
    ),
]
TABLES = {
    "salesforce": ("Contact", ["Id", "FirstName", "LastName", "Email", "LastModifiedDate"]),
    "salesforce-service-cloud": (
        "Contact",
        ["Id", "FirstName", "LastName", "Email", "LastModifiedDate"],
    ),
    "servicenow": ("sys_user", ["sys_id", "first_name", "last_name", "email", "sys_updated_on"]),
    "dynamics": ("contact", ["contactid", "firstname", "lastname", "emailaddress1", "modifiedon"]),
}
SCHEMAS = 10


def _yaml(doc: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(doc, sort_keys=False)


def generate(root: Path, pipelines: int) -> None:
    """A project with 4 connections, 10 shared schemas and N dataflows, one dataset each."""
    (root / "manifests").mkdir(parents=True)
    (root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: bench\n"
        "environments:\n  local: {type: embedded, sandbox: prod}\n"
        "  bench: {type: aep, sandbox: prod}  # the served emulator (AEPFLOW_PLATFORM_URL)\n"
    )
    docs: list[dict[str, Any]] = []
    for key, auth, params in CONNECTORS:
        docs.append(
            {
                "apiVersion": "aepflow.io/v1",
                "kind": "Connection",
                "metadata": {"name": key},
                "spec": {"connector": key, "auth": {"type": auth, "params": params}},
            }
        )
    for i in range(SCHEMAS):
        docs.append(
            {
                "apiVersion": "aepflow.io/v1",
                "kind": "Schema",
                "metadata": {"name": f"people-{i}"},
                "spec": {
                    "title": f"Bench people {i}",
                    "class": "profile",
                    "fieldGroups": ["profile-person-details", "profile-personal-details"],
                    "customFields": {"sourceId": {"type": "string"}},
                    "identities": [
                        {"field": "personalEmail.address", "namespace": "Email", "primary": True}
                    ],
                },
            }
        )
    (root / "manifests" / "shared.yaml").write_text("---\n".join(_yaml(d) for d in docs))
    for n in range(pipelines):
        key = CONNECTORS[n % len(CONNECTORS)][0]
        table, columns = TABLES[key]
        first, last, email, modified = columns[1], columns[2], columns[3], columns[4]
        flow = {
            "apiVersion": "aepflow.io/v1",
            "kind": "Dataflow",
            "metadata": {"name": f"pipeline-{n:04d}"},
            "spec": {
                "connection": key,
                "source": {"table": table, "columns": columns},
                "schema": f"people-{n % SCHEMAS}",
                "dataset": {"name": f"Bench pipeline {n:04d}", "protect": False},
                "mappings": [
                    {"source": columns[0], "destination": "_${tenant}.sourceId"},
                    {"source": first, "destination": "person.name.firstName"},
                    {"source": last, "destination": "person.name.lastName"},
                    {"expression": f"lower({email})", "destination": "personalEmail.address"},
                ],
                "deltaColumn": {"name": modified},
                "schedule": {"frequency": "hour", "interval": 1, "start": "2030-01-01T00:00:00Z"},
            },
        }
        (root / "manifests" / f"pipeline-{n:04d}.yaml").write_text(_yaml(flow))


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
    from aepflow.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORG_ID

    values = {
        "AEP_CLIENT_ID": DEFAULT_CLIENT_ID,
        "AEP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "AEP_ORG_ID": DEFAULT_ORG_ID,
        "AEP_SCOPES": "openid,AdobeID",
        "AEPFLOW_PLATFORM_URL": url,
        "AEPFLOW_IMS_URL": url,
    }
    for _, _, params in CONNECTORS:
        for value in params.values():
            if value.startswith("${env:"):
                values[value[6:-1]] = "bench-" + value[6:-1].lower()
    return values


def _timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def run_apply(root: Path, served: Served, parallelism: int) -> dict[str, Any]:
    from aepflow.graph import depth
    from aepflow.workspace import apply_plan, make_plan, open_workspace

    environ = _environ(served.url)
    emulator_cpu = served.cpu()

    def work() -> Any:
        ws = open_workspace(None, (), project_dir=root, parallelism=parallelism, environ=environ)
        try:
            plan = make_plan(ws)
            result = apply_plan(ws, plan)
            if not result.ok:
                raise SystemExit(f"apply failed: {result.errors}")
            return ws, plan
        finally:
            ws.close()

    (ws, plan), wall, cpu = _timed(work)
    written = len(plan.actionable)
    chain = depth({c.address: [d for d in c.depends_on] for c in plan.actionable})
    return {
        "resources": written,
        "depth": chain,
        "seconds": wall,
        "cpu_s": cpu,
        "emulator_cpu_s": served.cpu() - emulator_cpu,
        "requests": ws.client.request_count,
    }


def run_noop_plan(root: Path, served: Served, parallelism: int) -> dict[str, Any]:
    from aepflow.workspace import make_plan, open_workspace

    environ = _environ(served.url)
    emulator_cpu = served.cpu()

    def work() -> Any:
        ws = open_workspace(None, (), project_dir=root, parallelism=parallelism, environ=environ)
        try:
            return ws, make_plan(ws)
        finally:
            ws.close()

    (ws, plan), wall, cpu = _timed(work)
    if plan.has_changes:
        raise SystemExit(f"no-op plan has changes: {plan.summary()}")
    per_kind: dict[str, int] = {}
    for c in plan.changes:
        per_kind[c.kind] = per_kind.get(c.kind, 0) + 1
    pages = 2 + sum(-(-n // 100) for n in per_kind.values())  # token + tenant, then the lists
    return {
        "managed": len(plan.changes),
        "kinds": len(per_kind),
        "pages": pages,
        "seconds": wall,
        "cpu_s": cpu,
        "emulator_cpu_s": served.cpu() - emulator_cpu,
        "requests": ws.client.request_count,
    }


def run_validate(root: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "aepflow", "validate"], cwd=root, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit("generated manifests are invalid:\n" + done.stdout + done.stderr)
    return time.perf_counter() - started


def measure(n: int, latency_ms: float, parallelism: int) -> dict[str, Any]:
    latency = latency_ms / 1000
    with tempfile.TemporaryDirectory(prefix="aepflow-bench-") as tmp:
        root = Path(tmp) / "project"
        generate(root, n)
        validate_s = run_validate(root)
        served = Served(Path(tmp) / "emulator", latency_ms)
        try:
            applied = run_apply(root, served, parallelism)
            noop = run_noop_plan(root, served, parallelism)
        finally:
            served.stop()
    apply_bound = _bound(applied["depth"], applied["resources"], latency, parallelism)
    noop_bound = _bound(2, noop["pages"], latency, parallelism)
    return {
        "pipelines": n,
        "resources": applied["resources"],
        "latency_ms": latency_ms,
        "parallelism": parallelism,
        "validate_s": round(validate_s, 3),
        "apply_s": round(applied["seconds"], 3),
        "apply_bound_s": round(apply_bound, 3),
        "apply_ratio": round(applied["seconds"] / apply_bound, 2),
        "apply_requests_per_resource": round(applied["requests"] / applied["resources"], 3),
        "apply_cpu_s": round(applied["cpu_s"], 2),
        "apply_cpu_ms_per_resource": round(1000 * applied["cpu_s"] / applied["resources"], 2),
        "apply_emulator_cpu_s": round(applied["emulator_cpu_s"], 2),
        "noop_plan_s": round(noop["seconds"], 3),
        "noop_plan_bound_s": round(noop_bound, 3),
        "noop_plan_ratio": round(noop["seconds"] / noop_bound, 2),
        "noop_plan_requests": noop["requests"],
        "noop_plan_requests_allowed": round(0.05 * noop["managed"] + noop["kinds"] + 2, 1),
        "noop_plan_cpu_s": round(noop["cpu_s"], 2),
    }


def faults(n: int, spec: str, seeds: int, parallelism: int) -> list[dict[str, Any]]:
    """A fresh apply per seed under faults: exit status, duplicates, then a no-op plan."""
    out = []
    for seed in range(seeds):
        with tempfile.TemporaryDirectory(prefix="aepflow-faults-") as tmp:
            root = Path(tmp) / "project"
            generate(root, n)
            served = Served(Path(tmp) / "emulator", 0, spec, seed)
            env = {**os.environ, **_environ(served.url)}
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "aepflow", "apply", "--auto-approve",
                     "--parallelism", str(parallelism)],
                    cwd=root, env=env, capture_output=True, text=True,
                )  # fmt: skip
                served.stop()
                calm = Served(Path(tmp) / "emulator", 0)
                env = {**os.environ, **_environ(calm.url)}
                plan = subprocess.run(
                    [sys.executable, "-m", "aepflow", "plan", "--detailed-exitcode"],
                    cwd=root, env=env, capture_output=True, text=True,
                )  # fmt: skip
                calm.stop()
            finally:
                with contextlib.suppress(Exception):
                    served.stop()
            out.append(
                {
                    "seed": seed,
                    "apply_exit": done.returncode,
                    "next_plan_exit": plan.returncode,
                    "next_plan": plan.stdout.strip().splitlines()[-1:],
                }
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipelines", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--faults", default="", help="e.g. 429=0.1,500=0.05,lost=0.02")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    if args.faults:
        for n in args.pipelines:
            for row in faults(n, args.faults, args.seeds, args.parallelism):
                print(json.dumps({"pipelines": n, "faults": args.faults, **row}), flush=True)
        return
    for n in args.pipelines:
        print(json.dumps(measure(n, args.latency_ms, args.parallelism)), flush=True)


if __name__ == "__main__":
    main()

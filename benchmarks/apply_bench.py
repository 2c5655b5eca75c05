"""Benchmark: validate, apply and a no-op plan of N generated pipelines on a fresh embedded emulator.

    python benchmarks/apply_bench.py --pipelines 100 --latency-ms 50 --parallelism 16 --json

Prints one JSON object with: pipelines, resources, latency_ms, parallelism, validate_s, apply_s,
apply_bound_s, apply_requests, noop_plan_s, noop_plan_bound_s, noop_plan_requests,
sequential_apply_s. A bound is max(depth x L, requests x L / P) for that phase: the time an
ideal client needs when every request costs L and P run at once, and a chain of ``depth``
requests must run one after another.

Not part of the test suite: it measures, it does not assert.
"""

from __future__ import annotations

import argparse
import json
import os
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
        "version: 1\nmanifests: manifests\ndefaultEnvironment: local\n"
        "environments:\n  local: {type: embedded, sandbox: prod}\n"
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


def _bound(depth: int, requests: int, latency_s: float, parallelism: int) -> float:
    return max(depth * latency_s, requests * latency_s / parallelism)


def run_apply(root: Path, parallelism: int) -> dict[str, Any]:
    from aepflow.engine.executor import step_graph
    from aepflow.graph import depth
    from aepflow.workspace import apply_plan, make_plan, open_workspace

    started = time.perf_counter()
    ws = open_workspace(None, (), project_dir=root, parallelism=parallelism)
    try:
        plan = make_plan(ws)
        result = apply_plan(ws, plan)
        elapsed = time.perf_counter() - started
        if not result.ok:
            raise SystemExit(f"apply failed: {result.errors}")
        read_deps = {a: [d for d in r.depends_on] for a, r in ws.desired.items()}
        chain = 2 + depth(read_deps) + depth(step_graph(plan))  # token + /stats first
        return {
            "seconds": elapsed,
            "requests": ws.client.request_count,
            "depth": chain,
            "resources": len(ws.desired),
        }
    finally:
        ws.close()


def run_noop_plan(root: Path, parallelism: int) -> dict[str, Any]:
    from aepflow.workspace import make_plan, open_workspace

    started = time.perf_counter()
    ws = open_workspace(None, (), project_dir=root, parallelism=parallelism)
    try:
        plan = make_plan(ws)
        elapsed = time.perf_counter() - started
        if plan.has_changes:
            raise SystemExit(f"no-op plan has changes: {plan.summary()}")
        return {"seconds": elapsed, "requests": ws.client.request_count, "depth": 3}
    finally:
        ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipelines", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args()
    os.environ["AEPFLOW_EMULATOR_LATENCY_MS"] = str(args.latency_ms)
    latency = args.latency_ms / 1000

    with tempfile.TemporaryDirectory(prefix="aepflow-bench-") as tmp:
        root = Path(tmp) / "project"
        generate(root, args.pipelines)
        os.chdir(root)

        from aepflow.manifest import validate
        from aepflow.project import load_project

        started = time.perf_counter()
        problems = validate(load_project(root))
        validate_s = time.perf_counter() - started
        if problems:
            raise SystemExit("generated manifests are invalid:\n" + "\n".join(map(str, problems)))

        applied = run_apply(root, args.parallelism)
        noop = run_noop_plan(root, args.parallelism)

        # The same apply, one request at a time, on a fresh emulator and lock.
        import shutil

        shutil.rmtree(root / ".aepflow")
        sequential = run_apply(root, 1)

    result = {
        "pipelines": args.pipelines,
        "resources": applied["resources"],
        "latency_ms": args.latency_ms,
        "parallelism": args.parallelism,
        "validate_s": round(validate_s, 3),
        "apply_s": round(applied["seconds"], 3),
        "apply_bound_s": round(
            _bound(applied["depth"], applied["requests"], latency, args.parallelism), 3
        ),
        "apply_requests": applied["requests"],
        "noop_plan_s": round(noop["seconds"], 3),
        "noop_plan_bound_s": round(
            _bound(noop["depth"], noop["requests"], latency, args.parallelism), 3
        ),
        "noop_plan_requests": noop["requests"],
        "sequential_apply_s": round(sequential["seconds"], 3),
    }
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()

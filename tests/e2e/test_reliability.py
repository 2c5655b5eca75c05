"""Issue 6: no duplicates after crashes or faults, and no secret in any output."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.e2e.conftest import Project

SECRETS = {
    "SF_USERNAME": "user-3b1f9c",
    "SF_PASSWORD": "pw-Zq8!secret-7e2a",
    "SF_TOKEN": "tok-91c4d0e6-secret",
}


def _no_duplicates(project: Project) -> None:
    client = project.client()
    names = Counter(f["name"] for f in client.flow_list("flows"))
    assert all(n == 1 for n in names.values()), names
    for collection in ("connections", "sourceConnections", "targetConnections"):
        markers = Counter(o.get("description") for o in client.flow_list(collection))
        assert all(n == 1 for n in markers.values()), (collection, markers)
    datasets = Counter(d["name"] for d in client.dataset_list())
    assert all(n == 1 for n in datasets.values()), datasets


def _cli(project: Project, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aepflow", *args],
        cwd=project.root,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigkill_at_random_points_then_apply_converges_without_duplicates(project: Project) -> None:
    rng = random.Random(20261123)
    slow = {"AEPFLOW_EMULATOR_LATENCY_MS": "40"}
    for _ in range(6):
        proc = _cli(project, "apply", "--auto-approve", env=slow)
        time.sleep(rng.uniform(0.3, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    proc = _cli(project, "apply", "--auto-approve")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    result = project.run("plan", "--detailed-exitcode")
    assert (result.exit_code, result.output) == (0, "No changes.\n")
    _no_duplicates(project)


@pytest.mark.parametrize("seed", range(5))
def test_one_apply_converges_under_faults_without_duplicates(project: Project, seed: int) -> None:
    """429s, 500s and responses lost after the write: one run finishes, nothing twice."""
    for n in range(3):  # four pipelines, sharing the connection, schema and dataset
        flow = (project.root / "manifests" / "flow.yaml").read_text()
        project.write(
            f"flow{n}.yaml",
            flow.replace("{name: contacts}", f"{{name: contacts-{n}}}").replace(
                "name: E2E contacts", f"name: E2E contacts {n}"
            ),
        )
    faults = {"AEPFLOW_EMULATOR_FAULTS": "429=0.1,500=0.05,lost=0.02"}
    proc = _cli(
        project, "apply", "--auto-approve", env={**faults, "AEPFLOW_EMULATOR_SEED": str(seed)}
    )
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "Apply complete: 21 step(s)." in out
    result = project.run("plan", "--detailed-exitcode")
    assert (result.exit_code, result.output) == (0, "No changes.\n")
    _no_duplicates(project)


def test_no_secret_appears_in_any_output(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    outputs = [
        project.run("plan").output,
        project.run("plan", "--format", "json").output,
        project.run("plan", "--format", "markdown").output,
        project.run("plan", "--out", "plan.json").output,
        project.run("apply", "--auto-approve").output,
    ]
    project.edit("crm.yaml", "username: ${env:SF_USERNAME}", "username: ${env:SF_USERNAME}x")
    monkeypatch.setenv("SF_PASSWORD", "pw-rotated-secret-55")
    outputs.append(project.run("plan").output)
    outputs.append(project.run("apply", "--auto-approve").output)
    outputs.append(project.run("emulator", "stats", "--json").output)
    files = [
        project.root / "plan.json",
        project.root / ".aepflow" / "locks" / "local.lock.json",
    ]
    texts = outputs + [f.read_text() for f in files]
    for text in texts:
        # A user name is not a secret by the connector's spec, but it is read from the
        # environment: sensitive like the rest, in every output.
        for secret in [*SECRETS.values(), "pw-rotated-secret-55", "aepflow-emulator-secret"]:
            assert secret not in text
    state_dir = project.root / ".aepflow" / "emulator"
    for path in state_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in ("pw-Zq8!secret-7e2a", "tok-91c4d0e6-secret", "pw-rotated-secret-55"):
                assert secret.encode() not in content, path
    assert "      ~ auth.params.password: (sensitive value changed)" in outputs[5]
    assert "      ~ auth.params.username: (sensitive value changed)" in outputs[5]
    assert "changed outside aepflow" not in outputs[5]  # a rotated secret is not drift
    assert json.loads(outputs[1])["format_version"] == "2.0"

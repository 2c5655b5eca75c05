"""One apply of 100 pipelines converges under 10% 429, 5% 500 and 2% lost responses, per seed.

Slow (a few minutes: every 429 pauses the client for the gateway's Retry-After), so it is
marked ``slow`` and left out of the default run: ``python -m pytest -m slow`` runs it. The
project comes from the benchmarks' independent generator.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aepflow.emulator.state import Store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = 100
FAULTS = "429=0.1,500=0.05,lost=0.02"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _aepflow(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aepflow", *args],
        cwd=root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _live(root: Path) -> dict[str, Any]:
    with Store(root / ".aepflow" / "emulator").read() as tx:
        found: dict[str, Any] = tx.doc["sandboxes"]["prod"]
        return found


@pytest.mark.parametrize("seed", range(5))
def test_one_apply_of_100_pipelines_converges_under_faults(tmp_path: Path, seed: int) -> None:
    generator = _generator()
    root = tmp_path / "project"
    generator.generate(root, PIPELINES)
    faults = {"AEPFLOW_EMULATOR_FAULTS": FAULTS, "AEPFLOW_EMULATOR_SEED": str(seed)}
    done = _aepflow(root, "apply", "--auto-approve", "--parallelism", "16", env=faults)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    resources = generator.expected_resources(PIPELINES)
    assert f"Apply complete: {resources} step(s)." in done.stdout
    plan = _aepflow(root, "plan", "--detailed-exitcode", env={})
    assert (plan.returncode, plan.stdout) == (0, "No changes.\n")
    live = _live(root)
    # One live object per resource: every marker (name or description) exactly once.
    for collection, key in [
        ("connections", "description"),
        ("sourceConnections", "description"),
        ("targetConnections", "description"),
        ("flows", "name"),
        ("dataSets", "name"),
        ("schemas", "title"),
        ("fieldgroups", "title"),
    ]:
        counts = Counter(obj.get(key) for obj in live[collection].values())
        assert [n for n, c in counts.items() if c > 1] == [], collection
    assert len(live["flows"]) == PIPELINES
    assert len(live["dataSets"]) == PIPELINES
    assert len(live["descriptors"]) == generator.SCHEMAS * generator.IDENTITIES
    used = {
        t["params"]["mappingId"]
        for flow in live["flows"].values()
        for t in flow["transformations"]
        if t["name"] == "Mapping"
    }
    assert len(used) == PIPELINES  # each flow its own mapping set

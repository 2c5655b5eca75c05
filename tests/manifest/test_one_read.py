"""validate reads the manifests once: the build behind its summary also answers which
${env:...} they read, and only for the very same inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from aepflow import manifest
from aepflow.manifest import required_env, summary
from aepflow.project import load_project
from tests.manifest.helpers import copy_example, count_parses


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy_example(tmp_path, monkeypatch)
    # These tests count parses: the parsed-manifest cache would answer the second one.
    monkeypatch.setenv("AEPFLOW_MANIFEST_CACHE", "off")
    return tmp_path


def test_required_env_after_a_summary_reads_no_file_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = required_env(load_project())
    parsed = count_parses(monkeypatch)
    p = load_project()
    problems, _, _, _ = summary(p, None, p.environment(None))
    assert problems == []
    files = len(parsed)
    assert files > 0
    assert required_env(p, p.environment(None)) == fresh
    assert len(parsed) == files
    # Used once: the next call reads the files again.
    assert required_env(p, p.environment(None)) == fresh
    assert len(parsed) == 2 * files


def test_a_changed_manifest_is_read_again(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = load_project()
    summary(p, None, p.environment(None))
    before = {name for name, _ in required_env(p, p.environment(None))}
    summary(p, None, p.environment(None))
    path = next(f for f in (project / "manifests").rglob("*.yaml") if "${env:" in f.read_text())
    text = path.read_text()
    name = next(n for n in before if "${env:" + n + "}" in text)
    path.write_text(text.replace("${env:" + name + "}", "${env:AEPFLOW_TEST_RENAMED}"))
    after = {n for n, _ in required_env(p, p.environment(None))}
    assert "AEPFLOW_TEST_RENAMED" in after
    assert after != before


def test_the_build_behind_a_plan_holds_no_environment_value_and_answers_required_env(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment's values are bound after the build (plan, apply): the build is the
    very one validate makes, so it answers required_env too, and no value is in it."""
    p = load_project()
    fresh = required_env(p, p.environment(None))
    parsed = count_parses(monkeypatch)
    values = {n: "value-from-the-environment" for n, _ in fresh}
    model = manifest.load_model(p, p.environment(None), secrets=True, environ=values)
    assert "value-from-the-environment" in {
        v for c in model.connections.values() for v in c.params.values()
    }
    assert manifest._last is not None
    assert "value-from-the-environment" not in repr(manifest._last[1])
    files = len(parsed)
    assert files > 0
    assert required_env(p, p.environment(None)) == fresh
    assert len(parsed) == files

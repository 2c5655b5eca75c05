"""`aepflow init` and `aepflow schemas`: a new project that applies, and a CI workflow whose
every aepflow command and flag exists."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from aepflow.cli import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_init_writes_a_project_that_applies_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("init", "new", "--install", "git+https://example.invalid/aepflow@0123abc")
    assert code == 0, out
    created = sorted(
        str(p.relative_to(tmp_path / "new")) for p in (tmp_path / "new").rglob("*") if p.is_file()
    )
    assert created == [
        ".github/workflows/aepflow.yml",
        ".gitignore",
        ".vscode/settings.json",
        "aepflow.yaml",
        "manifests/servicenow-users.yaml",
        "schemas/connection.schema.json",
        "schemas/dataflow.schema.json",
        "schemas/dataset.schema.json",
        "schemas/manifest.schema.json",
        "schemas/project.schema.json",
        "schemas/schema.schema.json",
    ]
    settings = json.loads((tmp_path / "new" / ".vscode" / "settings.json").read_text())
    assert settings["yaml.schemas"]["./schemas/manifest.schema.json"] == [
        "manifests/**/*.yaml",
        "manifests/**/*.yml",
    ]
    monkeypatch.chdir(tmp_path / "new")
    assert run("validate")[0] == 0
    code, out = run("apply", "--auto-approve")
    assert code == 0, out
    assert "Apply complete: 9 step(s)." in out
    before = (tmp_path / "new" / "aepflow.yaml").read_text()
    code, out = run("init", ".")
    assert (code, out) == (
        1,
        "Error: aepflow.yaml already exists: aepflow init never overwrites a file; move it "
        "away or run init in an empty folder\n",
    )
    assert (tmp_path / "new" / "aepflow.yaml").read_text() == before
    code, out = run("schemas", "exported")
    assert code == 0 and len(list((tmp_path / "new" / "exported").glob("*.json"))) == 6
    assert run("schemas", "exported")[0] == 1  # never overwritten either


def _options(command: click.Command) -> set[str]:
    return {o for p in command.params for o in getattr(p, "opts", [])}


def test_the_ci_workflow_uses_only_commands_and_flags_that_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("init", "p", "--install", "git+https://example.invalid/aepflow@0123abc")[0] == 0
    workflow = yaml.safe_load(
        (tmp_path / "p" / ".github" / "workflows" / "aepflow.yml").read_text()
    )
    assert workflow["env"]["AEPFLOW_INSTALL"] == "git+https://example.invalid/aepflow@0123abc"
    # Every variable the manifests read is passed to the jobs.
    monkeypatch.chdir(tmp_path / "p")
    needed = run("doctor", "-e", "prod", "--env-list")[1].split()
    assert set(needed) <= set(workflow["env"])
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    assert plan["concurrency"]["cancel-in-progress"] is True
    assert apply["concurrency"] == {"group": "aepflow-apply-prod", "cancel-in-progress": False}
    assert plan["concurrency"]["group"] != apply["concurrency"]["group"]
    lines = [
        line.strip()
        for job in workflow["jobs"].values()
        for step in job["steps"]
        for line in str(step.get("run", "")).splitlines()
        if line.strip().startswith("aepflow ")
    ]
    assert len(lines) == 3
    for line in lines:
        words = shlex.split(line.split(">")[0])[1:]
        command = cli.commands[words[0]]
        flags = [w.split("=")[0] for w in words[1:] if w.startswith("-")]
        assert set(flags) <= _options(command), (line, _options(command))
    script = apply["steps"][-1]["run"]
    assert "git pull --rebase" in script and "git push" in script  # lock commit: rebase, retry


def test_machine_readable_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("init", "p", "--install", "git+https://example.invalid/aepflow@0123abc")[0] == 0
    monkeypatch.chdir(tmp_path / "p")
    code, out = run("validate", "--json")
    assert code == 0
    assert json.loads(out) == {"valid": True, "documents": 2, "diagnostics": []}
    refused = CliRunner().invoke(cli, ["apply", "--json"])
    message = "--json needs --auto-approve (or a saved plan): there is no one to ask"
    assert refused.exit_code == 1
    assert refused.stderr == f"Error: {message}\n"
    assert json.loads(refused.stdout) == {
        "event": "error",
        "error": {"code": "usage", "message": message},
    }
    code, out = run("apply", "--auto-approve", "--json")
    assert code == 0, out
    events = [json.loads(line) for line in out.splitlines()]
    assert events[0]["event"] == "plan"
    assert events[0]["plan"]["summary"]["text"] == "Plan: 9 to add, 0 to change, 0 to destroy."
    assert events[1] == {"event": "begin", "steps": 9}
    assert {e["event"] for e in events[2:-1]} == {"start", "done"}
    assert sum(e["event"] == "done" for e in events) == 9
    assert events[-1] == {
        "event": "end",
        "ok": True,
        "done": sorted(c["address"] for c in events[0]["plan"]["resource_changes"]),
        "errors": {},
        "not_started": [],
        "lock_file": ".aepflow/locks/local.lock.json",
    }
    (tmp_path / "p" / "manifests" / "bad.yaml").write_text(
        "apiVersion: aepflow.io/v1\nkind: Nope\n"
    )
    code, out = run("validate", "--json")
    assert code == 1
    assert json.loads(out)["diagnostics"] == [
        {
            "file": "manifests/bad.yaml",
            "line": 2,
            "column": 7,
            "severity": "error",
            "code": "invalid-manifest",
            "message": "unknown kind 'Nope': use one of Connection, Schema, Dataset, Dataflow",
        }
    ]


def test_the_text_plan_is_coloured_only_on_request_of_a_terminal() -> None:
    from aepflow.engine.plan import Plan, ResourceChange
    from aepflow.render.plan_text import render_text

    plan = Plan(
        "local", "prod", (ResourceChange("flow.f", "flow", "create", after={"n": 1}),), "", "", ""
    )
    assert "\033[" not in render_text(plan)
    coloured = render_text(plan, color=True)
    assert "\033[32m  + flow.f\033[0m" in coloured


def test_init_without_the_example_starts_with_an_empty_manifests_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("init", "a", "--no-example", "--install", "git+https://example.invalid/x@1")[0] == 0
    assert sorted(p.name for p in (tmp_path / "a" / "manifests").iterdir()) == [".gitkeep"]
    workflow = yaml.safe_load(
        (tmp_path / "a" / ".github" / "workflows" / "aepflow.yml").read_text()
    )
    assert "SERVICENOW_PASSWORD" not in workflow["env"]

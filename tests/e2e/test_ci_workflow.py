"""The generated CI workflow: the plan (or its error) on every pull-request run, the reviewed
plan saved and applied on merge, and its variables kept in sync with the manifests. Its
shell steps are run here as GitHub would run them, against the embedded emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from aepflow.cli import cli
from aepflow.scaffold import workflow
from aepflow.workflow import WORKFLOW, sync_variables


def _jobs(environment: str = "prod") -> dict[str, Any]:
    data = yaml.safe_load(workflow(environment, ["SF_TOKEN"], "git+https://example.invalid/x@1"))
    assert data[True] == {"pull_request": None, "push": {"branches": ["main"]}}  # `on:`
    assert data["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "actions": "read",
    }
    assert data["env"]["SF_TOKEN"] == "${{ secrets.SF_TOKEN }}"
    return dict(data["jobs"])


def _step(job: dict[str, Any], needle: str) -> dict[str, Any]:
    found = [s for s in job["steps"] if needle in str(s.get("run", "")) + str(s.get("uses", ""))]
    assert len(found) == 1, needle
    return dict(found[0])


def test_the_plan_job_saves_the_plan_and_comments_the_plan_or_its_error_on_every_run() -> None:
    plan = _jobs()["plan"]
    assert plan["if"] == "github.event_name == 'pull_request'"
    script = _step(plan, "aepflow plan")["run"]
    assert (
        "aepflow plan -e prod --format markdown --detailed-exitcode --out aepflow.plan "
        "> plan.md 2> plan.err" in script
    )
    assert "aepflow validate > validate.txt 2>&1" in script
    comment = _step(plan, "sticky-pull-request-comment")
    assert comment["if"] == "always()"
    assert comment["with"] == {"header": "aepflow-prod", "path": "comment.md"}
    upload = _step(plan, "upload-artifact")
    assert upload["if"] == "steps.plan.outputs.code == '0' || steps.plan.outputs.code == '2'"
    assert upload["with"] == {
        "name": "aepflow-plan-prod",
        "path": "aepflow.plan",
        "if-no-files-found": "error",
    }
    assert plan["steps"][-1] == {"if": "steps.plan.outputs.code == '1'", "run": "exit 1"}
    # A placeholder comment exists before anything can fail (pip install, say).
    names = [s.get("uses", s.get("run", "")).split()[0] for s in plan["steps"]]
    assert names.index("echo") < names.index("pip")


def test_the_apply_job_applies_the_reviewed_plan_and_comments_a_refusal() -> None:
    apply = _jobs()["apply"]
    assert apply["if"] == "github.event_name == 'push'"
    assert apply["concurrency"] == {"group": "aepflow-apply-prod", "cancel-in-progress": False}
    find = _step(apply, "gh run download")
    assert find["id"] == "reviewed"
    assert "--name aepflow-plan-prod --dir reviewed" in find["run"]
    assert '--event pull_request --commit "$head" --status success' in find["run"]
    run = _step(apply, "aepflow apply")
    assert (
        "aepflow apply reviewed/aepflow.plan -e prod --replan-if-stale --auto-approve "
        "--lock-timeout 600 2>&1 | tee apply.log" in run["run"]
    )
    assert run["run"].startswith("set -o pipefail\n")  # tee does not hide a refusal
    comment = _step(apply, "gh pr comment")
    assert comment["if"] == "failure() && steps.reviewed.outputs.pr != ''"
    assert comment["env"] == {"PR": "${{ steps.reviewed.outputs.pr }}"}
    assert apply["steps"][-1]["if"] == "always()" and "git add locks/" in apply["steps"][-1]["run"]


def _bash(script: str, cwd: Path, github: Path) -> int:
    """A `run:` step as GitHub runs it (bash -e), with aepflow from this environment and no
    AEP credentials."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AEP_")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(github / "output"),
        "GITHUB_STEP_SUMMARY": str(github / "summary"),
    }
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, check=False).returncode


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_steps_post_the_plan_or_its_error_and_apply_the_saved_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "p", "--install", "git+https://example.invalid/x@1"])
    assert result.exit_code == 0, result.output
    root, github = tmp_path / "p", tmp_path / "github"
    github.mkdir()
    jobs = _jobs("local")
    plan_script = _step(jobs["plan"], "aepflow plan")["run"]
    assert _bash(plan_script, root, github) == 0
    assert (github / "output").read_text() == "code=2\n"
    comment = (root / "comment.md").read_text()
    assert comment.startswith("**Plan: 9 to add, 0 to change, 0 to destroy.**")
    assert (github / "summary").read_text() == comment
    assert (root / "aepflow.plan").exists()

    # Merged: the apply step applies that very file.
    (root / "reviewed").mkdir()
    shutil.copy(root / "aepflow.plan", root / "reviewed" / "aepflow.plan")
    assert _bash(_step(jobs["apply"], "aepflow apply")["run"], root, github) == 0
    assert "Apply complete: 9 step(s)." in (root / "apply.log").read_text()

    # A broken manifest: the comment is the error, so no stale plan stays on the PR.
    manifest = root / "manifests" / "servicenow-users.yaml"
    good = manifest.read_text()
    manifest.write_text("kind: [\n")
    (github / "output").unlink()
    assert _bash(plan_script, root, github) == 0  # the step records; a later step fails
    assert (github / "output").read_text() == "code=1\n"
    error = (root / "comment.md").read_text()
    assert error.startswith("**aepflow could not plan** environment `local`:\n\n```\n")
    assert "manifests/servicenow-users.yaml:" in error and error.endswith("```\n")
    # A plan that fails on the platform side (a real sandbox without credentials).
    manifest.write_text(good)
    prod_script = _step(_jobs("prod")["plan"], "aepflow plan")["run"]
    assert _bash(prod_script, root, github) == 0
    assert (github / "output").read_text().endswith("code=1\n")
    assert "\nError: " in (root / "comment.md").read_text()


def test_validate_warns_when_the_workflow_misses_a_variable_and_sync_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    init = runner.invoke(cli, ["init", "p", "--no-example", "--install", "git+x://y@1"])
    assert init.exit_code == 0, init.output
    root = tmp_path / "p"
    monkeypatch.chdir(root)
    (root / "manifests" / "crm.yaml").write_text(
        "apiVersion: aepflow.io/v1\nkind: Connection\nmetadata: {name: crm}\nspec:\n"
        "  connector: salesforce\n  auth:\n    type: basic\n    params:\n"
        "      environmentUrl: https://acme.my.salesforce.com\n"
        "      username: ${env:SF_USERNAME}\n      password: ${env:SF_PASSWORD}\n"
        "      securityToken: ${env:SF_TOKEN}\n"
    )
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 0  # a warning, not an error
    line = next(
        i + 1
        for i, text in enumerate((root / WORKFLOW).read_text().splitlines())
        if "aepflow: variables begin" in text
    )
    assert result.output.splitlines()[0] == (
        f".github/workflows/aepflow.yml:{line}:3: warning: the CI workflow does not pass "
        "SF_PASSWORD, SF_TOKEN, SF_USERNAME to its jobs, which the manifests read (first at "
        "manifests/crm.yaml:11:17), so its plan would fail: add each as "
        "`NAME: ${{ secrets.NAME }}` between its `# aepflow: variables` lines and set the "
        "repository secret"
    )
    as_json = runner.invoke(cli, ["validate", "--json"])
    assert as_json.exit_code == 0
    assert [(d["file"], d["code"]) for d in json.loads(as_json.output)["diagnostics"]] == [
        ("manifests/crm.yaml", "deprecated-auth"),
        (".github/workflows/aepflow.yml", "workflow-missing-variable"),
    ]
    names = runner.invoke(cli, ["doctor", "--env-list"]).output.split()
    assert sync_variables(root, names) is True
    clean = runner.invoke(cli, ["validate"])
    assert clean.exit_code == 0
    assert "CI workflow" not in clean.output and "OK: 1 manifest document(s)" in clean.output

"""After ``init --no-example`` and ``import --all`` the CI workflow passes every variable the
imported manifests read, so the first pull request's plan does not fail for a missing secret;
a second import that finds nothing new leaves the workflow as it was."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from aepflow.cli import cli
from aepflow.emulator import EMBEDDED_BASE_URL, Emulator
from aepflow.workflow import BEGIN, END
from tests.e2e.handmade import Http, build_by_hand


def _block(workflow: str) -> list[str]:
    lines = [line.strip() for line in workflow.splitlines()]
    return lines[lines.index(BEGIN) + 1 : lines.index(END)]


def test_import_all_brings_the_workflow_variables_along(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "p", "--no-example", "--install", "x"]).exit_code == 0
    root = tmp_path / "p"
    monkeypatch.chdir(root)
    workflow = root / ".github" / "workflows" / "aepflow.yml"
    assert _block(workflow.read_text()) == ["# (none yet)"]
    with httpx.Client(
        base_url=EMBEDDED_BASE_URL,
        transport=Emulator(root / ".aepflow" / "emulator").transport(),
    ) as c:
        build_by_hand(Http(c))

    result = runner.invoke(cli, ["import", "--all"])

    assert result.exit_code == 0, result.output
    names = [line.split(":")[0] for line in _block(workflow.read_text())]
    assert names, workflow.read_text()
    assert all(f"{n}: ${{{{ secrets.{n} }}}}" in workflow.read_text() for n in names)
    listed = runner.invoke(cli, ["doctor", "--env-list"]).output.split()
    assert sorted(names) == sorted(n for n in listed if not n.startswith("AEP_"))
    assert (
        ".github/workflows/aepflow.yml now passes the variables the manifests read" in result.output
    )
    validate = runner.invoke(cli, ["validate"])
    assert (validate.exit_code, "workflow" in validate.output) == (0, False), validate.output

    before = workflow.read_bytes()
    again = runner.invoke(cli, ["import", "--all"])
    assert again.exit_code == 0, again.output
    assert "Nothing new to import" in again.output
    assert workflow.read_bytes() == before


def test_doctor_is_green_on_a_project_with_no_manifest_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's adopt path runs doctor right after `init --no-example`, before import."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "p", "--no-example", "--install", "x"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "p")

    doctor = runner.invoke(cli, ["doctor", "-e", "local"])
    listed = runner.invoke(cli, ["doctor", "-e", "local", "--env-list"])

    assert doctor.exit_code == 0, doctor.output
    assert doctor.output.splitlines()[1] == (
        "  ok    manifests: none yet (write one, or `aepflow import --all`), no variables"
    )
    assert (listed.exit_code, listed.output) == (0, "")

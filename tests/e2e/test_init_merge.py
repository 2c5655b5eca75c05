"""init in an existing repository: all or nothing, aepflow's lines merged into .gitignore and
editor settings (once), a quoted cd; schemas --force refreshes aepflow's own files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aepflow.cli import cli


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): (p.read_text() if p.is_file() else "<dir>")
        for p in sorted(folder.rglob("*"))
    }


def test_init_merges_into_an_existing_gitignore_and_editor_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    repo = tmp_path / "repo"
    (repo / ".vscode").mkdir(parents=True)
    (repo / ".gitignore").write_text("node_modules/\n*.pyc")  # no final newline
    (repo / ".vscode" / "settings.json").write_text(
        json.dumps({"editor.tabSize": 2, "yaml.schemas": {"other.json": ["x/*.yaml"]}})
    )
    result = run("init", "repo", "--install", "x")
    assert result.exit_code == 0, result.output
    assert f"  merged aepflow's entries into {Path('repo/.gitignore')}" in result.stdout
    assert f"  merged aepflow's entries into {Path('repo/.vscode/settings.json')}" in (
        result.stdout
    )
    assert (repo / ".gitignore").read_text() == (
        "node_modules/\n*.pyc\n\n"
        "# aepflow: the embedded emulator's state and its locks stay local; locks/ is committed.\n"
        ".aepflow/\n"
    )
    settings = json.loads((repo / ".vscode" / "settings.json").read_text())
    assert settings == {
        "editor.tabSize": 2,
        "yaml.schemas": {
            "other.json": ["x/*.yaml"],
            "./schemas/manifest.schema.json": ["manifests/**/*.yaml", "manifests/**/*.yml"],
            "./schemas/project.schema.json": ["aepflow.yaml"],
        },
    }
    # Merging is idempotent: a repository that has aepflow's lines already is left as it is.
    again = tmp_path / "again"
    again.mkdir()
    (again / ".gitignore").write_text((repo / ".gitignore").read_text())
    (again / ".vscode").mkdir()
    (again / ".vscode" / "settings.json").write_text(
        (repo / ".vscode" / "settings.json").read_text()
    )
    before = _tree(again)
    second = run("init", "again", "--install", "x")
    assert second.exit_code == 0, second.output
    assert f"  {Path('again/.gitignore')} is up to date" in second.stdout
    assert f"  {Path('again/.vscode/settings.json')} is up to date" in second.stdout
    assert {k: v for k, v in _tree(again).items() if k in before} == before


def test_editor_settings_that_are_not_plain_json_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r" / ".vscode").mkdir(parents=True)
    (tmp_path / "r" / ".vscode" / "settings.json").write_text('{\n  // mine\n  "a": 1\n}\n')
    before = _tree(tmp_path / "r")
    result = run("init", "r", "--install", "x")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {Path('r/.vscode/settings.json')}:2:3: not plain JSON")
    assert _tree(tmp_path / "r") == before


@pytest.mark.parametrize(
    "obstacle",
    ["manifests/servicenow-users.yaml", "schemas/project.schema.json", ".github/workflows"],
)
def test_init_writes_nothing_when_one_target_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, obstacle: str
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "p"
    if obstacle == ".github/workflows":  # a file where a folder belongs
        (folder / ".github").mkdir(parents=True)
        (folder / ".github" / "workflows").write_text("")
    else:  # a folder where a file belongs
        (folder / obstacle).mkdir(parents=True)
    (folder / ".gitignore").write_text("keep\n")
    before = _tree(folder)
    result = run("init", "p", "--install", "x")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and "nothing was written" in result.stderr
    assert _tree(folder) == before
    # Moved away, the next init works.
    obstacle_path = folder / obstacle
    if obstacle_path.is_dir():
        obstacle_path.rmdir()
    else:
        obstacle_path.unlink()
    assert run("init", "p", "--install", "x").exit_code == 0


@pytest.mark.parametrize("fail_at", [1, 6, 11])
def test_a_write_that_fails_midway_rolls_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / ".gitignore").write_text("keep\n")
    before = _tree(folder)
    real_replace = os.replace
    calls = {"n": 0}

    def replace(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    result = run("init", "p", "--install", "x")
    assert result.exit_code == 1
    assert result.stderr.endswith("No space left on device; nothing was written\n")
    assert _tree(folder) == before


def test_the_printed_cd_is_quoted_for_a_path_with_spaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("init", "my project", "--install", "x")
    assert result.exit_code == 0
    assert "Next: cd 'my project' && aepflow apply --auto-approve" in result.stdout


def test_schemas_force_refreshes_only_aepflows_own_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("schemas", "s").exit_code == 0
    stale = tmp_path / "s" / "dataflow.schema.json"
    current = stale.read_text()
    stale.write_text("{}")
    (tmp_path / "s" / "mine.schema.json").write_text('{"mine": true}')
    refused = run("schemas", "s")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: {Path('s/connection.schema.json')} already exists: aepflow schemas never "
        "overwrites a file; run `aepflow schemas --force` to refresh aepflow's own schema "
        "files (after an upgrade), or choose another folder\n"
    )
    assert "init" not in refused.stderr
    forced = run("schemas", "s", "--force")
    assert forced.exit_code == 0, forced.output
    assert f"  updated {Path('s/dataflow.schema.json')}" in forced.stdout
    assert f"  {Path('s/connection.schema.json')} is up to date" in forced.stdout
    assert stale.read_text() == current
    assert (tmp_path / "s" / "mine.schema.json").read_text() == '{"mine": true}'

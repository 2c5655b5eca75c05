"""The README's promises that CI and packaging depend on: its test command is the one CI runs,
and the LICENSE file is the license pyproject declares."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", text, re.S)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    test_command = _commands(readme)[1]
    assert test_command.startswith("python3 -m venv .venv && . .venv/bin/activate && ")
    run = test_command.removeprefix("python3 -m venv .venv && . .venv/bin/activate && ")
    assert "--upgrade" in run  # the newest allowed releases, as a user gets them
    assert run in (ROOT / ".ci" / "run").read_text().splitlines()


def test_every_dependency_declares_a_tested_range() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    runtime = re.search(r"^dependencies = \[(.*?)\]", pyproject, re.S | re.M)
    test = re.search(r"^test = \[(.*?)\]", pyproject, re.M)
    assert runtime and test
    declared = re.findall(r'"([^"]+)"', runtime.group(1) + test.group(1))
    assert len(declared) == 8
    for requirement in declared:
        assert re.fullmatch(r"[a-zA-Z0-9_.-]+>=[0-9.]+,<[0-9.]+", requirement), requirement


def test_license_file_matches_pyproject() -> None:
    assert 'license = { text = "Apache-2.0" }' in (ROOT / "pyproject.toml").read_text()
    assert (
        "Apache License\n                           Version 2.0" in (ROOT / "LICENSE").read_text()
    )


# Options the README describes once, above the table, rather than in each row.
_SHARED = {"--env", "--log-http", "--no-color", "--lock-timeout", "--parallelism", "--state"}


def test_the_command_table_lists_every_command_and_flag() -> None:
    import click

    from aepflow.cli import cli

    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `aepflow ")]
    ctx = click.Context(cli)
    missing: list[str] = []

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])
            return
        mine = [r for r in rows if f"`aepflow {' '.join(path)}" in r] or [
            r for r in rows if f"`aepflow {path[0]} " in r and path[-1] in r
        ]
        if not mine:
            missing.append(" ".join(path))
            return
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                flag = max(param.opts, key=len)
                if flag not in _SHARED and not any(flag in r for r in mine):
                    missing.append(f"{' '.join(path)} {flag}")

    walk(cli, [])
    assert missing == []

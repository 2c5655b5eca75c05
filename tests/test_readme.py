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

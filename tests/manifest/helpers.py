"""What the manifest tests share: a copy of the example project, validate through the command
line, and a count of the files the YAML loader parses."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aepflow import manifest
from aepflow.cli import cli

REPO = Path(__file__).resolve().parents[2]


def copy_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository's example manifests and aepflow.yaml in ``tmp_path``, the current folder."""
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    shutil.copy(REPO / "aepflow.yaml", tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate(*args: str) -> tuple[int, str]:
    """``aepflow validate ARGS``: exit code and output."""
    result = CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)
    return result.exit_code, result.output


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the YAML loader parses from now on (a cache hit parses nothing)."""
    seen: list[str] = []
    real = manifest.load_bytes

    def counting(raw: bytes, display: str) -> Any:
        seen.append(display)
        return real(raw, display)

    monkeypatch.setattr(manifest, "load_bytes", counting)
    return seen

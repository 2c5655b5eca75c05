"""Which files hold the manifests: every ``*.yaml`` / ``*.yml`` under the given paths."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aepflow.errors import Diagnostic, SourceLocation


def manifest_files(paths: Sequence[Path]) -> tuple[list[Path], list[Diagnostic]]:
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        where = SourceLocation(display(path), 1, 1)
        if not path.exists():
            problems.append(Diagnostic(where, "no such file or directory"))
        elif path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
            )
            if not found:
                problems.append(Diagnostic(where, "no manifests here (*.yaml or *.yml files)"))
            files.extend(found)
        else:
            files.append(path)
    return files, problems


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

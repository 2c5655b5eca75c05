"""Which files hold the manifests: every ``*.yaml`` / ``*.yml`` under the given paths."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from aepflow.errors import Diagnostic, SourceLocation


def manifest_files(paths: Sequence[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """The manifest files under ``paths``, and a problem for each that cannot be read.

    A manifest that cannot be read (a dangling link, a pipe or device, a folder named
    ``*.yaml``) is an error, never skipped: a skipped file would look like removed pipelines.
    """
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        where = SourceLocation(display(path), 1, 1)
        if path.is_symlink() and not path.exists():
            problems.append(Diagnostic(where, _dangling(path)))
        elif not path.exists():
            problems.append(Diagnostic(where, "no such file or directory"))
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
            if not found:
                problems.append(Diagnostic(where, "no manifests here (*.yaml or *.yml files)"))
            for p in found:
                problem = _unreadable(p)
                if problem is None:
                    files.append(p)
                else:
                    problems.append(Diagnostic(SourceLocation(display(p), 1, 1), problem))
        else:
            problem = _unreadable(path)
            if problem is None:
                files.append(path)
            else:
                problems.append(Diagnostic(where, problem))
    return files, problems


def _dangling(path: Path) -> str:
    return (
        f"a symbolic link to {path.readlink()}, which does not exist: fix or remove the link "
        "(a manifest that cannot be read is never skipped)"
    )


def _unreadable(path: Path) -> str | None:
    if path.is_symlink() and not path.exists():
        return _dangling(path)
    if path.is_dir():
        return "a folder named like a manifest: rename it (manifests are *.yaml or *.yml files)"
    if not path.is_file():
        return "not a regular file (a pipe or device?): manifests must be plain files"
    return None


def display(path: Path) -> str:
    """The path as a user would write it: relative to the current folder when inside it
    (symbolic links are not followed, so a link is shown by its own name)."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(_here()))
    except ValueError:
        return str(path)


_resolved: tuple[str, Path] | None = None


def _here() -> Path:
    """The current folder, resolved: once per folder, not once per file shown."""
    global _resolved
    cwd = os.getcwd()
    if _resolved is None or _resolved[0] != cwd:
        _resolved = (cwd, Path(cwd).resolve())
    return _resolved[1]

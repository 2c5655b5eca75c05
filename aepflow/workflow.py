"""The CI workflow's list of environment variables, kept in sync with the manifests.

``aepflow init`` writes the workflow with every ``${env:...}`` the manifests read between two
marked lines; ``sync_variables`` rewrites only those lines (after ``import``, say), leaving
every other byte of the file as it was, and ``missing_variables`` is what ``validate`` warns
about: a variable the manifests need that the workflow does not pass to its jobs, so the
first pull request's plan would fail.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from aepflow.errors import UsageError

WORKFLOW = Path(".github") / "workflows" / "aepflow.yml"
BEGIN = "# aepflow: variables begin"
END = "# aepflow: variables end"
NONE_YET = "# (none yet)"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def variable_lines(names: Iterable[str], indent: str = "  ", newline: str = "\n") -> str:
    """The marked block: each variable passed from the repository's secret of that name."""
    unique = sorted({n for n in names if _NAME.match(n)})
    body = [f"{indent}{n}: ${{{{ secrets.{n} }}}}" for n in unique] or [f"{indent}{NONE_YET}"]
    return newline.join([f"{indent}{BEGIN}", *body, f"{indent}{END}"]) + newline


def _markers(text: str) -> tuple[int, int, str, str] | None:
    """(start of the begin line, end of the end line, indent, newline) or None."""
    begin = re.search(rf"^([ \t]*){re.escape(BEGIN)}[^\r\n]*(\r?\n)", text, re.MULTILINE)
    if begin is None:
        return None
    end = re.compile(rf"^[ \t]*{re.escape(END)}[^\r\n]*(\r?\n|$)", re.MULTILINE).search(
        text, begin.end()
    )
    if end is None:
        return None
    return begin.start(), end.end(), begin[1], begin[2]


def sync_variables(root: Path, names: Iterable[str]) -> bool:
    """Rewrite the workflow's marked variable lines to ``names``; True when the file changed.

    A project without the workflow, or whose workflow lost its markers, is left alone (False):
    the user took it over. Idempotent; nothing outside the markers changes.
    """
    path = root / WORKFLOW
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {WORKFLOW}: {getattr(e, 'strerror', None) or e}") from None
    found = _markers(text)
    if found is None:
        return False
    start, stop, indent, newline = found
    new = text[:start] + variable_lines(names, indent, newline) + text[stop:]
    if new == text:
        return False
    _write(path, new)
    return True


def _write(path: Path, text: str) -> None:
    """Replace the file at once: a crash leaves the old workflow or the new, never half."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".aepflow-", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except OSError as e:
        raise UsageError(f"cannot write {WORKFLOW}: {e.strerror}") from None


def passed_variables(text: str) -> set[str] | None:
    """Every variable the workflow sets for its jobs (workflow, job and step ``env``); None
    when it is not a readable workflow."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    found: set[str] = set()

    def add(env: Any) -> None:
        if isinstance(env, dict):
            found.update(str(k) for k in env)

    add(data.get("env"))
    jobs = data.get("jobs")
    for job in jobs.values() if isinstance(jobs, dict) else ():
        if isinstance(job, dict):
            add(job.get("env"))
            for step in job.get("steps") or ():
                if isinstance(step, dict):
                    add(step.get("env"))
    return found


def missing_variables(root: Path, names: Iterable[str]) -> tuple[list[str], int, int]:
    """The variables of ``names`` the workflow does not pass, and the line and column to
    point at (its begin marker, else 1:1); nothing when there is no readable workflow."""
    try:
        text = (root / WORKFLOW).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [], 1, 1
    passed = passed_variables(text)
    if passed is None:
        return [], 1, 1
    found = _markers(text)
    if found is None:
        return sorted(set(names) - passed), 1, 1
    line = text.count("\n", 0, found[0]) + 1
    return sorted(set(names) - passed), line, len(found[2]) + 1

"""Calculated fields checked offline: each ``expression:`` mapping parsed by the one Data Prep
evaluator (:mod:`aepflow.dataprep`), so ``lowr(email)`` fails validate instead of the flow's
first run.

Checked: syntax (quotes, parentheses), function names (with a did-you-mean), arity, and field
references against the declared source columns (when the source declares any). Each problem is
reported at its own column when the expression is written on one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aepflow import dataprep
from aepflow.errors import SourceLocation
from aepflow.model import DataflowDef

Report = Callable[[SourceLocation, str], None]


def _start(at: SourceLocation, expression: str) -> SourceLocation | None:
    """Where the expression's first character is, when the whole value is on the line at
    ``at`` (plain, or in quotes without escapes); None when it cannot be told."""
    try:  # read only when an expression has a problem: the file was just loaded
        lines = Path(at.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if at.line > len(lines):
        return None
    line = lines[at.line - 1]
    rest = line[at.col - 1 :]
    if rest.startswith(expression):
        return at
    if rest[:1] in ("'", '"') and rest[1:].startswith(expression):
        return SourceLocation(at.file, at.line, at.col + 1)
    return None


def check_expressions(flow: DataflowDef, report: Report) -> None:
    columns = {c.name for c in flow.columns} or None
    for i, mapping in enumerate(flow.mappings):
        if mapping.kind != "expression":
            continue
        problems = dataprep.check(mapping.source, columns)
        if not problems:
            continue
        at = flow.at(f"mappings.{i}.expression")
        start = _start(at, mapping.source)
        for problem in problems:
            if start is None:
                report(at, f"in the expression {mapping.source!r}, {problem.message}")
            else:
                where = SourceLocation(start.file, start.line, start.col + problem.offset)
                report(where, problem.message)

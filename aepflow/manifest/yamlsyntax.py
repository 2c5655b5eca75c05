"""A YAML syntax error in aepflow's words, at the line a user must change."""

from __future__ import annotations

from typing import Any

import yaml

from aepflow.errors import Diagnostic, SourceLocation

ANCHORS = (
    "YAML anchors and aliases (&name, *name) are not allowed in manifests: write the value out"
)


def loc(file: str, mark: Any) -> SourceLocation:
    """A parser's 0-based mark as a 1-based position."""
    return SourceLocation(file, mark.line + 1, mark.column + 1)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _previous(lines: list[str], index: int) -> int | None:
    """The index of the last line before ``index`` that holds YAML (not blank, not a comment)."""
    for i in range(index - 1, -1, -1):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i
    return None


def _unclosed(lines: list[str], line: int, col: int) -> tuple[int, int, str] | None:
    """The innermost '[' or '{' still open at (line, col), outside quotes and comments."""
    stack: list[tuple[int, int, str]] = []
    for row, text in enumerate(lines[:line], 1):
        quote = ""
        end = col - 1 if row == line else len(text)
        for i, char in enumerate(text[:end]):
            if quote:
                if char == quote:
                    quote = ""
            elif char in "\"'" and (i == 0 or text[i - 1] in " [{,:"):
                quote = char
            elif char == "#" and (i == 0 or text[i - 1] == " "):
                break
            elif char in "[{":
                stack.append((row, i + 1, char))
            elif char in "]}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def syntax_error(text: str, display: str, e: yaml.MarkedYAMLError) -> Diagnostic:
    """A YAML syntax error in aepflow's words, at the line a user must change (the parser's
    mark is sometimes the line after: where it noticed, not where the mistake is)."""
    lines = text.split("\n")
    problem = str(e.problem or e.context or "")
    context = str(e.context or "")
    mark = e.problem_mark or e.context_mark
    where = loc(display, mark) if mark is not None else SourceLocation(display, 1, 1)
    row = where.line - 1
    # A tab where YAML wants spaces: point at the tab itself.
    for i in (row, row - 1):
        if 0 <= i < len(lines):
            lead = lines[i][: len(lines[i]) - len(lines[i].lstrip(" \t"))]
            if "\t" in lead or (i == row and "\t" in problem):
                col = lines[i].find("\t") + 1
                return Diagnostic(
                    SourceLocation(display, i + 1, col),
                    "a tab character: YAML indents with spaces only; replace the tab with spaces",
                )
    if "alias" in problem or "alias" in context:
        at = loc(display, e.context_mark) if "alias" in context and e.context_mark else where
        return Diagnostic(at, ANCHORS)
    quote = "put the value in quotes"
    char = (
        lines[row][where.col - 1] if 0 <= row < len(lines) and where.col <= len(lines[row]) else ""
    )
    if "tag" in context or "for the tag" in problem:
        return Diagnostic(where, f"'!' starts a YAML tag, which manifests do not use: {quote}")
    if "directive" in context:
        return Diagnostic(
            SourceLocation(display, where.line, 1), f"'%' starts a YAML directive here: {quote}"
        )
    if "block scalar" in context:
        return Diagnostic(where, f"after '|' or '>' only a comment may follow on the line: {quote}")
    if "block sequence entries are not allowed" in problem:
        return Diagnostic(
            where,
            "a list item ('- ') cannot start here: start the list on its own line, indented "
            "under its key",
        )
    if "mapping keys are not allowed" in problem or "unexpected ':'" in problem:
        return Diagnostic(where, f"a ':' where a value belongs: {quote}")
    if "cannot start any token" in problem and char and char != "\t":
        return Diagnostic(where, f"{char!r} cannot start a value: {quote}")
    if "quoted scalar" in context and e.context_mark is not None:
        return Diagnostic(
            loc(display, e.context_mark),
            "this quoted value is never closed: add the closing quote",
        )
    if "flow" in context:
        opened = _unclosed(lines, where.line, where.col)
        if opened is not None:
            line, col, bracket = opened
            closer = "]" if bracket == "[" else "}"
            return Diagnostic(
                SourceLocation(display, line, col),
                f"this {bracket} is never closed: add '{closer}'",
            )
        if e.context_mark is not None:
            return Diagnostic(
                loc(display, e.context_mark),
                "a [list] or {mapping} written on one line is not closed where it should be: "
                "check its commas and closing bracket",
            )
    if "simple key" in context and e.context_mark is not None:
        return Diagnostic(
            loc(display, e.context_mark),
            "a key without ':' after it: write 'key: value' (or indent the line to continue "
            "the value above)",
        )
    if "mapping values are not allowed" in problem and 0 <= row < len(lines):
        before = _previous(lines, row)
        if (
            before is not None
            and _indent(lines[before]) == _indent(lines[row])
            and ":" not in lines[before]
            and not lines[before].lstrip().startswith("-")
        ):
            return Diagnostic(
                SourceLocation(display, before + 1, _indent(lines[before]) + 1),
                "a key without ':' after it: write 'key: value'",
            )
        if before is not None and _indent(lines[row]) > _indent(lines[before]):
            return Diagnostic(
                SourceLocation(display, row + 1, _indent(lines[row]) + 1),
                f"this line is indented more than line {before + 1}, which already has a "
                "value: align it with the keys above it",
            )
        return Diagnostic(
            where,
            "a value holds ': ': put the value in quotes (or start a new line for a new key)",
        )
    if ("block mapping" in context or "block collection" in context) and 0 <= row < len(lines):
        return Diagnostic(
            SourceLocation(display, row + 1, _indent(lines[row]) + 1),
            "this line's indentation does not match the lines above it: indent it like the "
            "other keys (or list items) of its level",
        )
    return Diagnostic(
        where, f"this is not valid YAML ({problem.rstrip('.')}): check the syntax here"
    )

"""The text of `aepflow explore`: a source's tables, a table's columns, a Dataflow skeleton."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence

from aepflow.explore import Column, Skeleton, Table

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_KEYWORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n"})
WIDTH = 96


def render_tables(tables: Sequence[Table]) -> str:
    """One table a line: name, path, type."""
    return _aligned([(t.name, t.path, t.type) for t in tables])


def render_columns(columns: Sequence[Column]) -> str:
    """One column a line: name, type (the finer XDM type when the source gives one)."""
    return _aligned([(c.name, c.xdm_type) for c in columns])


def _aligned(rows: Sequence[tuple[str, ...]]) -> str:
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def scalar(value: str) -> str:
    """A YAML scalar: plain when safe, else double-quoted (JSON strings are YAML)."""
    if _PLAIN.match(value) and value.lower() not in _KEYWORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def _comment(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=f"{indent}# ",
        subsequent_indent=f"{indent}#   ",
        break_on_hyphens=False,
    )


def _flow_list(key: str, items: Sequence[str], indent: str) -> list[str]:
    """``key: [a, b, ...]`` wrapped over lines (continuations indented further)."""
    lines, line = [], f"{indent}{key}: ["
    cont = indent + "  "
    for i, item in enumerate(items):
        piece = item + ("]" if i == len(items) - 1 else ",")
        if len(line) + 1 + len(piece) > WIDTH and not line.endswith("["):
            lines.append(line)
            line = cont + piece
        else:
            line += ("" if line.endswith("[") else " ") + piece
    lines.append(line if items else line + "]")
    return lines


def render_skeleton(s: Skeleton) -> str:
    columns = [
        scalar(c.name) if c.type == "string" else f"{{name: {scalar(c.name)}, type: {c.type}}}"
        for c in s.columns
    ]
    out = [
        f"# Dataflow skeleton from `aepflow explore {s.connection} {s.table} --manifest`.",
        "# Every proposal marked `# review` is a guess by name: check it against the data.",
        "apiVersion: aepflow.io/v1",
        "kind: Dataflow",
        "metadata:",
        f"  name: {s.name}",
        "spec:",
        f"  connection: {scalar(s.connection)}",
        *_source(s, columns),
    ]
    if s.schema_rule == "first schema":
        out += _comment(
            "schema: the first Schema of the manifests; choose another with --schema NAME.", "  "
        )
    out.append(f"  schema: {scalar(s.schema)}")
    if s.dataset is None:
        out += _comment(f"dataset: a new dataset (no Dataset uses schema {s.schema}).", "  ")
        out.append(f"  dataset: {{name: {scalar(s.name)}}}")
    else:
        out.append(f"  dataset: {scalar(s.dataset)}")
    if s.kind == "rest":
        out += _comment("A REST source is read whole: no columns, no deltaColumn.", "  ")
    else:
        out += _delta(s)
    out.append(f"  schedule: {{frequency: hour, interval: 1, start: {scalar(s.start)}}}")
    if s.mappings or s.event:
        out.append("  mappings:")
        for m in s.event:
            key = "expression" if m.rule == "expression" else "source"
            entry = f"{{{key}: {scalar(m.column)}, destination: {scalar(m.destination)}}}"
            out.append(f"    - {entry}  # review ({m.rule}: ExperienceEvents need it)")
        for m in s.mappings:
            entry = f"{{source: {scalar(m.column)}, destination: {scalar(m.destination)}}}"
            out.append(f"    - {entry}  # review ({m.rule})")
    else:
        out += _comment(
            f"mappings: none proposed: no column matched a field of schema {s.schema}; "
            "write at least one.",
            "  ",
        )
        out.append("  mappings: []")
    if s.unmatched:
        out += _comment(
            f"Not mapped (no free field of schema {s.schema} fits the name): "
            f"{', '.join(s.unmatched)}.",
            "  ",
        )
    return "\n".join(out) + "\n"


def _source(s: Skeleton, columns: list[str]) -> list[str]:
    if s.kind == "rest":
        if s.table == "json":  # a source that serves one object
            return ["  source: {}"]
        return ["  source:", f"    object: {scalar(s.table)}"]
    out = ["  source:", f"    table: {scalar(s.table)}"]
    if s.kind == "view":  # help/sources/tutorials/api/create/crm/ms-dynamics.md
        out.append("    entityType: view")
    return out + _flow_list("columns", columns, "    ")


def _delta(s: Skeleton) -> list[str]:
    out: list[str] = []
    why = {
        "name": f"deltaColumn: {s.delta}, picked by its name as the table's last-modified column "
        "(names like LastModifiedDate, modifiedon, sys_updated_on, updated_at).",
        "date-time": f"deltaColumn: review: no column is named like a last-modified time "
        f"(LastModifiedDate, modifiedon, sys_updated_on, updated_at...); {s.delta} is the "
        "first date-time column.",
        "none": "deltaColumn: review: the table has no date-time column; name the column that "
        "changes whenever a row does.",
    }[s.delta_rule]
    out += _comment(why, "  ")
    out.append(f"  deltaColumn: {{name: {scalar(s.delta)}}}")
    return out

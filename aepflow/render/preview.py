"""``aepflow preview`` as text, as JSON, and as a section of the pull-request comment.

Text, per record::

    Record 1 of 3 (row: Id=CON00001, FirstName=Ava, Email=ava.martin@example.com)
      field                    value                     mapping
      _${tenant}.crmId         "CON00001"                Id
      personalEmail.address    "ava.martin@example.com"  lower(Email)
      error: personalEmail.address: 'x' is not an email address
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aepflow.dataprep import Rule
from aepflow.hints import command
from aepflow.preview import FlowPreview, PlanPreview, Sample

MAX_VALUE = 60  # characters of a value in a table cell


def _value(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= MAX_VALUE else shown[: MAX_VALUE - 3] + "..."


def _mapping(rule: Rule) -> str:
    if rule.kind == "static":
        return f"value {json.dumps(rule.source, ensure_ascii=False)}"
    return rule.source


def _cells(preview: FlowPreview, sample: Sample) -> list[tuple[str, str, str]]:
    values = dict(sample.record.values)
    failed = {e.destination for e in sample.record.errors}
    rows = []
    for rule in preview.mappings:
        if rule.destination in values:
            shown = _value(values[rule.destination])
        else:
            shown = "(error)" if rule.destination in failed else "(null: not written)"
        rows.append((rule.destination, shown, _mapping(rule)))
    return rows


def _row_text(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())


_WORDS = {"table": "table", "view": "view", "rest": "object"}


def _word(preview: FlowPreview) -> str:
    return _WORDS.get(preview.kind, "table")


def _summary(preview: FlowPreview) -> str:
    n = len(preview.samples)
    bad = sum(1 for s in preview.samples if s.record.errors)
    # A REST source that serves one object has no name for it (source: {}).
    read = f"{_word(preview)} {preview.table} of " if preview.table else ""
    return (
        f"{n} record{'s' if n != 1 else ''} from {read}connection "
        f"{preview.connection} (environment {preview.environment})"
        + (f"; {bad} would fail" if bad else "")
    )


def _no_rows(preview: FlowPreview) -> str:
    return f"The source gave no sample rows for this {_word(preview)}."


def render_text(preview: FlowPreview) -> str:
    lines = [f"Preview of dataflow {preview.flow}: {_summary(preview)}", ""]
    if not preview.samples:
        lines.append(_no_rows(preview))
    for i, sample in enumerate(preview.samples, 1):
        lines.append(f"Record {i} of {len(preview.samples)} (row: {_row_text(sample.row)})")
        cells = [("field", "value", "mapping"), *_cells(preview, sample)]
        widths = [max(len(c[k]) for c in cells) for k in range(2)]
        for field, value, mapping in cells:
            lines.append(f"  {field:<{widths[0]}}  {value:<{widths[1]}}  {mapping}".rstrip())
        for error in sample.record.errors:
            lines.append(f"  error: {error.destination}: {error.message}")
        lines.append("")
    if preview.unchecked:
        lines.append(
            "Not type-checked (the field catalog does not know them): "
            + ", ".join(preview.unchecked)
        )
    return "\n".join(lines).rstrip("\n") + "\n"


def as_dict(preview: FlowPreview) -> dict[str, Any]:
    return {
        "flow": preview.flow,
        "environment": preview.environment,
        "connection": preview.connection,
        "table": preview.table,
        "kind": preview.kind,
        "records": [
            {
                "row": sample.row,
                "record": sample.record.nested(),
                "values": [{"destination": d, "value": v} for d, v in sample.record.values],
                "errors": [
                    {"destination": e.destination, "message": e.message}
                    for e in sample.record.errors
                ],
            }
            for sample in preview.samples
        ],
        "unchecked": list(preview.unchecked),
    }


def render_json(preview: FlowPreview) -> str:
    return json.dumps(as_dict(preview), indent=2, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(
    previews: Sequence[PlanPreview], budget: int, environment: str | None = None
) -> str:
    """The pull-request section: a table per record, folded per flow, at most ``budget``
    characters (a flow that does not fit is named, not cut). ``environment``: the ``-e``
    given, carried by the command it suggests."""
    if not previews:
        return ""
    out = ["", "### Mapping preview", ""]
    preview = command("preview", "FLOW", environment=environment)
    # Room for the note naming what is left out, so the section never exceeds the budget.
    note = f"Left out to fit the comment:  (run `{preview}` for them).\n"
    used = sum(len(line) + 1 for line in out) + len(note) + sum(len(p.flow) + 2 for p in previews)
    if used > budget:
        return ""
    left_out: list[str] = []
    for item in previews:
        block = _flow_markdown(item)
        if used + len(block) + 1 > budget:
            left_out.append(item.flow)
            continue
        out.append(block)
        used += len(block) + 1
    if left_out:
        out.append(
            f"Left out to fit the comment: {', '.join(left_out)} (run `{preview}` for them)."
        )
        out.append("")
    return "\n".join(out)


def _flow_markdown(item: PlanPreview) -> str:
    if item.preview is None:
        return f"**`{item.flow}`**: {_md(item.note)}\n"
    preview = item.preview
    lines = [f"<details><summary><code>{item.flow}</code>: {_md(_summary(preview))}</summary>", ""]
    for i, sample in enumerate(preview.samples, 1):
        lines.append(f"Record {i}")
        lines.append("")
        lines.append("| field | value | mapping |")
        lines.append("|---|---|---|")
        for field, value, mapping in _cells(preview, sample):
            lines.append(f"| `{_md(field)}` | `{_md(value)}` | `{_md(mapping)}` |")
        for error in sample.record.errors:
            lines.append("")
            lines.append(f":x: `{_md(error.destination)}`: {_md(error.message)}")
        lines.append("")
    if not preview.samples:
        lines.append(_no_rows(preview))
        lines.append("")
    lines.append("</details>")
    lines.append("")
    return "\n".join(lines)

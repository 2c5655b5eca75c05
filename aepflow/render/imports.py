"""The text of ``aepflow import --flow ID`` / ``--all``: what was written, what was skipped and
why, which variables to set, and the command to run next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aepflow.manifest.files import display

if TYPE_CHECKING:
    from aepflow.import_run import ImportResult


def render_import(result: ImportResult, *, plan_hint: str) -> str:
    lines = [
        f"Imported {flow}: wrote {display(path)}"
        for path, flow in zip(result.files, result.flows, strict=True)
    ]
    if result.skipped:
        lines.append(f"Skipped {len(result.skipped)} flow(s) aepflow cannot import:")
        lines += [
            f"  {s.id}" + (f" ({s.name})" if s.name else "") + f": {s.reason}"
            for s in result.skipped
        ]
    lines += [f"Note: {note}" for note in result.notes]
    if not result.files:
        lines.append("Nothing new to import: every flow aepflow can manage is managed already.")
        return "\n".join(lines) + "\n"
    if result.env_vars:
        lines.append(
            "Set these environment variables (the connections' secrets, which AEP never "
            "returns): " + ", ".join(result.env_vars)
        )
    lines.append(
        f"Run `{plan_hint}`: it shows only what differs (connection secrets are re-sent once)."
    )
    return "\n".join(lines) + "\n"

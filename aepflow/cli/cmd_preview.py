"""`aepflow preview FLOW`: the XDM records a flow would write, from sample rows of its source."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from aepflow.cli import env_option, handle_errors

if TYPE_CHECKING:
    from aepflow.engine.plan import Plan
    from aepflow.workspace import Workspace


@click.command()
@env_option
@click.argument("flow")
@click.option(
    "--rows",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Sample rows to take from the source (at most what the source gives).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of tables.")
@handle_errors
def preview(environment: str | None, flow: str, rows: int, as_json: bool) -> None:
    """Show the XDM records FLOW would write, from sample rows of its source (reads only)."""
    from datetime import datetime, timezone

    from aepflow.preview import preview_flow
    from aepflow.render.preview import render_json, render_text
    from aepflow.workspace import open_workspace

    # An error goes through handle_errors, as for every command: under --json the error
    # document (docs/errors.md) on stdout, and the `Error: ...` line on stderr.
    ws = open_workspace(environment, ())
    try:
        result = preview_flow(ws, flow, rows, datetime.now(timezone.utc))
    finally:
        ws.close()
    click.echo(render_json(result) if as_json else render_text(result), nl=False)


COMMANDS = [preview]


def check_plan_preview(preview: bool, fmt: str, environment: str | None = None) -> None:
    from aepflow.errors import UsageError
    from aepflow.hints import command

    if preview and fmt != "markdown":
        raise UsageError(
            "--preview goes with --format markdown (the pull-request comment); "
            f"for one flow's records run: {command('preview', 'FLOW', environment=environment)}"
        )


def plan_preview(ws: Workspace, plan: Plan, used: int) -> str:
    """The mapping-preview section of the pull-request comment, within what is left of
    GitHub's comment size once the plan is written (``used`` characters)."""
    from datetime import datetime, timezone

    from aepflow.preview import preview_plan
    from aepflow.render.plan_markdown import MAX_CHARS
    from aepflow.render.preview import render_markdown

    previews = preview_plan(ws, plan, datetime.now(timezone.utc))
    return render_markdown(previews, MAX_CHARS - used, ws.hint_env)

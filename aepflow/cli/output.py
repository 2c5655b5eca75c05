"""What the engine commands print: a plan in the chosen format, a JSON event line, a path as
the user would write it, and whether colour is wanted. Shared by plan, apply, destroy and show."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # loaded when a plan is rendered, not at every command's start
    from pathlib import Path

    from aepflow.engine.plan import Plan


# The options of every command that prints a plan (plan, show, apply, destroy).
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
color_option = click.option(
    "--no-color", is_flag=True, help="Plain text without colours (also when NO_COLOR is set)."
)


def want_color(no_color: bool) -> bool:
    from aepflow.render.terminal import color_wanted

    return color_wanted(sys.stdout, no_color)


def render_plan(plan: Plan, fmt: str, color: bool = False, environment: str | None = None) -> str:
    """``environment``: the ``-e`` given, carried by the commands the output suggests."""
    if fmt == "json":
        from aepflow.render.plan_json import render_json

        return render_json(plan)
    if fmt == "markdown":
        from aepflow.render.plan_markdown import render_markdown

        return render_markdown(plan, environment=environment)
    from aepflow.render.plan_text import render_text

    return render_text(plan, color=color)


def emit(event: dict[str, object]) -> None:
    click.echo(json.dumps(event, sort_keys=True))


def shown_path(path: Path) -> str:
    """A path as the user would write it (loaded on use: the manifest package is not needed
    to start every command)."""
    from aepflow.manifest.files import display

    return display(path)

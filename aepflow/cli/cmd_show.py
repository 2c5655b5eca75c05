"""`aepflow show PLANFILE`: a saved plan, as reviewed (Terraform's `show`)."""

from __future__ import annotations

from pathlib import Path

import click

from aepflow.cli import handle_errors
from aepflow.cli.output import color_option, format_option, render_plan, want_color


@click.command()
@click.argument("planfile", type=click.Path(path_type=Path))
@format_option
@color_option
@handle_errors
def show(planfile: Path, fmt: str, no_color: bool) -> None:
    """Print a saved plan (`aepflow plan --out FILE`); reads nothing else."""
    from aepflow.savedplan import read_plan_file

    the_plan, _ = read_plan_file(planfile)
    click.echo(render_plan(the_plan, fmt, want_color(no_color)), nl=False)


COMMANDS = [show]

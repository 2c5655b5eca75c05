"""`aepflow validate`: every problem in the manifests, offline, as file:line:col: message."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aepflow.cli import handle_errors


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-e", "--env", "environment", metavar="ENV", help="Resolve ${var.x} for this environment."
)
@handle_errors
def validate(paths: tuple[Path, ...], environment: str | None) -> None:
    """Check the manifests offline (no platform, no secrets); exit 1 on any problem."""
    from aepflow.manifest import summary
    from aepflow.project import load_project

    project = load_project(paths[0] if paths and paths[0].exists() else None)
    env = project.environment(environment)
    problems, warnings, model, documents = summary(project, list(paths) or None, env)
    for problem in sorted(problems + warnings):
        click.echo(str(problem))
    if problems:
        n = len(problems)
        click.echo(f"{n} problem{'s' if n != 1 else ''} found.")
        sys.exit(1)
    click.echo(
        f"OK: {documents} manifest document(s): {len(model.connections)} connection(s), "
        f"{len(model.schemas)} schema(s), {len(model.datasets)} dataset(s), "
        f"{len(model.dataflows)} dataflow(s)."
    )


COMMANDS = [validate]

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
@click.option(
    "--json", "as_json", is_flag=True, help="Diagnostics as JSON: file, line, column, code."
)
@handle_errors
def validate(paths: tuple[Path, ...], environment: str | None, as_json: bool) -> None:
    """Check the manifests offline (no platform, no secrets); exit 1 on any problem."""
    from aepflow.manifest import summary
    from aepflow.project import load_project

    project = load_project(paths[0] if paths and paths[0].exists() else None)
    env = project.environment(environment)
    problems, warnings, model, documents = summary(project, list(paths) or None, env)
    if as_json:
        import json

        from aepflow.errors import Diagnostic

        def entry(d: Diagnostic, severity: str) -> dict[str, object]:
            return {
                "file": d.location.file,
                "line": d.location.line,
                "column": d.location.col,
                "severity": severity,
                "code": "deprecated" if severity == "warning" else "invalid-manifest",
                "message": d.message.removeprefix("warning: "),
            }

        report = {
            "valid": not problems,
            "documents": documents,
            "diagnostics": [entry(d, "error") for d in problems]
            + [entry(d, "warning") for d in warnings],
        }
        click.echo(json.dumps(report, indent=2))
        sys.exit(1 if problems else 0)
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

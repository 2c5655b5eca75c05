"""`aepflow validate`: every problem in the manifests, offline, as file:line:col: message."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aepflow.cli import handle_errors

if TYPE_CHECKING:
    from aepflow.errors import Diagnostic
    from aepflow.project import Environment, Project


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
    workflow = [] if problems else _workflow_warnings(project.root, project, env)
    if as_json:
        import json

        def entry(d: Diagnostic, severity: str) -> dict[str, object]:
            return {
                "file": d.location.file,
                "line": d.location.line,
                "column": d.location.col,
                "severity": severity,
                "code": "invalid-manifest" if severity == "error" else d.code,
                "message": d.message.removeprefix("warning: "),
            }

        report = {
            "valid": not problems,
            "documents": documents,
            "diagnostics": [entry(d, "error") for d in problems]
            + [entry(d, "warning") for d in warnings + workflow],
        }
        click.echo(json.dumps(report, indent=2))
        sys.exit(1 if problems else 0)
    for problem in sorted(problems + warnings + workflow):
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


def _workflow_warnings(root: Path, project: Project, env: Environment) -> list[Diagnostic]:
    """A warning when the CI workflow does not pass a variable the manifests read: the pull
    request's plan would fail on it."""
    import os

    from aepflow.errors import Diagnostic, SourceLocation
    from aepflow.manifest import required_env
    from aepflow.workflow import WORKFLOW, missing_variables

    needed = required_env(project, env)
    missing, line, col = missing_variables(root, [n for n, _ in needed])
    if not missing:
        return []
    first = dict(needed)[missing[0]]
    return [
        Diagnostic(
            SourceLocation(os.path.relpath(root / WORKFLOW), line, col),
            f"warning: the CI workflow does not pass {', '.join(missing)} to its jobs, which the "
            f"manifests read (first at {first}), so its plan would fail: add each as "
            "`NAME: ${{ secrets.NAME }}` between its `# aepflow: variables` lines and set the "
            "repository secret",
            "workflow-missing-variable",
        )
    ]


COMMANDS = [validate]

"""`aepflow init [DIR]` and `aepflow schemas [DIR]`: start a project, or fetch the schemas."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from aepflow.cli import handle_errors


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--install",
    metavar="PIP-SPEC",
    help="How CI installs aepflow, pinned (default: this aepflow's git origin and commit).",
)
@click.option(
    "--no-example", is_flag=True, help="Start with no manifest (to import a sandbox's flows)."
)
@handle_errors
def init(folder: Path | None, install: str | None, no_example: bool) -> None:
    """Create a project: aepflow.yaml, an example manifest, schemas, editor and CI settings."""
    from aepflow.scaffold import PLACEHOLDER_INSTALL, init

    target = folder or Path.cwd()
    for path, action in init(target, install, example=not no_example):
        click.echo(_said(path, action))
    click.echo(
        f"\nNext: cd {shlex.quote(str(target))} && aepflow apply --auto-approve   (the "
        "embedded emulator; no Adobe account needed)"
    )
    workflow = target / ".github" / "workflows" / "aepflow.yml"
    if PLACEHOLDER_INSTALL in workflow.read_text(encoding="utf-8"):
        click.echo(
            f"Then pin AEPFLOW_INSTALL in {workflow} to a commit of your aepflow repository."
        )


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Refresh aepflow's own schema files in FOLDER (after an upgrade); no other file.",
)
@handle_errors
def schemas(folder: Path | None, force: bool) -> None:
    """Write the manifests' JSON Schemas (for editors and CI outside this repository)."""
    from aepflow.scaffold import write_schemas

    for path, action in write_schemas(folder or Path.cwd() / "schemas", force=force):
        click.echo(_said(path, action))


def _said(path: Path, action: str) -> str:
    return {
        "merged": f"  merged aepflow's entries into {path}",
        "unchanged": f"  {path} is up to date",
        "updated": f"  updated {path}",
    }.get(action, f"  created {path}")


COMMANDS = [init, schemas]

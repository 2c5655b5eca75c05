"""`aepflow fmt [--check] [PATH...]`: manifests in the canonical layout, comments kept."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aepflow.cli import handle_errors


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; list the files that are not in the canonical layout and exit 1 if any.",
)
@handle_errors
def fmt(paths: tuple[Path, ...], check: bool) -> None:
    """Rewrite manifests in the canonical layout (key order of the JSON Schemas, 2-space
    indent), keeping comments; lists the files it changed. Default: the project's manifests."""
    from aepflow.fmt import format_file, write
    from aepflow.manifest import manifest_files

    if not paths:
        from aepflow.project import load_project

        paths = (load_project().manifests_dir,)
    files, problems = manifest_files(list(paths))
    pending = []
    for path in files:
        formatted, found = format_file(path)
        problems += found
        if formatted is not None and formatted.changed:
            pending.append(formatted)
    for formatted in pending:
        if not check:
            write(formatted)
        click.echo(formatted.display)
    for problem in sorted(problems):
        click.echo(f"{problem}", err=True)
    if problems or (check and pending):
        if check and pending:
            n = len(pending)
            click.echo(
                f"{n} file{'s' if n != 1 else ''} not in the canonical layout: run `aepflow fmt`.",
                err=True,
            )
        sys.exit(1)


COMMANDS = [fmt]

"""`aepflow explore`: a connection's tables, a table's columns, or a Dataflow skeleton."""

from __future__ import annotations

import click

from aepflow.cli import env_option, handle_errors


@click.command()
@env_option
@click.argument("connection")
@click.argument("table", required=False)
@click.option(
    "--manifest",
    is_flag=True,
    help="Print a Dataflow manifest skeleton for TABLE (mappings proposed by column name).",
)
@click.option(
    "--schema",
    metavar="NAME",
    help="With --manifest: the Schema to map into (default: the first in the manifests).",
)
@handle_errors
def explore(
    environment: str | None,
    connection: str,
    table: str | None,
    manifest: bool,
    schema: str | None,
) -> None:
    """List the tables of an applied CONNECTION's source, or TABLE's columns (reads only)."""
    from aepflow import explore as ex
    from aepflow.errors import UsageError
    from aepflow.render.explore import render_columns, render_skeleton, render_tables
    from aepflow.workspace import open_workspace

    if manifest and table is None:
        raise UsageError("--manifest needs a TABLE: aepflow explore CONNECTION TABLE --manifest")
    if schema is not None and not manifest:
        raise UsageError("--schema goes with --manifest")
    ws = open_workspace(environment, ())
    try:
        conn_id = ex.connection_id(
            ws.desired, ws.lock.resources, ws.env.name, connection, ws.hint_env
        )
        spec_id = ex.connection_spec(ws.desired, connection)
        tables = ex.read_source(
            ws.client, conn_id, spec_id, ws.keys.get(f"connection.{connection}", "")
        )
        if table is None:
            click.echo(render_tables(tables), nl=False)
            return
        found = ex.find_table(tables, table, connection)
        columns = ex.table_columns(ws.client, conn_id, found)
        if not manifest:
            click.echo(render_columns(columns), nl=False)
            return
        skeleton = ex.build_skeleton(ws.project, ws.env, connection, found, columns, schema)
        click.echo(render_skeleton(skeleton), nl=False)
    finally:
        ws.close()


COMMANDS = [explore]

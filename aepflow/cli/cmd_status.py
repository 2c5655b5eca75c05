"""`aepflow status`: the managed flows' state, next run and recent runs."""

from __future__ import annotations

import os
import sys

import click

from aepflow.cli import env_option, handle_errors

EXIT_FAILING = 3


@click.command()
@env_option
@click.argument("addresses", nargs=-1, metavar="[ADDRESS]...")
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@click.option(
    "--runs",
    "runs",
    type=click.IntRange(0),
    default=5,
    show_default=True,
    metavar="N",
    help="How many of each flow's last runs to show.",
)
@handle_errors
def status(environment: str | None, addresses: tuple[str, ...], as_json: bool, runs: int) -> None:
    """Show each managed flow (or the flow.* ADDRESSes given) with its last runs (reads only).

    Exit 0 when every flow's last finished run succeeded or it has not run yet, 3 when a
    flow's last finished run failed (or the flow is gone from the sandbox), 1 on error. A run
    that succeeded with some failed records (partial ingestion) does not count as failed.
    """
    from aepflow.render.status import render_json, render_text
    from aepflow.state import open_lock
    from aepflow.status import chosen_flows, read_status
    from aepflow.workspace import platform_client

    _, env, lock = open_lock(environment)
    chosen_flows(lock, addresses, environment)  # a wrong address is an error before any connection
    client = platform_client(env, os.environ)
    try:
        result = read_status(client, lock, env.name, addresses, runs=runs)
    finally:
        client.close()
    env_flag = f" -e {environment}" if environment else ""  # as aepflow.hints.command puts it
    click.echo(render_json(result) if as_json else render_text(result, env_flag), nl=False)
    if result.failing:
        sys.exit(EXIT_FAILING)


COMMANDS = [status]

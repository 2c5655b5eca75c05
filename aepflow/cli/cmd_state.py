"""`aepflow state list|show|rm|mv`: read and correct the lock without touching the platform."""

from __future__ import annotations

import json

import click

from aepflow.cli import env_option, handle_errors

lock_timeout_option = click.option(
    "--lock-timeout",
    type=click.FloatRange(0),
    default=0,
    metavar="SECONDS",
    help="Wait up to this long for a running apply to finish (default: 0).",
)


def _note(message: str) -> None:
    click.echo(f"Note: {message}", err=True)


@click.group()
def state() -> None:
    """Read and correct the lock file (the inventory of what aepflow manages)."""


@state.command("list")
@env_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON document: the lock's environment, serial and every address with its id.",
)
@handle_errors
def list_(environment: str | None, as_json: bool) -> None:
    """Every recorded address with its platform id."""
    from aepflow.state import listing, open_lock

    _, _, lock = open_lock(environment)
    if as_json:
        click.echo(json.dumps(listing(lock), indent=2, sort_keys=True))
        return
    for address, entry in sorted(lock.resources.items()):
        click.echo(f"{address}\t{entry.id}")


@state.command()
@env_option
@click.argument("address")
@handle_errors
def show(environment: str | None, address: str) -> None:
    """One recorded resource, as JSON (secret hashes masked)."""
    from aepflow.state import open_lock, show

    _, _, lock = open_lock(environment)
    click.echo(json.dumps(show(lock, address), indent=2, sort_keys=True))


@state.command()
@env_option
@click.argument("addresses", nargs=-1, required=True)
@lock_timeout_option
@handle_errors
def rm(environment: str | None, addresses: tuple[str, ...], lock_timeout: float) -> None:
    """Forget resources without deleting them from the platform."""
    from aepflow.state import remove, writing

    with writing(environment, lock_timeout, _note) as writer:
        removed = remove(writer, addresses)
    for address, id in removed:
        click.echo(f"Removed {address} ({id}) from the lock; the object itself is not deleted.")
    click.echo(
        "If a manifest still declares it, the next plan adopts it again by its aepflow marker."
    )


@state.command()
@env_option
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@lock_timeout_option
@handle_errors
def mv(environment: str | None, source: str, target: str, lock_timeout: float) -> None:
    """Re-address a recorded object (after renaming it in the manifests)."""
    from aepflow.state import move, writing

    with writing(environment, lock_timeout, _note) as writer:
        id = move(writer, source, target)
    click.echo(
        f"Moved {source} to {target} ({id}). The next plan updates its aepflow marker; nothing "
        "is destroyed or created."
    )


COMMANDS = [state]

"""`aepflow force-unlock`: release an environment's apply lock that a stuck run holds."""

from __future__ import annotations

import sys

import click

from aepflow.cli import env_option, handle_errors


def _interactive() -> bool:
    return sys.stdin.isatty()


@click.command("force-unlock")
@env_option
@click.option("--force", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def force_unlock(environment: str | None, force: bool) -> None:
    """Release the apply lock of an environment, naming who holds it (Terraform's
    force-unlock). Only for a run that is stuck: a running apply is not stopped."""
    from aepflow.engine.applylock import current_holder, describe, still_running
    from aepflow.engine.applylock import force_unlock as unlock
    from aepflow.errors import UsageError
    from aepflow.project import load_project

    env = load_project().environment(environment)
    holder = current_holder(env.apply_lock_path)
    if holder is None:
        click.echo(f'The apply lock of environment "{env.name}" is not held: nothing to unlock.')
        return
    click.echo(f'The apply lock of environment "{env.name}" is held by {describe(holder)}.')
    running = still_running(holder)
    if running:
        click.echo(
            "That process is still running: if it is applying, unlocking lets another apply "
            "write the sandbox and the lock file at the same time. Stop it first if you can."
        )
    elif running is None:
        click.echo("It runs on another host: aepflow cannot tell whether it is still running.")
    if not force:
        if not _interactive():
            raise UsageError(
                "force-unlock needs confirmation and there is no terminal to ask: pass --force"
            )
        answer = click.prompt(
            "Do you really want to force-unlock?\n  Only 'yes' will be accepted",
            default="",
            show_default=False,
        )
        if answer.strip() != "yes":
            click.echo("Unlock cancelled.")
            sys.exit(1)
    unlock(env.apply_lock_path)
    click.echo(f'Released the apply lock of environment "{env.name}".')


COMMANDS = [force_unlock]

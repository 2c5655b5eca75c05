"""The command line: thin click commands that parse options and call the layers below.

Each command lives in its own module and imports its heavy dependencies inside the
function body, so ``aepflow --help`` stays fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from aepflow import __version__

F = TypeVar("F", bound=Callable[..., Any])

env_option = click.option(
    "-e",
    "--env",
    "environment",
    metavar="ENV",
    help="Environment from aepflow.yaml (default: its default).",
)


def handle_errors(func: F) -> F:
    """Turn an AepflowError into ``Error: ...`` on stderr and exit code 1, without a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from aepflow.emulator.state import StateError
        from aepflow.errors import AepflowError

        try:
            return func(*args, **kwargs)
        except (AepflowError, StateError) as e:
            ctx = click.get_current_context(silent=True)
            if ctx is not None and ctx.find_root().params.get("debug"):
                raise
            click.echo(f"Error: {e}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aepflow")
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks.")
def cli(debug: bool) -> None:
    """Infrastructure-as-code for Adobe Experience Platform source dataflows.

    Describe pipelines in YAML manifests, review `aepflow plan` in pull requests,
    and let `aepflow apply` make the sandbox match.
    """


def _register() -> None:
    """Add the commands every ``aepflow/cli/cmd_*.py`` module lists in its ``COMMANDS``."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            for command in module.COMMANDS:
                cli.add_command(command)
    from aepflow.cli.httplog import add_to

    add_to(cli)


_register()


def main() -> None:
    """The console script. A usage error exits 1, not click's 2: exit 2 is reserved for
    ``plan --detailed-exitcode`` ("there are changes"), which CI scripts test for."""
    try:
        cli.main(prog_name="aepflow", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help() if e.ctx is not None else str(e))
        sys.exit(0)
    except click.exceptions.ClickException as e:
        e.show()
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)

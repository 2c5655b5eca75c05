"""The command line: thin click commands that parse options and call the layers below.

Each command lives in its own module and imports its heavy dependencies inside the
function body, so ``aepflow --help`` stays fast.
"""

from __future__ import annotations

import functools
import gc
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


def json_mode(ctx: click.Context | None) -> str | None:
    """``"lines"`` (apply, destroy), ``"document"`` (any other ``--json`` or ``--format json``)
    or None: how the command's stdout is read by machines."""
    if ctx is None:
        return None
    params = ctx.params
    if not (params.get("as_json") or params.get("fmt") == "json"):
        return None
    return "lines" if ctx.command.name in ("apply", "destroy") else "document"


def error_document(e: BaseException, code: str | None = None) -> dict[str, Any]:
    """An error as the object ``--json`` prints: a stable code, the message, and where a
    manifest is at fault, its diagnostics (docs/errors.md)."""
    from aepflow.errors import ManifestError, PlatformError

    body: dict[str, Any] = {
        "code": code or getattr(e, "error_code", "error"),
        "message": str(e),
    }
    if isinstance(e, ManifestError):
        body["message"] = str(e).splitlines()[-1]
        body["diagnostics"] = [
            {
                "file": d.location.file,
                "line": d.location.line,
                "col": d.location.col,
                "message": d.message,
            }
            for d in e.diagnostics
        ]
    if isinstance(e, PlatformError):
        body.update({"status": e.status, "platform_code": e.code, "request_id": e.request_id})
    return {"error": body}


def emit_error(mode: str, e: BaseException, code: str | None = None) -> None:
    import json

    document = error_document(e, code)
    if mode == "lines":
        document = {"event": "error", **document}
        click.echo(json.dumps(document, sort_keys=True))
    else:
        click.echo(json.dumps(document, indent=2, sort_keys=True))


class _NeverRaised(Exception):
    """Stands for an error class whose module was never loaded."""


def handle_errors(func: F) -> F:
    """Turn an AepflowError into ``Error: ...`` on stderr and exit code 1, without a traceback.

    An OSError (a full disk, a read-only folder) is one such line too. Under ``--json`` the
    error is also printed to stdout as a JSON object with a stable code, so a machine reading
    stdout always gets a document."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from aepflow.errors import AepflowError, os_error

        # The emulator's state error, without importing the emulator on every command (0.25 s):
        # a command that never loaded the emulator cannot have raised it.
        state = sys.modules.get("aepflow.emulator.state")
        StateError: type[Exception] = getattr(state, "StateError", _NeverRaised)

        ctx = click.get_current_context(silent=True)
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:  # the reader went away (`aepflow plan | head`): nothing to say
            import contextlib
            import os

            with contextlib.suppress(OSError, ValueError):  # no flush error at exit either
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except (AepflowError, StateError, OSError) as e:
            if ctx is not None and ctx.find_root().params.get("debug"):
                raise
            error: BaseException = os_error(e) if isinstance(e, OSError) else e
            code = "emulator_state" if isinstance(e, StateError) else None
            mode = json_mode(ctx)
            if mode is not None:
                emit_error(mode, error, code)
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            mode = json_mode(ctx)
            if mode is not None:
                emit_error(mode, KeyboardInterrupt("interrupted"), "interrupted")
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


def tune_gc() -> None:
    """Fewer, larger runs of the cycle collector.

    A command builds a few hundred thousand small dicts and lists per thousand manifests and
    frees almost none of them before it ends. At CPython's default young-generation threshold
    (700 allocations) the collector ran thousands of times over them: a third of
    ``aepflow validate``'s CPU at 1,000 pipelines, for no memory back (peak RSS was the same
    with the collector off). What is imported before a command runs is never garbage."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def main() -> None:
    """The console script. A usage error exits 1, not click's 2: exit 2 is reserved for
    ``plan --detailed-exitcode`` ("there are changes"), which CI scripts test for."""
    tune_gc()
    try:
        cli.main(prog_name="aepflow", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help() if e.ctx is not None else str(e))
        sys.exit(0)
    except click.exceptions.ClickException as e:
        args = sys.argv[1:]
        if "--json" in args:  # parsing failed before the command could say
            lines = bool({"apply", "destroy"} & set(args))
            mode = "lines" if lines else "document"
            emit_error(mode, click.UsageError(e.format_message()), "usage")
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

"""``--log-http FILE`` on every command that talks to AEP: configured here, once for all.

The option is added to each such command when the command line is assembled, so a new
command gets it without repeating it; it configures the platform client's request log
(``aepflow.platform.httplog``) for the run and closes it at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

import click

# Commands that never reach AEP (offline, local files, or the emulator's own server).
OFFLINE = frozenset(
    {"init", "schemas", "validate", "fmt", "show", "state", "emulator", "force-unlock"}
)
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|KEY|CREDENTIAL", re.IGNORECASE)


def _secrets() -> list[str]:
    """Values the log must never hold: every ``${env:...}`` the manifests read, and any
    variable named like a secret (the client secret among them)."""
    from aepflow.errors import AepflowError
    from aepflow.manifest import required_env
    from aepflow.project import load_project

    names = {n for n in os.environ if SECRET_NAME.search(n)}
    # Not in a project, or it cannot be read: the command itself will say so.
    with contextlib.suppress(AepflowError, OSError):
        names |= {n for n, _ in required_env(load_project())}
    return [os.environ[n] for n in sorted(names) if os.environ.get(n)]


def _stopped(path: Path, error: OSError) -> None:
    """The log could not be written (a full disk): say so once; the command carries on, as a
    support log must never change what it does."""
    from aepflow.errors import os_error

    reason = os_error(OSError(error.errno, error.strerror, str(path)))
    click.echo(
        f"Warning: --log-http stopped: {reason}. The command carries on; its requests from "
        "here on are not logged.",
        err=True,
    )


def _not_a_log(path: Path) -> str | None:
    """Why ``path`` must not receive the log, or None. The log appends: a slip of the tab key
    onto the lock, a manifest or a saved plan would corrupt it. So only a new file or an
    earlier log (JSON Lines of requests) is taken, and nothing aepflow keeps."""
    import json

    from aepflow.errors import AepflowError
    from aepflow.project import load_project

    target = path.resolve()
    with contextlib.suppress(AepflowError, OSError):
        project = load_project()
        kept = [project.root / ".aepflow", project.manifests_dir, project.root / ".github"]
        kept += [project.root / "locks"]
        files = [project.file] if project.file is not None else []
        for env in project.environments.values():
            files += [env.lock_path, env.lock_path.with_name(env.lock_path.name + ".journal")]
        if target in [f.resolve() for f in files] or any(
            target.is_relative_to(folder.resolve()) for folder in kept
        ):
            return (
                f"{path} is a file aepflow keeps (the project file, a manifest, a lock, the "
                "CI workflow or aepflow's own state): write the log to a new file, such as "
                "http.jsonl"
            )
    if not path.is_file():  # new, or a device such as /dev/stderr: nothing to corrupt
        return None
    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline(65536)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        first = "?"
    if not first:
        return None
    try:
        record = json.loads(first)
    except ValueError:
        record = None
    if not (isinstance(record, dict) and "method" in record and "path" in record):
        return f"{path} exists and is not an HTTP log of aepflow's: write the log to a new file"
    return None


def _configure(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is None:
        return
    from aepflow.platform.client import log_http
    from aepflow.platform.httplog import HttpLog

    refused = _not_a_log(value)
    if refused is not None:
        raise click.BadParameter(refused)
    try:
        with open(value, "a", encoding="utf-8"):
            pass
    except OSError as e:
        raise click.BadParameter(f"cannot write {value}: {e.strerror}") from None
    log = HttpLog(value, _secrets(), on_failure=lambda e: _stopped(value, e))
    log_http(log)

    def close() -> None:
        log_http(None)
        log.close()

    ctx.call_on_close(close)


def log_http_option() -> Any:
    return click.Option(
        ["--log-http"],
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        expose_value=False,
        is_eager=True,
        callback=_configure,
        help="Append one JSON line per HTTP request to FILE (method, path, status, duration, "
        "Adobe's request id; secrets redacted), for a support ticket.",
    )


def add_to(group: click.Group) -> None:
    """Give every command of ``group`` that talks to AEP the ``--log-http`` option."""
    for name, command in group.commands.items():
        if name not in OFFLINE and not isinstance(command, click.Group):
            command.params.append(log_http_option())

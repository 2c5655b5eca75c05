"""`aepflow plan`, `apply`, `destroy` and `import`."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aepflow.cli import env_option, handle_errors

if TYPE_CHECKING:
    from aepflow.engine.executor import ApplyResult
    from aepflow.engine.plan import Plan
    from aepflow.workspace import Workspace

parallelism_option = click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=10,
    show_default=True,
    help="How many platform operations run at once.",
)
lock_timeout_option = click.option(
    "--lock-timeout",
    type=click.FloatRange(0),
    default=0,
    metavar="SECONDS",
    help="Wait up to this long for another apply on the environment to finish (default: 0).",
)
target_option = click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    help="Plan only this resource and what it depends on (repeatable); nothing else is destroyed.",
)
color_option = click.option(
    "--no-color", is_flag=True, help="Plain text without colours (also when NO_COLOR is set)."
)
json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="JSON lines for machines: the plan, one event per step, then the outcome.",
)
data_loss_option = click.option(
    "--allow-data-loss",
    is_flag=True,
    help="Allow destroying or replacing datasets (deletes their data).",
)


def _color(no_color: bool) -> bool:
    from aepflow.render.terminal import color_wanted

    return color_wanted(sys.stdout, no_color)


def _render(plan: Plan, fmt: str, color: bool = False) -> str:
    if fmt == "json":
        from aepflow.render.plan_json import render_json

        return render_json(plan)
    if fmt == "markdown":
        from aepflow.render.plan_markdown import render_markdown

        return render_markdown(plan)
    from aepflow.render.plan_text import render_text

    return render_text(plan, color=color)


def _emit(event: dict[str, object]) -> None:
    import json

    click.echo(json.dumps(event, sort_keys=True))


def _run(ws: Workspace, the_plan: Plan, as_json: bool) -> None:
    """Apply the plan with the right progress display, then report the outcome."""
    from aepflow.render.progress import JsonReporter
    from aepflow.workspace import apply_plan

    if not as_json:
        _report(ws, apply_plan(ws, the_plan, _reporter()))  # type: ignore[arg-type]
        return
    result = apply_plan(ws, the_plan, JsonReporter())
    _emit(
        {
            "event": "end",
            "ok": result.ok,
            "done": [s.split(":", 1)[1] for s in result.done],
            "errors": {s.split(":", 1)[1]: str(e) for s, e in result.errors.items()},
            "not_started": [s.split(":", 1)[1] for s in result.not_started],
            "lock_file": _rel(ws.env.lock_path),
        }
    )
    if not result.ok:
        sys.exit(1)


def _show_confirm_run(
    ws: Workspace, the_plan: Plan, as_json: bool, no_color: bool, auto_approve: bool, question: str
) -> None:
    """Show the plan (or emit it), ask, and apply it: what apply and destroy share."""
    if as_json:
        _emit({"event": "plan", "plan": the_plan.to_data()})
    else:
        click.echo(_render(the_plan, "text", _color(no_color)), nl=False)
        if not the_plan.has_changes:
            return
        _confirm(auto_approve, question)
    _run(ws, the_plan, as_json)


def _confirm(auto_approve: bool, question: str) -> None:
    from aepflow.errors import UsageError

    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "apply needs confirmation and there is no terminal to ask: review the plan and pass "
            "--auto-approve, or apply a saved plan (aepflow plan --out FILE; aepflow apply FILE)"
        )
    answer = click.prompt(
        f"{question}\n  Only 'yes' will be accepted", default="", show_default=False
    )
    if answer.strip() != "yes":
        click.echo("Apply cancelled.")
        sys.exit(1)


def _report(ws: Workspace, result: ApplyResult) -> None:
    from aepflow.errors import AepflowError, LockWriteError, NotRecordedError

    if result.ok:
        click.echo(
            f"Apply complete: {len(result.done)} step(s). Lock file: {_rel(ws.env.lock_path)}"
        )
        return
    for step, error in sorted(result.errors.items()):
        click.echo(f"Error: {step.split(':', 1)[1]}: {error}", err=True)
    if result.not_started:
        click.echo(
            f"{len(result.not_started)} step(s) not started: "
            + ", ".join(s.split(":", 1)[1] for s in result.not_started),
            err=True,
        )
    unrecorded = [e for e in result.errors.values() if isinstance(e, NotRecordedError)]
    lock_failed = [e for e in result.errors.values() if isinstance(e, LockWriteError)]
    if lock_failed:
        click.echo(
            f"Apply stopped: the lock file could not be written ({lock_failed[0].reason}), so "
            f"{_rel(ws.env.lock_path)} does not record everything done.",
            err=True,
        )
        for e in unrecorded:
            click.echo(f"  created but not recorded: {e.address} = {e.id}", err=True)
        click.echo(
            "Fix the cause (disk space, permissions) and run plan: each object above carries "
            "its aepflow marker and is adopted, not created twice.",
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"Apply stopped after {len(result.done)} step(s); the lock file records everything done. "
        "Fix the cause and run apply again to carry on.",
        err=True,
    )
    unexpected = [e for e in result.errors.values() if not isinstance(e, AepflowError)]
    if unexpected and click.get_current_context().find_root().params.get("debug"):
        raise unexpected[0]
    sys.exit(1)


def _locked(ws: Workspace, timeout: float) -> contextlib.AbstractContextManager[None]:
    from aepflow.workspace import locked

    return locked(ws, timeout, lambda m: click.echo(f"Note: {m}", err=True))


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _reporter() -> object:
    import os

    from aepflow.render.progress import LineReporter, LiveReporter

    live = sys.stdout.isatty() and os.environ.get("TERM", "") != "dumb"  # no escape codes there
    return LiveReporter() if live else LineReporter()


@click.command()
@env_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out", "out", type=click.Path(path_type=Path), help="Save the plan for `aepflow apply FILE`."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error.",
)
@click.option("--destroy", is_flag=True, help="Plan the destruction of everything in the lock.")
@target_option
@data_loss_option
@parallelism_option
@color_option
@handle_errors
def plan(
    environment: str | None,
    paths: tuple[Path, ...],
    targets: tuple[str, ...],
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    destroy: bool,
    allow_data_loss: bool,
    parallelism: int,
    no_color: bool,
) -> None:
    """Show what apply would change in the sandbox (reads only)."""
    from aepflow.savedplan import save_plan
    from aepflow.workspace import make_plan, open_workspace

    ws = open_workspace(environment, paths, targets=targets, parallelism=parallelism)
    try:
        result = make_plan(ws, allow_data_loss=allow_data_loss, destroy=destroy)
        click.echo(_render(result, fmt, _color(no_color)), nl=False)
        if out is not None:
            save_plan(ws, result, out, targets)
            if fmt == "text":
                click.echo(
                    f"\nSaved the plan to {out}. Apply exactly this plan with: aepflow apply {out}"
                )
        elif fmt == "text" and result.has_changes:
            click.echo(
                "\nNote: this plan was not saved (--out); `aepflow apply` will plan again "
                "before it changes anything."
            )
    finally:
        ws.close()
    if detailed_exitcode and result.has_changes:
        sys.exit(2)


@click.command()
@env_option
@click.argument("planfile", required=False, type=click.Path(path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@target_option
@data_loss_option
@parallelism_option
@lock_timeout_option
@json_option
@color_option
@handle_errors
def apply(
    environment: str | None,
    planfile: Path | None,
    auto_approve: bool,
    targets: tuple[str, ...],
    allow_data_loss: bool,
    parallelism: int,
    lock_timeout: float,
    as_json: bool,
    no_color: bool,
) -> None:
    """Make the sandbox match the manifests (or apply a saved plan exactly)."""
    from aepflow.errors import UsageError
    from aepflow.workspace import make_plan, open_workspace

    if as_json and not (auto_approve or planfile):
        raise UsageError("--json needs --auto-approve (or a saved plan): there is no one to ask")

    if planfile is not None:
        from aepflow.project import load_project
        from aepflow.savedplan import check_saved_plan, read_plan_file

        the_plan, saved = read_plan_file(planfile)
        if environment is not None and environment != saved["environment"]:
            raise UsageError(
                f"{planfile} was made for environment {saved['environment']!r}, not {environment!r}"
            )
        if targets:
            raise UsageError("--target narrows a new plan; a saved plan applies as it was made")
        root = load_project().root
        ws = open_workspace(
            saved["environment"],
            [root / p for p in saved["paths"]],
            targets=tuple(saved["targets"]),
            parallelism=parallelism,
        )
        try:
            with _locked(ws, lock_timeout):
                check_saved_plan(ws, the_plan, saved)
                if as_json:
                    _emit({"event": "plan", "plan": the_plan.to_data()})
                elif not the_plan.has_changes:
                    click.echo("No changes. Nothing to apply.")
                    return
                _run(ws, the_plan, as_json)
        finally:
            ws.close()
        return

    ws = open_workspace(environment, (), targets=targets, parallelism=parallelism)
    try:
        with _locked(ws, lock_timeout):
            the_plan = make_plan(ws, allow_data_loss=allow_data_loss)
            question = "\nDo you want to perform these actions?"
            _show_confirm_run(ws, the_plan, as_json, no_color, auto_approve, question)
    finally:
        ws.close()


@click.command()
@env_option
@click.option("--auto-approve", is_flag=True, help="Destroy without asking for confirmation.")
@data_loss_option
@parallelism_option
@lock_timeout_option
@json_option
@color_option
@handle_errors
def destroy(
    environment: str | None,
    auto_approve: bool,
    allow_data_loss: bool,
    parallelism: int,
    lock_timeout: float,
    as_json: bool,
    no_color: bool,
) -> None:
    """Delete everything the lock file records, in reverse dependency order."""
    from aepflow.errors import UsageError
    from aepflow.workspace import make_plan, open_workspace

    if as_json and not auto_approve:
        raise UsageError("--json needs --auto-approve: there is no one to ask")
    ws = open_workspace(environment, (), parallelism=parallelism)
    try:
        with _locked(ws, lock_timeout):
            the_plan = make_plan(ws, allow_data_loss=allow_data_loss, destroy=True)
            question = "\nDo you really want to destroy these resources?"
            _show_confirm_run(ws, the_plan, as_json, no_color, auto_approve, question)
    finally:
        ws.close()


@click.command("import")
@env_option
@click.argument("address", required=False)
@click.argument("id", required=False)
@click.option("--flow", "flows", multiple=True, metavar="ID", help="Import a whole pipeline.")
@click.option("--all", "everything", is_flag=True, help="Import every CRMToAEP flow not managed.")
@lock_timeout_option
@json_option
@handle_errors
def import_(
    environment: str | None,
    address: str | None,
    id: str | None,
    flows: tuple[str, ...],
    everything: bool,
    lock_timeout: float,
    as_json: bool,
) -> None:
    """Bring objects made in the AEP UI under management.

    ADDRESS ID records one object under an address the manifests declare; --flow ID (or
    --all) imports whole pipelines: writes their manifests and records every id.
    """
    from aepflow.errors import UsageError

    if flows or everything:
        if address or id:
            raise UsageError("give either ADDRESS ID, or --flow ID / --all, not both")
        from aepflow.workspace import import_flows

        result = import_flows(
            environment,
            flows,
            everything,
            lock_timeout,
            lambda m: click.echo(f"Note: {m}", err=True),
        )
        if as_json:
            _emit(
                {
                    "imported": [
                        {"flow": flow, "file": _rel(path)}
                        for path, flow in zip(result.files, result.flows, strict=True)
                    ],
                    "env_vars": result.env_vars,
                    "notes": result.notes,
                }
            )
            return
        for path, flow in zip(result.files, result.flows, strict=True):
            click.echo(f"Imported {flow}: wrote {_rel(path)}")
        for note in result.notes:
            click.echo(f"Note: {note}")
        if result.env_vars:
            click.echo(
                "Set these environment variables (the connections' secrets, which AEP never "
                "returns): " + ", ".join(result.env_vars)
            )
        click.echo(
            "Run `aepflow plan`: it shows only what differs (connection secrets are re-sent once)."
        )
        return
    if not (address and id):
        raise UsageError("give ADDRESS ID, or --flow ID (repeatable), or --all")
    from aepflow.workspace import import_resource, open_workspace

    ws = open_workspace(environment, ())
    try:
        with _locked(ws, lock_timeout):
            import_resource(ws, address, id)
    finally:
        ws.close()
    click.echo(
        f"Imported {id} as {address}. Run `aepflow plan` to see how it differs from its manifest."
    )


COMMANDS = [plan, apply, destroy, import_]

"""`aepflow plan`, `apply`, `destroy` and `import`."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aepflow.cli import env_option, handle_errors
from aepflow.cli.output import (
    color_option,
    emit,
    format_option,
    render_plan,
    shown_path,
    want_color,
)

if TYPE_CHECKING:
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
json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="JSON lines for machines: the plan, one event per step, then the outcome.",
)
replace_option = click.option(
    "--replace",
    "replace_addresses",
    multiple=True,
    metavar="ADDRESS",
    help="Replace this resource although nothing forces it (repeatable); a dataset needs "
    "--allow-data-loss.",
)
refresh_option = click.option(
    "--refresh-only",
    is_flag=True,
    help="Accept the sandbox's current state in the lock (forget what was deleted outside, "
    "record what was found, drop drift's baseline); change nothing in AEP.",
)
data_loss_option = click.option(
    "--allow-data-loss",
    is_flag=True,
    help="Allow destroying or replacing datasets (deletes their data).",
)


def _locked(ws: Workspace, timeout: float) -> contextlib.AbstractContextManager[None]:
    from aepflow.workspace import locked

    return locked(ws, timeout, lambda m: click.echo(f"Note: {m}", err=True))


@click.command()
@env_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out", "out", type=click.Path(path_type=Path), help="Save the plan for `aepflow apply FILE`."
)
@format_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error.",
)
@click.option("--destroy", is_flag=True, help="Plan the destruction of everything in the lock.")
@click.option(
    "--preview",
    is_flag=True,
    help="With --format markdown: add sample records of each flow whose mappings change.",
)
@target_option
@replace_option
@refresh_option
@data_loss_option
@parallelism_option
@color_option
@handle_errors
def plan(
    environment: str | None,
    paths: tuple[Path, ...],
    targets: tuple[str, ...],
    replace_addresses: tuple[str, ...],
    refresh_only: bool,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    destroy: bool,
    allow_data_loss: bool,
    parallelism: int,
    no_color: bool,
    preview: bool = False,
) -> None:
    """Show what apply would change in the sandbox (reads only)."""
    from aepflow.cli.cmd_preview import check_plan_preview, plan_preview
    from aepflow.savedplan import plan_with, save_plan
    from aepflow.workspace import open_workspace

    check_plan_preview(preview, fmt, environment)
    options = _options(destroy, replace_addresses, refresh_only)
    ws = open_workspace(environment, paths, targets=targets, parallelism=parallelism, prefetch=True)
    try:
        result = plan_with(ws, options, allow_data_loss=allow_data_loss)
        text = render_plan(result, fmt, want_color(no_color), environment)
        click.echo(text + (plan_preview(ws, result, len(text)) if preview else ""), nl=False)
        if out is not None:
            save_plan(ws, result, out, targets, options)
            if fmt == "text":
                click.echo(
                    f"\nSaved the plan to {out}. Apply exactly this plan with: "
                    f"{_hint('apply', environment)} {out}"
                )
        elif fmt == "text" and result.has_changes and paths:
            # apply takes no paths: only a saved plan keeps this scope.
            saved = _hint("plan", environment) + "".join(f" {p}" for p in paths)
            click.echo(
                "\nNote: this plan was not saved (--out), and apply plans the whole project: to "
                f"apply only this scope, run `{saved} --out FILE`, then `aepflow apply FILE`."
            )
        elif fmt == "text" and result.has_changes:
            again = _apply_again(
                environment, targets, replace_addresses, refresh_only, destroy, allow_data_loss
            )
            click.echo(
                f"\nNote: this plan was not saved (--out); `{again}` will plan again before it "
                "changes anything."
            )
    finally:
        ws.close()
    if detailed_exitcode and result.has_changes:
        sys.exit(2)


def _apply_again(
    environment: str | None,
    targets: tuple[str, ...],
    replace_addresses: tuple[str, ...],
    refresh_only: bool,
    destroy: bool,
    allow_data_loss: bool = False,
) -> str:
    """The command that makes this plan again and applies it: the same environment and
    planning flags (a refresh-only plan applied without --refresh-only would change AEP, one
    without --allow-data-loss would be refused)."""
    from aepflow.hints import command

    loss = ["--allow-data-loss"] if allow_data_loss else []
    if destroy:
        return command("destroy", *loss, environment=environment)
    flags = [f"--target {t}" for t in targets] + [f"--replace {a}" for a in replace_addresses]
    flags += ["--refresh-only"] if refresh_only else []
    return command("apply", *flags, *loss, environment=environment)


def _options(
    destroy: bool, replace_addresses: tuple[str, ...], refresh_only: bool
) -> dict[str, object]:
    """The planning flags a saved plan records, so that a new plan can be made alike."""
    from aepflow.errors import UsageError

    if refresh_only and (destroy or replace_addresses):
        raise UsageError(
            "--refresh-only changes nothing in AEP: it cannot go with --destroy or --replace"
        )
    return {
        "destroy": destroy,
        "replace": sorted(set(replace_addresses)),
        "refresh_only": refresh_only,
    }


@click.command()
@env_option
@click.argument("planfile", required=False, type=click.Path(path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option(
    "--replan-if-stale",
    is_flag=True,
    help="With a saved plan that is stale: plan again and apply only if the new plan makes the "
    "same changes (addresses, actions, requests); otherwise stop, applying nothing.",
)
@target_option
@replace_option
@refresh_option
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
    replan_if_stale: bool,
    targets: tuple[str, ...],
    replace_addresses: tuple[str, ...],
    refresh_only: bool,
    allow_data_loss: bool,
    parallelism: int,
    lock_timeout: float,
    as_json: bool,
    no_color: bool,
) -> None:
    """Make the sandbox match the manifests (or apply a saved plan exactly)."""
    from aepflow.cli.applying import show_confirm_run
    from aepflow.errors import UsageError
    from aepflow.savedplan import plan_with
    from aepflow.workspace import open_workspace

    if as_json and not (auto_approve or planfile):
        raise UsageError("--json needs --auto-approve (or a saved plan): there is no one to ask")

    if planfile is not None:
        from aepflow.cli.applying import run, run_refresh
        from aepflow.project import load_project
        from aepflow.savedplan import read_plan_file, reviewed_or_same

        the_plan, saved = read_plan_file(planfile, environment)
        if environment is not None and environment != saved["environment"]:
            raise UsageError(
                f"{planfile} was made for environment {saved['environment']!r}, not {environment!r}"
            )
        if targets or replace_addresses or refresh_only:
            raise UsageError(
                "--target, --replace and --refresh-only make a new plan; a saved plan applies "
                "as it was made"
            )
        project = load_project()
        ws = open_workspace(
            saved["environment"],
            [project.root / p for p in saved["paths"]],
            targets=tuple(saved["targets"]),
            parallelism=parallelism,
        )
        # Hints name the plan's environment unless it is the default one (as -e would).
        if environment is None and saved["environment"] == project.default_environment:
            ws.hint_env = None
        try:
            with _locked(ws, lock_timeout):
                the_plan, why = reviewed_or_same(ws, the_plan, saved, replan=replan_if_stale)
                if why is not None:
                    click.echo(
                        f"Note: the saved plan was stale ({why}); a new plan makes the same "
                        "changes, so it is applied.",
                        err=True,
                    )
                if as_json:
                    emit({"event": "plan", "plan": the_plan.to_data()})
                elif not the_plan.has_changes:
                    click.echo("No changes. Nothing to apply.")
                    return
                if the_plan.refresh_only:
                    run_refresh(ws, the_plan, as_json)
                else:
                    run(ws, the_plan, as_json)
        finally:
            ws.close()
        return

    if replan_if_stale:
        raise UsageError("--replan-if-stale applies to a saved plan: give its file")
    options = _options(False, replace_addresses, refresh_only)
    ws = open_workspace(environment, (), targets=targets, parallelism=parallelism)
    try:
        with _locked(ws, lock_timeout):
            the_plan = plan_with(ws, options, allow_data_loss=allow_data_loss)
            question = "\nDo you want to perform these actions?"
            show_confirm_run(ws, the_plan, as_json, no_color, auto_approve, question)
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
    from aepflow.cli.applying import show_confirm_run
    from aepflow.errors import UsageError
    from aepflow.workspace import make_plan, open_workspace

    if as_json and not auto_approve:
        raise UsageError("--json needs --auto-approve: there is no one to ask")
    ws = open_workspace(environment, (), parallelism=parallelism)
    try:
        with _locked(ws, lock_timeout):
            the_plan = make_plan(ws, allow_data_loss=allow_data_loss, destroy=True)
            question = "\nDo you really want to destroy these resources?"
            show_confirm_run(ws, the_plan, as_json, no_color, auto_approve, question)
    finally:
        ws.close()


@click.command("import")
@env_option
@click.argument("address", required=False)
@click.argument("id", required=False)
@click.option("--flow", "flows", multiple=True, metavar="ID", help="Import a whole pipeline.")
@click.option("--all", "everything", is_flag=True, help="Import every CRMToAEP flow not managed.")
@lock_timeout_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON document for machines: what was imported; with --flow or --all also the "
    "files written, the flows skipped and why, the variables to set.",
)
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
        from aepflow.importing import import_flows

        result = import_flows(
            environment,
            flows,
            everything,
            lock_timeout,
            lambda m: click.echo(f"Note: {m}", err=True),
        )
        if as_json:
            emit(
                {
                    "imported": [
                        {"flow": flow, "file": shown_path(path)}
                        for path, flow in zip(result.files, result.flows, strict=True)
                    ],
                    "skipped": [
                        {"id": s.id, "name": s.name, "reason": s.reason} for s in result.skipped
                    ],
                    "env_vars": result.env_vars,
                    "notes": result.notes,
                }
            )
            return
        from aepflow.render.imports import render_import

        click.echo(render_import(result, plan_hint=_hint("plan", environment)), nl=False)
        return
    if not (address and id):
        raise UsageError("give ADDRESS ID, or --flow ID (repeatable), or --all")
    from aepflow.importing import import_resource
    from aepflow.workspace import open_workspace

    ws = open_workspace(environment, ())
    try:
        with _locked(ws, lock_timeout):
            import_resource(ws, address, id)
    finally:
        ws.close()
    if as_json:
        emit({"imported": [{"address": address, "id": id}]})
        return
    click.echo(
        f"Imported {id} as {address}. Run `{_hint('plan', environment)}` to see how it differs "
        "from its manifest."
    )


COMMANDS = [plan, apply, destroy, import_]


def _hint(command: str, environment: str | None) -> str:
    """A command to suggest, with the ``-e`` the user gave (hints follow the environment)."""
    from aepflow.hints import command as suggest

    return suggest(command, environment=environment)

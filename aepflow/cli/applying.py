"""Applying a plan from the command line: confirmation, progress, and the outcome."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from aepflow.cli.output import emit, render_plan, shown_path, want_color

if TYPE_CHECKING:
    from aepflow.engine.executor import ApplyResult
    from aepflow.engine.plan import Plan
    from aepflow.workspace import Workspace


def run(ws: Workspace, the_plan: Plan, as_json: bool) -> None:
    """Apply the plan with the right progress display, then report the outcome."""
    from aepflow.render.progress import JsonReporter
    from aepflow.workspace import apply_plan

    if not as_json:
        report(ws, apply_plan(ws, the_plan, reporter()))  # type: ignore[arg-type]
        return
    result = apply_plan(ws, the_plan, JsonReporter())
    emit(
        {
            "event": "end",
            "ok": result.ok,
            "done": [s.split(":", 1)[1] for s in result.done],
            "errors": {s.split(":", 1)[1]: str(e) for s, e in result.errors.items()},
            "not_started": [s.split(":", 1)[1] for s in result.not_started],
            "lock_file": shown_path(ws.env.lock_path),
        }
    )
    if not result.ok:
        sys.exit(1)


def run_refresh(ws: Workspace, the_plan: Plan, as_json: bool) -> None:
    """A refresh-only plan writes only the lock: no step reaches AEP."""
    from aepflow.engine.refresh import apply_refresh

    done = apply_refresh(ws.lock, ws.env.lock_path, the_plan)
    if as_json:
        emit(
            {
                "event": "end",
                "ok": True,
                "done": done,
                "errors": {},
                "not_started": [],
                "lock_file": shown_path(ws.env.lock_path),
            }
        )
        return
    click.echo(
        f"Refresh complete: the lock records {len(done)} change(s); nothing was changed in AEP. "
        f"Lock file: {shown_path(ws.env.lock_path)}"
    )


def show_confirm_run(
    ws: Workspace, the_plan: Plan, as_json: bool, no_color: bool, auto_approve: bool, question: str
) -> None:
    """Show the plan (or emit it), ask, and apply it: what apply and destroy share."""
    if as_json:
        emit({"event": "plan", "plan": the_plan.to_data()})
    else:
        click.echo(render_plan(the_plan, "text", want_color(no_color)), nl=False)
        if not the_plan.has_changes:
            return
        confirm(auto_approve, question, ws.hint_env)
        if not auto_approve and not the_plan.refresh_only:
            _still_holds(ws, the_plan)  # a person took time to answer: the sandbox may have moved
    if the_plan.refresh_only:
        run_refresh(ws, the_plan, as_json)
    else:
        run(ws, the_plan, as_json)


def _still_holds(ws: Workspace, the_plan: Plan) -> None:
    """Refuse to send the plan's creates when one of their objects appeared while the question
    waited for its answer (another apply elsewhere): a create would make a second live copy."""
    from aepflow.errors import StalePlanError
    from aepflow.savedplan import appeared

    why = appeared(ws, the_plan)
    if why is not None:
        raise StalePlanError(
            f"the sandbox changed while the plan waited for your answer: {why}. Nothing was "
            f"applied; run `{ws.hint('apply')}` again to plan afresh"
        )


def confirm(auto_approve: bool, question: str, environment: str | None = None) -> None:
    from aepflow.errors import UsageError
    from aepflow.hints import command

    if auto_approve:
        return
    if not sys.stdin.isatty():
        saved = (
            f"{command('plan', '--out', 'FILE', environment=environment)}; "
            f"{command('apply', 'FILE', environment=environment)}"
        )
        raise UsageError(
            "apply needs confirmation and there is no terminal to ask: review the plan and pass "
            f"--auto-approve, or apply a saved plan ({saved})"
        )
    answer = click.prompt(
        f"{question}\n  Only 'yes' will be accepted", default="", show_default=False
    )
    if answer.strip() != "yes":
        click.echo("Apply cancelled.")
        sys.exit(1)


def report(ws: Workspace, result: ApplyResult) -> None:
    from aepflow.errors import AepflowError, LockWriteError, NotRecordedError

    if result.ok:
        click.echo(
            f"Apply complete: {len(result.done)} step(s). Lock file: {shown_path(ws.env.lock_path)}"
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
            f"{shown_path(ws.env.lock_path)} does not record everything done.",
            err=True,
        )
        for e in unrecorded:
            click.echo(f"  created but not recorded: {e.address} = {e.id}", err=True)
        click.echo(
            f"Fix the cause (disk space, permissions) and run `{ws.hint('plan')}`: each object "
            "above carries its aepflow marker and is adopted, not created twice.",
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"Apply stopped after {len(result.done)} step(s); the lock file records everything done. "
        f"Fix the cause and run `{ws.hint('apply')}` again to carry on.",
        err=True,
    )
    unexpected = [e for e in result.errors.values() if not isinstance(e, AepflowError)]
    if unexpected and click.get_current_context().find_root().params.get("debug"):
        raise unexpected[0]
    sys.exit(1)


def reporter() -> object:
    from aepflow.render.progress import LineReporter, LiveReporter

    live = sys.stdout.isatty() and os.environ.get("TERM", "") != "dumb"  # no escape codes there
    return LiveReporter() if live else LineReporter()

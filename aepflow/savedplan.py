"""Saved plans (``aepflow plan --out FILE``, ``aepflow apply FILE``): bound to their inputs.

A plan file records, besides the plan, a checksum of every input apply would obey: each
manifest's content (by path relative to the project), the project file, the environment,
the scope (paths and ``--target``), the lock's lineage, serial and content. Its own checksum
covers all of it, so an edited field is refused, and applying it where any input differs —
another checkout, a manifest edited since, a lock moved by another apply — is refused with
what moved. Apply then reads the objects the plan writes, each of which must still be as the
plan read it, and looks for each object the plan creates by its aepflow marker (the list reads
a plan makes): one that appeared since (the same branch applied elsewhere) makes the plan
stale, so a reviewed create never makes a second live copy.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from aepflow.api import Request
from aepflow.engine.plan import Plan, ResourceChange
from aepflow.engine.planner import PROTECT_PATH
from aepflow.engine.refresh import refresh_plan
from aepflow.errors import StalePlanError, UsageError
from aepflow.hints import command
from aepflow.kinds import KINDS
from aepflow.kinds.base import canonical
from aepflow.manifest import manifest_files
from aepflow.workspace import Workspace, make_plan, read_scoped

PLAN_FILE_VERSION = 2


def rerun(environment: str | None = None) -> str:
    """The way out of a stale saved plan, with the ``-e`` given (None: none)."""
    plan_again = command("plan", "--out", "FILE", environment=environment)
    return f"run `{plan_again}` again and review the new plan"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _relative(ws: Workspace, path: Path) -> str:
    resolved = path.resolve()
    root = ws.project.root.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)


def inputs(
    ws: Workspace, targets: tuple[str, ...] = (), options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything a saved plan's apply obeys, by checksum; ``options`` are the planning flags
    (``--replace``, ``--refresh-only``, ``--destroy``) a new plan must be made with to be
    compared with this one."""
    files, _ = manifest_files([ws.project.manifests_dir, *ws.paths])
    project_file = ws.project.root / "aepflow.yaml"
    return {
        "environment": ws.env.name,
        "project_file": _digest(project_file.read_bytes()) if project_file.exists() else None,
        "manifests": {_relative(ws, f): _digest(f.read_bytes()) for f in sorted(set(files))},
        "paths": [_relative(ws, p) for p in ws.paths],
        "targets": list(targets),
        "options": dict(options or {}),
        "lock": {
            "lineage": ws.lock.lineage if ws.lock.serial > 0 else None,
            "serial": ws.lock.serial,
            "checksum": ws.lock.checksum(),
        },
    }


def save_plan(
    ws: Workspace,
    plan: Plan,
    path: Path,
    targets: tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
) -> None:
    data: dict[str, Any] = {
        "aepflow_plan": PLAN_FILE_VERSION,
        "inputs": inputs(ws, targets, options),
        "plan": plan.to_data(),
    }
    data["checksum"] = _digest(canonical(data).encode())
    try:
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write the plan file {path}: {e.strerror}") from None


def read_plan_file(path: Path, environment: str | None = None) -> tuple[Plan, dict[str, Any]]:
    """The plan and the inputs it was made from; a malformed file is a one-line error
    (``environment``: the ``-e`` given, for the command it suggests)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("aepflow_plan") != PLAN_FILE_VERSION:
            raise ValueError(
                f"not an aepflow plan file of format {PLAN_FILE_VERSION}; make it again with "
                f"`{command('plan', '--out', 'FILE', environment=environment)}`"
            )
        claimed = data.pop("checksum", None)
        if claimed != _digest(canonical(data).encode()):
            raise ValueError("its checksum does not match its content (edited by hand?)")
        plan = Plan.from_data(data["plan"])
        found = data["inputs"]
        if not isinstance(found, dict):
            raise TypeError("inputs is not an object")
    except FileNotFoundError:
        raise UsageError(f"plan file {path} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a plan file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a valid aepflow plan file: not UTF-8 text") from None
    except OSError as e:
        raise UsageError(f"cannot read the plan file {path}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise UsageError(f"{path} is not a valid aepflow plan file: {e}") from None
    return plan, found


def stale_reason(ws: Workspace, plan: Plan, saved: dict[str, Any]) -> str | None:
    """Why a saved plan can no longer be applied as made (its inputs moved, or an object it
    writes changed in the sandbox); None when it still holds."""
    now = inputs(ws, tuple(saved.get("targets", ())), saved.get("options"))
    moved = []
    if now["environment"] != saved.get("environment"):
        moved.append(f"it was made for environment {saved.get('environment')!r}")
    if now["project_file"] != saved.get("project_file"):
        moved.append("aepflow.yaml changed")
    before, after = saved.get("manifests") or {}, now["manifests"]
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    if changed:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        moved.append(f"manifests changed: {shown}")
    if now["lock"] != saved.get("lock"):
        moved.append("the lock file changed (another apply ran since)")
    if moved:
        return "; ".join(moved)
    # Only the objects the plan writes are read again (at once, as a plan reads): each must
    # still be as planned.
    written = [c for c in plan.actionable if c.id is not None]

    def current(change: ResourceChange) -> dict[str, Any] | None:
        assert change.id is not None
        kind = KINDS[change.kind]
        obj = kind.read(ws.client, change.id)
        r = ws.desired.get(change.address)
        return None if obj is None else kind.mask(obj.spec, r) if r is not None else obj.spec

    if written:
        with ThreadPoolExecutor(max_workers=max(1, min(ws.parallelism, len(written)))) as pool:
            for change, spec in zip(written, pool.map(current, written), strict=True):
                if spec != change.before:  # compared in the form the plan stored (secrets masked)
                    return f"{change.address} changed in the sandbox since the plan was made"
    return appeared(ws, plan)


def appeared(ws: Workspace, plan: Plan) -> str | None:
    """Why the plan's creates no longer hold: an object it creates now exists in the sandbox
    (found by its aepflow marker, by the list reads a plan makes), or its title is now taken.
    A create sent anyway would make a second live copy of it."""
    creates = [c.address for c in plan.actionable if c.action == "create"]
    if not creates:
        return None
    *_, live = read_scoped(ws)
    for address in creates:
        obj = live.objects.get(address)
        if obj is not None:
            return f"{address} now exists in the sandbox (id {obj.id}), made since the plan"
        if address in live.taken:
            id, title, _ = live.taken[address]
            return f"the title {title!r} of {address} is now taken in the sandbox (by {id})"
    return None


def check_saved_plan(ws: Workspace, plan: Plan, saved: dict[str, Any]) -> None:
    """Refuse a saved plan whose inputs moved, or whose objects changed in the sandbox."""
    why = stale_reason(ws, plan, saved)
    if why is not None:
        raise StalePlanError(f"saved plan is stale: {why}; {rerun(ws.hint_env)}")


def plan_with(ws: Workspace, options: dict[str, Any], *, allow_data_loss: bool = False) -> Plan:
    """A new plan made with the planning flags a saved plan records (``options``)."""
    refresh_only = bool(options.get("refresh_only"))
    plan = make_plan(
        ws,
        allow_data_loss=allow_data_loss or refresh_only,  # a refresh destroys nothing
        destroy=bool(options.get("destroy")),
        replace_addresses=frozenset(options.get("replace") or ()),
    )
    return refresh_plan(plan, ws.lock, ws.desired) if refresh_only else plan


def reviewed_or_same(
    ws: Workspace, reviewed: Plan, saved: dict[str, Any], *, replan: bool
) -> tuple[Plan, str | None]:
    """The plan to apply for a saved plan: the reviewed one while it holds. When it is stale
    and ``replan`` is given (``--replan-if-stale``), a new plan, only if it makes the same
    changes (addresses, actions, requests); the second value then says why it was made.

    Data loss needs no flag here: a new plan may destroy only what the reviewed one did.
    """
    why = stale_reason(ws, reviewed, saved)
    if why is None:
        return reviewed, None
    if not replan:
        raise StalePlanError(f"saved plan is stale: {why}; {rerun(ws.hint_env)}")
    new = plan_with(ws, saved.get("options") or {}, allow_data_loss=True)
    found = differences(reviewed, new)
    if found:
        shown = "; ".join(found[:10]) + (f"; and {len(found) - 10} more" if len(found) > 10 else "")
        raise StalePlanError(
            f"saved plan is stale ({why}) and a new plan makes other changes than the "
            f"reviewed one: {shown}. Nothing was applied; {rerun(ws.hint_env)}"
        )
    return new, why


def _request_key(request: Request) -> str:
    """A request as compared between two plans: its precondition token (If-Match) is left
    out, since it changes with every write to the object even when the change is the same."""
    return canonical(replace(request, if_match=None).to_data())


def differences(reviewed: Plan, new: Plan) -> list[str]:
    """What a new plan does that the reviewed one did not, or the other way round: the
    addresses, their actions and the requests they send. Empty: the same changes."""

    def shape(plan: Plan) -> dict[str, tuple[tuple[str, ...], list[str], list[str]]]:
        return {
            c.address: (
                tuple(c.actions),
                [_request_key(r) for r in c.delete_requests + c.requests],
                sorted(canonical(asdict(ch)) for ch in c.changes if ch.path == PROTECT_PATH),
            )
            for c in plan.actionable
        }

    before, after = shape(reviewed), shape(new)
    out = []
    for address in sorted(set(before) | set(after)):
        old, now = before.get(address), after.get(address)
        if old is None and now is not None:
            out.append(f"{address}: {'/'.join(now[0])}, not in the reviewed plan")
        elif now is None and old is not None:
            out.append(f"{address}: {'/'.join(old[0])} in the reviewed plan, no longer planned")
        elif old is not None and now is not None and old != now:
            if old[0] != now[0]:
                out.append(f"{address}: {'/'.join(now[0])} instead of {'/'.join(old[0])}")
            else:
                out.append(f"{address}: {'/'.join(now[0])} with other requests")
    if reviewed.refresh_only != new.refresh_only or reviewed.destroy != new.destroy:
        out.append("the plans were made with other options")
    return out

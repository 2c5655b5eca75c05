"""Saved plans (``aepflow plan --out FILE``, ``aepflow apply FILE``): bound to their inputs.

A plan file records, besides the plan, a checksum of every input apply would obey: each
manifest's content (by path relative to the project), the project file, the environment,
the scope (paths and ``--target``), the lock's lineage, serial and content. Its own checksum
covers all of it, so an edited field is refused, and applying it where any input differs —
another checkout, a manifest edited since, a lock moved by another apply — is refused with
what moved. Apply then reads only the objects the plan writes, each of which must still be
as the plan read it.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aepflow.engine.plan import Plan, ResourceChange
from aepflow.errors import StalePlanError, UsageError
from aepflow.kinds import KINDS
from aepflow.kinds.base import canonical
from aepflow.manifest import manifest_files
from aepflow.workspace import Workspace

PLAN_FILE_VERSION = 2
RERUN = "run `aepflow plan --out FILE` again and review the new plan"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _relative(ws: Workspace, path: Path) -> str:
    resolved = path.resolve()
    root = ws.project.root.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)


def inputs(ws: Workspace, targets: tuple[str, ...] = ()) -> dict[str, Any]:
    """Everything a saved plan's apply obeys, by checksum."""
    files, _ = manifest_files([ws.project.manifests_dir, *ws.paths])
    project_file = ws.project.root / "aepflow.yaml"
    return {
        "environment": ws.env.name,
        "project_file": _digest(project_file.read_bytes()) if project_file.exists() else None,
        "manifests": {_relative(ws, f): _digest(f.read_bytes()) for f in sorted(set(files))},
        "paths": [_relative(ws, p) for p in ws.paths],
        "targets": list(targets),
        "lock": {
            "lineage": ws.lock.lineage if ws.lock.serial > 0 else None,
            "serial": ws.lock.serial,
            "checksum": ws.lock.checksum(),
        },
    }


def save_plan(ws: Workspace, plan: Plan, path: Path, targets: tuple[str, ...] = ()) -> None:
    data: dict[str, Any] = {
        "aepflow_plan": PLAN_FILE_VERSION,
        "inputs": inputs(ws, targets),
        "plan": plan.to_data(),
    }
    data["checksum"] = _digest(canonical(data).encode())
    try:
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write the plan file {path}: {e.strerror}") from None


def read_plan_file(path: Path) -> tuple[Plan, dict[str, Any]]:
    """The plan and the inputs it was made from; a malformed file is a one-line error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("aepflow_plan") != PLAN_FILE_VERSION:
            raise ValueError(
                f"not an aepflow plan file of format {PLAN_FILE_VERSION}; make it again with "
                "`aepflow plan --out FILE`"
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


def check_saved_plan(ws: Workspace, plan: Plan, saved: dict[str, Any]) -> None:
    """Refuse a saved plan whose inputs moved, or whose objects changed in the sandbox."""
    now = inputs(ws, tuple(saved.get("targets", ())))
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
        raise StalePlanError(f"saved plan is stale: {'; '.join(moved)}; {RERUN}")
    # Only the objects the plan writes are read again (at once, as a plan reads): each must
    # still be as planned.
    written = [c for c in plan.actionable if c.id is not None]

    def current(change: ResourceChange) -> dict[str, Any] | None:
        assert change.id is not None
        kind = KINDS[change.kind]
        obj = kind.read(ws.client, change.id)
        r = ws.desired.get(change.address)
        return None if obj is None else kind.mask(obj.spec, r) if r is not None else obj.spec

    if not written:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(ws.parallelism, len(written)))) as pool:
        for change, spec in zip(written, pool.map(current, written), strict=True):
            if spec != change.before:  # compared in the form the plan stored (secrets masked)
                raise StalePlanError(
                    f"saved plan is stale: {change.address} changed in the sandbox since the "
                    f"plan was made; {RERUN}"
                )

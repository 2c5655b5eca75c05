"""``aepflow state``: the lock as an inventory a user can read and correct.

``list`` and ``show`` read it; ``rm`` forgets an address without deleting its object; ``mv``
re-addresses an object (a renamed Dataflow, schema or connection) so that it is neither
destroyed nor created again. Writes hold the environment's apply lock and go through the
same journalled writer as apply. The object's aepflow marker still names the old address
after ``mv``: the next plan shows the marker change and apply updates it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from aepflow.engine import lockfile
from aepflow.engine.applylock import apply_lock
from aepflow.engine.lockfile import LockWriter
from aepflow.engine.plan import Lock
from aepflow.errors import UsageError
from aepflow.kinds import KINDS
from aepflow.project import Environment, Project, load_project


def open_lock(environment: str | None) -> tuple[Project, Environment, Lock]:
    project = load_project()
    env = project.environment(environment)
    return project, env, lockfile.load(env.lock_path, env.name, env.sandbox)


@contextmanager
def holding(env: Environment, timeout: float, on_takeover: Callable[[str], None]) -> Iterator[Lock]:
    """Hold the environment's apply lock; the lock file is read once it is held, so what
    another apply recorded while this one waited is built on, never overwritten."""
    with apply_lock(env.apply_lock_path, env.name, timeout=timeout, on_takeover=on_takeover):
        yield lockfile.load(env.lock_path, env.name, env.sandbox)


@contextmanager
def writing(
    environment: str | None, timeout: float, on_takeover: Callable[[str], None]
) -> Iterator[LockWriter]:
    """The lock, read once the apply lock is held, and a writer folded when done."""
    _, env, _ = open_lock(environment)
    with holding(env, timeout, on_takeover) as lock:
        writer = LockWriter(lock, env.lock_path)
        try:
            yield writer
        finally:
            writer.close()


def listing(lock: Lock) -> dict[str, Any]:
    """``state list --json``: every recorded address, for scripts (no secret hashes)."""
    return {
        "environment": lock.environment,
        "sandbox": lock.sandbox,
        "lineage": lock.lineage if lock.serial > 0 else None,
        "serial": lock.serial,
        "resources": [
            {
                "address": address,
                "kind": entry.kind,
                "id": entry.id,
                "depends_on": list(entry.depends_on),
                "protect": entry.protect,
                "version": entry.version,
            }
            for address, entry in sorted(lock.resources.items())
        ],
    }


def show(lock: Lock, address: str) -> dict[str, Any]:
    entry = lock.resources.get(address)
    if entry is None:
        raise UsageError(f"{address} is not in the lock{_near(lock, address)}")
    data = entry.to_json()
    if "secret_hashes" in data:
        data["secret_hashes"] = dict.fromkeys(data["secret_hashes"], "(sensitive)")
    data.pop("secrets_hash", None)
    return {"address": address, **data}


def remove(writer: LockWriter, addresses: tuple[str, ...]) -> list[tuple[str, str]]:
    lock = writer.lock
    missing = [a for a in addresses if a not in lock.resources]
    if missing:
        raise UsageError(f"{', '.join(missing)} not in the lock{_near(lock, missing[0])}")
    removed = [(a, lock.resources[a].id) for a in addresses]
    for address in addresses:
        writer.remove(address)
    return removed


def move(writer: LockWriter, source: str, target: str) -> str:
    lock = writer.lock
    entry = lock.resources.get(source)
    if entry is None:
        raise UsageError(f"{source} is not in the lock{_near(lock, source)}")
    if source.split(".", 1)[0] != target.split(".", 1)[0] or "." not in target:
        raise UsageError(
            f"cannot move {source} to {target}: an address keeps its kind "
            f"({source.split('.', 1)[0]}.NEW-NAME)"
        )
    check_address(target)
    if target in lock.resources:
        raise UsageError(f"{target} is already in the lock as {lock.resources[target].id}")
    writer.put(target, entry)
    writer.remove(source)
    for address, other in sorted(lock.resources.items()):
        if source in other.depends_on:
            deps = tuple(sorted(target if d == source else d for d in other.depends_on))
            writer.put(address, replace(other, depends_on=deps))
    return entry.id


# A manifest's metadata.name (schemas/connection.schema.json#/$defs/name): what an address
# names after its kind. A descriptor's address goes on with the field it describes.
NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
FIELD = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")


def check_address(address: str) -> None:
    """Refuse an address no manifest can declare: it would never match a definition, and
    the next plan would destroy the object it names."""
    kind, _, rest = address.partition(".")
    name, _, field = rest.partition(".") if kind == "descriptor" else (rest, "", "")
    fix = "a name is lower-case letters, digits and '-', at most 63, as in metadata.name" + (
        ", then the field path" if kind == "descriptor" else ""
    )
    if kind not in KINDS:
        raise UsageError(
            f"{address!r} is not an address: its kind {kind!r} is not one of "
            f"{', '.join(sorted(KINDS))}"
        )
    if not NAME.fullmatch(name) or len(name) > 63:
        raise UsageError(f"{address!r} is not an address a manifest can declare: {fix}")
    if kind == "descriptor" and not FIELD.fullmatch(field):
        raise UsageError(f"{address!r} is not an address a manifest can declare: {fix}")


def _near(lock: Lock, address: str) -> str:
    kind = address.split(".", 1)[0]
    same = sorted(a for a in lock.resources if a.startswith(kind + "."))
    return f" (of that kind: {', '.join(same[:10])})" if same else ""

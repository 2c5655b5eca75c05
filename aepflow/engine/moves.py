"""Renames declared in the manifests (``metadata.movedFrom``), applied to the lock.

Like Terraform's ``moved`` blocks: a Dataflow renamed from ``a`` to ``b`` keeps its objects,
so ``flow.a``, ``sourceConnection.a`` … are recorded again as ``flow.b``, ``sourceConnection.b``
… instead of being destroyed and created again (and a renamed dataset never loses its data).
An address is moved only when the old one is recorded and the new one is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from aepflow.engine.plan import Lock
from aepflow.kinds.base import Resource

# The resource kinds a definition of each manifest kind stands for.
KINDS_OF = {
    "Connection": frozenset({"connection"}),
    "Schema": frozenset({"schema", "fieldGroup", "descriptor", "profile"}),
    "Dataset": frozenset({"dataset"}),
    "Dataflow": frozenset({"sourceConnection", "targetConnection", "mappingSet", "flow"}),
}


def moves(
    renames: Iterable[tuple[frozenset[str], str, str]],
    desired: Mapping[str, Resource],
    lock: Lock,
) -> list[tuple[str, str]]:
    """(old address, new address) for every recorded address a rename applies to: only the
    resource kinds of the renamed definition (a Connection's rename never moves a flow)."""
    out: list[tuple[str, str]] = []
    for kinds, old, new in renames:
        for address in sorted(lock.resources):
            kind, _, rest = address.partition(".")
            name, dot, tail = rest.partition(".")
            target = f"{kind}.{new}{dot}{tail}"
            if kind in kinds and name == old and target in desired and target not in lock.resources:
                out.append((address, target))
    return out


def moved_lock(lock: Lock, pairs: list[tuple[str, str]]) -> Lock:
    """A copy of ``lock`` with the addresses moved (dependencies re-pointed too)."""
    if not pairs:
        return lock
    renamed = dict(pairs)
    resources = {
        renamed.get(a, a): replace(
            e, depends_on=tuple(sorted(renamed.get(d, d) for d in e.depends_on))
        )
        for a, e in lock.resources.items()
    }
    return replace(lock, resources=resources)


def aliases(
    renames: Iterable[tuple[frozenset[str], str, str]], desired: Mapping[str, Resource]
) -> dict[str, tuple[str, ...]]:
    """The old addresses each desired address had (``movedFrom``), for adoption: a live object
    that still carries an old name's marker is the renamed resource, even when the lock that
    recorded it is lost, and must not be created a second time."""
    out: dict[str, list[str]] = {}
    for kinds, old, new in renames:
        for address in sorted(desired):
            kind, _, rest = address.partition(".")
            name, dot, tail = rest.partition(".")
            if kind in kinds and name == new:
                out.setdefault(address, []).append(f"{kind}.{old}{dot}{tail}")
    return {a: tuple(olds) for a, olds in out.items()}

"""The registry of resource kinds: one module per kind, one line each here.

Adding a kind is one module in this package (a ``Kind`` subclass and its ``KIND``), one line
below, its JSON Schema and its emulator service. The order is the order a reader meets the
kinds, and the tie-break order of a plan.
"""

from __future__ import annotations

from aepflow.kinds import (
    connection,
    dataset,
    descriptor,
    field_group,
    flow,
    mapping_set,
    profile,
    schema,
    source_connection,
    target_connection,
)
from aepflow.kinds.base import Kind, Resource
from aepflow.model import ProjectModel

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        connection.KIND,
        source_connection.KIND,
        field_group.KIND,
        schema.KIND,
        descriptor.KIND,
        profile.KIND,
        dataset.KIND,
        target_connection.KIND,
        mapping_set.KIND,
        flow.KIND,
    )
}


def kind_of(address: str) -> Kind:
    return KINDS[address.split(".", 1)[0]]


def desired_resources(model: ProjectModel, tenant: str) -> dict[str, Resource]:
    """Every platform resource the manifests describe, by address."""
    return {r.address: r for kind in KINDS.values() for r in kind.desired(model, tenant)}


__all__ = ["KINDS", "Kind", "Resource", "desired_resources", "kind_of"]

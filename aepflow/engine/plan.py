"""A Plan is data: what will change, resource by resource. Rendering and applying walk it."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from aepflow.engine.resources import canonical

Action = Literal["create", "update", "replace", "delete", "adopt", "noop"]
FORMAT_VERSION = "1.0"
UNKNOWN = "(known after apply)"
SENSITIVE = "(sensitive value)"


@dataclass(frozen=True)
class Change:
    path: str  # dotted path in the resource's spec
    before: Any
    after: Any  # UNKNOWN when only known after apply
    forces_replacement: bool = False
    sensitive: bool = False


@dataclass(frozen=True)
class ResourceChange:
    address: str
    kind: str
    action: Action
    id: str | None = None  # the live object's id (None when it does not exist yet)
    reason: str | None = None  # e.g. "no longer in the manifests", "changed outside aepflow"
    changes: tuple[Change, ...] = ()
    depends_on: tuple[str, ...] = ()
    hash: str | None = None  # hash of the desired spec (None for deletes)
    before: dict[str, Any] | None = None  # live spec, normalised (no secrets)
    after: dict[str, Any] | None = None  # desired spec, refs resolved where known (no secrets)
    drift: bool = False

    @property
    def actions(self) -> list[str]:
        """Terraform-style action list: ["create"], ["delete", "create"], ["no-op"], ..."""
        return {
            "create": ["create"],
            "update": ["update"],
            "replace": ["delete", "create"],
            "delete": ["delete"],
            "adopt": ["adopt"] + (["update"] if self.changes else []),
            "noop": ["no-op"],
        }[self.action]


@dataclass(frozen=True)
class Plan:
    environment: str
    sandbox: str
    changes: tuple[ResourceChange, ...]  # every managed resource, noops included, in apply order
    lock_checksum: str
    live_checksum: str
    lineage: str
    destroy: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def actionable(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.changes if c.action != "noop")

    @property
    def counts(self) -> dict[str, int]:
        add = sum(c.action in ("create", "replace") for c in self.changes)
        change = sum(
            c.action == "update" or (c.action == "adopt" and bool(c.changes)) for c in self.changes
        )
        destroy = sum(c.action in ("delete", "replace") for c in self.changes)
        adopt = sum(c.action == "adopt" for c in self.changes)
        return {"adopt": adopt, "add": add, "change": change, "destroy": destroy}

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    def summary(self) -> str:
        if not self.has_changes:
            return "No changes."
        c = self.counts
        adopt = f"{c['adopt']} to adopt, " if c["adopt"] else ""
        return (
            f"Plan: {adopt}{c['add']} to add, {c['change']} to change, {c['destroy']} to destroy."
        )

    def to_data(self) -> dict[str, Any]:
        """The JSON plan (documented in the README); secrets never appear in a Plan."""
        return {
            "format_version": FORMAT_VERSION,
            "environment": self.environment,
            "sandbox": self.sandbox,
            "destroy": self.destroy,
            "summary": self.counts | {"text": self.summary()},
            "resource_changes": [
                {
                    "address": c.address,
                    "kind": c.kind,
                    "actions": c.actions,
                    "id": c.id,
                    "reason": c.reason,
                    "drift": c.drift,
                    "depends_on": list(c.depends_on),
                    "hash": c.hash,
                    "before": c.before,
                    "after": c.after,
                    "changes": [asdict(ch) for ch in c.changes],
                }
                for c in self.changes
            ],
            "notes": list(self.notes),
            "prior_state": {
                "lineage": self.lineage,
                "lock_checksum": self.lock_checksum,
                "live_checksum": self.live_checksum,
            },
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Plan:
        inverse = {
            ("create",): "create",
            ("update",): "update",
            ("delete", "create"): "replace",
            ("delete",): "delete",
            ("adopt",): "adopt",
            ("adopt", "update"): "adopt",
            ("no-op",): "noop",
        }
        changes = tuple(
            ResourceChange(
                address=c["address"],
                kind=c["kind"],
                action=inverse[tuple(c["actions"])],  # type: ignore[arg-type]
                id=c["id"],
                reason=c["reason"],
                changes=tuple(Change(**ch) for ch in c["changes"]),
                depends_on=tuple(c["depends_on"]),
                hash=c["hash"],
                before=c["before"],
                after=c["after"],
                drift=c["drift"],
            )
            for c in data["resource_changes"]
        )
        prior = data["prior_state"]
        return cls(
            environment=data["environment"],
            sandbox=data["sandbox"],
            changes=changes,
            lock_checksum=prior["lock_checksum"],
            live_checksum=prior["live_checksum"],
            lineage=prior["lineage"],
            destroy=data["destroy"],
            notes=tuple(data.get("notes", ())),
        )

    def checksum(self) -> str:
        return hashlib.sha256(canonical(self.to_data()).encode()).hexdigest()

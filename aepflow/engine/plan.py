"""The plan model: what will change, resource by resource, down to the requests apply sends.

Rendering and applying walk the same Plan, so what was reviewed is what runs. The state a
plan is made from — the lock (``Lock``) and the live objects (``LiveState``) — is typed here
too, so the planner needs nothing but this module and the kinds.
"""

from __future__ import annotations

import hashlib
import secrets as _secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, overload

from aepflow.api import Request
from aepflow.kinds.base import SENSITIVE, UNKNOWN, Change, LiveObject, canonical

# "forget" and "record" are a refresh-only plan's: changes to the lock alone, none in AEP.
Action = Literal["create", "update", "replace", "delete", "adopt", "forget", "record", "noop"]
FORMAT_VERSION = "2.0"
PBKDF2_ROUNDS = 20_000

__all__ = [
    "SENSITIVE",
    "UNKNOWN",
    "Change",
    "Later",
    "LiveObject",
    "LiveState",
    "Lock",
    "LockEntry",
    "Plan",
    "ResourceChange",
]


class Later:
    """A value only a saved or a JSON plan shows (a spec's hash, the live state's checksum),
    worked out when first read: a plan printed as text, or applied at once, never pays for
    it. At 1,000 pipelines the two were a fifth of a no-op plan's CPU. What it is made from
    must not change after the plan is made (the live state and the desired specs do not)."""

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], str]) -> None:
        self._make = make
        self._value: str | None = None

    @property
    def value(self) -> str:
        if self._value is None:
            self._value = self._make()
        return self._value

    # Plans compare (and print) by value: one left for later equals the same value worked out.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Later):
            return self.value == other.value
        return self.value == other if isinstance(other, str) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return repr(self.value)

    # Copied or pickled (``dataclasses.asdict``, ``copy``, ``pickle``), it is the value itself.
    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return str, (self.value,)


@overload
def settled(value: str | Later) -> str: ...
@overload
def settled(value: str | Later | None) -> str | None: ...
def settled(value: str | Later | None) -> str | None:
    """The value itself, worked out now if it was left for later."""
    return value.value if isinstance(value, Later) else value


# -- the state a plan is made from -------------------------------------------------------


@dataclass(frozen=True)
class LockEntry:
    id: str
    kind: str
    hash: str | None = None  # None: imported, never applied by aepflow
    depends_on: tuple[str, ...] = ()
    version: int | None = None  # mapping sets: the version the flow uses
    secrets_hash: str | None = None  # format 1 before per-secret hashes: read, never written
    protect: bool = False
    secret_hashes: dict[str, str] = field(default_factory=dict)  # per secret: salted PBKDF2

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind}
        if self.hash is not None:
            out["hash"] = self.hash
        if self.depends_on:
            out["depends_on"] = list(self.depends_on)
        if self.version is not None:
            out["version"] = self.version
        if self.secrets_hash is not None:
            out["secrets_hash"] = self.secrets_hash
        if self.protect:
            out["protect"] = True
        if self.secret_hashes:
            out["secret_hashes"] = dict(sorted(self.secret_hashes.items()))
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LockEntry:
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            hash=data.get("hash"),
            depends_on=tuple(data.get("depends_on", ())),
            version=data.get("version"),
            secrets_hash=data.get("secrets_hash"),
            protect=bool(data.get("protect", False)),
            secret_hashes={str(k): str(v) for k, v in (data.get("secret_hashes") or {}).items()},
        )


@dataclass
class Lock:
    environment: str
    sandbox: str
    lineage: str = field(default_factory=lambda: _secrets.token_hex(16))
    serial: int = 0
    secret_salt: str = field(default_factory=lambda: _secrets.token_hex(16))
    resources: dict[str, LockEntry] = field(default_factory=dict)

    def secrets_hash(self, values: dict[str, str]) -> str | None:
        if not values:
            return None
        digest = hashlib.pbkdf2_hmac(
            "sha256", canonical(values).encode(), bytes.fromhex(self.secret_salt), PBKDF2_ROUNDS
        )
        return f"pbkdf2-sha256:{PBKDF2_ROUNDS}:{digest.hex()}"

    def secret_hashes(self, values: dict[str, str]) -> dict[str, str]:
        """One salted hash per secret, so a plan can say which one changed."""
        return {k: str(self.secrets_hash({k: v})) for k, v in sorted(values.items())}

    def checksum(self) -> str:
        """What a saved plan pins: the lock's content, not its serial or file layout."""
        return hashlib.sha256(
            canonical({a: e.to_json() for a, e in self.resources.items()}).encode()
        ).hexdigest()


@dataclass
class LiveState:
    objects: dict[str, LiveObject | None]  # address -> object (None: not found)
    # address -> (id, title, owner) of an object holding the title the resource would be
    # created with (AEP keeps titles unique: the create would fail); owner is the lock address
    # that object is recorded under, or "" when aepflow does not manage it
    taken: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def checksum(self) -> str:
        data = {
            a: None if o is None else {"id": o.id, "spec": o.spec, "version": o.version}
            for a, o in sorted(self.objects.items())
        }
        return hashlib.sha256(canonical(data).encode()).hexdigest()


# -- the plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceChange:
    address: str
    kind: str
    action: Action
    id: str | None = None  # the live object's id (None when it does not exist yet)
    reason: str | None = None  # e.g. "no longer in the manifests", "changed outside aepflow"
    changes: tuple[Change, ...] = ()
    depends_on: tuple[str, ...] = ()
    hash: str | Later | None = None  # hash of the desired spec (None for deletes)
    before: dict[str, Any] | None = None  # live spec, normalised (no secrets)
    after: dict[str, Any] | None = None  # desired spec, refs resolved where known (no secrets)
    drift: bool = False
    protect: bool = False
    version: int | None = None  # the live object's version (mapping sets), as the plan read it
    delete_requests: tuple[Request, ...] = ()  # a delete, or the first half of a replacement
    requests: tuple[Request, ...] = ()  # a create, an update, or the second half

    @property
    def actions(self) -> list[str]:
        """Terraform-style action list: ["create"], ["delete", "create"], ["no-op"], ..."""
        return {
            "create": ["create"],
            "update": ["update"],
            "replace": ["delete", "create"],
            "delete": ["delete"],
            "adopt": ["adopt"] + (["update"] if self.changes else []),
            "forget": ["forget"],
            "record": ["record"],
            "noop": ["no-op"],
        }[self.action]

    def to_data(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "actions": self.actions,
            "id": self.id,
            "reason": self.reason,
            "drift": self.drift,
            "protect": self.protect,
            "version": self.version,
            "depends_on": list(self.depends_on),
            "hash": settled(self.hash),
            "before": self.before,
            "after": self.after,
            "changes": [asdict(ch) for ch in self.changes],
            "requests": [r.to_data() for r in self.delete_requests + self.requests],
            "delete_requests": len(self.delete_requests),
        }

    @classmethod
    def from_data(cls, c: dict[str, Any]) -> ResourceChange:
        requests = tuple(Request.from_data(r) for r in c["requests"])
        n = int(c["delete_requests"])
        return cls(
            address=c["address"],
            kind=c["kind"],
            action=_INVERSE[tuple(c["actions"])],
            id=c["id"],
            reason=c["reason"],
            changes=tuple(Change(**ch) for ch in c["changes"]),
            depends_on=tuple(c["depends_on"]),
            hash=c["hash"],
            before=c["before"],
            after=c["after"],
            drift=c["drift"],
            protect=bool(c["protect"]),
            version=c["version"],
            delete_requests=requests[:n],
            requests=requests[n:],
        )


_INVERSE: dict[tuple[str, ...], Action] = {
    ("create",): "create",
    ("update",): "update",
    ("delete", "create"): "replace",
    ("delete",): "delete",
    ("adopt",): "adopt",
    ("adopt", "update"): "adopt",
    ("forget",): "forget",
    ("record",): "record",
    ("no-op",): "noop",
}


@dataclass(frozen=True)
class Plan:
    environment: str
    sandbox: str
    changes: tuple[ResourceChange, ...]  # every managed resource, noops included, in apply order
    lock_checksum: str
    live_checksum: str | Later
    lineage: str
    destroy: bool = False
    notes: tuple[str, ...] = field(default=())
    scope: tuple[str, ...] | None = None  # a partial plan: the addresses it covers
    # --refresh-only: the changes are to the lock alone (what it records of the sandbox)
    refresh_only: bool = False

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
        counts = {"adopt": adopt, "add": add, "change": change, "destroy": destroy}
        if self.refresh_only:  # the lock's changes: nothing is added, changed or destroyed
            counts["forget"] = sum(c.action == "forget" for c in self.changes)
            counts["record"] = sum(c.action == "record" for c in self.changes)
        return counts

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    def summary(self) -> str:
        if not self.has_changes:
            return "No changes."
        c = self.counts
        if self.refresh_only:
            return (
                f"Refresh only: {c['forget']} to forget, {c['record']} to record in the lock; "
                "nothing changes in AEP."
            )
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
            "resource_changes": [c.to_data() for c in self.changes],
            "notes": list(self.notes),
            "scope": None if self.scope is None else list(self.scope),
            "refresh_only": self.refresh_only,
            "prior_state": {
                "lineage": self.lineage,
                "lock_checksum": self.lock_checksum,
                "live_checksum": settled(self.live_checksum),
            },
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Plan:
        prior = data["prior_state"]
        return cls(
            environment=data["environment"],
            sandbox=data["sandbox"],
            changes=tuple(ResourceChange.from_data(c) for c in data["resource_changes"]),
            lock_checksum=prior["lock_checksum"],
            live_checksum=prior["live_checksum"],
            lineage=prior["lineage"],
            destroy=data["destroy"],
            notes=tuple(data.get("notes", ())),
            scope=None if data.get("scope") is None else tuple(data["scope"]),
            refresh_only=bool(data.get("refresh_only", False)),
        )

    def checksum(self) -> str:
        return hashlib.sha256(canonical(self.to_data()).encode()).hexdigest()

"""What every resource kind module provides, and the data they share with the engine.

A kind module owns everything aepflow knows about one kind of platform object: its desired
spec built from the manifests, the normalised form of a live object (so the two compare
directly), which fields update in place, force replacement or are refused, the identity keys
of its lists, how an object is found again by its marker, and the exact requests that
create, update and delete it. The engine dispatches through the registry
(``aepflow.kinds.KINDS``) and holds no per-kind branches.

A resource's ``spec`` holds only the fields aepflow manages. References to other resources
are ``{"$resource": address}`` (the other's id) or ``{"$resource": address, "field": "version"}``;
secrets are kept apart in ``secrets`` and never serialised.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from aepflow.api import Door, Hole, ListRequest, Request, holes, is_ref
from aepflow.errors import SourceLocation
from aepflow.model import TENANT_PLACEHOLDER, ProjectModel

MARKER_PREFIX = "aepflow:"
Listed = Callable[[str, Hashable], "list[dict[str, Any]] | None"]
UNKNOWN = "(known after apply)"
SENSITIVE = "(sensitive value)"


def ref(address: str, field_name: str | None = None) -> dict[str, str]:
    return (
        {"$resource": address}
        if field_name is None
        else {"$resource": address, "field": field_name}
    )


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_hash(spec: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical(spec).encode()).hexdigest()


def marker(address: str) -> str:
    """The line aepflow adds to a description so it can find its resources again."""
    return f"{MARKER_PREFIX} {address}"


def with_marker(description: str, address: str) -> str:
    return f"{description}\n\n{marker(address)}" if description else marker(address)


def naming_ops(
    r: Resource, spec: Mapping[str, Any], changes: Sequence[Change], name_field: str = "name"
) -> list[dict[str, Any]]:
    """JSON Patch ``replace`` ops for a changed name (or title) and description, the
    description keeping ``r``'s marker."""
    fields = {c.field for c in changes}
    ops: list[dict[str, Any]] = []
    if name_field in fields:
        ops.append({"op": "replace", "path": f"/{name_field}", "value": spec[name_field]})
    if fields & {"description", "marker"}:
        value = with_marker(spec["description"], r.address)
        ops.append({"op": "replace", "path": "/description", "value": value})
    return ops


def split_marker(description: str | None) -> tuple[str, str | None]:
    """(user description, address in the marker or None)."""
    text = description or ""
    head, sep, last = text.rpartition("\n")
    candidate = last if sep else text
    if candidate.startswith(MARKER_PREFIX):
        return head.rstrip("\n"), candidate[len(MARKER_PREFIX) :].strip()
    return text, None


def tenantize(value: Any, tenant: str) -> Any:
    """``_${tenant}`` replaced by the sandbox's tenant namespace, in keys and strings alike."""
    if isinstance(value, str):
        return value.replace(TENANT_PLACEHOLDER, f"_{tenant}")
    if isinstance(value, dict):
        return {tenantize(k, tenant): tenantize(v, tenant) for k, v in value.items()}
    if isinstance(value, list):
        return [tenantize(v, tenant) for v in value]
    return value


@dataclass(frozen=True)
class Resource:
    address: str
    kind: str
    spec: dict[str, Any]
    location: SourceLocation
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    protect: bool = False  # destroying or replacing loses data: needs an explicit opt-in
    ignore: frozenset[str] = frozenset()  # fields managed outside aepflow: never planned
    requires: tuple[str, ...] = ()  # addresses that must exist first, beyond the references

    @property
    def name(self) -> str:
        return self.address.split(".", 1)[1]

    # Worked out once per resource (a plan asks for each several times); a spec is never
    # changed after the resource is built (``dataclasses.replace`` builds a new one).
    @cached_property
    def holes(self) -> list[Hole]:
        """Every placeholder of the spec with its path (what a plan fills in)."""
        return holes(self.spec)

    @cached_property
    def depends_on(self) -> tuple[str, ...]:
        refs = {str(p["$resource"]) for _, p in self.holes if is_ref(p)}
        return tuple(sorted(refs | set(self.requires)))

    @cached_property
    def hash(self) -> str:
        return spec_hash(self.spec)


@dataclass(frozen=True)
class LiveObject:
    id: str
    kind: str
    spec: dict[str, Any]  # normalised by the kind
    etag: str | None = None
    version: int | None = None  # mapping sets: latest version
    adopted: bool = False  # found by its marker, not through the lock
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Change:
    path: str  # dotted path in the spec; a keyed list item is ``columns[Email]``
    before: Any
    after: Any  # UNKNOWN when only known after apply
    forces_replacement: bool = False
    sensitive: bool = False

    @property
    def field(self) -> str:
        """The top-level spec field the change is in."""
        return self.path.split(".", 1)[0].split("[", 1)[0]


@dataclass(frozen=True)
class PlanContext:
    """What a kind's rules may consult while a plan is made: no I/O, no clock."""

    now: float  # epoch seconds: a flow's start time already past is not re-sent
    in_use: frozenset[str]  # addresses of live objects that data lives on (a dataset's schema)
    desired: Mapping[str, Resource]


class Kind(ABC):
    """Base of the kind modules; each module defines one subclass and registers it."""

    name: ClassVar[str]
    # Fields whose change cannot be made in place: the object is deleted and created again.
    replace_fields: ClassVar[frozenset[str]] = frozenset()
    # Lists compared by identity, not position: field -> the key of an item (None: the item).
    list_keys: ClassVar[Mapping[str, str | None]] = {}
    holds_data: ClassVar[bool] = False  # deleting it deletes data (datasets)
    versioned: ClassVar[bool] = False  # an update makes a new version (mapping sets)
    derived_names: ClassVar[bool] = False  # aepflow derives the name and description
    # A facet of another kind's object, sharing its id (a schema's place in the Profile
    # union): that kind's resource recording the same id is not a second owner.
    facet_of: ClassVar[str | None] = None

    # -- desired ---------------------------------------------------------------------------

    @abstractmethod
    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        """The resources of this kind the manifests describe."""

    # -- live ------------------------------------------------------------------------------

    @abstractmethod
    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """A live object's managed fields, in the shape of a desired spec."""

    @abstractmethod
    def get(self, id: str) -> Request:
        """The request that reads one object by id."""

    def manifest(self, live: Mapping[str, Any], tenant: str) -> dict[str, Any]:
        """A live object's normalised spec in the manifest's words: the fields of its
        manifest this kind owns (``import`` writes them; references to other manifests are
        the importer's). The inverse of ``desired``; {} for kinds aepflow derives whole."""
        return {}

    def unwrap(self, body: Any, id: str) -> dict[str, Any] | None:
        """The object inside a GET response (None when absent)."""
        return dict(body) if isinstance(body, dict) else None

    def object_id(self, raw: Mapping[str, Any]) -> str:
        return str(raw.get("id") or raw.get("$id") or raw.get("@id"))

    def version(self, raw: Mapping[str, Any]) -> int | None:
        return None

    def live(self, raw: Mapping[str, Any], *, adopted: bool = False) -> LiveObject:
        etag = raw.get("etag")
        return LiveObject(
            id=self.object_id(raw),
            kind=self.name,
            spec=self.normalize(raw),
            etag=etag if isinstance(etag, str) else None,
            version=self.version(raw),
            adopted=adopted,
            raw=dict(raw),
        )

    def marked(self, raw: Mapping[str, Any]) -> str | None:
        """The address in the object's aepflow marker, or None."""
        return split_marker(raw.get("description"))[1]

    def lookup(
        self, r: Resource, ids: Mapping[str, str], desired: Mapping[str, Resource]
    ) -> ListRequest | None:
        """The list read whose results include ``r``'s live copy, if one exists (None: no way
        to look; ``ids`` holds the ids known so far, by address)."""
        return None

    def identity(self, raw: Mapping[str, Any]) -> Hashable | None:
        """What ties a live object to a resource address: by default the marker's address."""
        return self.marked(raw)

    def wanted(self, r: Resource, ids: Mapping[str, str]) -> Hashable | None:
        """The identity ``r``'s live copy would have (None: cannot tell yet)."""
        return r.address

    def matches(self, raw: Mapping[str, Any], r: Resource, ids: Mapping[str, str]) -> bool:
        wanted = self.wanted(r, ids)
        return wanted is not None and self.identity(raw) == wanted

    unique_titles: ClassVar[bool] = False  # AEP refuses two objects of the kind with one title

    def create_after_delete(
        self, after: Mapping[str, Any] | None, before: Mapping[str, Any] | None
    ) -> bool:
        """Whether creating an object of this kind (desired spec ``after``) must wait for the
        deletion, in the same apply, of another one (live spec ``before``): AEP would refuse
        the two at once."""
        return False

    def apply_after_update(
        self,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        other_before: Mapping[str, Any] | None,
        other_after: Mapping[str, Any] | None,
    ) -> bool:
        """Whether creating or updating an object of this kind (``before`` -> ``after``) must
        wait for the in-place update of another one (``other_before`` -> ``other_after``) in
        the same apply: AEP would refuse the first while the second still holds its old
        value."""
        return False

    def title(self, spec: Mapping[str, Any]) -> str | None:
        """The title AEP keeps unique, for kinds whose titles are (None otherwise)."""
        return str(spec.get("title")) if self.unique_titles else None

    def list_all(self, desired: Sequence[Resource]) -> ListRequest | None:
        """One paged list whose results include every object of this kind aepflow manages
        (a plan reads by list, not object by object); None where the API has no such list."""
        return None

    def list_worthwhile(self, wanted: int) -> bool:
        """Whether listing beats reading ``wanted`` objects one by one."""
        return True

    def read(self, door: Door, id: str) -> LiveObject | None:
        """The object with this id, or None when it is gone."""
        raw = self.unwrap(door.send(self.get(id), allow_404=True), id)
        return None if raw is None else self.live(raw)

    def find(
        self,
        r: Resource,
        ids: Mapping[str, str],
        desired: Mapping[str, Resource],
        door: Door,
        listed: Listed = lambda kind, identity: None,
    ) -> LiveObject | None:
        """The live object carrying ``r``'s marker, or None (adoption after a lost lock).

        ``listed(kind, identity)`` gives the objects of another kind already listed by this
        plan (None when that kind was not listed), so a lookup through them costs nothing."""
        query = self.lookup(r, ids, desired)
        if query is None:
            return None
        for raw in door.list(query):
            if self.matches(raw, r, ids):
                return self.live(raw, adopted=True)
        return None

    # -- rules -----------------------------------------------------------------------------

    def mask(self, spec: dict[str, Any], r: Resource) -> dict[str, Any]:
        """The live spec as a plan may compare and show it (without ``r``'s secrets)."""
        return spec

    def hide(self, spec: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
        """``spec`` (live) with the values of the fields ``names`` (read from the environment
        when last applied, no longer now) replaced by ``SENSITIVE``: a plan never shows a
        value that came from ``${env:...}``, in any of its forms."""
        return spec

    def keep_names_made_elsewhere(self, live: LiveObject, changes: list[Change]) -> list[Change]:
        """A kind whose name and description aepflow derives (a pipeline's source and target
        connections, a schema's custom field group) keeps those of an object made outside
        aepflow (imported from the UI: no marker), rather than renaming it."""
        if self.marked(live.raw) is not None or not live.raw:
            return changes
        return [c for c in changes if c.field not in ("name", "title", "description")]

    def check(
        self,
        r: Resource,
        live: LiveObject,
        after: dict[str, Any],
        changes: list[Change],
        ctx: PlanContext,
        notes: list[str],
    ) -> list[Change]:
        """Kind-specific rules over the field changes: drop, mark or refuse (PlanError)."""
        return self.keep_names_made_elsewhere(live, changes) if self.derived_names else changes

    def refuse_requested_replace(self, address: str) -> str | None:
        """Why ``--replace`` of an object of this kind cannot be carried out on the platform
        (None: it can)."""
        return None

    # AEP refuses to delete an object of this kind while another object refers to it (a
    # schema's field group, a dataset's schema, a source connection's base connection): a
    # replacement, which deletes first, cannot apply while a user of it stays.
    kept_while_used: ClassVar[bool] = False

    def refuse_replace(self, address: str, why: str, users: Sequence[str], ctx: PlanContext) -> str:
        """Why replacing ``address`` (``why``: requested or forced) cannot apply while
        ``users``, which the plan keeps, still refer to it."""
        listed = ", ".join(users)
        targets = " ".join(f"--replace {u}" for u in users)
        return (
            f"{address} cannot be replaced ({why}): AEP does not delete a {self.name} that "
            f"{listed} still use(s), and this plan keeps them. Replace them with it ({targets}), "
            "or change the manifest instead"
        )

    # -- writes ----------------------------------------------------------------------------

    @abstractmethod
    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        """The requests that create ``r`` with ``spec`` (references resolved at apply)."""

    def created(self, body: Any) -> tuple[str, int | None]:
        """(id, version) of the object a create response describes."""
        return str(body["id"]), None

    @abstractmethod
    def update(
        self,
        r: Resource,
        spec: Mapping[str, Any],
        live: LiveObject,
        changes: Sequence[Change],
        tenant: str,
    ) -> Sequence[Request]:
        """The requests that make ``live`` match ``spec`` in place."""

    def updated(self, body: Any) -> int | None:
        """The version an update made (mapping sets), else None."""
        return None

    @abstractmethod
    def delete(self, id: str) -> Sequence[Request]:
        """The requests that delete the object with this id."""

    def delete_outcome(self, code: str | None) -> str:
        """What a refused DELETE means: "failed", "done" (already being deleted) or "wait"
        (something that uses the object is still being deleted: try again shortly)."""
        return "failed"

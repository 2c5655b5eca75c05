"""One AEP request as data: what a plan carries, what a reviewer reads, what the client sends.

A request body may hold placeholders that are filled only when it is sent:

- ``{"$resource": ADDRESS}`` — the id of another resource (``"field": "version"`` for a mapping
  set's version), for objects created earlier in the same apply;
- ``{"$secret": NAME}`` — a secret of the resource, read from the environment at send time;
  a plan, a saved plan and the JSON plan hold only this reference, never the value;
- ``{self}`` in the path — the id of the object this step creates (a flow's action after its
  creation); ``{ref:ADDRESS}`` in the path — the id of another resource made in the same run.

Every class here is plain data with no I/O, so the planner builds requests and the client
sends them without either importing the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

FLOW = "/data/foundation/flowservice"
SCHEMA = "/data/foundation/schemaregistry"
CATALOG = "/data/foundation/catalog"
CONVERSION = "/data/foundation/conversion"

JSON = "application/json"
JSON_PATCH = "application/json-patch+json"
XED_ID = "application/vnd.adobe.xed-id+json"
XED = "application/vnd.adobe.xed+json"
XED_V1 = "application/vnd.adobe.xed+json; version=1"
XED_FULL_V1 = "application/vnd.adobe.xed-full+json; version=1"
XDM_DESCRIPTORS = "application/vnd.adobe.xdm+json"
XDM_V2 = "application/vnd.adobe.xdm-v2+json"

SELF = "{self}"


def path_ref(address: str) -> str:
    """A path segment filled with ``address``'s id (URL-encoded) when the request is sent."""
    return "{ref:" + address + "}"


Paging = Literal["flowservice", "schemaregistry", "catalog", "dataprep", "none"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None
    params: tuple[tuple[str, str], ...] = ()
    accept: str = JSON
    content_type: str = JSON
    if_match: str | None = None  # the etag the plan read: a 412 means "changed since the plan"

    def to_data(self) -> dict[str, Any]:
        """The request as the JSON plan shows it; secrets stay placeholders."""
        out: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.params:
            out["params"] = [list(p) for p in self.params]
        if self.body is not None:
            out["body"] = self.body
            out["content_type"] = self.content_type
        if self.accept != JSON:
            out["accept"] = self.accept
        if self.if_match is not None:
            out["if_match"] = self.if_match
        return out

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Request:
        return cls(
            method=str(data["method"]),
            path=str(data["path"]),
            body=data.get("body"),
            params=tuple((str(k), str(v)) for k, v in data.get("params", ())),
            accept=str(data.get("accept", JSON)),
            content_type=str(data.get("content_type", JSON)),
            if_match=data.get("if_match"),
        )


@dataclass(frozen=True)
class ListRequest:
    """A paged list read; ``paging`` names the service's paging style."""

    path: str
    paging: Paging
    params: tuple[tuple[str, str], ...] = ()
    accept: str = JSON
    # How many objects the reader expects (the lock's count): lists paged by offset read
    # that many pages at once. A hint only: not part of what the query asks.
    expect: int = field(default=0, compare=False)


_REF_KEYS = frozenset({"$resource", "field"})


def is_ref(value: Any) -> bool:
    return isinstance(value, dict) and "$resource" in value and value.keys() <= _REF_KEYS


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and "$secret" in value and len(value) == 1


def _is_placeholder(value: dict[str, Any]) -> bool:
    if "$resource" in value:
        return value.keys() <= _REF_KEYS
    return "$secret" in value and len(value) == 1


def fill(value: Any, lookup: Callable[[Mapping[str, Any]], Any]) -> Any:
    """``value`` with every placeholder replaced by ``lookup(placeholder)``.

    Hot (every request body of an apply goes through it): scalars are not recursed into,
    and a mapping or list with no placeholder inside is returned as it is, not copied. So the
    result may share parts with ``value``: neither may be changed in place afterwards
    (nothing in aepflow changes a spec or a body once built)."""
    if isinstance(value, dict):
        if _is_placeholder(value):
            return lookup(value)
        children: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    else:
        return value
    out: Any = None
    for k, v in children:
        if isinstance(v, (dict, list)):
            new = fill(v, lookup)
            if new is not v:
                if out is None:
                    out = _shallow(value)
                out[k] = new
    return value if out is None else out


Hole = tuple[tuple[str | int, ...], Mapping[str, Any]]  # (path to a placeholder, placeholder)


def holes(value: Any) -> list[Hole]:
    """Every placeholder inside ``value`` with its path, in document order: worked out once
    per spec, so that filling it (``fill_holes``) touches only what leads to one."""
    found: list[Hole] = []
    _holes(value, (), found)
    return found


def _holes(value: Any, path: tuple[str | int, ...], found: list[Hole]) -> None:
    # Hot (every spec of a plan): only mappings and lists are descended into.
    if isinstance(value, dict):
        if _is_placeholder(value):
            found.append((path, value))
            return
        for k, v in value.items():
            if isinstance(v, (dict, list)):
                _holes(v, (*path, k), found)
    elif isinstance(value, list):
        for n, v in enumerate(value):
            if isinstance(v, (dict, list)):
                _holes(v, (*path, n), found)


def fill_holes(value: Any, found: list[Hole], lookup: Callable[[Mapping[str, Any]], Any]) -> Any:
    """``fill(value, lookup)`` for the ``holes(value)`` given: only the mappings and lists on
    the way to a placeholder are copied; the rest is shared with ``value``."""
    if not found:
        return value
    if found[0][0] == ():
        return lookup(found[0][1])
    copied: dict[tuple[str | int, ...], Any] = {(): _shallow(value)}

    def container(path: tuple[str | int, ...]) -> Any:
        held = copied.get(path)
        if held is None:
            parent = container(path[:-1])
            held = parent[path[-1]] = _shallow(parent[path[-1]])
            copied[path] = held
        return held

    for path, placeholder in found:
        container(path[:-1])[path[-1]] = lookup(placeholder)
    return copied[()]


def _shallow(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else list(value)


class Door(Protocol):
    """The one door to AEP, as the engine and the kinds see it (the Platform client)."""

    def send(self, request: Request, *, allow_404: bool = False) -> Any:
        """The response's JSON body (None for a 404 when ``allow_404``)."""
        ...

    def list(self, query: ListRequest) -> list[dict[str, Any]]:
        """Every item of every page."""
        ...

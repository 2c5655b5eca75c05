"""Shared builders for the kind tests: a location, a one-resource world, a fake Door."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aepflow.api import ListRequest, Request
from aepflow.engine.plan import LiveObject, Plan, ResourceChange
from aepflow.engine.planner import build_plan
from aepflow.errors import SourceLocation
from aepflow.kinds.base import Resource
from tests.engine.helpers import live, live_of, lock_of, resolved

LOC = SourceLocation("m.yaml", 1, 1)
NOW = 1_800_000_000.0
TENANT = "acme"
SF = "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5"
PROFILE = "https://ns.adobe.com/xdm/context/profile"
EVENT = "https://ns.adobe.com/xdm/context/experienceevent"
PD = "https://ns.adobe.com/xdm/context/profile-person-details"
XED_FULL = "application/vnd.adobe.xed-full+json;version=1"


def plan_world(
    desired: Iterable[Resource],
    applied: Iterable[tuple[Resource, str]],
    *,
    live_over: dict[str, LiveObject | None] | None = None,
    now: float = NOW,
) -> Plan:
    """Plan ``desired`` against a world where ``applied`` (resource as last applied, id) is in
    the lock and live exactly as applied; ``live_over`` replaces some live objects."""
    applied = list(applied)
    ids = {r.address: i for r, i in applied}
    objects: dict[str, LiveObject | None] = {
        r.address: live(i, resolved(r, ids)) for r, i in applied
    }
    objects.update(live_over or {})
    return build_plan(
        {r.address: r for r in desired},
        lock_of(*applied),
        live_of(objects),
        now=now,
        tenant=TENANT,
    )


def change_of(plan: Plan, address: str) -> ResourceChange:
    (found,) = [c for c in plan.changes if c.address == address]
    return found


def data(requests: Iterable[Request]) -> list[dict[str, Any]]:
    return [r.to_data() for r in requests]


class FakeDoor:
    """Canned answers: GET bodies by path, list results by query; records every call."""

    def __init__(
        self,
        gets: dict[str, Any] | None = None,
        lists: dict[ListRequest, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.gets = gets or {}
        self.lists = lists or {}
        self.sent: list[tuple[Request, bool]] = []
        self.listed: list[ListRequest] = []

    def send(self, request: Request, *, allow_404: bool = False) -> Any:
        self.sent.append((request, allow_404))
        if request.path not in self.gets:
            if allow_404:
                return None
            raise AssertionError(f"unexpected request {request}")
        return self.gets[request.path]

    def list(self, query: ListRequest) -> list[dict[str, Any]]:
        self.listed.append(query)
        return [dict(item) for item in self.lists.get(query, [])]

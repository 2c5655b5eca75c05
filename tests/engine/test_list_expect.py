"""How many pages of an offset-paged list a plan reads at once: as many as the lock says
exist, never as many as the manifests want (a first apply has none of them yet)."""

from __future__ import annotations

from typing import Any

from aepflow.api import ListRequest
from aepflow.engine.live import _listings
from aepflow.engine.plan import Lock, LockEntry
from aepflow.errors import SourceLocation
from aepflow.kinds.base import Resource, ref

AT = SourceLocation("m.yaml", 1, 1)


class RecordingDoor:
    def __init__(self) -> None:
        self.lists: list[ListRequest] = []

    def send(self, request: Any, *, allow_404: bool = False) -> Any:
        raise AssertionError(f"unexpected request {request}")

    def list(self, query: ListRequest) -> list[dict[str, Any]]:
        self.lists.append(query)
        return []


def desired(n: int) -> dict[str, Resource]:
    out = {}
    for i in range(n):
        spec = {"schema": ref("schema.s"), "mappings": [{"source": "a", "destination": "b"}]}
        out[f"mappingSet.f{i}"] = Resource(f"mappingSet.f{i}", "mappingSet", spec, AT)
    return out


def expected(lock: Lock, n: int) -> int:
    door = RecordingDoor()
    _listings(door, desired(n), lock, parallelism=4)
    [query] = [q for q in door.lists if q.paging == "dataprep"]
    return query.expect


def test_a_first_plan_expects_nothing_whatever_the_manifests_want() -> None:
    assert expected(Lock("local", "prod"), 300) == 0


def test_a_later_plan_expects_what_the_lock_records() -> None:
    lock = Lock("local", "prod")
    for i in range(250):
        lock.resources[f"mappingSet.f{i}"] = LockEntry(f"id{i}", "mappingSet", version=0)
    assert expected(lock, 300) == 250

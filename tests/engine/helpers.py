"""Small builders for planner tests: resources, locks and live snapshots as plain data."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aepflow.engine.plan import LiveObject, LiveState, Lock, LockEntry
from aepflow.errors import SourceLocation
from aepflow.kinds.base import Resource, ref

LOC = SourceLocation("manifests/test.yaml", 1, 1)


def res(address: str, spec: dict[str, Any], **kw: Any) -> Resource:
    return Resource(address, address.split(".")[0], spec, LOC, **kw)


def connection(name: str = "crm", **over: Any) -> Resource:
    spec = {
        "name": name,
        "description": "",
        "connectionSpec": "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5",
        "authSpec": "Basic Authentication",
        "params": {"username": "u"},
    }
    spec.update(over)
    return res(f"connection.{name}", spec, secrets={"password": "p"})


def source(name: str = "f", table: str = "Contact", conn: str = "crm") -> Resource:
    return res(
        f"sourceConnection.{name}",
        {
            "name": f"{name} source",
            "description": "",
            "baseConnection": ref(f"connection.{conn}"),
            "connectionSpec": "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5",
            "format": "tabular",
            "table": table,
            "columns": [],
        },
    )


def dataset(name: str = "ds", schema: str = "s", protect: bool = True) -> Resource:
    return res(
        f"dataset.{name}",
        {
            "name": name,
            "description": "",
            "schema": ref(f"schema.{schema}"),
            "profile": False,
            "identity": False,
        },
        protect=protect,
    )


def schema(
    name: str = "s",
    groups: list[str] | None = None,
    klass: str = "https://ns.adobe.com/xdm/context/profile",
) -> Resource:
    return res(
        f"schema.{name}",
        {"title": name, "description": "", "class": klass, "fieldGroups": groups or []},
    )


def flow(name: str = "f", **over: Any) -> Resource:
    spec: dict[str, Any] = {
        "name": name,
        "description": "",
        "sourceConnection": ref(f"sourceConnection.{name}"),
        "targetConnection": ref(f"targetConnection.{name}"),
        "deltaColumn": {"name": "LastModifiedDate"},
        "mappingId": ref(f"mappingSet.{name}"),
        "mappingVersion": ref(f"mappingSet.{name}", "version"),
        "schedule": {"startTime": 1_900_000_000, "frequency": "hour", "interval": 1},
        "enabled": True,
    }
    spec.update(over)
    return res(f"flow.{name}", spec)


def lock_of(*entries: tuple[Resource, str], **kw: Any) -> Lock:
    lock = Lock(environment="local", sandbox="prod", lineage="l1", secret_salt="00" * 16)
    for r, id in entries:
        lock.resources[r.address] = LockEntry(
            id=id,
            kind=r.kind,
            hash=kw.get("hash", r.hash),
            depends_on=r.depends_on,
            secret_hashes=lock.secret_hashes(r.secrets),
            protect=r.protect,
        )
    return lock


def live_of(objects: dict[str, LiveObject | None]) -> LiveState:
    """The live state, each object's kind taken from its address."""
    return LiveState(
        {a: None if o is None else replace(o, kind=a.split(".")[0]) for a, o in objects.items()}
    )


def live(id: str, spec: dict[str, Any], kind: str = "", **kw: Any) -> LiveObject:
    return LiveObject(id, kind, spec, **kw)


def resolved(r: Resource, ids: dict[str, str]) -> dict[str, Any]:
    """The resource's spec as the platform would show it, references replaced by ids."""
    from aepflow.engine.planner import resolve

    return resolve(r.spec, {a: {"id": i, "version": 0} for a, i in ids.items()})  # type: ignore[no-any-return]


def target(name: str = "f") -> Resource:
    return res(
        f"targetConnection.{name}",
        {"name": f"{name} target", "description": "", "dataset": "D1", "schema": "S1"},
    )


def mapping(name: str = "f", destination: str = "b") -> Resource:
    return res(
        f"mappingSet.{name}",
        {
            "schema": "S1",
            "mappings": [{"sourceType": "ATTRIBUTE", "source": "a", "destination": destination}],
        },
    )


def pipeline(
    *extra: tuple[Resource, str, dict[str, Any] | None],
) -> tuple[dict[str, Resource], Lock, LiveState]:
    """A pipeline whose connection, source, target and mapping set exist unchanged (ids c1, s1,
    t1, m1 at version 0), plus ``extra`` (resource, id, live spec or None for missing)."""
    ids = {"connection.crm": "c1", "sourceConnection.f": "s1", "targetConnection.f": "t1"}
    ids["mappingSet.f"] = "m1"
    base = [connection(), source(), target(), mapping()]
    desired = {r.address: r for r in base}
    lock = lock_of(*[(r, ids[r.address]) for r in base])
    lock.resources["mappingSet.f"] = replace(lock.resources["mappingSet.f"], version=0)
    objects: dict[str, LiveObject | None] = {
        r.address: live(
            ids[r.address], resolved(r, ids), version=0 if r.kind == "mappingSet" else None
        )
        for r in base
    }
    for r, id, spec in extra:
        desired[r.address] = r
        lock.resources[r.address] = lock_of((r, id)).resources[r.address]
        objects[r.address] = None if spec is None else live(id, spec)
    return desired, lock, live_of(objects)

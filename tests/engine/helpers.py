"""Small builders for planner tests: resources, locks and live snapshots as plain data."""

from __future__ import annotations

from typing import Any

from aepflow.engine.live import LiveObject, LiveState
from aepflow.engine.lockfile import Lock, LockEntry
from aepflow.engine.resources import Resource, ref
from aepflow.errors import SourceLocation

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


def lock_of(*entries: tuple[Resource, str], **kw: Any) -> Lock:
    lock = Lock(environment="local", sandbox="prod", lineage="l1", secret_salt="00" * 16)
    for r, id in entries:
        lock.resources[r.address] = LockEntry(
            id=id,
            kind=r.kind,
            hash=kw.get("hash", r.hash),
            depends_on=r.depends_on,
            secrets_hash=lock.secrets_hash(r.secrets),
            protect=r.protect,
        )
    return lock


def live_of(objects: dict[str, LiveObject | None]) -> LiveState:
    return LiveState(objects)


def live(id: str, spec: dict[str, Any], **kw: Any) -> LiveObject:
    return LiveObject(id, spec, **kw)


def resolved(r: Resource, ids: dict[str, str]) -> dict[str, Any]:
    """The resource's spec as the platform would show it, references replaced by ids."""
    from aepflow.engine.planner import resolve

    return resolve(r.spec, {a: {"id": i} for a, i in ids.items()})  # type: ignore[no-any-return]

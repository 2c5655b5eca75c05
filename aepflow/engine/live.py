"""Read the live state of every managed resource through the Platform client.

Each resource is read at most once: by its id when the lock knows it, otherwise looked up by
the marker aepflow puts on everything it creates (a lost lock, a crash between the platform's
write and the lock's, a lost response), so it is adopted instead of created twice.
Reads run concurrently; an adoption lookup waits for the lookups it depends on (a source
connection is found through its base connection's id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aepflow.connectors import DATA_LAKE_SPEC_ID
from aepflow.engine import normalize
from aepflow.engine.lockfile import Lock
from aepflow.engine.resources import Resource, canonical, split_marker
from aepflow.engine.scheduler import run_dag

if TYPE_CHECKING:
    from aepflow.platform import PlatformClient


@dataclass(frozen=True)
class LiveObject:
    id: str
    spec: dict[str, Any]  # normalised (aepflow.engine.normalize)
    etag: str | None = None
    version: int | None = None  # mapping sets: latest version
    adopted: bool = False  # found by its marker, not through the lock
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class LiveState:
    objects: dict[str, LiveObject | None]  # address -> object (None: not found)

    def checksum_data(self) -> dict[str, Any]:
        return {
            a: None if o is None else {"id": o.id, "spec": o.spec, "version": o.version}
            for a, o in sorted(self.objects.items())
        }

    def checksum(self) -> str:
        import hashlib

        return hashlib.sha256(canonical(self.checksum_data()).encode()).hexdigest()


def read_by_id(client: PlatformClient, kind: str, id: str) -> LiveObject | None:
    raw: dict[str, Any] | None
    version: int | None = None
    if kind in ("connection", "sourceConnection", "targetConnection", "flow"):
        raw = client.flow_get(kind + "s", id)
    elif kind == "schema":
        raw = client.schema_get(id)
    elif kind == "fieldGroup":
        raw = client.fieldgroup_get(id)
    elif kind == "descriptor":
        raw = client.descriptor_get(id)
    elif kind == "dataset":
        raw = client.dataset_get(id)
    elif kind == "mappingSet":
        raw = client.mapping_set_get(id)
        if raw is not None:
            version = int(raw.get("version", 0))
    else:
        raise ValueError(f"unknown kind {kind}")
    if raw is None:
        return None
    etag = raw.get("etag") if isinstance(raw.get("etag"), str) else None
    return LiveObject(id, normalize.NORMALIZERS[kind](raw), etag, version, raw=raw)


def _marked(obj: Mapping[str, Any], address: str) -> bool:
    return split_marker(obj.get("description"))[1] == address


def find_by_marker(
    client: PlatformClient,
    resource: Resource,
    ids: Mapping[str, str],
    desired: Mapping[str, Resource] | None = None,
) -> LiveObject | None:
    """The live object carrying ``resource``'s marker, or None. ``ids``: address -> known id."""
    kind, spec, address = resource.kind, resource.spec, resource.address
    candidates: list[dict[str, Any]] = []
    if kind == "connection":
        candidates = client.flow_list("connections", [f"name=={spec['name']}"])
    elif kind == "flow":
        candidates = client.flow_list("flows", [f"name=={spec['name']}"])
    elif kind == "sourceConnection":
        base = ids.get(spec["baseConnection"]["$ref"])
        if base is None:
            return None
        candidates = client.flow_list("sourceConnections", [f"baseConnectionId=={base}"])
    elif kind == "targetConnection":
        # Target connections are filterable only by id and connectionSpec.id (reference §2).
        candidates = client.flow_list(
            "targetConnections", [f"connectionSpec.id=={DATA_LAKE_SPEC_ID}"]
        )
    elif kind == "schema":
        candidates = client.schema_list(title=spec["title"])
        candidates = [c for c in (client.schema_get(c["$id"]) for c in candidates) if c]
    elif kind == "fieldGroup":
        candidates = client.fieldgroup_list(title=spec["title"])
        candidates = [c for c in (client.fieldgroup_get(c["$id"]) for c in candidates) if c]
    elif kind == "dataset":
        found = client.dataset_list(name=spec["name"])
        found = [d for d in found if address in ((d.get("tags") or {}).get("aepflow") or [])]
        if not found:
            return None
        obj = found[0]
        return LiveObject(str(obj["id"]), normalize.dataset(obj), adopted=True, raw=obj)
    elif kind == "descriptor":
        schema_id = ids.get(spec["schema"]["$ref"])
        if schema_id is None:
            return None
        for d in client.descriptor_list():
            if (
                d.get("xdm:sourceSchema") == schema_id
                and d.get("xdm:sourceProperty") == spec["field"]
            ):
                return LiveObject(str(d["@id"]), normalize.descriptor(d), adopted=True, raw=d)
        return None
    elif kind == "mappingSet":
        # Mapping sets carry no name or description to mark. The marked flow of the same
        # pipeline names the mapping set it uses: that one is ours. (One made just before a
        # crash that no flow uses yet stays orphaned; it ingests nothing.)
        flow = (desired or {}).get(f"flow.{resource.name}")
        if flow is None:
            return None
        for obj in client.flow_list("flows", [f"name=={flow.spec['name']}"]):
            if _marked(obj, flow.address):
                mapping = normalize.flow(obj)
                if mapping["mappingId"]:
                    return _adopted_mapping_set(client, str(mapping["mappingId"]))
        return None
    else:
        return None
    for obj in candidates:
        if _marked(obj, address):
            obj_id = str(obj.get("id") or obj.get("$id"))
            etag = obj.get("etag") if isinstance(obj.get("etag"), str) else None
            return LiveObject(obj_id, normalize.NORMALIZERS[kind](obj), etag, adopted=True, raw=obj)
    return None


def _adopted_mapping_set(client: PlatformClient, id: str) -> LiveObject | None:
    raw = client.mapping_set_get(id)
    if raw is None:
        return None
    version = int(raw.get("version", 0))
    return LiveObject(id, normalize.mapping_set(raw), version=version, adopted=True, raw=raw)


def read_live(
    client: PlatformClient,
    desired: Mapping[str, Resource],
    lock: Lock,
    *,
    parallelism: int = 10,
) -> LiveState:
    """Live objects for every address in the manifests or the lock."""
    addresses = sorted(set(desired) | set(lock.resources))
    ids: dict[str, str] = {a: e.id for a, e in lock.resources.items()}
    deps: dict[str, list[str]] = {}
    for a in addresses:
        if a in lock.resources or a not in desired:
            deps[a] = []
        else:
            deps[a] = [d for d in desired[a].depends_on if d in addresses]

    def read(address: str) -> LiveObject | None:
        entry = lock.resources.get(address)
        if entry is not None:
            return read_by_id(client, entry.kind, entry.id)
        obj = find_by_marker(client, desired[address], ids, desired)
        if obj is not None:
            ids[address] = obj.id
        return obj

    results, errors = run_dag(deps, read, parallelism, stop_on_error=True)
    if errors:
        raise next(iter(errors.values()))
    return LiveState({a: results.get(a) for a in addresses})

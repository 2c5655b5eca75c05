"""Base connection: a connector's credentials (Flow Service ``/connections``).

Create: help/sources/tutorials/api/create/crm/salesforce.md (and the ServiceNow, Service Cloud
and Dynamics tutorials beside it): ``auth.specName`` + ``auth.params``, ``connectionSpec``.
Update: a JSON Patch with ``If-Match`` (help/sources/tutorials/api/update.md); secrets are
sent only as ``{"$secret": NAME}`` references, filled from the environment at send time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aepflow.api import ListRequest, Request
from aepflow.connectors import CONNECTORS_BY_SPEC_ID
from aepflow.kinds.base import (
    SENSITIVE,
    Change,
    LiveObject,
    Resource,
    naming_ops,
    with_marker,
)
from aepflow.kinds.flowservice import FlowServiceKind, description_of, spec_ref
from aepflow.model import ProjectModel

SECRET_PREFIX = "auth.params."  # a secret's change path: auth.params.password
# Params AEP sets itself, by auth spec: never a difference, never stripped by an update. A JWT
# connection gets orgId once enabled (help/sources/tutorials/api/create/crm/salesforce.md,
# Experience Platform on AWS).
AEP_SET_PARAMS = {"OAuth2 JWT Token Credential": frozenset({"orgId"})}


def _auth(r: Resource) -> dict[str, Any]:
    params = {**r.spec["params"], **{k: {"$secret": k} for k in sorted(r.secrets)}}
    return {"specName": r.spec["authSpec"], "params": params}


class Connection(FlowServiceKind):
    name = "connection"
    collection = "connections"
    # The auth type of an existing connection cannot change (help/sources/tutorials/api/create/
    # crm/ms-dynamics.md; treated alike for every connector): a new one replaces it.
    replace_fields = frozenset({"connectionSpec", "authSpec"})

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        for c in model.connections.values():
            yield Resource(
                f"connection.{c.name}",
                self.name,
                {
                    "name": c.aep_name or c.name,
                    "description": c.description,
                    "connectionSpec": c.connection_spec_id,
                    "authSpec": c.auth_spec_name,
                    "params": {k: v for k, v in c.params.items() if k not in c.secret_params},
                },
                c.location,
                secrets={k: str(v) for k, v in c.params.items() if k in c.secret_params},
            )

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        spec_id = (raw.get("connectionSpec") or {}).get("id", "")
        auth = raw.get("auth") or {}
        spec_name = auth.get("specName", "")
        secret_names: frozenset[str] = frozenset()
        connector = CONNECTORS_BY_SPEC_ID.get(spec_id)
        if connector:
            for auth_type in connector.auth_types.values():
                if auth_type.spec_name == spec_name:
                    secret_names = auth_type.secrets
        hidden = secret_names | AEP_SET_PARAMS.get(spec_name, frozenset())
        params = {k: v for k, v in (auth.get("params") or {}).items() if k not in hidden}
        return {
            "name": raw.get("name", ""),
            "description": description_of(raw),
            "connectionSpec": spec_id,
            "authSpec": spec_name,
            "params": params,
        }

    def manifest(self, live: Mapping[str, Any], tenant: str) -> dict[str, Any]:
        """The Connection manifest's fields: its AEP name, description, connector (a named
        entry, or ``{spec: ID}`` when none has this spec and auth type) and auth with the
        params AEP shows. Secrets are not among them (AEP never returns them): the importer
        adds them as ``${env:NAME}``."""
        connector = CONNECTORS_BY_SPEC_ID.get(live["connectionSpec"])
        auth_type = next(
            (
                a
                for a in (connector.auth_types.values() if connector else ())
                if a.spec_name == live["authSpec"]
            ),
            None,
        )
        out: dict[str, Any] = {"name": live["name"]}
        if live["description"]:
            out["description"] = live["description"]
        params = dict(live["params"])
        if connector is None or auth_type is None:
            # help/sources/tutorials/api/create/crm/adwords.md: any source, by its spec.
            out["connector"] = {"spec": live["connectionSpec"]}
            out["auth"] = {"specName": live["authSpec"], "params": params}
        else:
            # Only the params the entry knows, in its order (validate refuses others).
            known = {p: params[p] for p in auth_type.params if p in params}
            out["connector"] = connector.key
            out["auth"] = {"type": auth_type.key, "params": known}
        return out

    def mask(self, spec: dict[str, Any], r: Resource) -> dict[str, Any]:
        """Values read from the environment are sensitive even where AEP shows them (a user
        name): they are compared by hash, never shown."""
        params = {k: v for k, v in spec.get("params", {}).items() if k not in r.secrets}
        return {**spec, "params": params}

    def hide(self, spec: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
        params = spec.get("params", {})
        shown = {k: SENSITIVE if k in names else v for k, v in params.items()}
        return {**spec, "params": shown} if "params" in spec else spec

    def list_all(self, desired: Sequence[Resource]) -> ListRequest | None:
        return self.listed_by("connectionSpec.id", [r.spec["connectionSpec"] for r in desired])

    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        body = {
            "name": r.spec["name"],
            "description": with_marker(r.spec["description"], r.address),
            "auth": _auth(r),
            "connectionSpec": spec_ref(r.spec["connectionSpec"]),
        }
        return [self.post(body)]

    def update(
        self,
        r: Resource,
        spec: Mapping[str, Any],
        live: LiveObject,
        changes: Sequence[Change],
        tenant: str,
    ) -> Sequence[Request]:
        ops = naming_ops(r, r.spec, changes)
        fields = {c.field for c in changes}
        if fields & {"params", "auth"}:
            live_params = (live.raw.get("auth") or {}).get("params") or {}
            kept = AEP_SET_PARAMS.get(r.spec["authSpec"], frozenset())
            value = {k: v for k, v in live_params.items() if k in kept} | _auth(r)["params"]
            ops.append({"op": "replace", "path": "/auth/params", "value": value})
        return [self.patch(live, ops)] if ops else []


KIND = Connection()

"""The emulator's request handling: gateway, IMS and the four AEP services it fakes.

Requests in, responses out (httpx objects), routed by path only, so the same code serves the
embedded transport and the loopback server. Every rule here is cited in reference/aep-api.md.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import jsonschema

from aepflow.emulator import errors, specs
from aepflow.emulator.store import Store

FLOW = "/data/foundation/flowservice"
SCHEMA = "/data/foundation/schemaregistry"
CATALOG = "/data/foundation/catalog"
CONVERSION = "/data/foundation/conversion"
KNOWN_SANDBOXES = ("prod", "dev")
FLOW_COLLECTIONS = ("connections", "sourceConnections", "targetConnections", "flows")
PATCHABLE = {
    "connections": {"name", "description", "auth"},
    "sourceConnections": {"name", "description", "params", "data"},
    "targetConnections": {"name", "description", "params", "data"},
    "flows": {"name", "description", "scheduleParams", "transformations", "labels", "policy"},
}


@dataclass
class Req:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: httpx.Headers
    body: Any
    sandbox: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def q(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.query:
            if k == name:
                return v
        return default

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]


Result = tuple[int, Any, dict[str, str]]


def _now_ms(clock: Callable[[], float]) -> int:
    return int(clock() * 1000)


def _etag() -> str:
    return f'"{uuid.uuid4()}"'


def _hash(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


class App:
    def __init__(
        self,
        store: Store,
        *,
        org_id: str,
        client_id: str,
        client_secret: str,
        tenant_id: str,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.org_id = org_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.tenant = tenant_id
        self.clock = clock
        self.routes: list[tuple[str, re.Pattern[str], str, Callable[[Req], Result]]] = []
        self._register()

    # -- routing --------------------------------------------------------------------------

    def _route(self, method: str, pattern: str, handler: Callable[[Req], Result]) -> None:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
        self.routes.append((method, regex, pattern, handler))

    def _register(self) -> None:
        r = self._route
        r("GET", FLOW + "/connectionSpecs", self.list_connection_specs)
        r("GET", FLOW + "/connectionSpecs/{id}", self.get_connection_spec)
        r("GET", FLOW + "/flowSpecs", self.list_flow_specs)
        r("GET", FLOW + "/flowSpecs/{id}", self.get_flow_spec)
        r("GET", FLOW + "/connections/{id}/test", self.test_connection)
        r("GET", FLOW + "/connections/{id}/explore", self.explore)
        r("POST", FLOW + "/flows/{id}/action", self.flow_action)
        r("GET", FLOW + "/runs", self.list_runs)
        for coll in FLOW_COLLECTIONS:
            r("POST", f"{FLOW}/{coll}", self._bind(self.flow_create, coll))
            r("GET", f"{FLOW}/{coll}", self._bind(self.flow_list, coll))
            r("GET", f"{FLOW}/{coll}/{{id}}", self._bind(self.flow_get, coll))
            r("PATCH", f"{FLOW}/{coll}/{{id}}", self._bind(self.flow_patch, coll))
            r("DELETE", f"{FLOW}/{coll}/{{id}}", self._bind(self.flow_delete, coll))
        r("GET", SCHEMA + "/stats", self.stats)
        for coll, kind in (
            ("schemas", "schemas"),
            ("fieldgroups", "fieldgroups"),
            ("mixins", "fieldgroups"),
        ):
            r("POST", f"{SCHEMA}/tenant/{coll}", self._bind(self.xdm_create, kind))
            r("GET", f"{SCHEMA}/tenant/{coll}", self._bind(self.xdm_list, kind))
            r("GET", f"{SCHEMA}/tenant/{coll}/{{id}}", self._bind(self.xdm_get, kind))
            r("PATCH", f"{SCHEMA}/tenant/{coll}/{{id}}", self._bind(self.xdm_patch, kind))
            r("PUT", f"{SCHEMA}/tenant/{coll}/{{id}}", self._bind(self.xdm_put, kind))
            r("DELETE", f"{SCHEMA}/tenant/{coll}/{{id}}", self._bind(self.xdm_delete, kind))
        r("POST", SCHEMA + "/tenant/descriptors", self.descriptor_create)
        r("GET", SCHEMA + "/tenant/descriptors", self.descriptor_list)
        r("GET", SCHEMA + "/tenant/descriptors/{id}", self.descriptor_get)
        r("PUT", SCHEMA + "/tenant/descriptors/{id}", self.descriptor_put)
        r("DELETE", SCHEMA + "/tenant/descriptors/{id}", self.descriptor_delete)
        r("POST", CATALOG + "/dataSets", self.dataset_create)
        r("GET", CATALOG + "/dataSets", self.dataset_list)
        r("GET", CATALOG + "/dataSets/{id}", self.dataset_get)
        r("PATCH", CATALOG + "/dataSets/{id}", self.dataset_patch)
        r("DELETE", CATALOG + "/dataSets/{id}", self.dataset_delete)
        r("POST", CONVERSION + "/mappingSets", self.mapping_create)
        r("GET", CONVERSION + "/mappingSets", self.mapping_list)
        r("GET", CONVERSION + "/mappingSets/{id}", self.mapping_get)
        r("PUT", CONVERSION + "/mappingSets/{id}", self.mapping_put)
        r("DELETE", CONVERSION + "/mappingSets/{id}", self.mapping_delete)

    @staticmethod
    def _bind(handler: Callable[[Req, str], Result], coll: str) -> Callable[[Req], Result]:
        return lambda req: handler(req, coll)

    def match(
        self, method: str, path: str
    ) -> tuple[str, Callable[[Req], Result], dict[str, str]] | None:
        for m, regex, template, handler in self.routes:
            found = regex.match(path)
            if found and m == method:
                return template, handler, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def template_for(self, path: str) -> str | None:
        for _, regex, template, _ in self.routes:
            if regex.match(path):
                return template
        return None

    # -- IMS and gateway ------------------------------------------------------------------

    def ims_token(self, form: dict[str, str]) -> Result:
        if form.get("grant_type") != "client_credentials":
            return (
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be client_credentials",
                },
                {},
            )
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            # IMS's exact body for bad credentials is UNCONFIRMED; this is the OAuth 2.0 shape.
            return (
                401,
                {
                    "error": "invalid_client",
                    "error_description": "invalid client_id or client_secret",
                },
                {},
            )
        if not form.get("scope"):
            return 400, {"error": "invalid_scope", "error_description": "scope is required"}, {}
        token = secrets.token_urlsafe(32)
        expires = self.clock() + 86399
        with self.store.locked(True):
            self.store.write(
                {
                    "set": ["tokens", _hash(token)],
                    "value": {"client": self.client_id, "expires": expires},
                }
            )
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 86399}, {}

    def gateway(self, req: Req, data: dict[str, Any]) -> None:
        auth = req.headers.get("authorization", "")
        if not auth:
            raise errors.gateway(403, "403010", "Oauth token is missing.")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        record = data.get("tokens", {}).get(_hash(token)) if token else None
        if record is None or record["expires"] < self.clock():
            raise errors.gateway(401, "401013", "Oauth token is not valid")
        api_key = req.headers.get("x-api-key")
        if not api_key:
            raise errors.gateway(403, "403000", "Api Key is required")
        if api_key != record["client"]:
            raise errors.gateway(403, "403003", "Api Key is invalid")
        org = req.headers.get("x-gw-ims-org-id")
        if not org:
            raise errors.gateway(400, "400003", "Missing header: x-gw-ims-org-id")
        if org != self.org_id:
            raise errors.gateway(403, "403025", "Profile is not valid")
        sandbox = req.headers.get("x-sandbox-name")
        if not sandbox:
            if req.path.startswith(FLOW):
                raise errors.flow("2105-400", "Bad Request", "The header x-sandbox-name is missing")
            sandbox = "prod"  # other services use the default sandbox (reference §1)
        if sandbox not in KNOWN_SANDBOXES and sandbox not in data.get("sb", {}):
            # AEP's exact answer for an unknown sandbox is UNCONFIRMED; a 404 naming it is the safe reading.
            raise errors.generic(
                404,
                "Sandbox not found",
                f"The sandbox {sandbox} does not exist in org {self.org_id}",
            )
        req.sandbox = sandbox

    # -- helpers --------------------------------------------------------------------------

    def _coll(self, data: dict[str, Any], sandbox: str, coll: str) -> dict[str, Any]:
        result: dict[str, Any] = data.get("sb", {}).get(sandbox, {}).get(coll, {})
        return result

    def _put(self, sandbox: str, coll: str, id: str, obj: Any) -> None:
        self.store.write({"set": ["sb", sandbox, coll, id], "value": obj})

    def _del(self, sandbox: str, coll: str, id: str) -> None:
        self.store.write({"del": ["sb", sandbox, coll, id]})

    def _stamp(self, obj: dict[str, Any], req: Req, create: bool) -> None:
        now = _now_ms(self.clock)
        if create:
            obj.update(
                createdAt=now, createdBy=f"{self.client_id}@AdobeID", createdClient=self.client_id
            )
        obj.update(
            updatedAt=now,
            updatedBy=f"{self.client_id}@AdobeID",
            updatedClient=self.client_id,
            sandboxId=hashlib.md5(req.sandbox.encode()).hexdigest()[:8]
            + "-0000-4000-8000-000000000000",
            sandboxName=req.sandbox,
            imsOrgId=self.org_id,
        )
        etag = _etag()
        obj["etag"] = etag
        obj["version"] = etag

    # -- Flow Service: specs --------------------------------------------------------------

    def _filter(self, items: list[dict[str, Any]], req: Req) -> list[dict[str, Any]]:
        for expr in req.all("property"):
            items = [i for i in items if _property_matches(i, expr)]
        return items

    def _page(self, items: list[dict[str, Any]], req: Req, path: str) -> Result:
        if req.q("count") == "true":
            if req.q("limit") is not None:
                raise errors.flow(
                    "1401-400", "Bad Request", "limit and count cannot be used together"
                )
            return 200, {"count": len(items)}, {}
        order = req.q("orderby")
        if order:
            key, reverse = order.lstrip("+-"), order.startswith("-")
            if order[0] not in "+-" and not order[0].isalpha():
                raise errors.flow("1432-400", "Bad Request", f"Invalid orderby prefix in {order}")
            items = sorted(items, key=lambda i: str(_get_path(i, key)), reverse=reverse)
        limit = int(req.q("limit") or 100)
        start = int(req.q("continuationToken") or 0)
        page = items[start : start + limit]
        links: dict[str, Any] = {}
        if start + limit < len(items):
            rest = "&".join(f"property={p}" for p in req.all("property"))
            href = f"{path[len(FLOW) :]}?continuationToken={start + limit}&limit={limit}"
            links["next"] = {"href": href + (f"&{rest}" if rest else "")}
        return 200, {"items": page, "_links": links}, {}

    def list_connection_specs(self, req: Req) -> Result:
        return self._page(self._filter(list(specs.CONNECTION_SPECS.values()), req), req, req.path)

    def get_connection_spec(self, req: Req) -> Result:
        spec = specs.CONNECTION_SPECS.get(req.params["id"])
        if spec is None:
            raise errors.not_found("connectionSpecs", req.params["id"])
        return 200, {"items": [spec]}, {}

    def list_flow_specs(self, req: Req) -> Result:
        return self._page(self._filter(list(specs.FLOW_SPECS.values()), req), req, req.path)

    def get_flow_spec(self, req: Req) -> Result:
        spec = specs.FLOW_SPECS.get(req.params["id"])
        if spec is None:
            raise errors.not_found("flowSpecs", req.params["id"])
        return 200, {"items": [spec]}, {}

    # -- Flow Service: objects ------------------------------------------------------------

    def _public(self, coll: str, obj: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in obj.items() if not k.startswith("_emu")}
        if coll == "connections" and "auth" in out:
            auth = copy.deepcopy(out["auth"])
            # Whether AEP masks secrets in GET is UNCONFIRMED; masking is the safe reading.
            for name in obj.get("_emuSecrets", []):
                if name in auth.get("params", {}):
                    auth["params"][name] = "**********"
            out["auth"] = auth
        return out

    def _get_obj(self, data: dict[str, Any], req: Req, coll: str, id: str) -> dict[str, Any]:
        obj = self._coll(data, req.sandbox, coll).get(id)
        if obj is None:
            raise errors.not_found(coll, id)
        return dict(obj)

    def flow_create(self, req: Req, coll: str) -> Result:
        body = req.body
        if not isinstance(body, dict):
            raise errors.flow("1400-400", "Bad Request", "The request body must be a JSON object")
        if coll == "flows" and "state" in body:
            raise errors.flow(
                "1410-400", "Bad Request", "The field 'state' is not allowed while creating a flow"
            )
        with self.store.locked(True) as data:
            obj = copy.deepcopy(body)
            validate = getattr(self, f"_validate_{coll}")
            validate(data, req, obj)
            id = str(uuid.uuid4())
            obj["id"] = id
            if coll == "flows":
                obj["state"] = "enabled"
                obj["runs"] = f"/flows/{id}/runs"
                obj["_emuEnabledAt"] = self.clock()
            elif coll == "connections":
                obj["state"] = "enabled"
            self._stamp(obj, req, create=True)
            self._put(req.sandbox, coll, id, obj)
        return 201, {"id": id, "etag": obj["etag"]}, {"Location": f"{FLOW}/{coll}/{id}"}

    def _validate_connections(
        self, data: dict[str, Any], req: Req, obj: dict[str, Any], *, patch: bool = False
    ) -> None:
        spec_id = (obj.get("connectionSpec") or {}).get("id")
        spec = specs.CONNECTION_SPECS.get(spec_id or "")
        if spec is None:
            raise errors.flow("1405-400", "Bad Request", f"Invalid connectionSpec id {spec_id}")
        auth = obj.get("auth") or {}
        auth_specs = {a["name"]: a for a in spec["authSpec"]}
        if auth_specs:
            chosen = auth_specs.get(auth.get("specName", ""))
            if chosen is None:
                raise errors.flow(
                    "1406-400",
                    "Bad Request",
                    f"Invalid auth specName {auth.get('specName')!r}; expected one of {', '.join(auth_specs)}",
                )
            params = auth.get("params") or {}
            props = chosen["spec"]["properties"]
            missing = [p for p in chosen["spec"]["required"] if p not in params]
            unknown = [p for p in params if p not in props]
            # The exact Flow Service code for auth params failing the authSpec is UNCONFIRMED.
            if missing:
                raise errors.flow(
                    "1406-400", "Bad Request", f"Missing required auth params: {', '.join(missing)}"
                )
            if unknown:
                raise errors.flow(
                    "1406-400", "Bad Request", f"Unknown auth params: {', '.join(unknown)}"
                )
            secret = specs.secret_params(spec_id or "", chosen["name"])
            obj["_emuSecrets"] = sorted(secret & set(params))
            for name in obj["_emuSecrets"]:
                params[name] = _hash(str(params[name]))  # never stored in clear

    def _validate_sourceConnections(
        self, data: dict[str, Any], req: Req, obj: dict[str, Any]
    ) -> None:
        base_id = obj.get("baseConnectionId")
        base = self._coll(data, req.sandbox, "connections").get(base_id or "")
        if base is None:
            raise errors.flow(
                "1411-400", "Bad Request", f"Base connection {base_id} does not exist"
            )
        if (obj.get("connectionSpec") or {}).get("id") != base["connectionSpec"]["id"]:
            raise errors.flow(
                "1413-400", "Bad Request", "connectionSpec does not match the base connection's"
            )

    def _validate_targetConnections(
        self, data: dict[str, Any], req: Req, obj: dict[str, Any]
    ) -> None:
        if (obj.get("connectionSpec") or {}).get("id") != specs.DATA_LAKE_SPEC_ID:
            raise errors.flow(
                "1405-400", "Bad Request", "Invalid connectionSpec for a target connection"
            )
        ds_id = (obj.get("params") or {}).get("dataSetId")
        dataset = self._coll(data, req.sandbox, "dataSets").get(ds_id or "")
        if dataset is None:
            raise errors.flow(
                "1415-400", "Bad Request", f"Invalid dataSetId {ds_id}: no such dataset"
            )
        schema_id = ((obj.get("data") or {}).get("schema") or {}).get("id")
        if dataset["schemaRef"]["id"] != schema_id:
            raise errors.flow(
                "1416-400",
                "Bad Request",
                f"The schema {schema_id} does not match the schema of dataset {ds_id}",
            )

    def _validate_flows(self, data: dict[str, Any], req: Req, obj: dict[str, Any]) -> None:
        spec_id = (obj.get("flowSpec") or {}).get("id")
        spec = specs.FLOW_SPECS.get(spec_id or "")
        if spec is None:
            raise errors.flow("1405-400", "Bad Request", f"Invalid flowSpec id {spec_id}")
        sources = self._coll(data, req.sandbox, "sourceConnections")
        targets = self._coll(data, req.sandbox, "targetConnections")
        for sid in obj.get("sourceConnectionIds") or []:
            if sid not in sources:
                raise errors.flow(
                    "1411-400", "Bad Request", f"Source connection {sid} does not exist"
                )
            if sources[sid]["connectionSpec"]["id"] not in spec["sourceConnectionSpecIds"]:
                raise errors.flow(
                    "1407-400",
                    "Bad Request",
                    f"Source connection {sid} is not allowed by flowSpec {spec['name']}",
                )
        for tid in obj.get("targetConnectionIds") or []:
            if tid not in targets:
                raise errors.flow(
                    "1411-400", "Bad Request", f"Target connection {tid} does not exist"
                )
            if targets[tid]["connectionSpec"]["id"] not in spec["targetConnectionSpecIds"]:
                raise errors.flow(
                    "1407-400",
                    "Bad Request",
                    f"Target connection {tid} is not allowed by flowSpec {spec['name']}",
                )
        if not obj.get("sourceConnectionIds") or not obj.get("targetConnectionIds"):
            raise errors.flow(
                "1408-400",
                "Bad Request",
                "A flow needs sourceConnectionIds and targetConnectionIds",
            )
        self._check_transformations(data, req, obj, spec)
        self._check_schedule(obj, spec)
        inherited = {
            "sourceConnections": [
                {
                    "id": sid,
                    "connectionSpec": sources[sid]["connectionSpec"],
                    "baseConnection": {
                        "id": sources[sid]["baseConnectionId"],
                        "connectionSpec": sources[sid]["connectionSpec"],
                    },
                }
                for sid in obj["sourceConnectionIds"]
            ],
            "targetConnections": [
                {"id": tid, "connectionSpec": targets[tid]["connectionSpec"]}
                for tid in obj["targetConnectionIds"]
            ],
            "properties": {"isSourceFlow": True},
        }
        obj["inheritedAttributes"] = inherited

    def _check_transformations(
        self, data: dict[str, Any], req: Req, obj: dict[str, Any], spec: dict[str, Any]
    ) -> None:
        by_name = {t["name"]: t["spec"] for t in spec["transformationSpecs"]}
        for t in obj.get("transformations") or []:
            tspec = by_name.get(t.get("name"))
            if tspec is None:
                raise errors.flow(
                    "1419-400", "Bad Request", f"Unknown transformation {t.get('name')!r}"
                )
            try:
                jsonschema.validate(t.get("params") or {}, tspec)
            except jsonschema.ValidationError as e:
                raise errors.flow(
                    "1419-400", "Bad Request", f"Invalid {t['name']} transformation: {e.message}"
                ) from None
            if t["name"] == "Mapping":
                self._check_mapping(data, req, obj, t["params"])

    def _check_mapping(
        self, data: dict[str, Any], req: Req, obj: dict[str, Any], params: dict[str, Any]
    ) -> None:
        mapping = self._coll(data, req.sandbox, "mappingSets").get(params["mappingId"])
        try:
            version = int(params["mappingVersion"])
        except (TypeError, ValueError):
            version = -1
        if mapping is None or not 0 <= version < len(mapping["versions"]):
            raise errors.flow(
                "1412-400",
                "Bad Request",
                f"Invalid mapping version {params['mappingVersion']} for mapping {params['mappingId']}",
            )
        mapping_schema = mapping["versions"][version]["outputSchema"]["schemaRef"]["id"]
        targets = self._coll(data, req.sandbox, "targetConnections")
        datasets = self._coll(data, req.sandbox, "dataSets")
        for tid in obj.get("targetConnectionIds") or []:
            ds = datasets.get(targets.get(tid, {}).get("params", {}).get("dataSetId", ""))
            if ds is not None and ds["schemaRef"]["id"] != mapping_schema:
                raise errors.flow(
                    "1425-400",
                    "Bad Request",
                    f"The mapping's schema {mapping_schema} does not match the target dataset's schema {ds['schemaRef']['id']}",
                )

    def _check_schedule(self, obj: dict[str, Any], spec: dict[str, Any]) -> None:
        params = obj.get("scheduleParams")
        if params is None:
            return
        # The docs send every scheduleParam as a string; the spec types them: accept both.
        coerced: dict[str, Any] = {}
        for k, v in params.items():
            if (
                k in ("startTime", "endTime", "interval")
                and isinstance(v, str)
                and v.lstrip("-").isdigit()
            ):
                coerced[k] = int(v)
            elif k == "backfill" and isinstance(v, str) and v.lower() in ("true", "false"):
                coerced[k] = v.lower() == "true"
            else:
                coerced[k] = v
        try:
            jsonschema.validate(coerced, spec["scheduleSpec"]["spec"])
        except jsonschema.ValidationError as e:
            # The exact Flow Service code for a scheduleParams failure is UNCONFIRMED.
            where = "/".join(str(p) for p in e.absolute_path) or "scheduleParams"
            raise errors.flow(
                "1420-400", "Bad Request", f"Invalid scheduleParams ({where}): {e.message}"
            ) from None

    def flow_list(self, req: Req, coll: str) -> Result:
        with self.store.locked(False) as data:
            items = [self._public(coll, o) for o in self._coll(data, req.sandbox, coll).values()]
        return self._page(self._filter(items, req), req, req.path)

    def flow_get(self, req: Req, coll: str) -> Result:
        with self.store.locked(False) as data:
            obj = self._get_obj(data, req, coll, req.params["id"])
        return 200, {"items": [self._public(coll, obj)]}, {}

    def flow_patch(self, req: Req, coll: str) -> Result:
        id = req.params["id"]
        if_match = req.headers.get("if-match")
        if not if_match:
            raise errors.flow("1403-400", "Bad Request", "The header 'If-Match' is missing")
        ops = req.body
        if not isinstance(ops, list):
            raise errors.flow("1400-400", "Bad Request", "The body must be a JSON-Patch array")
        with self.store.locked(True) as data:
            obj = copy.deepcopy(self._get_obj(data, req, coll, id))
            if if_match != obj["etag"]:
                raise errors.flow(
                    "1404-412",
                    "Precondition Failed",
                    f"The supplied version=[{if_match}] does not match the current version on entity=[{obj['etag']}]",
                )
            for op in ops:
                kind = str(op.get("op", "")).lower()
                path = str(op.get("path", ""))
                top = path.strip("/").split("/")[0]
                if kind not in ("add", "replace", "remove"):
                    raise errors.flow(
                        "1434-400", "Bad Request", f"Unsupported patch operation {op.get('op')!r}"
                    )
                if coll == "connections" and top == "connectionSpec":
                    raise errors.flow(
                        "1414-400",
                        "Bad Request",
                        "The connectionSpec of a connection cannot be updated",
                    )
                if top not in PATCHABLE[coll]:
                    raise errors.flow("1455-400", "Bad Request", f"Missing field {path}")
                if not _apply_op(obj, kind, path, op.get("value")):
                    raise errors.flow("1455-400", "Bad Request", f"Missing field {path}")
            if coll == "connections":
                previous = self._coll(data, req.sandbox, coll)[id]
                params = (obj.get("auth") or {}).get("params") or {}
                for name in previous.get("_emuSecrets", []):
                    if params.get(name) == "**********":
                        params[name] = previous["auth"]["params"][name]  # unchanged secret
                    elif name in params and not str(params[name]).startswith("sha256:"):
                        params[name] = str(params[name])
                obj.pop("_emuSecrets", None)
                self._validate_connections(data, req, obj)
            elif coll == "flows":
                spec = specs.FLOW_SPECS[obj["flowSpec"]["id"]]
                self._check_transformations(data, req, obj, spec)
                self._check_schedule(obj, spec)
            obj["lastOperation"] = {
                "started": _now_ms(self.clock),
                "updated": _now_ms(self.clock),
                "percentCompleted": 100.0,
                "status": {"value": "completed", "errors": []},
                "ops": ops,
                "operation": "update",
            }
            self._stamp(obj, req, create=False)
            self._put(req.sandbox, coll, id, obj)
        return 200, {"id": id, "etag": obj["etag"]}, {}

    def flow_delete(self, req: Req, coll: str) -> Result:
        id = req.params["id"]
        with self.store.locked(True) as data:
            self._get_obj(data, req, coll, id)
            flows = self._coll(data, req.sandbox, "flows").values()
            if coll == "connections":
                sources = self._coll(data, req.sandbox, "sourceConnections")
                used = [
                    f["id"]
                    for f in flows
                    if any(
                        sources.get(s, {}).get("baseConnectionId") == id
                        for s in f.get("sourceConnectionIds", [])
                    )
                ]
                if used:
                    raise errors.flow(
                        "1418-400",
                        "Bad Request",
                        f"The base connection {id} is being used in one or more flows: {', '.join(used)}",
                    )
            if coll in ("sourceConnections", "targetConnections"):
                key = (
                    "sourceConnectionIds" if coll == "sourceConnections" else "targetConnectionIds"
                )
                used = [f["id"] for f in flows if id in f.get(key, [])]
                if used:
                    raise errors.flow(
                        "1447-400",
                        "Bad Request",
                        f"Found active flows containing id {id}: {', '.join(used)}",
                    )
            self._del(req.sandbox, coll, id)
        return 204, None, {}

    def flow_action(self, req: Req) -> Result:
        id = req.params["id"]
        op = (req.q("op") or "").lower()
        if op not in ("enable", "disable"):
            raise errors.flow("1421-400", "Bad Request", f"Unsupported action op {req.q('op')!r}")
        with self.store.locked(True) as data:
            obj = copy.deepcopy(self._get_obj(data, req, "flows", id))
            obj["state"] = "enabled" if op == "enable" else "disabled"
            if op == "enable":
                obj["_emuEnabledAt"] = self.clock()
            else:
                obj["_emuDisabledAt"] = self.clock()
            self._stamp(obj, req, create=False)
            self._put(req.sandbox, "flows", id, obj)
        return 200, {"id": id, "etag": obj["etag"]}, {}

    def test_connection(self, req: Req) -> Result:
        with self.store.locked(False) as data:
            self._get_obj(data, req, "connections", req.params["id"])
        return 200, {"result": True}, {}

    def explore(self, req: Req) -> Result:
        with self.store.locked(False) as data:
            conn = self._get_obj(data, req, "connections", req.params["id"])
        spec = specs.CONNECTION_SPECS[conn["connectionSpec"]["id"]]
        tables = specs.TABLES.get(spec["name"], {})
        object_type = req.q("objectType", "root")
        if object_type == "root":
            return (
                200,
                [
                    {
                        "type": "table",
                        "name": t,
                        "path": t,
                        "canPreview": True,
                        "canFetchSchema": True,
                    }
                    for t in tables
                ],
                {},
            )
        table = req.q("object") or ""
        if object_type != "table" or table not in tables:
            raise errors.flow("1439-404", "Resource not found", f"The table {table} is not found")
        body: dict[str, Any] = {"format": "flat", "schema": {"columns": tables[table]}}
        if req.q("preview") == "true":
            body["data"] = [{c["name"]: _sample(c, i) for c in tables[table]} for i in range(3)]
        return 200, body, {}

    def list_runs(self, req: Req) -> Result:
        with self.store.locked(False) as data:
            flows = list(self._coll(data, req.sandbox, "flows").values())
        runs = [run for f in flows for run in _runs_of(f, self.clock(), req.sandbox, self.org_id)]
        return self._page(self._filter(runs, req), req, req.path)

    # -- Schema Registry ------------------------------------------------------------------

    def stats(self, req: Req) -> Result:
        with self.store.locked(False) as data:
            counts = {
                k: len(self._coll(data, req.sandbox, k))
                for k in ("schemas", "fieldgroups", "descriptors")
            }
        return 200, {"imsOrg": self.org_id, "tenantId": self.tenant, "counts": counts}, {}

    def _accept(self, req: Req, lookup: bool) -> str:
        accept = req.headers.get("accept", "")
        if not accept or "application/vnd.adobe.x" not in accept:
            raise errors.xdm(
                "1006-400",
                "Invalid Accept header",
                "An Accept header of the form application/vnd.adobe.xed...+json is required",
            )
        has_version = "version=" in accept.replace(" ", "")
        if lookup and not has_version:
            raise errors.xdm(
                "1007-400", "Invalid Accept header", "version must be supplied in the accept header"
            )
        if not lookup and has_version:
            raise errors.xdm(
                "1008-400",
                "Invalid Accept header",
                "version must not be supplied in the accept header for a list",
            )
        return str(accept)

    def _find_xdm(self, data: dict[str, Any], req: Req, kind: str, id: str) -> dict[str, Any]:
        items = self._coll(data, req.sandbox, kind)
        for key, obj in items.items():
            if id in (key, obj.get("meta:altId")):
                return dict(obj)
        raise errors.xdm("1010-404", "Not Found", f"The resource {id} was not found")

    def _check_title(
        self, data: dict[str, Any], req: Req, title: Any, own_id: str | None = None
    ) -> None:
        for kind in ("schemas", "fieldgroups"):
            for key, obj in self._coll(data, req.sandbox, kind).items():
                if obj.get("title") == title and key != own_id:
                    raise errors.xdm(
                        "1521-400",
                        "Title not unique",
                        f"Object titles must be unique. The title {title!r} is already used by {key}.",
                    )

    def _xdm_fields(self, data: dict[str, Any], req: Req, obj: dict[str, Any]) -> set[str]:
        """Dotted leaf paths of a schema or field group, classes and field groups resolved."""
        fields: set[str] = set()
        std = specs.xdm_fields()
        for item in obj.get("allOf") or []:
            ref = item.get("$ref", "")
            if ref in std:
                fields.update(std[ref])
            elif ref.startswith("#/definitions/"):
                definition = (obj.get("definitions") or {}).get(ref.split("/")[-1], {})
                fields.update(_leaves(definition.get("properties") or {}))
            else:
                fg = self._coll(data, req.sandbox, "fieldgroups").get(ref)
                if fg is not None:
                    fields.update(self._xdm_fields(data, req, fg))
        return fields

    def _validate_xdm(
        self, data: dict[str, Any], req: Req, kind: str, body: dict[str, Any]
    ) -> None:
        if not body.get("title"):
            raise errors.xdm("1001-400", "Bad Request", "title is required")
        std = specs.xdm_fields()
        if kind == "fieldgroups":
            for name, definition in (body.get("definitions") or {}).items():
                for key in definition.get("properties") or {}:
                    if key != f"_{self.tenant}":
                        raise errors.xdm(
                            "1020-400",
                            "Bad Request",
                            f"Custom fields must be nested under _{self.tenant}; found {key!r} in definition {name}",
                        )
            return
        refs = [i.get("$ref", "") for i in body.get("allOf") or []]
        classes = [r for r in refs if r in specs.CLASSES]
        if len(classes) != 1:
            raise errors.xdm(
                "1002-400", "Bad Request", "A schema must reference exactly one class in allOf"
            )
        tenant_groups = self._coll(data, req.sandbox, "fieldgroups")
        for ref in refs:
            if ref not in std and ref not in tenant_groups and not ref.startswith("#/"):
                raise errors.xdm("1003-400", "Bad Request", f"Unknown reference {ref}")
        body["meta:class"] = classes[0]
        body["meta:extends"] = [r for r in refs if not r.startswith("#/")]

    def xdm_create(self, req: Req, kind: str) -> Result:
        body = copy.deepcopy(req.body)
        if not isinstance(body, dict):
            raise errors.xdm("1000-400", "Bad Request", "The body must be a JSON object")
        with self.store.locked(True) as data:
            self._check_title(data, req, body.get("title"))
            self._validate_xdm(data, req, kind, body)
            hexid = uuid.uuid4().hex
            segment = "schemas" if kind == "schemas" else "mixins"
            id = f"https://ns.adobe.com/{self.tenant}/{segment}/{hexid}"
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))
            body.update(
                {
                    "$id": id,
                    "meta:altId": f"_{self.tenant}.{segment}.{hexid}",
                    "meta:resourceType": "schemas" if kind == "schemas" else "mixins",
                    "version": "1.0",
                    "type": body.get("type", "object"),
                    "meta:containerId": "tenant",
                    "meta:tenantNamespace": f"_{self.tenant}",
                    "meta:sandboxId": req.sandbox,
                    "meta:sandboxType": "production" if req.sandbox == "prod" else "development",
                    "meta:registryMetadata": {
                        "repo:createdDate": now,
                        "repo:lastModifiedDate": now,
                        "eTag": uuid.uuid4().hex,
                    },
                }
            )
            self._put(req.sandbox, kind, id, body)
        return 201, body, {}

    def xdm_list(self, req: Req, kind: str) -> Result:
        accept = self._accept(req, lookup=False)
        with self.store.locked(False) as data:
            items = list(self._coll(data, req.sandbox, kind).values())
        for expr in req.all("property"):
            items = [i for i in items if _property_matches(i, expr)]
        order = req.q("orderby") or "title"
        items.sort(key=lambda i: str(i.get(order.lstrip("+-"), "")), reverse=order.startswith("-"))
        limit = min(int(req.q("limit") or 300), 300)
        start = req.q("start")
        key = order.lstrip("+-")
        if start is not None:
            items = [i for i in items if str(i.get(key, "")) > start]
        page = items[:limit]
        nxt = str(page[-1].get(key)) if len(items) > limit else None
        if "xed-id" in accept:
            page = [{k: i[k] for k in ("$id", "meta:altId", "version", "title")} for i in page]
        return (
            200,
            {
                "results": page,
                "_page": {"orderby": order, "next": nxt, "count": len(page)},
                "_links": {
                    "next": None
                    if nxt is None
                    else {"href": f"{req.path}?orderby={order}&start={nxt}"},
                    "global_schemas": {"href": f"https://platform.adobe.io{SCHEMA}/global/schemas"},
                },
            },
            {},
        )

    def xdm_get(self, req: Req, kind: str) -> Result:
        accept = self._accept(req, lookup=True)
        with self.store.locked(False) as data:
            obj = self._find_xdm(data, req, kind, req.params["id"])
            if "xed-full" in accept:
                obj["properties"] = _nest(sorted(self._xdm_fields(data, req, obj)))
        return 200, obj, {}

    def _bump(self, obj: dict[str, Any]) -> None:
        major, minor = str(obj.get("version", "1.0")).split(".")[:2]
        obj["version"] = f"{major}.{int(minor) + 1}"
        meta = obj.setdefault("meta:registryMetadata", {})
        meta["repo:lastModifiedDate"] = time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock())
        )
        meta["eTag"] = uuid.uuid4().hex

    def xdm_patch(self, req: Req, kind: str) -> Result:
        ops = req.body
        if not isinstance(ops, list):
            raise errors.xdm("1000-400", "Bad Request", "The body must be a JSON-Patch array")
        with self.store.locked(True) as data:
            obj = copy.deepcopy(self._find_xdm(data, req, kind, req.params["id"]))
            for op in ops:
                if not _apply_op(
                    obj, str(op.get("op", "")).lower(), str(op.get("path", "")), op.get("value")
                ):
                    raise errors.xdm(
                        "1012-400", "Bad Request", f"Invalid patch path {op.get('path')}"
                    )
            self._check_title(data, req, obj.get("title"), obj["$id"])
            self._validate_xdm(data, req, kind, obj)
            self._bump(obj)
            self._put(req.sandbox, kind, obj["$id"], obj)
        return 200, obj, {}

    def xdm_put(self, req: Req, kind: str) -> Result:
        body = copy.deepcopy(req.body)
        if not isinstance(body, dict):
            raise errors.xdm("1000-400", "Bad Request", "The body must be a JSON object")
        with self.store.locked(True) as data:
            old = self._find_xdm(data, req, kind, req.params["id"])
            self._check_title(data, req, body.get("title"), old["$id"])
            self._validate_xdm(data, req, kind, body)
            keep = {
                k: v
                for k, v in old.items()
                if k.startswith("meta:")
                and k not in ("meta:class", "meta:extends", "meta:intendedToExtend")
            }
            obj = {**body, **keep, "$id": old["$id"], "version": old["version"]}
            self._bump(obj)
            self._put(req.sandbox, kind, obj["$id"], obj)
        return 200, obj, {}

    def xdm_delete(self, req: Req, kind: str) -> Result:
        with self.store.locked(True) as data:
            obj = self._find_xdm(data, req, kind, req.params["id"])
            if kind == "schemas":
                used = [
                    d
                    for d in self._coll(data, req.sandbox, "dataSets")
                    if self._coll(data, req.sandbox, "dataSets")[d]["schemaRef"]["id"] == obj["$id"]
                ]
                if used:
                    # Deleting a schema in use is refused (composition.md); the exact code is UNCONFIRMED.
                    raise errors.xdm(
                        "1532-400",
                        "Schema in use",
                        f"The schema is used by dataset(s) {', '.join(used)} and cannot be deleted",
                    )
            else:
                users = [
                    s
                    for s, o in self._coll(data, req.sandbox, "schemas").items()
                    if any(i.get("$ref") == obj["$id"] for i in o.get("allOf", []))
                ]
                if users:
                    raise errors.xdm(
                        "1532-400",
                        "Field group in use",
                        f"The field group is used by schema(s) {', '.join(users)}",
                    )
            self._del(req.sandbox, kind, obj["$id"])
            for did, d in list(self._coll(data, req.sandbox, "descriptors").items()):
                if d.get("xdm:sourceSchema") == obj["$id"]:
                    self._del(req.sandbox, "descriptors", did)
        return 204, None, {}

    def _validate_descriptor(
        self, data: dict[str, Any], req: Req, body: dict[str, Any], own: str | None
    ) -> None:
        if body.get("@type") != "xdm:descriptorIdentity":
            raise errors.xdm(
                "1050-400",
                "Bad Request",
                "Only xdm:descriptorIdentity descriptors are supported by this emulator",
            )
        schema = self._coll(data, req.sandbox, "schemas").get(body.get("xdm:sourceSchema", ""))
        if schema is None:
            raise errors.xdm(
                "1051-400",
                "Bad Request",
                f"Unknown xdm:sourceSchema {body.get('xdm:sourceSchema')}",
            )
        prop = str(body.get("xdm:sourceProperty", ""))
        dotted = prop.strip("/").replace("/", ".")
        if (
            not prop.startswith("/")
            or prop.endswith("/")
            or not _path_exists(dotted, self._xdm_fields(data, req, schema))
        ):
            raise errors.xdm(
                "1052-400", "Bad Request", f"xdm:sourceProperty {prop} does not exist in the schema"
            )
        if body.get("xdm:isPrimary"):
            for did, d in self._coll(data, req.sandbox, "descriptors").items():
                if (
                    did != own
                    and d.get("xdm:sourceSchema") == schema["$id"]
                    and d.get("xdm:isPrimary")
                ):
                    raise errors.xdm(
                        "1053-400",
                        "Bad Request",
                        "The schema already has a primary identity descriptor",
                    )

    def descriptor_create(self, req: Req) -> Result:
        body = copy.deepcopy(req.body)
        with self.store.locked(True) as data:
            self._validate_descriptor(data, req, body, None)
            id = uuid.uuid4().hex
            body.update({"@id": id, "meta:containerId": "tenant"})
            self._put(req.sandbox, "descriptors", id, body)
        return 201, body, {}

    def descriptor_list(self, req: Req) -> Result:
        accept = req.headers.get("accept", "")
        with self.store.locked(False) as data:
            items = list(self._coll(data, req.sandbox, "descriptors").values())
        if "xdm-link" in accept:
            return (
                200,
                {"xdm:descriptorIdentity": [f"/tenant/descriptors/{d['@id']}" for d in items]},
                {},
            )
        if "xdm-id" in accept:
            return 200, {"xdm:descriptorIdentity": [d["@id"] for d in items]}, {}
        return 200, {"xdm:descriptorIdentity": items}, {}

    def descriptor_get(self, req: Req) -> Result:
        with self.store.locked(False) as data:
            d = self._coll(data, req.sandbox, "descriptors").get(req.params["id"])
        if d is None:
            raise errors.xdm(
                "1010-404", "Not Found", f"The descriptor {req.params['id']} was not found"
            )
        return 200, d, {}

    def descriptor_put(self, req: Req) -> Result:
        body = copy.deepcopy(req.body)
        id = req.params["id"]
        with self.store.locked(True) as data:
            if id not in self._coll(data, req.sandbox, "descriptors"):
                raise errors.xdm("1010-404", "Not Found", f"The descriptor {id} was not found")
            self._validate_descriptor(data, req, body, id)
            body.update({"@id": id, "meta:containerId": "tenant"})
            self._put(req.sandbox, "descriptors", id, body)
        return 201, {"@id": id}, {}

    def descriptor_delete(self, req: Req) -> Result:
        id = req.params["id"]
        with self.store.locked(True) as data:
            if id not in self._coll(data, req.sandbox, "descriptors"):
                raise errors.xdm("1010-404", "Not Found", f"The descriptor {id} was not found")
            self._del(req.sandbox, "descriptors", id)
        return 204, None, {}

    # -- Catalog --------------------------------------------------------------------------

    def _dataset_checks(self, data: dict[str, Any], req: Req, body: dict[str, Any]) -> None:
        schema_id = (body.get("schemaRef") or {}).get("id")
        schema = self._coll(data, req.sandbox, "schemas").get(schema_id or "")
        if schema is None:
            raise errors.generic(400, "BadRequestError", f"schemaRef {schema_id} does not exist")
        profile = [
            str(v).replace(" ", "") for v in (body.get("tags") or {}).get("unifiedProfile", [])
        ]
        if "enabled:true" in profile and "union" not in schema.get("meta:immutableTags", []):
            raise errors.generic(
                400, "BadRequestError", "To enable profile datasets the schema should be valid"
            )

    def dataset_create(self, req: Req) -> Result:
        body = copy.deepcopy(req.body)
        if not isinstance(body, dict) or not body.get("name"):
            raise errors.generic(400, "BadRequestError", "A dataset needs a name")
        with self.store.locked(True) as data:
            self._dataset_checks(data, req, body)
            id = secrets.token_hex(12)
            now = _now_ms(self.clock)
            body.update(
                version="1.0.0",
                created=now,
                updated=now,
                createdClient=self.client_id,
                createdUser=f"{self.client_id}@AdobeID",
                updatedUser=f"{self.client_id}@AdobeID",
                imsOrg=self.org_id,
                viewId=secrets.token_hex(12),
                state="DRAFT",
            )
            body["files"] = f"@/dataSets/{id}/views/{body['viewId']}/files"
            self._put(req.sandbox, "dataSets", id, body)
        return 201, [f"@/dataSets/{id}"], {"Location": f"{CATALOG}/dataSets/{id}"}

    def dataset_list(self, req: Req) -> Result:
        try:
            limit = int(req.q("limit") or 20)
            start = int(req.q("start") or 0)
        except ValueError:
            raise errors.generic(
                400, "BadRequestError", "limit and start must be integers"
            ) from None
        if not 1 <= limit <= 100:
            raise errors.generic(400, "BadRequestError", "limit must be between 1 and 100")
        with self.store.locked(False) as data:
            items = sorted(
                self._coll(data, req.sandbox, "dataSets").items(), key=lambda kv: kv[1]["created"]
            )
        names = req.q("name")
        if names is not None:
            wanted = names.split(",")
            items = [
                (k, v)
                for k, v in items
                if any(
                    (v["name"] != w[1:]) if w.startswith("!") else v["name"] == w for w in wanted
                )
            ]
        for expr in req.all("property"):
            items = [(k, v) for k, v in items if _property_matches(v, expr)]
        tags = req.q("tags")
        if tags is not None:
            tag, _, value = tags.partition(":")
            items = [
                (k, v)
                for k, v in items
                if tag in (v.get("tags") or {}) and (value in ("", "*") or value in v["tags"][tag])
            ]
        page = items[start : start + limit]
        props = req.q("properties")
        keep = props.split(",") if props else None
        return 200, {k: ({p: v[p] for p in keep if p in v} if keep else v) for k, v in page}, {}

    def dataset_get(self, req: Req) -> Result:
        id = req.params["id"]
        with self.store.locked(False) as data:
            obj = self._coll(data, req.sandbox, "dataSets").get(id)
        if obj is None:
            raise errors.generic(404, "NotFoundError", f"Dataset {id} not found")
        return 200, {id: obj}, {}

    def dataset_patch(self, req: Req) -> Result:
        id = req.params["id"]
        with self.store.locked(True) as data:
            obj = copy.deepcopy(self._coll(data, req.sandbox, "dataSets").get(id))
            if obj is None:
                raise errors.generic(404, "NotFoundError", f"Dataset {id} not found")
            if isinstance(req.body, list):  # JSON-Patch (application/json-patch+json)
                for op in req.body:
                    if not _apply_op(
                        obj, str(op.get("op", "")).lower(), str(op.get("path", "")), op.get("value")
                    ):
                        raise errors.generic(
                            400, "BadRequestError", f"Invalid patch path {op.get('path')}"
                        )
            elif isinstance(req.body, dict):
                if "schemaRef" in req.body:
                    # Whether Catalog lets schemaRef change is UNCONFIRMED: treated as immutable.
                    raise errors.generic(400, "BadRequestError", "schemaRef cannot be changed")
                obj.update(req.body)
            else:
                raise errors.generic(
                    400, "BadRequestError", "The body must be an object or a JSON-Patch array"
                )
            self._dataset_checks(data, req, obj)
            obj["updated"] = _now_ms(self.clock)
            self._put(req.sandbox, "dataSets", id, obj)
        return 200, [f"@/dataSets/{id}"], {}

    def dataset_delete(self, req: Req) -> Result:
        id = req.params["id"]
        with self.store.locked(True) as data:
            if id not in self._coll(data, req.sandbox, "dataSets"):
                return 200, [], {}
            targets = [
                t
                for t, o in self._coll(data, req.sandbox, "targetConnections").items()
                if o.get("params", {}).get("dataSetId") == id
            ]
            flows = [
                f["id"]
                for f in self._coll(data, req.sandbox, "flows").values()
                if set(f.get("targetConnectionIds", [])) & set(targets)
            ]
            if flows:
                raise errors.generic(
                    400,
                    "BadRequestError",
                    f"Dataset {id} is the target of flow(s) {', '.join(flows)}",
                )
            self._del(req.sandbox, "dataSets", id)
        return 200, [f"@/dataSets/{id}"], {}

    # -- Data Prep ------------------------------------------------------------------------

    def _mapping_version(
        self, data: dict[str, Any], req: Req, body: Any, id: str, version: int
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise errors.generic(400, "BadRequestError", "The body must be a JSON object")
        schema_id = ((body.get("outputSchema") or {}).get("schemaRef") or {}).get("id")
        schema = self._coll(data, req.sandbox, "schemas").get(schema_id or "")
        if schema is None:
            raise errors.generic(400, "BadRequestError", f"outputSchema {schema_id} does not exist")
        fields = self._xdm_fields(data, req, schema)
        now = _now_ms(self.clock)
        mappings = []
        for m in body.get("mappings") or []:
            source_type = m.get("sourceType")
            if source_type not in ("ATTRIBUTE", "EXPRESSION", "STATIC"):
                raise errors.generic(
                    400,
                    "BadRequestError",
                    f"Invalid sourceType {source_type!r}: use ATTRIBUTE, EXPRESSION or STATIC",
                )
            dest = str(m.get("destination", ""))
            if not _path_exists(dest, fields):
                raise errors.generic(
                    400,
                    "BadRequestError",
                    f"The destination {dest} does not exist in schema {schema_id}",
                )
            stored = {
                **m,
                "id": uuid.uuid4().hex,
                "version": version,
                # Data Prep stores attribute mappings as schema paths (reference §5).
                "sourceType": "text/x.schema-path" if source_type == "ATTRIBUTE" else source_type,
                "identity": False,
                "primaryIdentity": False,
            }
            mappings.append(stored)
        return {
            "id": id,
            "version": version,
            "createdDate": now,
            "modifiedDate": now,
            "createdBy": self.client_id,
            "modifiedBy": self.client_id,
            "supportVersion": "1.1",
            "outputSchema": {"schemaRef": body["outputSchema"]["schemaRef"]},
            "mappings": mappings,
            "status": "PUBLISHED",
            "xdmSchema": schema_id,
            "xdmVersion": "1.0",
        }

    def mapping_create(self, req: Req) -> Result:
        id = uuid.uuid4().hex
        with self.store.locked(True) as data:
            v0 = self._mapping_version(data, req, req.body, id, 0)
            self._put(req.sandbox, "mappingSets", id, {"versions": [v0]})
        return (
            200,
            {
                k: v0[k]
                for k in ("id", "version", "createdDate", "modifiedDate", "createdBy", "modifiedBy")
            },
            {},
        )

    def mapping_get(self, req: Req) -> Result:
        id = req.params["id"]
        with self.store.locked(False) as data:
            m = self._coll(data, req.sandbox, "mappingSets").get(id)
        if m is None:
            raise errors.generic(404, "NotFoundError", f"Mapping set {id} not found")
        version = req.q("version")
        if version is None:
            return 200, m["versions"][-1], {}
        if not version.isdigit() or int(version) >= len(m["versions"]):
            raise errors.generic(404, "NotFoundError", f"Mapping set {id} has no version {version}")
        return 200, m["versions"][int(version)], {}

    def mapping_put(self, req: Req) -> Result:
        id = req.params["id"]
        with self.store.locked(True) as data:
            m = self._coll(data, req.sandbox, "mappingSets").get(id)
            if m is None:
                raise errors.generic(404, "NotFoundError", f"Mapping set {id} not found")
            new = self._mapping_version(data, req, req.body, id, len(m["versions"]))
            new["createdDate"] = m["versions"][0]["createdDate"]
            self._put(req.sandbox, "mappingSets", id, {"versions": [*m["versions"], new]})
        return 200, new, {}

    def mapping_list(self, req: Req) -> Result:
        limit = int(req.q("limit") or 10)
        start = int(req.q("start") or 0)
        with self.store.locked(False) as data:
            items = [
                m["versions"][-1] for m in self._coll(data, req.sandbox, "mappingSets").values()
            ]
        return (
            200,
            {"data": items[start : start + limit], "_page": {"count": len(items), "limit": limit}},
            {},
        )

    def mapping_delete(self, req: Req) -> Result:
        # DELETE is absent from the published Data Prep spec (UNCONFIRMED); aepp uses it.
        id = req.params["id"]
        with self.store.locked(True) as data:
            if id not in self._coll(data, req.sandbox, "mappingSets"):
                raise errors.generic(404, "NotFoundError", f"Mapping set {id} not found")
            self._del(req.sandbox, "mappingSets", id)
        return 200, {"id": id}, {}


# -- small pure helpers ---------------------------------------------------------------------


def _get_path(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(obj, dict):
            obj = obj.get(part)
        else:
            return None
    return obj


def _property_matches(obj: dict[str, Any], expr: str) -> bool:
    """Flow Service / Schema Registry ``property=`` filters: ==, !=, comma = OR, [] arrays."""
    for op in ("==", "!="):
        if op in expr:
            field_name, value = expr.split(op, 1)
            break
    else:
        return _get_path(obj, expr) is not None
    values = [v.strip().strip('"') for v in value.split(",")]
    if field_name.endswith("[]"):
        actual = _get_path(obj, field_name[:-2]) or []
        hit = any(str(a) in values for a in actual)
    elif "[]." in field_name:
        head, tail = field_name.split("[].", 1)
        hit = any(str(_get_path(a, tail)) in values for a in (_get_path(obj, head) or []))
    else:
        hit = str(_get_path(obj, field_name)) in values
    return hit if op == "==" else not hit


def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.strip("/").split("/")]


def _apply_op(obj: dict[str, Any], op: str, path: str, value: Any) -> bool:
    parts = _pointer(path)
    node: Any = obj
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    last = parts[-1]
    if isinstance(node, list):
        if last == "-" and op == "add":
            node.append(value)
            return True
        if not last.isdigit() or int(last) >= len(node) + (1 if op == "add" else 0):
            return False
        index = int(last)
        if op == "remove":
            node.pop(index)
        elif op == "add":
            node.insert(index, value)
        else:
            node[index] = value
        return True
    if not isinstance(node, dict):
        return False
    if op == "remove":
        return node.pop(last, _MISSING) is not _MISSING
    if op == "replace" and last not in node:
        return False
    node[last] = value
    return True


_MISSING = object()


def _leaves(properties: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for name, prop in properties.items():
        path = f"{prefix}{name}"
        if isinstance(prop, dict) and prop.get("type") == "object" and prop.get("properties"):
            out.extend(_leaves(prop["properties"], path + "."))
        else:
            out.append(path)
    return out


def _normal(path: str) -> str:
    path = re.sub(r"\[(\d+|\*)\]", "[]", path)
    return re.sub(r"^identityMap\.[^.\[]+\[\]", "identityMap.{namespace}[]", path)


def _path_exists(path: str, fields: set[str]) -> bool:
    wanted = _normal(path)
    return any(
        f == wanted or f.startswith(wanted + ".") or f.startswith(wanted + "[") for f in fields
    )


def _nest(paths: list[str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {"type": "object", "properties": {}})["properties"]
        node.setdefault(parts[-1], {"type": "string"})
    return root


def _sample(column: dict[str, Any], i: int) -> Any:
    if column.get("meta:xdmType") == "date-time":
        return f"2026-11-0{i + 1}T10:00:00Z"
    if column.get("type") == "integer":
        return i + 1
    return f"{column['name']}-{i + 1}"


_UNIT = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def _runs_of(flow: dict[str, Any], now: float, sandbox: str, org: str) -> list[dict[str, Any]]:
    """Runs as the schedule came due while the flow was enabled: deterministic per flow."""
    params = flow.get("scheduleParams") or {}
    try:
        start = int(params.get("startTime", 0))
    except (TypeError, ValueError):
        return []
    frequency = params.get("frequency", "once")
    until = now if flow.get("state") == "enabled" else float(flow.get("_emuDisabledAt", now))
    since = float(flow.get("_emuEnabledAt", start))
    if frequency == "once":
        times = [start] if start <= until else []
    else:
        step = _UNIT.get(frequency, 3600) * max(int(params.get("interval", 1) or 1), 1)
        first = (
            start if start >= since - step * 100 else start + int((since - start) // step) * step
        )
        count = int(max(0, until - first) // step) + (1 if first <= until else 0)
        times = [first + k * step for k in range(max(0, count - 100), count)]
    runs = []
    for t in times:
        seed = int(hashlib.sha256(f"{flow['id']}:{t}".encode()).hexdigest()[:8], 16)
        rng = random.Random(seed)
        failed = rng.random() < 0.15
        records = rng.randint(50, 5000)
        bad = records if failed else rng.randint(0, records // 50)
        duration = rng.randint(20_000, 300_000)
        runs.append(
            {
                "id": str(uuid.UUID(int=seed << 96 | t, version=4)),
                "flowId": flow["id"],
                "flowSpec": flow.get("flowSpec"),
                "createdAt": t * 1000,
                "updatedAt": t * 1000 + duration,
                "sandboxName": sandbox,
                "imsOrgId": org,
                "providerRefId": uuid.UUID(int=seed, version=4).hex,
                "metrics": {
                    "durationSummary": {
                        "startedAtUTC": t * 1000,
                        "completedAtUTC": t * 1000 + duration,
                    },
                    "sizeSummary": {
                        "inputBytes": records * 310,
                        "outputBytes": (records - bad) * 290,
                    },
                    "recordSummary": {
                        "inputRecordCount": records,
                        "outputRecordCount": records - bad,
                        "failedRecordCount": bad,
                    },
                    "fileSummary": {"inputFileCount": 1, "outputFileCount": 0 if failed else 1},
                    "statusSummary": {
                        "status": "failed" if failed else "success",
                        "errors": [
                            {
                                "code": "CONNECTOR-2002-500",
                                "message": "The source rejected the query: session expired",
                            }
                        ]
                        if failed
                        else [],
                    },
                },
                "activities": [],
            }
        )
    return runs


def parse_body(request: httpx.Request) -> Any:
    content = request.content
    if not content:
        return None
    ctype = request.headers.get("content-type", "")
    if "x-www-form-urlencoded" in ctype:
        return dict(parse_qsl(content.decode()))
    try:
        return json.loads(content)
    except ValueError:
        raise errors.generic(
            400, "BadRequestError", "A valid content-type must be specified"
        ) from None

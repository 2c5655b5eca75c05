"""The Platform client: the one door to AEP, over httpx (the network or the embedded emulator).

Facts: reference/aep-api.md §1-5. Thread-safe: the engine calls one client from many threads.
"""

from __future__ import annotations

import email.utils
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from aepflow.errors import CredentialsError
from aepflow.platform.errors import (
    AuthenticationError,
    NotFound,
    OutcomeUnknown,
    PlatformError,
    PreconditionFailed,
    RateLimited,
    ServerError,
    TransportError,
    parse_error_body,
)

if TYPE_CHECKING:
    from aepflow.project import Environment

FLOW = "/data/foundation/flowservice"
SCHEMA = "/data/foundation/schemaregistry"
CATALOG = "/data/foundation/catalog"
CONVERSION = "/data/foundation/conversion"
DEFAULT_PLATFORM_URL = "https://platform.adobe.io"
DEFAULT_IMS_URL = "https://ims-na1.adobelogin.com"
XED_ID = "application/vnd.adobe.xed-id+json"
XED_V1 = "application/vnd.adobe.xed+json; version=1"
XED_FULL_V1 = "application/vnd.adobe.xed-full+json; version=1"
XDM_DESCRIPTORS = "application/vnd.adobe.xdm+json"
ENV_VARS = {
    "AEP_CLIENT_ID": "the Client ID of your Developer Console project (OAuth Server-to-Server)",
    "AEP_CLIENT_SECRET": "a Client Secret of that project",
    "AEP_ORG_ID": "your IMS organization id (…@AdobeOrg), or orgId in aepflow.yaml",
    "AEP_SCOPES": "the comma-separated scopes listed in that project's credential",
}


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str = field(repr=False)
    org_id: str
    scopes: str

    def __repr__(self) -> str:
        return (
            f"Credentials(client_id={self.client_id!r}, org_id={self.org_id!r}, client_secret=***)"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, org_id: str | None = None) -> Credentials:
        values = {name: environ.get(name, "").strip() for name in ENV_VARS}
        if not values["AEP_ORG_ID"] and org_id:
            values["AEP_ORG_ID"] = org_id
        missing = [name for name, value in values.items() if not value]
        if missing:
            lines = "\n".join(f"  {name}: {ENV_VARS[name]}" for name in missing)
            raise CredentialsError(
                "missing AEP credentials; set these environment variables:\n" + lines
            )
        return cls(
            values["AEP_CLIENT_ID"],
            values["AEP_CLIENT_SECRET"],
            values["AEP_ORG_ID"],
            values["AEP_SCOPES"],
        )


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    max_total_seconds: float = 120.0
    base_delay: float = 0.5
    max_delay: float = 30.0


class PlatformClient:
    def __init__(
        self,
        *,
        credentials: Credentials,
        sandbox: str,
        platform_url: str,
        ims_url: str,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.credentials = credentials
        self.sandbox = sandbox
        self.platform_url = platform_url.rstrip("/")
        self.ims_url = ims_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._not_before = 0.0  # shared backoff: no request before this instant (clock)
        self._tenant: str | None = None
        self.request_count = 0

    # -- construction -------------------------------------------------------------------

    @classmethod
    def for_environment(
        cls, env: Environment, environ: Mapping[str, str] | None = None
    ) -> PlatformClient:
        environ = os.environ if environ is None else environ
        if env.type == "embedded":
            from aepflow import emulator

            return cls(
                credentials=Credentials(
                    emulator.DEFAULT_CLIENT_ID,
                    emulator.DEFAULT_CLIENT_SECRET,
                    emulator.DEFAULT_ORG_ID,
                    "openid,AdobeID,read_organizations",
                ),
                sandbox=env.sandbox,
                platform_url=emulator.EMBEDDED_BASE_URL,
                ims_url=emulator.EMBEDDED_IMS_URL,
                transport=emulator.Emulator(env.state_dir).transport(),
            )
        credentials = Credentials.from_env(environ, org_id=env.org_id)
        return cls(
            credentials=credentials,
            sandbox=env.sandbox,
            platform_url=environ.get("AEPFLOW_PLATFORM_URL")
            or env.platform_url
            or DEFAULT_PLATFORM_URL,
            ims_url=environ.get("AEPFLOW_IMS_URL") or env.ims_url or DEFAULT_IMS_URL,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- token ---------------------------------------------------------------------------

    def authenticate(self) -> None:
        """Obtain a token now (``aepflow doctor``); requests do it on their own when needed."""
        self._access_token()

    def _access_token(self, *, refresh: bool = False) -> str:
        with self._token_lock:
            # Refresh 5 minutes early (aepp refreshes 500 s before expiry).
            if refresh or self._token is None or self._clock() >= self._token_expires - 300:
                self._token, self._token_expires = self._fetch_token()
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        path = "/ims/token/v3"
        form = {
            "grant_type": "client_credentials",
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
            "scope": self.credentials.scopes,
        }
        try:
            resp = self._http.post(self.ims_url + path, data=form)
        except httpx.HTTPError as e:
            raise TransportError(
                "POST",
                path,
                None,
                None,
                f"cannot reach IMS at {urlsplit(self.ims_url).netloc}: {type(e).__name__}",
            ) from None
        if resp.status_code != 200:
            code, message = parse_error_body(_json(resp))
            raise AuthenticationError(
                "POST",
                path,
                resp.status_code,
                code,
                f"{message or 'token request refused'}; check AEP_CLIENT_ID, AEP_CLIENT_SECRET "
                "and AEP_SCOPES against your Developer Console project",
            )
        body = resp.json()
        return str(body["access_token"]), self._clock() + float(body.get("expires_in", 86399))

    # -- the request loop -----------------------------------------------------------------

    def _headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "x-api-key": self.credentials.client_id,
            "x-gw-ims-org-id": self.credentials.org_id,
            "x-sandbox-name": self.sandbox,
        }

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        json: Any = None,
        accept: str = "application/json",
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        allow_404: bool = False,
    ) -> httpx.Response | None:
        """Send one logical request, with retries; None for a 404 when ``allow_404``."""
        # A create is never blindly re-sent: its outcome would be unknown. Actions are idempotent.
        replayable = method != "POST" or "/action" in path
        started = self._clock()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            self._wait_turn()
            sent = self._headers(self._access_token()) | {"Accept": accept, **(headers or {})}
            if json is not None:
                sent["Content-Type"] = content_type
            with self._count_lock:
                self.request_count += 1
            try:
                resp = self._http.request(
                    method,
                    self.platform_url + path,
                    params=httpx.QueryParams(list(params)) if params else None,
                    json=json,
                    headers=sent,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                # Never reached the server: safe to try again, even for a create.
                if not self._may_retry(attempt, started):
                    raise TransportError(
                        method,
                        path,
                        None,
                        None,
                        f"cannot connect to {urlsplit(self.platform_url).netloc} "
                        f"({type(e).__name__})",
                    ) from None
                self._backoff(attempt)
                continue
            except httpx.HTTPError as e:
                if not replayable:
                    raise OutcomeUnknown(
                        method,
                        path,
                        None,
                        None,
                        f"no response ({type(e).__name__}); the object may or may not have been "
                        "created",
                    ) from None
                if not self._may_retry(attempt, started):
                    raise TransportError(
                        method, path, None, None, f"no response ({type(e).__name__})"
                    ) from None
                self._backoff(attempt)
                continue
            status = resp.status_code
            if status < 400:
                return resp
            if status == 404 and allow_404:
                return None
            if status == 401 and not refreshed:
                refreshed = True
                self._access_token(refresh=True)
                continue
            if status == 429:
                delay = self._retry_after(resp, attempt)
                if self._may_retry(attempt, started, delay):
                    self._pause_all(delay)
                    continue
            elif status >= 500 and replayable and self._may_retry(attempt, started):
                self._backoff(attempt)
                continue
            raise self._error(method, path, resp)

    def _may_retry(self, attempt: int, started: float, delay: float = 0.0) -> bool:
        policy = self.retry
        return attempt < policy.max_attempts and (
            self._clock() - started + delay <= policy.max_total_seconds
        )

    def _backoff(self, attempt: int) -> None:
        cap = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
        self._sleep(self._rng.uniform(0, cap))  # full jitter

    def _retry_after(self, resp: httpx.Response, attempt: int) -> float:
        value = resp.headers.get("Retry-After")
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                parsed = email.utils.parsedate_to_datetime(value) if value else None
                if parsed is not None:
                    seconds: float = parsed.timestamp() - self._wall_clock()
                    return max(0.0, seconds)
        fallback: float = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
        return fallback

    def _pause_all(self, delay: float) -> None:
        """A 429 slows every thread of this client, not only the one that saw it."""
        with self._count_lock:
            self._not_before = max(self._not_before, self._clock() + delay)

    def _wait_turn(self) -> None:
        while True:
            with self._count_lock:
                wait = self._not_before - self._clock()
            if wait <= 0:
                return
            self._sleep(wait)

    def _error(self, method: str, path: str, resp: httpx.Response) -> PlatformError:
        body = _json(resp)
        code, message = parse_error_body(body)
        request_id = resp.headers.get("x-request-id")
        if request_id is None and isinstance(body, dict) and isinstance(body.get("report"), dict):
            request_id = body["report"].get("request-id")
        status = resp.status_code
        cls: type[PlatformError] = PlatformError
        if status == 404:
            cls = NotFound
        elif status == 412:
            cls = PreconditionFailed
        elif status in (401, 403):
            cls = AuthenticationError
            message = (message or "not authorized") + (
                "; check the credentials, the org id and that the project's product profile "
                "grants access to this sandbox"
            )
        elif status == 429:
            cls = RateLimited
            message = (message or "Too many requests") + "; retries ran out, try again later"
        elif status >= 500:
            cls = ServerError
        return cls(method, path, status, code, message or resp.reason_phrase, request_id)

    # -- Flow Service ---------------------------------------------------------------------

    def flow_create(self, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.request("POST", f"{FLOW}/{collection}", json=body)
        assert resp is not None
        return dict(resp.json())

    def flow_get(self, collection: str, id: str) -> dict[str, Any] | None:
        resp = self.request("GET", f"{FLOW}/{collection}/{quote(id, safe='')}", allow_404=True)
        if resp is None:
            return None
        items = resp.json().get("items") or []
        return dict(items[0]) if items else None

    def flow_list(self, collection: str, filters: Sequence[str] = ()) -> list[dict[str, Any]]:
        params = [("property", f) for f in filters]
        out: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = params + ([("continuationToken", token)] if token else [])
            resp = self.request("GET", f"{FLOW}/{collection}", params=page)
            assert resp is not None
            body = resp.json()
            out.extend(body.get("items") or [])
            href = ((body.get("_links") or {}).get("next") or {}).get("href")
            if not href:
                return out
            token = parse_qs(urlsplit(href).query).get("continuationToken", [None])[0]
            if not token:
                return out

    def flow_patch(
        self, collection: str, id: str, ops: list[dict[str, Any]], etag: str | None = None
    ) -> dict[str, Any]:
        path = f"{FLOW}/{collection}/{quote(id, safe='')}"
        if etag is None:
            current = self.flow_get(collection, id)
            if current is None:
                raise NotFound("PATCH", path, 404, None, f"{collection} {id} does not exist")
            etag = str(current["etag"])
        try:
            return self._patch_with_etag(path, ops, etag)
        except PreconditionFailed:
            fresh = self.flow_get(collection, id)
            if fresh is None:
                raise
            if all(_op_holds(fresh, op) for op in ops):
                return {"id": id, "etag": fresh.get("etag")}
            return self._patch_with_etag(path, ops, str(fresh["etag"]))

    def _patch_with_etag(self, path: str, ops: list[dict[str, Any]], etag: str) -> dict[str, Any]:
        resp = self.request("PATCH", path, json=ops, headers={"If-Match": etag})
        assert resp is not None
        return dict(resp.json())

    def flow_delete(self, collection: str, id: str) -> bool:
        resp = self.request("DELETE", f"{FLOW}/{collection}/{quote(id, safe='')}", allow_404=True)
        return resp is not None

    def flow_action(self, id: str, op: str) -> dict[str, Any]:
        resp = self.request(
            "POST", f"{FLOW}/flows/{quote(id, safe='')}/action", params=[("op", op)]
        )
        assert resp is not None
        return dict(resp.json())

    def connection_spec(self, id: str) -> dict[str, Any] | None:
        return self.flow_get("connectionSpecs", id)

    def connection_spec_by_name(self, name: str) -> dict[str, Any] | None:
        found = self.flow_list("connectionSpecs", [f'name=="{name}"'])
        return found[0] if found else None

    def flow_spec_by_name(self, name: str) -> dict[str, Any] | None:
        found = self.flow_list("flowSpecs", [f'name=="{name}"'])
        return found[0] if found else None

    def runs(self, flow_id: str, filters: Sequence[str] = ()) -> list[dict[str, Any]]:
        return self.flow_list("runs", [f"flowId=={flow_id}", *filters])

    def test_connection(self, id: str) -> bool:
        resp = self.request("GET", f"{FLOW}/connections/{quote(id, safe='')}/test")
        assert resp is not None
        return bool(resp.json().get("result"))

    def explore(
        self,
        connection_id: str,
        object_type: str = "root",
        object: str | None = None,
        preview: bool = False,
    ) -> Any:
        params = [("objectType", object_type)]
        if object is not None:
            params.append(("object", object))
        if preview:
            params.append(("preview", "true"))
        resp = self.request(
            "GET", f"{FLOW}/connections/{quote(connection_id, safe='')}/explore", params=params
        )
        assert resp is not None
        return resp.json()

    # -- Schema Registry ------------------------------------------------------------------

    def tenant_id(self) -> str:
        if self._tenant is None:
            resp = self.request("GET", f"{SCHEMA}/stats")
            assert resp is not None
            self._tenant = str(resp.json()["tenantId"])
        return self._tenant

    def _xdm_create(self, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.request("POST", f"{SCHEMA}/tenant/{collection}", json=body)
        assert resp is not None
        return dict(resp.json())

    def _xdm_get(self, collection: str, id: str, accept: str) -> dict[str, Any] | None:
        resp = self.request(
            "GET",
            f"{SCHEMA}/tenant/{collection}/{quote(id, safe='')}",
            accept=accept,
            allow_404=True,
        )
        return None if resp is None else dict(resp.json())

    def _xdm_list(self, collection: str, title: str | None) -> list[dict[str, Any]]:
        params: list[tuple[str, str]] = [("orderby", "title")]
        if title is not None:
            params.append(("property", f"title=={title}"))
        out: list[dict[str, Any]] = []
        start: str | None = None
        while True:
            page = params + ([("start", start)] if start is not None else [])
            resp = self.request("GET", f"{SCHEMA}/tenant/{collection}", params=page, accept=XED_ID)
            assert resp is not None
            body = resp.json()
            out.extend(body.get("results") or [])
            nxt = (body.get("_page") or {}).get("next")
            if nxt is None:
                return out
            start = str(nxt)

    def _xdm_write(self, method: str, collection: str, id: str, body: Any) -> dict[str, Any]:
        resp = self.request(method, f"{SCHEMA}/tenant/{collection}/{quote(id, safe='')}", json=body)
        assert resp is not None
        return dict(resp.json())

    def _xdm_delete(self, collection: str, id: str) -> bool:
        resp = self.request(
            "DELETE", f"{SCHEMA}/tenant/{collection}/{quote(id, safe='')}", allow_404=True
        )
        return resp is not None

    def schema_create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._xdm_create("schemas", body)

    def schema_get(self, id: str, *, full: bool = False) -> dict[str, Any] | None:
        return self._xdm_get("schemas", id, XED_FULL_V1 if full else XED_V1)

    def schema_list(self, title: str | None = None) -> list[dict[str, Any]]:
        return self._xdm_list("schemas", title)

    def schema_patch(self, id: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
        return self._xdm_write("PATCH", "schemas", id, ops)

    def schema_put(self, id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._xdm_write("PUT", "schemas", id, body)

    def schema_delete(self, id: str) -> bool:
        return self._xdm_delete("schemas", id)

    def fieldgroup_create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._xdm_create("fieldgroups", body)

    def fieldgroup_get(self, id: str) -> dict[str, Any] | None:
        return self._xdm_get("fieldgroups", id, XED_V1)

    def fieldgroup_list(self, title: str | None = None) -> list[dict[str, Any]]:
        return self._xdm_list("fieldgroups", title)

    def fieldgroup_patch(self, id: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
        return self._xdm_write("PATCH", "fieldgroups", id, ops)

    def fieldgroup_put(self, id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._xdm_write("PUT", "fieldgroups", id, body)

    def fieldgroup_delete(self, id: str) -> bool:
        return self._xdm_delete("fieldgroups", id)

    def descriptor_create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._xdm_create("descriptors", body)

    def descriptor_get(self, id: str) -> dict[str, Any] | None:
        return self._xdm_get("descriptors", id, XDM_DESCRIPTORS)

    def descriptor_list(self) -> list[dict[str, Any]]:
        resp = self.request("GET", f"{SCHEMA}/tenant/descriptors", accept=XDM_DESCRIPTORS)
        assert resp is not None
        body = resp.json()
        if isinstance(body, dict):
            return [
                d
                for items in body.values()
                if isinstance(items, list)
                for d in items
                if isinstance(d, dict)
            ]
        return [d for d in body if isinstance(d, dict)]

    def descriptor_put(self, id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._xdm_write("PUT", "descriptors", id, body)

    def descriptor_delete(self, id: str) -> bool:
        return self._xdm_delete("descriptors", id)

    # -- Catalog --------------------------------------------------------------------------

    def dataset_create(self, body: dict[str, Any]) -> str:
        resp = self.request("POST", f"{CATALOG}/dataSets", json=body)
        assert resp is not None
        return _catalog_id(resp.json())

    def dataset_get(self, id: str) -> dict[str, Any] | None:
        resp = self.request("GET", f"{CATALOG}/dataSets/{quote(id, safe='')}", allow_404=True)
        if resp is None:
            return None
        body = resp.json()
        if id not in body:
            return None
        return {**body[id], "id": id}

    def dataset_list(
        self, *, name: str | None = None, tags: str | None = None
    ) -> list[dict[str, Any]]:
        limit = 100
        base: list[tuple[str, str]] = [("limit", str(limit))]
        if name is not None:
            base.append(("property", f"name=={name}"))
        if tags is not None:
            base.append(("tags", tags))
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            resp = self.request("GET", f"{CATALOG}/dataSets", params=[*base, ("start", str(start))])
            assert resp is not None
            page = resp.json() or {}
            out.extend({**obj, "id": key} for key, obj in page.items())
            if len(page) < limit:
                return out
            start += limit

    def dataset_patch(self, id: str, changes: dict[str, Any]) -> None:
        self.request("PATCH", f"{CATALOG}/dataSets/{quote(id, safe='')}", json=changes)

    def dataset_delete(self, id: str) -> bool:
        resp = self.request("DELETE", f"{CATALOG}/dataSets/{quote(id, safe='')}", allow_404=True)
        return resp is not None and bool(resp.json())

    # -- Data Prep ------------------------------------------------------------------------

    def mapping_set_create(self, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.request("POST", f"{CONVERSION}/mappingSets", json=body)
        assert resp is not None
        return dict(resp.json())

    def mapping_set_get(self, id: str, version: int | None = None) -> dict[str, Any] | None:
        params = [("version", str(version))] if version is not None else None
        resp = self.request(
            "GET", f"{CONVERSION}/mappingSets/{quote(id, safe='')}", params=params, allow_404=True
        )
        return None if resp is None else dict(resp.json())

    def mapping_set_put(self, id: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.request("PUT", f"{CONVERSION}/mappingSets/{quote(id, safe='')}", json=body)
        assert resp is not None
        return dict(resp.json())

    def mapping_set_list(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        start, limit = 0, 100
        while True:
            resp = self.request(
                "GET",
                f"{CONVERSION}/mappingSets",
                params=[("start", str(start)), ("limit", str(limit))],
            )
            assert resp is not None
            data = resp.json().get("data") or []
            out.extend(data)
            if len(data) < limit:
                return out
            start += limit


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _catalog_id(body: Any) -> str:
    """``["@/dataSets/5c8c3c555033b814b69f947f"]`` -> the id."""
    ref = body[0] if isinstance(body, list) and body else str(body)
    return str(ref).rsplit("/", 1)[-1]


def _pointer_get(obj: Any, path: str) -> tuple[bool, Any]:
    for part in [p.replace("~1", "/").replace("~0", "~") for p in path.strip("/").split("/")]:
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return False, None
    return True, obj


def _op_holds(obj: dict[str, Any], op: dict[str, Any]) -> bool:
    """Whether a JSON-Patch op's effect is already present on ``obj``."""
    found, value = _pointer_get(obj, str(op.get("path", "")))
    if op.get("op") == "remove":
        return not found
    if not found:
        return False
    if isinstance(value, (dict, list)):
        return bool(value == op.get("value"))
    # Flow Service echoes scheduleParams and mapping versions as strings.
    return str(value).lower() == str(op.get("value")).lower()

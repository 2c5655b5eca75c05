"""The Platform client: the one door to AEP, over httpx and whatever transport it is given.

It sends requests the kinds built as data (``aepflow.api``): it adds the IMS token and the
gateway headers (help/landing/api-authentication.md), retries 429s after
``Retry-After`` and 5xx with jittered backoff, never re-sends a create blindly, reads every
page of a list, and turns an error body into one typed line. It never imports the emulator:
the composition root hands it the emulator's transport. Thread-safe: the engine calls one
client from many threads.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from aepflow.api import FLOW, SCHEMA, ListRequest, Request
from aepflow.errors import (
    AuthenticationError,
    CredentialsError,
    NotFound,
    OutcomeUnknown,
    PlatformError,
    PreconditionFailed,
    RateLimited,
    ServerError,
    TransportError,
)
from aepflow.platform import paging
from aepflow.platform.errors import parse_error_body
from aepflow.platform.httpclients import Client, ThreadClients, parsed_url, tls_context
from aepflow.platform.httplog import HttpLog
from aepflow.platform.redact import Redactor

DEFAULT_PLATFORM_URL = "https://platform.adobe.io"
DEFAULT_IMS_URL = "https://ims-na1.adobelogin.com"
ENV_VARS = {
    "AEP_CLIENT_ID": "the Client ID of your Developer Console project (OAuth Server-to-Server)",
    "AEP_CLIENT_SECRET": "a Client Secret of that project",
    "AEP_ORG_ID": "your IMS organization id (…@AdobeOrg), or orgId in aepflow.yaml",
    "AEP_SCOPES": "the comma-separated scopes listed in that project's credential",
}


_http_log: HttpLog | None = None


def log_http(log: HttpLog | None) -> None:
    """Send a line for every request of every client made from now on to ``log``
    (``--log-http FILE``); None stops it."""
    global _http_log
    _http_log = log


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
    """How long one logical request keeps trying after a 429, a 5xx or a lost response.

    The time budget is what bounds a retry; the attempts only stop a storm. With one request
    in six failing (10% 429, 5% 500, 2% lost), six attempts in a row all fail once in 40,000
    requests, so one apply of 100 pipelines in 70 failed; ten fail once in 50 million.
    """

    max_attempts: int = 10
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
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        log = _http_log
        # What no error message (nor the --log-http file) may show: one list for both.
        self.secrets = log.secrets if log is not None else Redactor()
        self.secrets.add(credentials.client_secret)
        if log is not None:  # --log-http: every request, secrets redacted (one shared pool)
            transport = log.wrap(transport or httpx.HTTPTransport(limits=limits))
        self._transport = transport  # each thread's client goes through the same one
        self._http = Client(
            transport=transport, timeout=timeout, limits=limits, verify=tls_context()
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._not_before = 0.0  # shared backoff: no request before this instant (clock)
        self._tenant: str | None = None
        self.request_count = 0
        self._threads = ThreadClients(self._http, transport)  # the requests' clients

    # -- construction -------------------------------------------------------------------

    def add_secrets(self, values: Iterable[str]) -> None:
        """Values no message of this client may show (each ``${env:...}`` the run read)."""
        for value in values:
            self.secrets.add(value)

    def close(self) -> None:
        self._threads.close()
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
            message = self.secrets.redact(message)
            raise AuthenticationError(
                "POST",
                path,
                resp.status_code,
                code,
                f"{message or 'token request refused'}; check AEP_CLIENT_ID, AEP_CLIENT_SECRET "
                "and AEP_SCOPES against your Developer Console project",
            )
        body = resp.json()
        self.secrets.add(str(body["access_token"]))
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
                resp = self._threads.exchange(
                    method,
                    parsed_url(self.platform_url + path),
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
            elif status >= 500 and not replayable:
                # A create answered 5xx may have been made: the engine looks for it by its
                # marker before creating it again.
                error = self._error(method, path, resp)
                raise OutcomeUnknown(
                    method,
                    path,
                    status,
                    error.code,
                    f"{error.message}; the object may or may not have been created",
                    error.request_id,
                )
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
        # The platform's text may echo a rejected value: never show a secret of the run.
        message = self.secrets.redact(message)
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

    # -- the door: requests as data ----------------------------------------------------

    def send(self, request: Request, *, allow_404: bool = False) -> Any:
        """Send a planned request; its JSON body (None for a 404 when ``allow_404``)."""
        headers = {"If-Match": request.if_match} if request.if_match is not None else None
        resp = self.request(
            request.method,
            request.path,
            params=request.params or None,
            json=request.body,
            accept=request.accept,
            content_type=request.content_type,
            headers=headers,
            allow_404=allow_404,
        )
        if resp is None:
            return None
        return _json(resp) if resp.content else {}

    def list(self, query: ListRequest) -> list[dict[str, Any]]:
        """Every item of every page, in the paging style of the query's service."""
        return paging.read_all(self._get_page, query)

    def _get_page(self, query: ListRequest, extra: Sequence[tuple[str, str]]) -> Any:
        params = [*query.params, *extra]
        resp = self.request("GET", query.path, params=params or None, accept=query.accept)
        assert resp is not None
        return resp.json()

    # -- look-ups for doctor ----------------------------------------------------------------

    def tenant_id(self) -> str:
        if self._tenant is None:
            body = self.send(Request("GET", f"{SCHEMA}/stats"))
            self._tenant = str(body["tenantId"])
        return self._tenant

    def connection_spec(self, id: str) -> dict[str, Any] | None:
        body = self.send(
            Request("GET", f"{FLOW}/connectionSpecs/{quote(id, safe='')}"), allow_404=True
        )
        items = (body or {}).get("items") or []
        return dict(items[0]) if items else None

    def flow_spec_by_name(self, name: str) -> dict[str, Any] | None:
        query = ListRequest(f"{FLOW}/flowSpecs", "flowservice", (("property", f'name=="{name}"'),))
        found = self.list(query)
        return found[0] if found else None


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None

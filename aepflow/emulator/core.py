"""The emulator itself: an ``httpx.Request`` in, an ``httpx.Response`` out.

Each request: the configured latency (slept before any lock, so concurrent requests overlap),
routing by path, a request counter, maybe an injected fault, the gateway checks, then the
service handler inside a state transaction (a read one for GETs). The answer is encoded while
the transaction still holds the state, and a write is on disk before the answer leaves.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from aepflow.emulator import (
    catalog,
    dataprep,
    errors,
    flowservice,
    ims,
    schemaregistry,
)
from aepflow.emulator.context import Call
from aepflow.emulator.errors import ApiError
from aepflow.emulator.faults import RETRY_AFTER_S, FaultPlan, Faults, LostResponse
from aepflow.emulator.gateway import authenticate
from aepflow.emulator.router import Router
from aepflow.emulator.settings import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORG_ID,
    DEFAULT_TENANT_ID,
    Identity,
    SettingsError,
    delete_finalize_from_env,
    faults_from_env,
    latency_from_env,
    seed_from_env,
)
from aepflow.emulator.state import Store, Tx

FLUSH_EVERY = 256  # request counts kept in memory before they are written to the state


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    content: bytes


def build_router() -> Router:
    router = Router()
    for service in (ims, flowservice, schemaregistry, catalog, dataprep):
        service.register(router)
    return router


_ROUTER: Router | None = None


def _router() -> Router:
    global _ROUTER
    if _ROUTER is None:
        _ROUTER = build_router()
    return _ROUTER


class Emulator:
    """The embedded AEP emulator over the state in ``state_dir``.

    ``latency_ms``, ``faults``, ``seed`` and ``delete_finalize_ms`` default to the environment
    variables ``AEPFLOW_EMULATOR_LATENCY_MS``, ``AEPFLOW_EMULATOR_FAULTS``,
    ``AEPFLOW_EMULATOR_SEED`` and ``AEPFLOW_EMULATOR_DELETE_FINALIZE_MS``.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        org_id: str = DEFAULT_ORG_ID,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        tenant_id: str = DEFAULT_TENANT_ID,
        clock: Callable[[], float] = time.time,
        latency_ms: float | None = None,
        faults: str | None = None,
        seed: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        delete_finalize_ms: float | None = None,
    ) -> None:
        self.identity = Identity(org_id, client_id, client_secret, tenant_id)
        self.state_dir = Path(state_dir)
        self.store = Store(self.state_dir, clock=clock)
        self.latency_ms = latency_from_env() if latency_ms is None else latency_ms
        plan = FaultPlan.parse(faults_from_env() if faults is None else faults)
        self.faults = Faults(plan, seed_from_env() if seed is None else seed)
        self.delete_finalize_ms = (
            delete_finalize_from_env() if delete_finalize_ms is None else delete_finalize_ms
        )
        if self.delete_finalize_ms < 0:
            raise SettingsError(f"delete_finalize_ms cannot be negative ({delete_finalize_ms})")
        self._clock = clock
        self._sleep = sleep
        self._router = _router()
        _LIVE.add(self)

    def __repr__(self) -> str:
        return f"Emulator({str(self.state_dir)!r}, org_id={self.identity.org_id!r})"

    # -- the two faces ------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers from this emulator (``MockTransport(self.handle)``)."""
        return _Transport(self)

    def handle(self, request: httpx.Request) -> httpx.Response:
        try:
            answer = self.respond(request)
        except LostResponse:
            raise httpx.ReadTimeout(
                "the emulator processed the request and dropped its answer (lost fault)",
                request=request,
            ) from None
        return httpx.Response(
            answer.status, headers=answer.headers, content=answer.content, request=request
        )

    def respond(self, request: httpx.Request) -> Answer:
        """The answer to one request; raises LostResponse for the ``lost`` fault."""
        return self.respond_raw(
            request.method,
            request.url.raw_path.decode("ascii", "replace"),
            request.headers,
            request.content,
        )

    def respond_raw(
        self,
        method: str,
        target: str,
        headers: httpx.Headers | list[tuple[str, str]] | list[tuple[bytes, bytes]],
        content: bytes,
    ) -> Answer:
        """The answer to a request given as its parts (``target``: raw path and query), as
        the served emulator reads them off the socket, without building an httpx.Request."""
        if self.latency_ms > 0:
            self._sleep(self.latency_ms / 1000)  # before any lock: requests overlap
        method = method.upper()
        path, _, query = target.partition("?")
        if len(path) > 1:
            path = path.rstrip("/") or "/"  # AEP accepts trailing slashes (aepp sends them)
        call = Call(
            method=method,
            path=path,
            query=parse_qsl(query, keep_blank_values=True),
            headers=headers if isinstance(headers, httpx.Headers) else httpx.Headers(headers),
            content=content,
            now=self._clock(),
            identity=self.identity,
            request_id=str(uuid.uuid4()),
            delete_finalize_s=self.delete_finalize_ms / 1000,
        )
        route, params, template = self._router.resolve(method, path)
        pending = self.store.count(route.key if route else f"{method} {template or '(unknown)'}")
        fault = None
        try:
            if route is None:
                raise _no_route(method, path, template)
            call.params = params
            if route.authenticated:
                fault = self.faults.draw()
            if fault == "429":
                raise errors.too_many_requests(RETRY_AFTER_S)
            if fault == "500":
                raise _server_error(route.service, call.request_id)
            _check_content_type(call, route.service)
            with self._transaction(route.writes) as tx:
                if route.authenticated:
                    authenticate(call, tx, route.service)
                reply = route.handler(call, tx)
                answer = _answer(reply.status, reply.body, reply.headers, call)
        except ApiError as e:
            answer = _answer(e.status, e.body, e.headers, call)
        if fault == "lost":
            raise LostResponse()
        if pending >= FLUSH_EVERY:
            self.store.flush_counts()
        return answer

    @contextlib.contextmanager
    def _transaction(self, writes: bool) -> Iterator[Tx]:
        with self.store.write() if writes else self.store.read() as tx:
            yield tx

    # -- state --------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Requests per ``METHOD /path/template`` since the state was created."""
        created, counts = self.store.counts()
        return {
            "since": created,
            "requests": sum(counts.values()),
            "by_endpoint": dict(sorted(counts.items())),
        }

    def reset(self) -> None:
        """Forget every resource, token and counter."""
        self.store.reset()

    def flush(self) -> None:
        """Write the request counters kept in memory to the state, and fold a journal that
        outgrew the snapshot (the process is done: the next one reads a snapshot)."""
        self.store.flush_counts()
        self.store.compact()


class _Transport(httpx.MockTransport):
    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator.handle)
        self.emulator = emulator

    def close(self) -> None:
        self.emulator.flush()


_LIVE: weakref.WeakSet[Emulator] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    for emulator in list(_LIVE):
        with contextlib.suppress(Exception):
            emulator.flush()


def _answer(status: int, body: Any, headers: dict[str, str], call: Call) -> Answer:
    out = [(k, v) for k, v in headers.items()]
    out.append(("x-request-id", call.request_id))
    if body is None:
        return Answer(status, out, b"")
    out.append(("content-type", "application/json"))
    return Answer(status, out, json.dumps(body, separators=(",", ":")).encode())


def _check_content_type(call: Call, service: str) -> None:
    if service == "ims" or call.method not in ("POST", "PUT", "PATCH") or not call.content:
        return
    if "json" not in call.headers.get("content-type", "").lower():
        raise errors.content_type_required()


def _no_route(method: str, path: str, template: str | None) -> ApiError:
    if template is not None:
        return errors.placeholder(
            405, "MethodNotAllowedError", f"{method} is not supported on {template}"
        )
    return errors.not_found(f"No resource at {path}")


def _server_error(service: str, request_id: str) -> ApiError:
    if service == "flow":
        return errors.flow(
            "1102-500",
            "An internal error has occurred. Please try again. If the problem persists, please "
            "contact customer support.",
            request_id=request_id,
        )
    return errors.internal_error()

"""The embedded AEP emulator: an HTTP-level fake of the AEP endpoints aepflow uses.

It answers ``httpx.Request``s with ``httpx.Response``s, routed by path, so the real client
runs unchanged against it: in-process behind ``httpx.MockTransport`` (the embedded default)
or as a real server on loopback (``aepflow emulator serve``). It never imports the client.

Knobs (environment variables, a contract): ``AEPFLOW_EMULATOR_LATENCY_MS`` (added to every
request, outside any lock), ``AEPFLOW_EMULATOR_FAULTS`` (e.g. ``429=0.1,500=0.05,lost=0.02``;
``lost`` performs the write, then drops the response), ``AEPFLOW_EMULATOR_SEED``.
"""

from __future__ import annotations

import atexit
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from aepflow.emulator import errors
from aepflow.emulator.app import App, Req, parse_body
from aepflow.emulator.errors import ApiError
from aepflow.emulator.store import Store

DEFAULT_ORG_ID = "AEPFLOW0EMULATOR000000000@AdobeOrg"
DEFAULT_CLIENT_ID = "aepflow-emulator"
DEFAULT_CLIENT_SECRET = "aepflow-emulator-secret"
DEFAULT_TENANT_ID = "aepflowlocal"
EMBEDDED_BASE_URL = "https://platform.aepflow-emulator.invalid"
EMBEDDED_IMS_URL = "https://ims.aepflow-emulator.invalid"

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_ORG_ID",
    "DEFAULT_TENANT_ID",
    "EMBEDDED_BASE_URL",
    "EMBEDDED_IMS_URL",
    "Emulator",
    "LostResponse",
    "parse_faults",
]


class LostResponse(Exception):
    """The ``lost`` fault: the request was processed, the answer never leaves."""


def parse_faults(spec: str | None) -> list[tuple[str, float]]:
    faults: list[tuple[str, float]] = []
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        kind, _, rate = part.partition("=")
        kind = kind.strip()
        if kind not in ("429", "500", "lost"):
            raise ValueError(
                f"AEPFLOW_EMULATOR_FAULTS: unknown fault {kind!r} (use 429, 500, lost)"
            )
        faults.append((kind, float(rate)))
    return faults


class _Transport(httpx.MockTransport):
    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator.handle)
        self.emulator = emulator

    def close(self) -> None:
        self.emulator.flush_stats()


class Emulator:
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
    ) -> None:
        env = os.environ
        self.store = Store(Path(state_dir))
        self.app = App(
            self.store,
            org_id=org_id,
            client_id=client_id,
            client_secret=client_secret,
            tenant_id=tenant_id,
            clock=clock,
        )
        self.latency = (
            float(env.get("AEPFLOW_EMULATOR_LATENCY_MS", 0) or 0)
            if latency_ms is None
            else latency_ms
        ) / 1000
        self.faults = parse_faults(env.get("AEPFLOW_EMULATOR_FAULTS") if faults is None else faults)
        if seed is None and env.get("AEPFLOW_EMULATOR_SEED"):
            seed = int(env["AEPFLOW_EMULATOR_SEED"])
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._sleep = sleep
        self._pending: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        atexit.register(self.flush_stats)

    # -- the two faces ---------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return _Transport(self)

    def handle(self, request: httpx.Request) -> httpx.Response:
        try:
            status, body, headers = self.respond(request)
        except LostResponse:
            raise httpx.ReadTimeout(
                "the emulator dropped the response (lost fault)", request=request
            ) from None
        return _response(status, body, headers)

    def respond(self, request: httpx.Request) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON body or None, headers); raises LostResponse for the ``lost`` fault."""
        if self.latency:
            self._sleep(self.latency)  # outside every lock: concurrent requests overlap
        method = request.method.upper()
        # Match on the raw path: ids such as schema $id URIs arrive URL-encoded (%2F).
        path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        if len(path) > 1:
            path = path.rstrip("/")  # AEP accepts trailing slashes (aepp sends them)
        if path == "/ims/token/v3" and method == "POST":
            form = parse_body(request) if request.content else {}
            return self.app.ims_token(form if isinstance(form, dict) else {})
        template = self.app.template_for(path) or "(unknown)"
        self._count(f"{method} {template}")
        fault = self._draw()
        if fault == "429":
            body = {"error_code": "429050", "message": "Too many requests"}
            return 429, body, {"Retry-After": "1"}
        if fault == "500":
            return (
                500,
                errors.generic(500, "InternalServerError", "Internal error; retry later").body,
                {},
            )
        try:
            req = Req(method, path, list(request.url.params.multi_items()), request.headers, None)
            with self.store.locked(False) as data:
                self.app.gateway(req, data)
            matched = self.app.match(method, path)
            if matched is None:
                allowed = self.app.template_for(path)
                if allowed:
                    return (
                        405,
                        errors.generic(
                            405, "MethodNotAllowed", f"{method} is not allowed on {path}"
                        ).body,
                        {},
                    )
                return 404, errors.generic(404, "NotFoundError", f"No route for {path}").body, {}
            _, handler, params = matched
            req.params = params
            req.body = parse_body(request)
            status, body, headers = handler(req)
        except ApiError as e:
            return e.status, e.body, e.headers
        if fault == "lost":
            raise LostResponse()
        return status, body, headers

    # -- faults and stats -----------------------------------------------------------------

    def _draw(self) -> str | None:
        if not self.faults:
            return None
        with self._rng_lock:
            x = self._rng.random()
        for kind, rate in self.faults:
            if x < rate:
                return kind
            x -= rate
        return None

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self._pending[key] += 1
            due = sum(self._pending.values()) >= 200
        if due:
            self.flush_stats()

    def flush_stats(self) -> None:
        with self._stats_lock:
            pending, self._pending = self._pending, Counter()
        if pending:
            with self.store.locked(True):
                self.store.write(
                    *({"inc": ["stats", k], "by": n} for k, n in sorted(pending.items()))
                )

    def stats(self) -> dict[str, Any]:
        self.flush_stats()
        with self.store.locked(False) as data:
            counts = dict(sorted(data.get("stats", {}).items()))
        return {"requests": sum(counts.values()), "by_endpoint": counts}

    def reset(self) -> None:
        with self._stats_lock:
            self._pending.clear()
        self.store.reset()


def _response(status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    state_dir: Path,
    org_id: str = DEFAULT_ORG_ID,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve the emulator over HTTP until interrupted (or ``stop`` is set)."""
    from aepflow.emulator.server import run

    emulator = Emulator(state_dir, org_id=org_id, client_id=client_id, client_secret=client_secret)
    run(emulator, host, port, ready=ready, stop=stop)

"""``--log-http FILE``: one JSON line per HTTP request the client sends, for a support ticket.

Each line holds the time, the method, the host, the path, the query (secret parameters
redacted), the status, the duration in milliseconds (until the response headers arrived)
and Adobe's request id (the ``x-request-id`` response header), or the error when no answer
came. Headers and bodies are never written, so the Authorization header, the client secret
of the token request and the connection secrets a body carries stay out of it; any known
secret (the client secret, every bearer token the client sent, each ``${env:...}`` value
registered) is also replaced wherever it would appear.

It wraps the client's transport, so the same log covers the network and the embedded
emulator. A support log never changes what a command does: when the file cannot be written
(a full disk), the failure is handed once to ``on_failure``, logging stops, and the request
whose line could not be written still returns its answer.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl

import httpx

from aepflow.platform.redact import REDACTED, Redactor

SECRET_PARAMS = (
    "secret",
    "token",
    "password",
    "passwd",
    "key",
    "code",
    "signature",
    "assertion",
    "credential",
    "auth",
)


class HttpLog:
    """The log file (JSON Lines, appended) and the secrets it must never hold: the run's one
    ``Redactor``, which the client's error messages use too."""

    def __init__(
        self,
        path: Path,
        secrets: Iterable[str] = (),
        on_failure: Callable[[OSError], None] | None = None,
    ) -> None:
        self.path = path
        self.secrets = Redactor(secrets)
        self._mutex = threading.Lock()
        self._file: IO[str] | None = None
        self._on_failure = on_failure
        self.failed: OSError | None = None  # the first write that failed; nothing logged since

    def add_secret(self, value: str | None) -> None:
        self.secrets.add(value)

    def redact(self, text: str) -> str:
        return self.secrets.redact(text)

    def wrap(self, transport: httpx.BaseTransport) -> httpx.BaseTransport:
        return _LoggingTransport(transport, self)

    def write(self, record: dict[str, object]) -> None:
        """Append one line; never raises (see the module's docstring)."""
        line = self.redact(json.dumps(record, ensure_ascii=False))
        failure = None
        with self._mutex:
            if self.failed is not None:
                return
            try:
                if self._file is None:
                    self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
                self._file.write(line + "\n")
                self._file.flush()
            except OSError as e:
                failure = self._stop(e)
        self._report(failure)

    def close(self) -> None:
        """Close the file; a failure to flush its last bytes is reported like a write's."""
        failure = None
        with self._mutex:
            if self._file is not None:
                try:
                    self._file.close()
                except OSError as e:
                    failure = self._stop(e) if self.failed is None else None
                self._file = None
        self._report(failure)

    def _stop(self, error: OSError) -> OSError:
        """Under the mutex: remember the first failure and drop the file (and the bytes its
        buffer still holds, which could not be written either)."""
        self.failed = error
        if self._file is not None:
            with contextlib.suppress(OSError):  # the same failure, already in hand
                self._file.close()
            self._file = None
        return error

    def _report(self, failure: OSError | None) -> None:
        if failure is not None and self._on_failure is not None:
            self._on_failure(failure)


def _query(request: httpx.Request) -> str:
    pairs = parse_qsl(request.url.query.decode("ascii", "replace"), keep_blank_values=True)
    return "&".join(
        f"{k}={REDACTED if any(w in k.lower() for w in SECRET_PARAMS) else v}" for k, v in pairs
    )


class _LoggingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, log: HttpLog) -> None:
        self.inner = inner
        self.log = log

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        authorization = request.headers.get("authorization", "")
        if authorization:
            self.log.add_secret(authorization.partition(" ")[2] or authorization)
        record: dict[str, object] = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "method": request.method,
            "host": request.url.host,
            "path": request.url.path,
        }
        query = _query(request)
        if query:
            record["query"] = query
        started = time.monotonic()
        try:
            response = self.inner.handle_request(request)
        except Exception as e:
            record |= {
                "status": None,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "request_id": None,
                "error": type(e).__name__,
            }
            self.log.write(record)
            raise
        record |= {
            "status": response.status_code,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "request_id": response.headers.get("x-request-id"),
        }
        self.log.write(record)
        return response

    def close(self) -> None:
        self.inner.close()

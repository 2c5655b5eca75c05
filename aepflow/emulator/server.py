"""The emulator on a real socket (loopback by default), for curl, Postman or aepp."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from aepflow.emulator import Emulator


def port_of(server: object) -> int:
    address = getattr(server, "server_address", ("", 0))
    return int(address[1])


def run(
    emulator: Emulator,
    host: str,
    port: int,
    *,
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    from aepflow.emulator import LostResponse

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            content = self.rfile.read(length) if length else b""
            request = httpx.Request(
                self.command,
                f"http://{host}:{port_of(self.server)}{self.path}",
                headers=list(self.headers.items()),
                content=content,
            )
            try:
                status, body, headers = emulator.respond(request)
            except LostResponse:
                self.close_connection = True
                return
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: request lines could carry ids users consider private

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    url = f"http://{host}:{port_of(server)}"
    if ready is not None:
        ready(url)
    if stop is not None:

        def stopper() -> None:
            stop.wait()
            server.shutdown()

        threading.Thread(target=stopper, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        emulator.flush_stats()

"""The emulator on a real socket (``aepflow emulator serve``), for curl, Postman or aepp.

The same :meth:`Emulator.respond` answers; only the transport differs. The ``lost`` fault
closes the connection without a response, as a network timeout would look to a client.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aepflow.emulator.core import Emulator
from aepflow.emulator.faults import LostResponse
from aepflow.emulator.settings import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORG_ID


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
    """Serve until interrupted (or ``stop`` is set); ``ready`` gets the base URL (port 0: any).

    The base URL serves both the platform paths and IMS (``/ims/token/v3``).
    """
    emulator = Emulator(state_dir, org_id=org_id, client_id=client_id, client_secret=client_secret)
    server = ThreadingHTTPServer((host, port), _handler(emulator))
    server.daemon_threads = True
    bound_host, bound_port = server.server_address[:2]
    text = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
    shown = f"[{text}]" if ":" in text else text
    if ready is not None:
        ready(f"http://{shown}:{bound_port}")
    if stop is not None:
        threading.Thread(target=_stop_when_set, args=(stop, server), daemon=True).start()
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        server.server_close()
        emulator.flush()  # the request counts kept in memory


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the server like Ctrl-C does, so its request counts are saved."""
    raise KeyboardInterrupt


def _stop_when_set(stop: threading.Event, server: ThreadingHTTPServer) -> None:
    stop.wait()
    server.shutdown()


def _handler(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "aepflow-emulator"
        # Headers and body go out as two writes; with Nagle's algorithm the second waits for
        # the client's delayed ACK (up to 40 ms) on every keep-alive request.
        disable_nagle_algorithm = True

        # A request the server cannot even parse gets a 400 with a JSON body, like the
        # gateway's, never a dropped connection.
        error_content_type = "application/json"
        error_message_format = '{"error_code": "%(code)d", "message": "%(message)s"}'

        def handle(self) -> None:
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                super().handle()  # a client that went away needs no answer

        def _respond(self) -> None:
            try:
                body = self._body()
            except ValueError:
                self.send_error(400, "Content-Length is not a number of bytes")
                self.close_connection = True
                return
            target = self.path if self.path.startswith("/") else "/" + self.path
            try:
                # http.server reads header values as Latin-1: their bytes go on unchanged, so a
                # header with non-ASCII text gets the gateway's answer like any other.
                headers = [
                    (k.encode("latin-1", "replace"), v.encode("latin-1", "replace"))
                    for k, v in self.headers.items()
                ]
                answer = emulator.respond_raw(self.command, target, headers, body)
            except LostResponse:
                self.close_connection = True  # no answer at all, like a dropped response
                return
            except Exception:  # an emulator bug: a 500 with a JSON body, never a dropped line
                self.send_error(500, "the emulator failed on this request")
                self.close_connection = True
                return
            self.send_response(answer.status)
            for key, value in answer.headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.content)

        def _body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _respond

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the CLI prints what matters

    return Handler

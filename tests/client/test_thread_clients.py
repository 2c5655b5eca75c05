"""Each thread's httpx client, against a server on loopback: nothing is left open after close.

A read may still be under way when its command ends (it ran beside the loading of the
manifests); the connection it opens after the close must be closed too, or it is reported
unclosed (a ResourceWarning, an error under this suite's warning filter) when collected.
"""

from __future__ import annotations

import gc
import json
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore._sync.connection as httpcore_connection
import pytest

from aepflow.api import Request
from aepflow.platform import Credentials, PlatformClient


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # the token
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._reply({"access_token": "t", "expires_in": 86399})

    def do_GET(self) -> None:
        self._reply({"id": "f1"})


@pytest.fixture
def server_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_connection_opened_while_the_client_closes_is_closed_too(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = PlatformClient(
        credentials=Credentials("id", "secret", "org@AdobeOrg", "openid"),
        sandbox="prod",
        platform_url=server_url,
        ims_url=server_url,
    )
    client.authenticate()
    connecting, closed = threading.Event(), threading.Event()
    connect = httpcore_connection.HTTPConnection._connect

    def slow_connect(self: object, request: object) -> object:
        if threading.current_thread().name == "late":  # connecting while the command ends
            connecting.set()
            closed.wait(5)
        return connect(self, request)  # type: ignore[arg-type]

    monkeypatch.setattr(httpcore_connection.HTTPConnection, "_connect", slow_connect)
    answers: list[object] = []
    late = threading.Thread(
        target=lambda: answers.append(client.send(Request("GET", "/flows/f1"))), name="late"
    )
    late.start()
    assert connecting.wait(5)
    client.close()
    closed.set()
    late.join(5)
    del late
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert answers == [{"id": "f1"}]  # the read finished; its outcome is the caller's to drop
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert client._threads.open == 0

"""The emulator served on loopback: the seed tutorial over httpx and over curl, aepp's habits."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from aepflow.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORG_ID, serve
from tests.emulator import seed_tutorial


def test_ready_reports_the_real_port(served: str) -> None:
    host, port = served.removeprefix("http://").split(":")
    assert host == "127.0.0.1" and int(port) > 0


def test_the_seed_tutorial_over_httpx(served: str) -> None:
    with httpx.Client(base_url=served) as http:

        def send(
            method: str, path: str, headers: dict[str, str], body: Any, form: dict[str, str] | None
        ) -> tuple[int, Any]:
            if form is not None:
                response = http.request(method, path, headers=headers, data=form)
            else:
                content = None if body is None else json.dumps(body).encode()
                response = http.request(method, path, headers=headers, content=content)
            return response.status_code, response.json() if response.content else None

        ids = seed_tutorial.run(send)
        # aepp's habits: GET /stats for the tenant and trailing slashes on lists.
        token = send(
            "POST",
            "/ims/token/v3",
            {},
            None,
            {
                "grant_type": "client_credentials",
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "scope": "openid",
            },
        )[1]["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "x-api-key": DEFAULT_CLIENT_ID,
            "x-gw-ims-org-id": DEFAULT_ORG_ID,
            "x-sandbox-name": "prod",
            "Accept": "application/vnd.adobe.xed-id+json",
        }
        assert (
            http.get("/data/foundation/schemaregistry/stats", headers=headers).json()["tenantId"]
            == "aepflowlocal"
        )
        listed = http.get("/data/foundation/schemaregistry/tenant/schemas/", headers=headers).json()
        assert [r["$id"] for r in listed["results"]] == [ids["schema"]]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_seed_tutorial_over_curl(served: str) -> None:
    def send(
        method: str, path: str, headers: dict[str, str], body: Any, form: dict[str, str] | None
    ) -> tuple[int, Any]:
        command = ["curl", "-s", "-X", method, served + path, "-w", "\n%{http_code}"]
        for key, value in headers.items():
            command += ["-H", f"{key}: {value}"]
        if form is not None:
            for key, value in form.items():
                command += ["--data-urlencode", f"{key}={value}"]
        elif body is not None:
            command += ["-d", json.dumps(body)]
        out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True).stdout
        text, _, status = out.rpartition("\n")
        return int(status), json.loads(text) if text else None

    seed_tutorial.run(send)


def test_the_lost_fault_closes_the_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AEPFLOW_EMULATOR_FAULTS", "lost=1")
    urls: list[str] = []
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=serve,
        kwargs={
            "host": "127.0.0.1",
            "port": 0,
            "state_dir": tmp_path / "s",
            "ready": lambda u: (urls.append(u), ready.set()),
            "stop": stop,
        },
        daemon=True,
    )
    thread.start()
    assert ready.wait(10)
    try:
        host, port = urls[0].removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"GET /data/foundation/flowservice/flows HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(1024) == b""  # closed without a single byte of answer
        token = httpx.post(
            urls[0] + "/ims/token/v3",
            data={
                "grant_type": "client_credentials",
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "scope": "openid",
            },
        )
        assert token.status_code == 200  # IMS is never faulted
    finally:
        stop.set()
        thread.join(10)


def test_malformed_requests_get_a_400_never_a_dropped_connection(served: str) -> None:
    import socket

    port = int(served.rsplit(":", 1)[1])
    for raw, first in (
        (b"GARBAGE\r\n\r\n", b'{"error_code": "400"'),
        (b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", b"HTTP/1.1 400 "),
    ):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(raw)
            assert s.recv(400).startswith(first)

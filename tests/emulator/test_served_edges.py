"""The served emulator answers any text a client sends, as IMS and the gateway would: a JSON
error, never a dropped connection; and `emulator serve` refuses a port that cannot exist."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from urllib.parse import urlencode

import pytest

from aepflow.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.emulator.conftest import CATALOG, FLOW, PREP, SCHEMA, Api, flow_body


def _raw(url: str, request: bytes) -> tuple[int, dict[str, object]]:
    """Send bytes as they are (no client library re-encodes them) and read the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, "the emulator dropped the connection"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            chunk = sock.recv(65536)
            assert chunk, "the emulator dropped the connection"
            body += chunk
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def _token_request(form: dict[str, str]) -> bytes:
    body = urlencode(form).encode()
    return (
        b"POST /ims/token/v3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


@pytest.mark.parametrize(
    ("client_id", "client_secret", "status"),
    [
        ("clïent", DEFAULT_CLIENT_SECRET, 400),
        ("客户", DEFAULT_CLIENT_SECRET, 400),
        (DEFAULT_CLIENT_ID, "sécret", 401),
        (DEFAULT_CLIENT_ID, "🔑", 401),
    ],
)
def test_non_ascii_credentials_get_ims_json_errors(
    served: str, client_id: str, client_secret: str, status: int
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": "openid",
    }
    code, body = _raw(served, _token_request(form))
    assert code == status
    assert body["error"] == "invalid_client"


def test_non_ascii_header_values_get_the_gateways_answer(served: str) -> None:
    request = (
        b"GET /data/foundation/flowservice/flows HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Authorization: Bearer t\xe9st\r\nx-api-key: cl\xc3\xafent\r\n\r\n"
    )
    code, body = _raw(served, request)
    assert code == 401
    assert body


@pytest.mark.parametrize("port", ["70000", "-1", "65536"])
def test_serve_refuses_a_port_that_cannot_exist(port: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aepflow", "emulator", "serve", "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "--port" in errors[0] and "65535" in errors[0], done.stderr


DIGITS = ["²", "\u0663", "\uff13"]  # superscript two, Arabic-Indic three, full-width three


@pytest.mark.parametrize("digit", DIGITS)
def test_unicode_digits_in_list_queries_are_bad_requests(api: Api, digit: str) -> None:
    for path, params in (
        (f"{SCHEMA}/tenant/schemas", {"orderby": "title", "limit": digit}),
        (f"{CATALOG}/dataSets", {"limit": digit}),
        (f"{CATALOG}/dataSets", {"start": digit}),
        (f"{FLOW}/flows", {"limit": digit}),
        (f"{PREP}/mappingSets", {"limit": digit}),
    ):
        answer = api.get(
            path, params=params, headers={"Accept": "application/vnd.adobe.xdm-id+json"}
        )
        assert answer.status_code == 400, (path, params, answer.text)


@pytest.mark.parametrize("digit", DIGITS)
def test_unicode_digits_in_a_schedule_are_refused_not_a_crash(api: Api, digit: str) -> None:
    base = api.connection()
    source = api.source(base)
    schema = api.schema()
    dataset = api.dataset(schema)
    target = api.target(schema, dataset)
    mapping = api.mapping(schema)
    body = flow_body(source, target, mapping)
    body["scheduleParams"]["startTime"] = digit
    answer = api.post(f"{FLOW}/flows", body)
    assert 400 <= answer.status_code < 500, answer.text


@pytest.mark.parametrize("digit", DIGITS)
def test_unicode_digits_in_a_mapping_version_or_patch_path_are_refused(
    api: Api, digit: str
) -> None:
    schema = api.schema()
    mapping = api.mapping(schema)
    version = api.get(f"{PREP}/mappingSets/{mapping}", params={"version": digit})
    assert 400 <= version.status_code < 500, version.text
    base = api.connection()
    patch = api.patch(
        f"{FLOW}/connections/{base}",
        [{"op": "replace", "path": f"/tags/{digit}", "value": "x"}],
        headers={"If-Match": api.etag("connections", base)},
    )
    assert 400 <= patch.status_code < 500, patch.text

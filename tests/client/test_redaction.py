"""The platform door never lets a secret of the run through an error message: the platform's
error text may echo a rejected value (a param read from ``${env:...}``), the client secret or
a token. One list serves the messages and the ``--log-http`` file."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx

from aepflow.api import Request
from aepflow.platform import AuthenticationError, Credentials, PlatformClient, PlatformError
from aepflow.platform.client import log_http
from aepflow.platform.httplog import HttpLog

BASE = "https://platform.adobe.io"
IMS = "https://ims-na1.adobelogin.com"
FLOW = BASE + "/data/foundation/flowservice"
SECRET = "client-secret-value-123"
ENV_VALUE = "LEAKME-INC-value"


def make_client() -> PlatformClient:
    return PlatformClient(
        credentials=Credentials("my-client", SECRET, "ORG@AdobeOrg", "openid"),
        sandbox="dev",
        platform_url=BASE,
        ims_url=IMS,
    )


def token(mock: respx.MockRouter) -> None:
    mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(200, json={"access_token": "tok-abcdef", "expires_in": 86399})
    )


def refused(text: str) -> httpx.Response:
    return httpx.Response(
        400, json={"code": "FLOW-1100-400", "message": text}, headers={"x-request-id": "r1"}
    )


@respx.mock(assert_all_mocked=True)
def test_an_error_that_echoes_an_env_value_the_secret_or_the_token_shows_none(
    respx_mock: respx.MockRouter,
) -> None:
    token(respx_mock)
    respx_mock.post(FLOW + "/connections").mock(
        return_value=refused(
            f"includeDeletedObjects: '{ENV_VALUE}' is not of type 'boolean'; "
            f"secret {SECRET}, token tok-abcdef"
        )
    )
    client = make_client()
    client.add_secrets([ENV_VALUE, "ab"])  # too short to redact: ordinary text stays
    with pytest.raises(PlatformError) as e:
        client.send(Request("POST", "/data/foundation/flowservice/connections", body={}))
    assert str(e.value) == (
        "POST /data/foundation/flowservice/connections failed: 400 FLOW-1100-400 "
        "includeDeletedObjects: '(redacted)' is not of type 'boolean'; secret (redacted), "
        "token (redacted) (request id r1)"
    )


@respx.mock(assert_all_mocked=True)
def test_a_refused_token_request_that_echoes_the_client_secret_does_not_show_it(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(
            400, json={"error": "invalid_client", "error_description": f"bad secret {SECRET}"}
        )
    )
    with pytest.raises(AuthenticationError) as e:
        make_client().authenticate()
    assert str(e.value).startswith(
        "POST /ims/token/v3 failed: 400 invalid_client bad secret (redacted); check"
    )


@respx.mock(assert_all_mocked=True)
def test_the_http_log_and_the_error_messages_share_one_list_of_secrets(
    respx_mock: respx.MockRouter, tmp_path: Path
) -> None:
    token(respx_mock)
    respx_mock.get(FLOW + "/connections/c1").mock(return_value=refused(f"no {ENV_VALUE} here"))
    log = HttpLog(tmp_path / "h.log", ["SHARED-from-the-log"])
    log_http(log)
    try:
        client = make_client()
    finally:
        log_http(None)
    client.add_secrets([ENV_VALUE])
    assert log.redact(f"{ENV_VALUE} {SECRET}") == "(redacted) (redacted)"
    respx_mock.get(FLOW + "/connections/c2").mock(
        return_value=refused("SHARED-from-the-log echoed")
    )
    for path, shown in (("c1", "no (redacted) here"), ("c2", "(redacted) echoed")):
        with pytest.raises(PlatformError) as e:
            client.send(Request("GET", f"/data/foundation/flowservice/connections/{path}"))
        assert e.value.message == shown
    log.close()
    lines = [json.loads(x) for x in (tmp_path / "h.log").read_text().splitlines()]
    assert [x["path"] for x in lines] == [
        "/ims/token/v3",
        "/data/foundation/flowservice/connections/c1",
        "/data/foundation/flowservice/connections/c2",
    ]

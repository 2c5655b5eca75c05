"""The default retry policy: a request rides out a long run of faults within its time budget."""

from __future__ import annotations

import httpx
import pytest
import respx

from aepflow.api import Request
from aepflow.platform import Credentials, PlatformClient, PlatformError

BASE = "https://platform.adobe.io"
IMS = "https://ims-na1.adobelogin.com"
PATH = "/data/foundation/flowservice/connections/c1"
CREDS = Credentials("my-client", "s3cr3t", "ORG@AdobeOrg", "openid,AdobeID")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _client(clock: Clock) -> PlatformClient:
    return PlatformClient(
        credentials=CREDS,
        sandbox="dev",
        platform_url=BASE,
        ims_url=IMS,
        clock=clock,
        sleep=clock.sleep,
        wall_clock=lambda: 1_700_000_000.0,
    )


@respx.mock(assert_all_mocked=True)
def test_nine_faults_in_a_row_then_the_answer(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 86399})
    )
    faults = [
        httpx.Response(429, headers={"Retry-After": "1"}, json={"error_code": "429050"}),
        httpx.Response(500, json={"error_code": "500"}),
        httpx.ReadTimeout("lost"),
    ]
    answers = [faults[i % 3] for i in range(9)] + [httpx.Response(200, json={"id": "c1"})]
    route = respx_mock.get(BASE + PATH).mock(side_effect=answers)
    clock = Clock()
    assert _client(clock).send(Request("GET", PATH, None)) == {"id": "c1"}
    assert route.call_count == 10
    assert clock.now - 1000.0 <= 120.0  # within the time budget


@respx.mock(assert_all_mocked=True)
def test_the_tenth_fault_in_a_row_is_reported(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 86399})
    )
    route = respx_mock.get(BASE + PATH).mock(
        return_value=httpx.Response(500, json={"error_code": "500", "message": "boom"})
    )
    clock = Clock()
    with pytest.raises(PlatformError) as caught:
        _client(clock).send(Request("GET", PATH, None))
    assert caught.value.status == 500
    assert route.call_count == 10

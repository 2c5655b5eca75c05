"""The Platform client against respx: exact requests, error shapes, retries, paging, tokens."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
import respx

from aepflow.api import ListRequest, Request
from aepflow.errors import CredentialsError
from aepflow.kinds import KINDS
from aepflow.platform import (
    AuthenticationError,
    Credentials,
    NotFound,
    OutcomeUnknown,
    PlatformClient,
    PlatformError,
    PreconditionFailed,
    RateLimited,
    RetryPolicy,
)

BASE = "https://platform.adobe.io"
IMS = "https://ims-na1.adobelogin.com"
FLOW_PATH = "/data/foundation/flowservice"
SR_PATH = "/data/foundation/schemaregistry"
CAT_PATH = "/data/foundation/catalog"
FLOW = BASE + FLOW_PATH
SECRET = "client-secret-value-123"
CREDS = Credentials("my-client", SECRET, "ORG@AdobeOrg", "openid,AdobeID")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> PlatformClient:
    return PlatformClient(
        credentials=CREDS,
        sandbox="dev",
        platform_url=BASE,
        ims_url=IMS,
        clock=clock,
        sleep=clock.sleep,
        wall_clock=lambda: 1_700_000_000.0,
        retry=RetryPolicy(max_attempts=4, max_total_seconds=60, base_delay=1, max_delay=8),
    )


def token_route(mock: respx.MockRouter, expires_in: int = 86399) -> respx.Route:
    return mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(
            200, json={"access_token": "tok-1", "token_type": "bearer", "expires_in": expires_in}
        )
    )


def test_credentials_come_from_the_environment_and_name_every_missing_variable() -> None:
    with pytest.raises(CredentialsError) as e:
        Credentials.from_env({"AEP_CLIENT_ID": "x"})
    assert str(e.value).splitlines() == [
        "missing AEP credentials; set these environment variables:",
        "  AEP_CLIENT_SECRET: a Client Secret of that project",
        "  AEP_ORG_ID: your IMS organization id (…@AdobeOrg), or orgId in aepflow.yaml",
        "  AEP_SCOPES: the comma-separated scopes listed in that project's credential",
    ]
    creds = Credentials.from_env(
        {"AEP_CLIENT_ID": "a", "AEP_CLIENT_SECRET": "s3cr3t", "AEP_SCOPES": "c"},
        org_id="O@AdobeOrg",
    )
    assert creds.org_id == "O@AdobeOrg"
    assert repr(creds) == "Credentials(client_id='a', org_id='O@AdobeOrg', client_secret=***)"


@respx.mock(assert_all_mocked=True)
def test_token_request_and_headers_of_a_flow_create(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    token = token_route(respx_mock)
    create = respx_mock.post(FLOW + "/flows").mock(
        return_value=httpx.Response(201, json={"id": "f1", "etag": '"e1"'})
    )
    assert client.send(Request("POST", FLOW_PATH + "/flows", {"name": "x"})) == {
        "id": "f1",
        "etag": '"e1"',
    }
    form = dict(httpx.QueryParams(token.calls[0].request.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "my-client",
        "client_secret": SECRET,
        "scope": "openid,AdobeID",
    }
    assert token.calls[0].request.headers["content-type"] == "application/x-www-form-urlencoded"
    sent = create.calls[0].request
    assert sent.headers["authorization"] == "Bearer tok-1"
    assert sent.headers["x-api-key"] == "my-client"
    assert sent.headers["x-gw-ims-org-id"] == "ORG@AdobeOrg"
    assert sent.headers["x-sandbox-name"] == "dev"
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == {"name": "x"}


@respx.mock(assert_all_mocked=True)
def test_the_token_is_cached_and_refreshed_before_it_expires(
    respx_mock: respx.MockRouter, client: PlatformClient, clock: FakeClock
) -> None:
    token = token_route(respx_mock, expires_in=3600)
    respx_mock.get(FLOW + "/flows/f1").mock(
        return_value=httpx.Response(200, json={"items": [{"id": "f1"}]})
    )
    client.send(KINDS["flow"].get("f1"))
    client.send(KINDS["flow"].get("f1"))
    assert token.call_count == 1
    clock.now += 3600 - 299  # inside the 5-minute margin
    client.send(KINDS["flow"].get("f1"))
    assert token.call_count == 2


@respx.mock(assert_all_mocked=True)
def test_a_get_unwraps_items_and_404_is_none_only_when_allowed(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    token_route(respx_mock)
    respx_mock.get(FLOW + "/connections/c1").mock(
        return_value=httpx.Response(200, json={"items": [{"id": "c1"}]})
    )
    respx_mock.get(FLOW + "/connections/c2").mock(
        return_value=httpx.Response(
            404, json={"type": "https://ns.adobe.com/aep/errors/FLOW-1439-404"}
        )
    )
    connection = KINDS["connection"]
    assert connection.unwrap(client.send(connection.get("c1")), "c1") == {"id": "c1"}
    assert client.send(connection.get("c2"), allow_404=True) is None
    with pytest.raises(NotFound):
        client.send(connection.get("c2"))


@pytest.mark.parametrize(
    ("status", "body", "cls", "message"),
    [
        pytest.param(
            401,
            {"error_code": "401013", "message": "Oauth token is not valid"},
            AuthenticationError,
            "GET /data/foundation/flowservice/flows failed: 401 401013 Oauth token is not valid; check the credentials, the org id and that the project's product profile grants access to this sandbox",
            id="gateway",
        ),
        pytest.param(
            400,
            {
                "type": "https://ns.adobe.com/aep/errors/FLOW-1412-400",
                "title": "Bad Request",
                "status": 400,
                "report": {"detailed-message": "Invalid mapping version 3", "request-id": "rq-9"},
            },
            PlatformError,
            "GET /data/foundation/flowservice/flows failed: 400 FLOW-1412-400 Invalid mapping version 3 (request id rq-9)",
            id="flow-service",
        ),
        pytest.param(
            400,
            {
                "type": "http://ns.adobe.com/aep/errors/XDM-1521-400",
                "title": "Title not unique",
                "status": 400,
                "report": {"detailed-message": "Object titles must be unique."},
                "detail": "Object titles must be unique.",
            },
            PlatformError,
            "GET /data/foundation/flowservice/flows failed: 400 XDM-1521-400 Object titles must be unique.",
            id="schema-registry",
        ),
        pytest.param(
            400,
            {
                "type": "/placeholder/type/uri",
                "status": 400,
                "title": "BadRequestError",
                "detail": "A valid content-type must be specified",
            },
            PlatformError,
            "GET /data/foundation/flowservice/flows failed: 400 A valid content-type must be specified",
            id="placeholder",
        ),
        pytest.param(
            403,
            {"error_code": "403003", "message": "Api Key is invalid"},
            AuthenticationError,
            "GET /data/foundation/flowservice/flows failed: 403 403003 Api Key is invalid; check the credentials, the org id and that the project's product profile grants access to this sandbox",
            id="api-key",
        ),
    ],
)
def test_every_error_shape_becomes_one_readable_line(
    status: int, body: dict, cls: type, message: str, client: PlatformClient
) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        token_route(mock)
        mock.get(FLOW + "/flows").mock(return_value=httpx.Response(status, json=body))
        with pytest.raises(cls) as e:
            client.list(ListRequest(FLOW_PATH + "/flows", "flowservice"))
    assert str(e.value) == message
    assert "tok-1" not in str(e.value) and SECRET not in str(e.value)


@respx.mock(assert_all_mocked=True)
def test_429_honours_retry_after_seconds_and_http_dates(
    respx_mock: respx.MockRouter, client: PlatformClient, clock: FakeClock
) -> None:
    token_route(respx_mock)
    respx_mock.get(FLOW + "/flows").mock(
        side_effect=[
            httpx.Response(
                429,
                headers={"Retry-After": "3"},
                json={"error_code": "429050", "message": "Too many requests"},
            ),
            httpx.Response(
                429, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:25 GMT"}
            ),  # wall clock + 5 s
            httpx.Response(200, json={"items": [], "_links": {}}),
        ]
    )
    assert client.list(ListRequest(FLOW_PATH + "/flows", "flowservice")) == []
    assert clock.sleeps == [3.0, 5.0]


@respx.mock(assert_all_mocked=True)
def test_429_until_retries_run_out(respx_mock: respx.MockRouter, client: PlatformClient) -> None:
    token_route(respx_mock)
    route = respx_mock.get(FLOW + "/flows").mock(
        return_value=httpx.Response(
            429,
            headers={"Retry-After": "1"},
            json={"error_code": "429050", "message": "Too many requests"},
        )
    )
    with pytest.raises(RateLimited) as e:
        client.list(ListRequest(FLOW_PATH + "/flows", "flowservice"))
    assert route.call_count == 4
    assert (
        str(e.value)
        == "GET /data/foundation/flowservice/flows failed: 429 429050 Too many requests; retries ran out, try again later"
    )


@respx.mock(assert_all_mocked=True)
def test_5xx_is_retried_with_jittered_exponential_backoff_but_a_create_is_not(
    respx_mock: respx.MockRouter, client: PlatformClient, clock: FakeClock
) -> None:
    token_route(respx_mock)
    respx_mock.get(FLOW + "/flows").mock(
        side_effect=[
            httpx.Response(502),
            httpx.Response(503),
            httpx.Response(200, json={"items": []}),
        ]
    )
    assert client.list(ListRequest(FLOW_PATH + "/flows", "flowservice")) == []
    assert len(clock.sleeps) == 2 and 0 <= clock.sleeps[0] <= 1 and 0 <= clock.sleeps[1] <= 2
    create = respx_mock.post(FLOW + "/flows").mock(
        return_value=httpx.Response(
            500,
            json={
                "type": "/placeholder/type/uri",
                "status": 500,
                "title": "Internal",
                "detail": "boom",
            },
        )
    )
    with pytest.raises(OutcomeUnknown) as e:
        client.send(Request("POST", FLOW_PATH + "/flows", {}))
    assert create.call_count == 1  # the write may have happened: never blindly re-sent
    assert str(e.value) == (
        "POST /data/foundation/flowservice/flows failed: 500 boom; the object may or may not "
        "have been created"
    )


@respx.mock(assert_all_mocked=True)
def test_a_create_that_times_out_is_an_unknown_outcome_not_a_retry(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    token_route(respx_mock)
    route = respx_mock.post(FLOW + "/connections").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(OutcomeUnknown) as e:
        client.send(
            Request(
                "POST", FLOW_PATH + "/connections", {"auth": {"params": {"password": "pw-xyz"}}}
            )
        )
    assert route.call_count == 1
    assert str(e.value) == (
        "POST /data/foundation/flowservice/connections failed: no response (ReadTimeout); "
        "the object may or may not have been created"
    )
    assert "pw-xyz" not in str(e.value)


@respx.mock(assert_all_mocked=True)
def test_a_401_refreshes_the_token_once(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    token = token_route(respx_mock)
    respx_mock.get(FLOW + "/flows/f").mock(
        side_effect=[
            httpx.Response(
                401, json={"error_code": "401013", "message": "Oauth token is not valid"}
            ),
            httpx.Response(200, json={"items": [{"id": "f"}]}),
        ]
    )
    assert client.send(KINDS["flow"].get("f")) == {"items": [{"id": "f"}]}
    assert token.call_count == 2


@respx.mock(assert_all_mocked=True)
def test_flow_service_paging_follows_continuation_tokens_with_the_same_filters(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    token_route(respx_mock)
    route = respx_mock.get(FLOW + "/flows").mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "items": [{"id": 1}],
                    "_links": {"next": {"href": "/flows?continuationToken=abc"}},
                },
            ),
            httpx.Response(200, json={"items": [{"id": 2}], "_links": {}}),
        ]
    )
    assert client.list(
        ListRequest(FLOW_PATH + "/flows", "flowservice", (("property", "name==My flow"),))
    ) == [{"id": 1}, {"id": 2}]
    assert route.calls[0].request.url.params.multi_items() == [("property", "name==My flow")]
    assert route.calls[1].request.url.params.multi_items() == [
        ("property", "name==My flow"),
        ("continuationToken", "abc"),
    ]


@respx.mock(assert_all_mocked=True)
def test_schema_registry_paging_and_accept_headers(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    token_route(respx_mock)
    base = BASE + "/data/foundation/schemaregistry/tenant/schemas"
    route = respx_mock.get(base).mock(
        side_effect=[
            httpx.Response(200, json={"results": [{"title": "A"}], "_page": {"next": "A"}}),
            httpx.Response(200, json={"results": [{"title": "B"}], "_page": {"next": None}}),
        ]
    )
    assert client.list(
        ListRequest(
            SR_PATH + "/tenant/schemas",
            "schemaregistry",
            (("orderby", "title"), ("property", "title==A")),
            accept="application/vnd.adobe.xed-id+json",
        )
    ) == [{"title": "A"}, {"title": "B"}]
    assert route.calls[0].request.headers["accept"] == "application/vnd.adobe.xed-id+json"
    assert route.calls[1].request.url.params.multi_items() == [
        ("orderby", "title"),
        ("property", "title==A"),
        ("start", "A"),
    ]
    one = respx_mock.get(
        url__regex=r".*/tenant/schemas/https%3A%2F%2Fns.adobe.com%2Ft%2Fschemas%2Fabc$"
    ).mock(return_value=httpx.Response(200, json={"$id": "x"}))
    assert KINDS["schema"].unwrap(
        client.send(KINDS["schema"].get("https://ns.adobe.com/t/schemas/abc")), ""
    ) == {"$id": "x"}
    assert one.calls[0].request.headers["accept"] == "application/vnd.adobe.xed+json; version=1"


@respx.mock(assert_all_mocked=True)
def test_catalog_offset_paging_and_id_keyed_objects(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    token_route(respx_mock)
    full = {f"{i:024x}": {"name": f"d{i}"} for i in range(100)}
    route = respx_mock.get(BASE + "/data/foundation/catalog/dataSets").mock(
        side_effect=[
            httpx.Response(200, json=full),
            httpx.Response(200, json={"ff" * 12: {"name": "last"}}),
        ]
    )
    found = client.list(ListRequest(CAT_PATH + "/dataSets", "catalog", (("property", "name==d"),)))
    assert len(found) == 101 and found[-1] == {"name": "last", "id": "ff" * 12}
    assert route.calls[1].request.url.params.multi_items() == [
        ("property", "name==d"),
        ("limit", "100"),
        ("start", "100"),
    ]
    respx_mock.post(BASE + "/data/foundation/catalog/dataSets").mock(
        return_value=httpx.Response(201, json=["@/dataSets/5c8c3c555033b814b69f947f"])
    )
    assert (
        KINDS["dataset"].created(
            client.send(Request("POST", CAT_PATH + "/dataSets", {"name": "x"}))
        )[0]
        == "5c8c3c555033b814b69f947f"
    )


@pytest.mark.parametrize(
    ("expect", "total", "starts"),
    [
        (250, 250, [0, 100, 200]),  # the expected count holds: exactly the pages needed
        (250, 300, [0, 100, 200, 300]),  # more than expected: on, page by page
        (250, 120, [0, 100, 200]),  # fewer: what was read at once, no more
        (0, 250, [0, 100, 200]),  # no expectation: page by page
    ],
)
@respx.mock(assert_all_mocked=True)
def test_offset_paging_reads_the_pages_an_expected_count_fills_at_once(
    respx_mock: respx.MockRouter, client: PlatformClient, expect: int, total: int, starts: list[int]
) -> None:
    token_route(respx_mock)
    items = [{"id": f"m{i}"} for i in range(total)]

    def page(request: httpx.Request) -> httpx.Response:
        start, limit = int(request.url.params["start"]), int(request.url.params["limit"])
        return httpx.Response(200, json={"data": items[start : start + limit]})

    route = respx_mock.get(BASE + "/data/foundation/conversion/mappingSets").mock(side_effect=page)
    query = ListRequest("/data/foundation/conversion/mappingSets", "dataprep", expect=expect)
    assert client.list(query) == items
    assert sorted(int(c.request.url.params["start"]) for c in route.calls) == starts


@respx.mock(assert_all_mocked=True)
def test_the_expected_pages_are_in_flight_together(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    token_route(respx_mock)
    items = [{"id": f"m{i}"} for i in range(250)]
    together = threading.Barrier(3, timeout=5)  # read one after the other, it breaks

    def page(request: httpx.Request) -> httpx.Response:
        together.wait()
        start = int(request.url.params["start"])
        return httpx.Response(200, json={"data": items[start : start + 100]})

    respx_mock.get(BASE + "/data/foundation/conversion/mappingSets").mock(side_effect=page)
    query = ListRequest("/data/foundation/conversion/mappingSets", "dataprep", expect=250)
    assert client.list(query) == items


@respx.mock(assert_all_mocked=True)
def test_a_patch_carries_the_planned_etag_and_a_412_is_raised_not_retried(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    """A 412 means "changed since the plan": the client never re-reads or re-sends on its
    own; the executor decides (help/sources/tutorials/api/update-dataflows.md: If-Match)."""
    token_route(respx_mock)
    patch = respx_mock.patch(FLOW + "/flows/f").mock(
        return_value=httpx.Response(
            412, json={"type": "https://ns.adobe.com/aep/errors/FLOW-1404-412"}
        )
    )
    ops = [{"op": "replace", "path": "/name", "value": "new"}]
    with pytest.raises(PreconditionFailed) as e:
        client.send(Request("PATCH", FLOW_PATH + "/flows/f", ops, if_match='"e1"'))
    assert str(e.value) == (
        "PATCH /data/foundation/flowservice/flows/f failed: 412 FLOW-1404-412 Precondition Failed"
    )
    assert [c.request.headers["if-match"] for c in patch.calls] == ['"e1"']
    assert json.loads(patch.calls[0].request.content) == ops


def test_a_429_pauses_every_thread_of_the_client(clock: FakeClock) -> None:
    client = PlatformClient(
        credentials=CREDS,
        sandbox="dev",
        platform_url=BASE,
        ims_url=IMS,
        clock=clock,
        sleep=clock.sleep,
    )
    client._pause_all(7.0)
    waited: list[float] = []

    def other_thread() -> None:
        client._wait_turn()
        waited.append(clock.now)

    t = threading.Thread(target=other_thread)
    t.start()
    t.join(5)
    assert waited == [1007.0]
    assert clock.sleeps == [7.0]


@respx.mock(assert_all_mocked=True)
def test_ims_refusal_is_an_authentication_error_without_the_secret(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    respx_mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(
            401,
            json={
                "error": "invalid_client",
                "error_description": "invalid client_id or client_secret",
            },
        )
    )
    with pytest.raises(AuthenticationError) as e:
        client.list(ListRequest(FLOW_PATH + "/flows", "flowservice"))
    assert str(e.value) == (
        "POST /ims/token/v3 failed: 401 invalid_client invalid client_id or client_secret; check "
        "AEP_CLIENT_ID, AEP_CLIENT_SECRET and AEP_SCOPES against your Developer Console project"
    )
    assert SECRET not in str(e.value)


def test_not_found_is_a_platform_error() -> None:
    assert issubclass(NotFound, PlatformError)


@respx.mock(assert_all_mocked=True)
def test_cookies_a_gateway_sets_are_neither_kept_nor_sent(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    token_route(respx_mock)
    flows = respx_mock.get(FLOW + "/flows/f1").mock(
        return_value=httpx.Response(
            200, json={"items": [{"id": "f1"}]}, headers={"Set-Cookie": "AWSALB=sticky; Path=/"}
        )
    )
    for _ in range(2):
        client.send(Request("GET", FLOW_PATH + "/flows/f1"))
    assert [call.request.headers.get("cookie") for call in flows.calls] == [None, None]


@respx.mock(assert_all_mocked=True)
def test_a_thread_that_asks_after_close_makes_no_client_to_leak(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    """A list read left running beside a command that has ended: its client would never be
    closed, and its socket would be reported unclosed when the thread's storage is freed."""
    token_route(respx_mock)
    route = respx_mock.get(FLOW + "/flows/f1").mock(return_value=httpx.Response(200, json={}))
    client.send(Request("GET", FLOW_PATH + "/flows/f1"))
    client.close()
    caught: list[BaseException] = []

    def late() -> None:
        try:
            client.send(Request("GET", FLOW_PATH + "/flows/f1"))
        except BaseException as e:
            caught.append(e)

    thread = threading.Thread(target=late)
    thread.start()
    thread.join()
    assert [str(e) for e in caught] == ["the platform client is closed"]
    assert route.call_count == 1
    assert client._threads.open == 0

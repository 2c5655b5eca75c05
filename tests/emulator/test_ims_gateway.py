"""IMS tokens and the gateway checks every platform call goes through (help/landing/api-authentication.md, help/landing/troubleshooting.md)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from aepflow.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORG_ID,
    EMBEDDED_BASE_URL,
    Emulator,
)
from tests.emulator.conftest import (
    CATALOG,
    FLOW,
    PREP,
    SCHEMA,
    Api,
    Clock,
    flow_error,
    state_text,
    token,
    xdm_error,
)

FORM = {
    "grant_type": "client_credentials",
    "client_id": DEFAULT_CLIENT_ID,
    "client_secret": DEFAULT_CLIENT_SECRET,
    "scope": "openid,AdobeID,read_organizations",
}


@pytest.fixture
def http(emulator: Emulator) -> httpx.Client:
    return httpx.Client(transport=emulator.transport(), base_url=EMBEDDED_BASE_URL)


def test_token_is_issued_for_the_form_fields(http: httpx.Client, state_dir: Path) -> None:
    response = http.post("https://ims-na1.adobelogin.com/ims/token/v3", data=FORM)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86399
    assert len(body["access_token"]) >= 40
    state = state_text(state_dir)
    assert body["access_token"] not in state  # stored hashed


@pytest.mark.parametrize(
    ("form", "status", "error", "description"),
    [
        (
            {**FORM, "client_secret": "wrong"},
            401,
            "invalid_client",
            "invalid client_secret parameter",
        ),
        (
            {**FORM, "client_id": "someone-else"},
            400,
            "invalid_client",
            "invalid client_id parameter",
        ),
        (
            {**FORM, "grant_type": "password"},
            400,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        ),
        (
            {k: v for k, v in FORM.items() if k != "client_id"},
            400,
            "invalid_request",
            "missing client_id parameter",
        ),
        ({**FORM, "scope": ""}, 400, "invalid_scope", "missing scope parameter"),
    ],
)
def test_token_refusals_have_the_ims_shape(
    http: httpx.Client, form: dict[str, str], status: int, error: str, description: str
) -> None:
    response = http.post("/ims/token/v3", data=form)
    assert (response.status_code, response.json()) == (
        status,
        {"error": error, "error_description": description},
    )
    assert "wrong" not in response.text


def test_token_needs_a_form(http: httpx.Client) -> None:
    response = http.post("/ims/token/v3", json=FORM)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_token_expires_on_the_emulator_clock(emulator: Emulator, clock: Clock) -> None:
    api = Api(emulator)
    assert api.get(f"{FLOW}/connections").status_code == 200
    clock.advance(86398)
    assert api.get(f"{FLOW}/connections").status_code == 200
    clock.advance(2)
    response = api.get(f"{FLOW}/connections")
    assert (response.status_code, response.json()) == (
        401,
        {"error_code": "401013", "message": "Oauth token is not valid"},
    )


def _headers(api: Api, drop: str = "", **change: str) -> dict[str, str]:
    headers = {k: v for k, v in api.headers(**change).items() if k != drop}
    return headers


@pytest.mark.parametrize(
    ("drop", "change", "status", "code", "message"),
    [
        ("Authorization", {}, 403, "403010", "Oauth token is missing."),
        ("", {"Authorization": "Bearer not-a-token"}, 401, "401013", "Oauth token is not valid"),
        ("", {"Authorization": "Basic dXNlcjpwdw=="}, 401, "401013", "Oauth token is not valid"),
        ("x-api-key", {}, 403, "403000", "Api Key is required"),
        ("", {"x-api-key": "another-client"}, 403, "403003", "Api Key is invalid"),
        ("x-gw-ims-org-id", {}, 400, "400003", "Missing header"),
        ("", {"x-gw-ims-org-id": "OTHER@AdobeOrg"}, 403, "403025", "Profile is not valid"),
    ],
)
@pytest.mark.parametrize("path", [f"{FLOW}/flows", f"{CATALOG}/dataSets", f"{PREP}/mappingSets"])
def test_gateway_errors(
    api: Api, path: str, drop: str, change: dict[str, str], status: int, code: str, message: str
) -> None:
    response = api.http.get(path, headers=_headers(api, drop, **change))
    assert (response.status_code, response.json()) == (
        status,
        {"error_code": code, "message": message},
    )


def test_gateway_checks_run_in_the_documented_order(api: Api) -> None:
    # No token and no other header either: the token is reported first, and so on.
    assert api.http.get(f"{FLOW}/flows").json()["error_code"] == "403010"
    only_token = {"Authorization": f"Bearer {api.token}"}
    assert api.http.get(f"{FLOW}/flows", headers=only_token).json()["error_code"] == "403000"
    with_key = {**only_token, "x-api-key": DEFAULT_CLIENT_ID}
    assert api.http.get(f"{FLOW}/flows", headers=with_key).json()["error_code"] == "400003"
    with_org = {**with_key, "x-gw-ims-org-id": DEFAULT_ORG_ID}
    assert flow_error(api.http.get(f"{FLOW}/flows", headers=with_org))[:2] == (400, "FLOW-2105-400")


def test_flow_service_needs_the_sandbox_header(api: Api) -> None:
    response = api.http.get(f"{FLOW}/flows", headers=_headers(api, "x-sandbox-name"))
    assert flow_error(response) == (
        400,
        "FLOW-2105-400",
        "The header x-sandbox-name is missing in the request. Please add the header in the "
        "request and try again.",
    )
    assert response.json()["title"] == "Header is missing"


def test_schema_registry_and_catalog_need_the_sandbox_header_too(api: Api) -> None:
    schema = api.schema()
    dataset = api.dataset(schema)
    missing = "The header x-sandbox-name is missing in the request. Please add the header in the request and try again."
    catalog = api.http.get(f"{CATALOG}/dataSets/{dataset}", headers=_headers(api, "x-sandbox-name"))
    assert catalog.status_code == 400
    assert missing in json.dumps(catalog.json())
    registry = api.http.get(
        f"{SCHEMA}/tenant/schemas",
        headers={**_headers(api, "x-sandbox-name"), "Accept": "application/vnd.adobe.xed-id+json"},
    )
    assert registry.status_code == 400
    assert registry.json()["type"].endswith("XDM-1001-400")
    assert registry.json()["detail"] == missing


def test_an_unknown_sandbox_is_refused_in_each_service_shape(api: Api) -> None:
    headers = api.headers(**{"x-sandbox-name": "staging"})
    message = (
        "The sandbox with the name 'staging' could not be found. Please ensure that the sandbox "
        "name is correct and try again."
    )
    flows = api.http.get(f"{FLOW}/flows", headers=headers)
    assert flow_error(flows) == (404, "FLOW-2100-404", message)
    assert flows.json()["title"] == "Sandbox not found"
    schemas = api.http.get(
        f"{SCHEMA}/tenant/schemas",
        headers={**headers, "Accept": "application/vnd.adobe.xed-id+json"},
    )
    assert xdm_error(schemas) == (404, "XDM-1010-404", "Sandbox not found", message)
    datasets = api.http.get(f"{CATALOG}/dataSets", headers=headers)
    assert (datasets.status_code, datasets.json()) == (
        404,
        {
            "type": "/placeholder/type/uri",
            "status": 404,
            "title": "NotFoundError",
            "detail": message,
        },
    )


def test_sandboxes_are_separate(emulator: Emulator) -> None:
    prod, dev = Api(emulator, "prod"), Api(emulator, "dev")
    connection = prod.connection()
    assert prod.get(f"{FLOW}/connections/{connection}").status_code == 200
    assert flow_error(dev.get(f"{FLOW}/connections/{connection}"))[:2] == (404, "FLOW-1439-404")
    assert dev.get(f"{FLOW}/connections").json()["items"] == []
    schema = prod.schema("Only in prod")
    assert dev.schema("Only in prod") != schema  # titles are unique per sandbox only
    listed = dev.get(
        f"{SCHEMA}/tenant/schemas", headers={"Accept": "application/vnd.adobe.xed-id+json"}
    ).json()["results"]
    assert [r["$id"] for r in listed] != [schema]


def test_a_sandbox_present_in_the_state_is_known(emulator: Emulator) -> None:
    staging = Api(emulator, "staging")
    assert staging.get(f"{FLOW}/connections").status_code == 404
    with emulator.store.write() as tx:
        tx.set(("sandboxes", "staging"), {})
    assert staging.get(f"{FLOW}/connections").json() == {"items": [], "_links": {}}


def test_a_token_from_another_emulator_state_is_unknown(tmp_path: Path) -> None:
    first = Emulator(tmp_path / "one")
    second = Emulator(tmp_path / "two")
    stolen = token(httpx.Client(transport=first.transport(), base_url=EMBEDDED_BASE_URL))
    http = httpx.Client(transport=second.transport(), base_url=EMBEDDED_BASE_URL)
    response = http.get(
        f"{FLOW}/flows",
        headers={
            "Authorization": f"Bearer {stolen}",
            "x-api-key": DEFAULT_CLIENT_ID,
            "x-gw-ims-org-id": DEFAULT_ORG_ID,
            "x-sandbox-name": "prod",
        },
    )
    assert response.json() == {"error_code": "401013", "message": "Oauth token is not valid"}


def test_custom_credentials_and_org(tmp_path: Path) -> None:
    emulator = Emulator(
        tmp_path / "state", org_id="ACME@AdobeOrg", client_id="acme-client", client_secret="shh"
    )
    http = httpx.Client(transport=emulator.transport(), base_url=EMBEDDED_BASE_URL)
    refused = http.post("/ims/token/v3", data=FORM)
    assert refused.json()["error"] == "invalid_client"
    granted = http.post(
        "/ims/token/v3", data={**FORM, "client_id": "acme-client", "client_secret": "shh"}
    )
    headers = {
        "Authorization": f"Bearer {granted.json()['access_token']}",
        "x-api-key": "acme-client",
        "x-gw-ims-org-id": "ACME@AdobeOrg",
    }
    stats = http.get(f"{SCHEMA}/stats", headers=headers).json()
    assert (stats["imsOrg"], stats["tenantId"]) == ("ACME@AdobeOrg", "aepflowlocal")


def test_a_body_needs_a_json_content_type(api: Api) -> None:
    response = api.http.post(
        f"{FLOW}/connections",
        content=b'{"name": "x"}',
        headers={**api.headers(), "Content-Type": "text/plain"},
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "type": "/placeholder/type/uri",
            "status": 400,
            "title": "BadRequestError",
            "detail": "A valid content-type must be specified",
        },
    )


def test_unknown_paths_and_methods(api: Api) -> None:
    missing = api.get("/data/foundation/nothing/here")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No resource at /data/foundation/nothing/here"
    wrong = api.put(f"{FLOW}/flows", [])
    assert (wrong.status_code, wrong.json()["detail"]) == (
        405,
        "PUT is not supported on /data/foundation/flowservice/flows",
    )


def test_every_answer_carries_a_request_id(api: Api) -> None:
    first = api.get(f"{FLOW}/connections")
    second = api.get(f"{FLOW}/connections")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]

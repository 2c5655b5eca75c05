"""The emulator's fidelity to reference/aep-api.md: requests in, asserted responses out."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from aepflow.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORG_ID,
    Emulator,
    serve,
)

FLOW = "/data/foundation/flowservice"
SR = "/data/foundation/schemaregistry"
CAT = "/data/foundation/catalog"
DP = "/data/foundation/conversion"
SF = "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5"
LAKE = "c604ff05-7f1a-43c0-8e18-33bf874cb11c"
CRM = "14518937-270c-4525-bdec-c2ba7cce3860"
PROFILE = "https://ns.adobe.com/xdm/context/profile"
PERSONAL = "https://ns.adobe.com/xdm/context/profile-personal-details"
XED = "application/vnd.adobe.xed-full+json;version=1"


class Api:
    """A raw HTTP caller: no aepflow client code, so the tests pin the wire format."""

    def __init__(self, http: httpx.Client, sandbox: str = "prod") -> None:
        self.http = http
        form = {
            "grant_type": "client_credentials",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "scope": "openid",
        }
        self.token = http.post("/ims/token/v3", data=form).json()["access_token"]
        self.sandbox = sandbox

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "x-api-key": DEFAULT_CLIENT_ID,
            "x-gw-ims-org-id": DEFAULT_ORG_ID,
            "x-sandbox-name": self.sandbox,
            **extra,
        }

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        h = self.headers(**{k.replace("_", "-"): v for k, v in headers.items()})
        return self.http.request(method, path, json=body, headers=h)


@pytest.fixture
def http(tmp_path: Path) -> httpx.Client:
    return httpx.Client(
        transport=Emulator(tmp_path / "state").transport(), base_url="https://platform.test"
    )


@pytest.fixture
def api(http: httpx.Client) -> Api:
    return Api(http)


def sf_connection(api: Api) -> str:
    r = api.call(
        "POST",
        FLOW + "/connections",
        {
            "name": "SF",
            "auth": {
                "specName": "Basic Authentication",
                "params": {"username": "u", "password": "pw-secret", "securityToken": "tk-secret"},
            },
            "connectionSpec": {"id": SF, "version": "1.0"},
        },
    )
    assert r.status_code == 201
    return str(r.json()["id"])


def pipeline(api: Api) -> dict[str, Any]:
    """The seed tutorial's requests, in order, returning the ids."""
    ids: dict[str, Any] = {"conn": sf_connection(api)}
    r = api.call(
        "POST",
        FLOW + "/sourceConnections",
        {
            "name": "src",
            "baseConnectionId": ids["conn"],
            "data": {"format": "tabular"},
            "params": {"tableName": "Contact", "columns": [{"name": "Id", "type": "string"}]},
            "connectionSpec": {"id": SF, "version": "1.0"},
        },
    )
    ids["src"] = r.json()["id"]
    r = api.call(
        "POST",
        SR + "/tenant/schemas",
        {"title": "Contacts", "type": "object", "allOf": [{"$ref": PROFILE}, {"$ref": PERSONAL}]},
        accept="application/json",
    )
    assert r.status_code == 201
    ids["schema"] = r.json()["$id"]
    r = api.call(
        "POST",
        CAT + "/dataSets",
        {"name": "Contacts", "schemaRef": {"id": ids["schema"], "contentType": XED}},
    )
    assert r.status_code == 201
    ids["dataset"] = r.json()[0].split("/")[-1]
    r = api.call(
        "POST",
        FLOW + "/targetConnections",
        {
            "name": "tgt",
            "data": {"schema": {"id": ids["schema"], "version": XED}},
            "params": {"dataSetId": ids["dataset"]},
            "connectionSpec": {"id": LAKE, "version": "1.0"},
        },
    )
    assert r.status_code == 201
    ids["tgt"] = r.json()["id"]
    r = api.call(
        "POST",
        DP + "/mappingSets",
        {
            "outputSchema": {"schemaRef": {"id": ids["schema"], "contentType": XED}},
            "mappings": [
                {
                    "sourceType": "ATTRIBUTE",
                    "source": "Email",
                    "destination": "personalEmail.address",
                }
            ],
        },
    )
    assert r.status_code == 200
    ids["mapping"] = r.json()["id"]
    ids["flow_body"] = {
        "name": "Contacts flow",
        "flowSpec": {"id": CRM, "version": "1.0"},
        "sourceConnectionIds": [ids["src"]],
        "targetConnectionIds": [ids["tgt"]],
        "transformations": [
            {
                "name": "Copy",
                "params": {
                    "deltaColumn": {
                        "name": "LastModifiedDate",
                        "dateFormat": "yyyy-MM-dd HH:mm:ss",
                        "timezone": "UTC",
                    }
                },
            },
            {"name": "Mapping", "params": {"mappingId": ids["mapping"], "mappingVersion": 0}},
        ],
        "scheduleParams": {
            "startTime": "1612310466",
            "frequency": "minute",
            "interval": "15",
            "backfill": "true",
        },
    }
    r = api.call("POST", FLOW + "/flows", ids["flow_body"])
    assert r.status_code == 201, r.json()
    ids["flow"] = r.json()["id"]
    return ids


def test_ims_token(http: httpx.Client) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "scope": "openid,AdobeID",
    }
    body = http.post("/ims/token/v3", data=form).json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 86399)
    bad = http.post("/ims/token/v3", data={**form, "client_secret": "nope"})
    assert (bad.status_code, bad.json()["error"]) == (401, "invalid_client")


@pytest.mark.parametrize(
    ("drop", "status", "body"),
    [
        ("Authorization", 403, {"error_code": "403010", "message": "Oauth token is missing."}),
        ("x-api-key", 403, {"error_code": "403000", "message": "Api Key is required"}),
        (
            "x-gw-ims-org-id",
            400,
            {"error_code": "400003", "message": "Missing header: x-gw-ims-org-id"},
        ),
    ],
)
def test_gateway_errors(api: Api, drop: str, status: int, body: dict[str, str]) -> None:
    headers = {k: v for k, v in api.headers().items() if k != drop}
    r = api.http.get(FLOW + "/connections", headers=headers)
    assert (r.status_code, r.json()) == (status, body)


def test_bad_token_bad_key_and_missing_sandbox(api: Api) -> None:
    r = api.http.get(
        FLOW + "/connections", headers={**api.headers(), "Authorization": "Bearer nope"}
    )
    assert (r.status_code, r.json()) == (
        401,
        {"error_code": "401013", "message": "Oauth token is not valid"},
    )
    r = api.http.get(FLOW + "/connections", headers={**api.headers(), "x-api-key": "other"})
    assert r.json() == {"error_code": "403003", "message": "Api Key is invalid"}
    headers = {k: v for k, v in api.headers().items() if k != "x-sandbox-name"}
    r = api.http.get(FLOW + "/connections", headers=headers)
    assert r.status_code == 400
    assert r.json()["type"] == "https://ns.adobe.com/aep/errors/FLOW-2105-400"
    assert r.json()["report"]["detailed-message"] == "The header x-sandbox-name is missing"


def test_sandboxes_are_separate(api: Api, http: httpx.Client) -> None:
    conn = sf_connection(api)
    dev = Api(http, "dev")
    assert dev.call("GET", f"{FLOW}/connections/{conn}").status_code == 404
    assert api.call("GET", f"{FLOW}/connections/{conn}").status_code == 200
    assert Api(http, "nosuch").call("GET", FLOW + "/connections").status_code == 404


def test_connection_create_get_and_secrets(api: Api, tmp_path: Path) -> None:
    r = api.call(
        "POST",
        FLOW + "/connections",
        {
            "name": "SF",
            "auth": {
                "specName": "Basic Authentication",
                "params": {"username": "u", "password": "pw-secret", "securityToken": "tk-secret"},
            },
            "connectionSpec": {"id": SF, "version": "1.0"},
        },
    )
    assert r.status_code == 201
    id, etag = r.json()["id"], r.json()["etag"]
    assert re.fullmatch(r"[0-9a-f-]{36}", id) and re.fullmatch(r'"[0-9a-f-]{36}"', etag)
    assert r.headers["Location"] == f"{FLOW}/connections/{id}"
    got = api.call("GET", f"{FLOW}/connections/{id}").json()
    assert list(got) == ["items"] and len(got["items"]) == 1
    conn = got["items"][0]
    assert conn["state"] == "enabled" and conn["etag"] == conn["version"] == etag
    assert conn["auth"]["params"] == {
        "username": "u",
        "password": "**********",
        "securityToken": "**********",
    }
    assert isinstance(conn["createdAt"], int) and conn["createdAt"] > 1_600_000_000_000
    for f in (tmp_path / "state").iterdir():
        assert b"pw-secret" not in f.read_bytes()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"username": "u", "password": "p"}, "Missing required auth params: securityToken"),
        (
            {"username": "u", "password": "p", "securityToken": "t", "region": "x"},
            "Unknown auth params: region",
        ),
    ],
)
def test_auth_params_are_checked_against_the_auth_spec(
    api: Api, params: dict[str, str], message: str
) -> None:
    r = api.call(
        "POST",
        FLOW + "/connections",
        {
            "name": "x",
            "auth": {"specName": "Basic Authentication", "params": params},
            "connectionSpec": {"id": SF, "version": "1.0"},
        },
    )
    assert r.status_code == 400 and r.json()["report"]["detailed-message"] == message


def test_patch_rules(api: Api) -> None:
    conn = sf_connection(api)
    etag = api.call("GET", f"{FLOW}/connections/{conn}").json()["items"][0]["etag"]
    ops = [{"op": "replace", "path": "/name", "value": "renamed"}]
    r = api.call("PATCH", f"{FLOW}/connections/{conn}", ops)
    assert (r.status_code, r.json()["type"]) == (
        400,
        "https://ns.adobe.com/aep/errors/FLOW-1403-400",
    )
    r = api.call("PATCH", f"{FLOW}/connections/{conn}", ops, If_Match='"stale"')
    assert (r.status_code, r.json()["type"]) == (
        412,
        "https://ns.adobe.com/aep/errors/FLOW-1404-412",
    )
    r = api.call(
        "PATCH", f"{FLOW}/connections/{conn}", [{"op": "move", "path": "/name"}], If_Match=etag
    )
    assert r.json()["type"].endswith("FLOW-1434-400")
    r = api.call(
        "PATCH",
        f"{FLOW}/connections/{conn}",
        [{"op": "replace", "path": "/nope", "value": 1}],
        If_Match=etag,
    )
    assert r.json()["type"].endswith("FLOW-1455-400")
    r = api.call(
        "PATCH",
        f"{FLOW}/connections/{conn}",
        [{"op": "replace", "path": "/connectionSpec", "value": {}}],
        If_Match=etag,
    )
    assert r.json()["type"].endswith("FLOW-1414-400")
    r = api.call("PATCH", f"{FLOW}/connections/{conn}", ops, If_Match=etag)
    assert r.status_code == 200 and r.json()["etag"] != etag
    assert api.call("GET", f"{FLOW}/connections/{conn}").json()["items"][0]["name"] == "renamed"


def test_the_seed_workflow_and_the_flow_lifecycle(api: Api) -> None:
    ids = pipeline(api)
    flow = api.call("GET", f"{FLOW}/flows/{ids['flow']}").json()["items"][0]
    assert flow["state"] == "enabled"
    assert (
        flow["inheritedAttributes"]["sourceConnections"][0]["baseConnection"]["id"] == ids["conn"]
    )
    listed = api.call("GET", f"{FLOW}/flows?property=name==Contacts flow").json()
    assert [f["id"] for f in listed["items"]] == [ids["flow"]] and listed["_links"] == {}
    r = api.call(
        "PATCH",
        f"{FLOW}/flows/{ids['flow']}",
        [{"op": "replace", "path": "/scheduleParams/frequency", "value": "hour"}],
        If_Match=flow["etag"],
    )
    assert r.status_code == 200
    patched = api.call("GET", f"{FLOW}/flows/{ids['flow']}").json()["items"][0]
    assert patched["lastOperation"]["ops"][0]["path"] == "/scheduleParams/frequency"
    assert api.call("POST", f"{FLOW}/flows/{ids['flow']}/action?op=disable").status_code == 200
    assert api.call("GET", f"{FLOW}/flows/{ids['flow']}").json()["items"][0]["state"] == "disabled"
    r = api.call("DELETE", f"{FLOW}/connections/{ids['conn']}")
    assert (r.status_code, r.json()["type"]) == (
        400,
        "https://ns.adobe.com/aep/errors/FLOW-1418-400",
    )
    assert api.call("DELETE", f"{FLOW}/flows/{ids['flow']}").status_code == 204
    gone = api.call("GET", f"{FLOW}/flows/{ids['flow']}")
    assert gone.status_code == 404
    assert gone.json()["type"] == "https://ns.adobe.com/aep/errors/FLOW-1439-404"
    assert gone.json()["report"]["type"] == "flows" and gone.json()["report"]["id"] == ids["flow"]
    # With its flow gone the base connection may be deleted (1418 only guards flows).
    assert api.call("DELETE", f"{FLOW}/connections/{ids['conn']}").status_code == 204


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda b: b.update(state="enabled"), "FLOW-1410-400"),
        (lambda b: b["transformations"][1]["params"].update(mappingVersion=3), "FLOW-1412-400"),
        (lambda b: b["scheduleParams"].update(interval="5"), "FLOW-1420-400"),
        (lambda b: b["scheduleParams"].update(frequency="once"), "FLOW-1420-400"),
        (lambda b: b["transformations"][0]["params"].pop("deltaColumn"), "FLOW-1419-400"),
    ],
)
def test_flow_validation(api: Api, change: Any, code: str) -> None:
    ids = pipeline(api)
    body = ids["flow_body"]
    change(body)
    r = api.call("POST", FLOW + "/flows", body)
    assert r.status_code == 400 and r.json()["type"].endswith(code), r.json()


def test_mapping_schema_must_match_the_target_dataset(api: Api) -> None:
    ids = pipeline(api)
    other = api.call(
        "POST",
        SR + "/tenant/schemas",
        {"title": "Other", "type": "object", "allOf": [{"$ref": PROFILE}, {"$ref": PERSONAL}]},
    ).json()["$id"]
    m = api.call(
        "POST",
        DP + "/mappingSets",
        {
            "outputSchema": {"schemaRef": {"id": other}},
            "mappings": [
                {"sourceType": "ATTRIBUTE", "source": "a", "destination": "personalEmail.address"}
            ],
        },
    ).json()["id"]
    body = ids["flow_body"]
    body["transformations"][1]["params"]["mappingId"] = m
    r = api.call("POST", FLOW + "/flows", body)
    assert r.json()["type"].endswith("FLOW-1425-400")


def test_paging_and_count(api: Api) -> None:
    for _ in range(3):
        sf_connection(api)
    page = api.call("GET", FLOW + "/connections?limit=2").json()
    assert len(page["items"]) == 2
    href = page["_links"]["next"]["href"]
    assert href.startswith("/connections?continuationToken=")
    rest = api.call("GET", FLOW + href).json()
    assert len(rest["items"]) == 1 and rest["_links"] == {}
    assert api.call("GET", FLOW + "/connections?count=true").json() == {"count": 3}


def test_schema_registry_accept_rules_titles_and_versions(api: Api) -> None:
    body = {"title": "T", "type": "object", "allOf": [{"$ref": PROFILE}]}
    created = api.call("POST", SR + "/tenant/schemas/", body)  # trailing slash, as aepp sends
    assert created.status_code == 201
    schema = created.json()
    assert re.fullmatch(r"https://ns.adobe.com/aepflowlocal/schemas/[0-9a-f]{32}", schema["$id"])
    assert schema["meta:altId"] == "_aepflowlocal.schemas." + schema["$id"].rsplit("/", 1)[1]
    assert (schema["version"], schema["meta:class"], schema["meta:tenantNamespace"]) == (
        "1.0",
        PROFILE,
        "_aepflowlocal",
    )
    dup = api.call("POST", SR + "/tenant/schemas", body)
    assert (
        dup.status_code == 400
        and dup.json()["type"] == "http://ns.adobe.com/aep/errors/XDM-1521-400"
    )
    path = SR + "/tenant/schemas/" + schema["$id"].replace(":", "%3A").replace("/", "%2F")
    assert (
        api.call("GET", path, accept="application/vnd.adobe.xed+json").json()["detail"]
        == "version must be supplied in the accept header"
    )
    assert (
        api.call(
            "GET", SR + "/tenant/schemas", accept="application/vnd.adobe.xed-id+json; version=1"
        ).status_code
        == 400
    )
    assert api.call("GET", SR + "/tenant/schemas").status_code == 400
    patched = api.call(
        "PATCH",
        path,
        [
            {"op": "add", "path": "/meta:extends/-", "value": PERSONAL},
            {"op": "add", "path": "/allOf/-", "value": {"$ref": PERSONAL}},
        ],
    )
    assert patched.json()["version"] == "1.1"
    full = api.call("GET", path, accept="application/vnd.adobe.xed-full+json; version=1").json()
    assert full["properties"]["personalEmail"]["properties"]["address"] == {"type": "string"}
    listed = api.call(
        "GET", SR + "/tenant/schemas?property=title==T", accept="application/vnd.adobe.xed-id+json"
    ).json()
    assert listed["results"] == [
        {"$id": schema["$id"], "meta:altId": schema["meta:altId"], "version": "1.1", "title": "T"}
    ]
    assert listed["_page"]["next"] is None


def test_catalog(api: Api) -> None:
    schema = api.call(
        "POST", SR + "/tenant/schemas", {"title": "S", "allOf": [{"$ref": PROFILE}]}
    ).json()["$id"]
    r = api.call(
        "POST",
        CAT + "/dataSets",
        {"name": "D", "schemaRef": {"id": schema, "contentType": XED}, "tags": {"team": ["crm"]}},
    )
    assert r.status_code == 201
    (ref,) = r.json()
    id = ref.split("/")[-1]
    assert re.fullmatch(r"@/dataSets/[0-9a-f]{24}", ref)
    got = api.call("GET", f"{CAT}/dataSets/{id}").json()
    assert list(got) == [id] and got[id]["name"] == "D"
    assert list(api.call("GET", CAT + "/dataSets?name=D").json()) == [id]
    assert api.call("GET", CAT + "/dataSets?name=!D").json() == {}
    assert list(api.call("GET", CAT + "/dataSets?tags=team:*").json()) == [id]
    assert api.call("GET", CAT + "/dataSets?limit=0").status_code == 400
    assert api.call("PATCH", f"{CAT}/dataSets/{id}", {"name": "D2"}).json() == [f"@/dataSets/{id}"]
    profile = api.call(
        "POST",
        CAT + "/dataSets",
        {"name": "P", "schemaRef": {"id": schema}, "tags": {"unifiedProfile": ["enabled:true"]}},
    )
    assert profile.json()["detail"] == "To enable profile datasets the schema should be valid"
    assert api.call("DELETE", f"{CAT}/dataSets/{id}").json() == [f"@/dataSets/{id}"]
    assert api.call("GET", f"{CAT}/dataSets/{id}").status_code == 404


def test_mapping_set_versions(api: Api) -> None:
    schema = api.call(
        "POST",
        SR + "/tenant/schemas",
        {"title": "S", "allOf": [{"$ref": PROFILE}, {"$ref": PERSONAL}]},
    ).json()["$id"]
    body = {
        "outputSchema": {"schemaRef": {"id": schema, "contentType": XED}},
        "mappings": [
            {"sourceType": "ATTRIBUTE", "source": "e", "destination": "personalEmail.address"}
        ],
    }
    created = api.call("POST", DP + "/mappingSets", body).json()
    assert re.fullmatch(r"[0-9a-f]{32}", created["id"]) and created["version"] == 0
    body["mappings"][0]["destination"] = "homeAddress.city"
    put = api.call("PUT", f"{DP}/mappingSets/{created['id']}", body).json()
    assert put["version"] == 1
    v0 = api.call("GET", f"{DP}/mappingSets/{created['id']}?version=0").json()
    assert v0["mappings"][0]["destination"] == "personalEmail.address"
    assert v0["mappings"][0]["sourceType"] == "text/x.schema-path"
    assert api.call("GET", f"{DP}/mappingSets/{created['id']}").json()["version"] == 1
    body["mappings"][0]["destination"] = "no.such.field"
    assert api.call("PUT", f"{DP}/mappingSets/{created['id']}", body).status_code == 400


def test_runs_appear_as_the_schedule_comes_due(tmp_path: Path) -> None:
    now = [1_700_000_000.0]
    http = httpx.Client(
        transport=Emulator(tmp_path / "s", clock=lambda: now[0]).transport(),
        base_url="https://p.test",
    )
    api = Api(http)
    ids = pipeline(api)
    body = dict(
        ids["flow_body"],
        name="hourly",
        scheduleParams={"startTime": 1_700_000_000, "frequency": "hour", "interval": 1},
    )
    flow = api.call("POST", FLOW + "/flows", body).json()["id"]
    now[0] += 3 * 3600 + 10
    runs = api.call("GET", f"{FLOW}/runs?property=flowId=={flow}").json()["items"]
    assert len(runs) == 4
    assert {r["metrics"]["statusSummary"]["status"] for r in runs} <= {"success", "failed"}
    assert all(r["flowId"] == flow for r in runs)


def test_state_is_shared_by_separate_instances(tmp_path: Path) -> None:
    a = Api(httpx.Client(transport=Emulator(tmp_path / "s").transport(), base_url="https://p.test"))
    conn = sf_connection(a)
    b = Api(httpx.Client(transport=Emulator(tmp_path / "s").transport(), base_url="https://p.test"))
    assert b.call("GET", f"{FLOW}/connections/{conn}").status_code == 200


def test_lost_fault_writes_then_drops_the_answer(tmp_path: Path) -> None:
    em = Emulator(tmp_path / "s", faults="lost=1.0", seed=1)
    http = httpx.Client(transport=em.transport(), base_url="https://p.test")
    api = Api(http)
    with pytest.raises(httpx.ReadTimeout):
        api.call(
            "POST",
            FLOW + "/connections",
            {
                "name": "x",
                "auth": {
                    "specName": "Basic Authentication",
                    "params": {"username": "u", "password": "p", "securityToken": "t"},
                },
                "connectionSpec": {"id": SF, "version": "1.0"},
            },
        )
    em.faults = []
    assert len(api.call("GET", FLOW + "/connections").json()["items"]) == 1


def test_429_fault_carries_retry_after(tmp_path: Path) -> None:
    em = Emulator(tmp_path / "s", faults="429=1.0")
    api = Api(httpx.Client(transport=em.transport(), base_url="https://p.test"))
    r = api.call("GET", FLOW + "/connections")
    assert (r.status_code, r.headers["Retry-After"], r.json()) == (
        429,
        "1",
        {"error_code": "429050", "message": "Too many requests"},
    )


def test_latency_does_not_serialise_concurrent_requests(tmp_path: Path) -> None:
    em = Emulator(tmp_path / "s", latency_ms=200)
    api = Api(httpx.Client(transport=em.transport(), base_url="https://p.test"))
    threads = [
        threading.Thread(target=api.call, args=("GET", FLOW + "/connections")) for _ in range(8)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 8 requests of 200 ms each overlap: far less than 8 x 200 ms.
    assert time.monotonic() - started < 1.2


def test_stats_count_requests_per_path_template(tmp_path: Path) -> None:
    em = Emulator(tmp_path / "s")
    api = Api(httpx.Client(transport=em.transport(), base_url="https://p.test"))
    conn = sf_connection(api)
    api.call("GET", f"{FLOW}/connections/{conn}")
    em.flush_stats()
    stats = Emulator(tmp_path / "s").stats()
    assert stats["by_endpoint"] == {
        "GET /data/foundation/flowservice/connections/{id}": 1,
        "POST /data/foundation/flowservice/connections": 1,
    }
    em.reset()
    assert Emulator(tmp_path / "s").stats() == {"requests": 0, "by_endpoint": {}}


def test_served_on_loopback(tmp_path: Path) -> None:
    urls: list[str] = []
    ready = threading.Event()
    stop = threading.Event()

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    thread = threading.Thread(
        target=serve,
        kwargs={
            "host": "127.0.0.1",
            "port": 0,
            "state_dir": tmp_path / "s",
            "ready": on_ready,
            "stop": stop,
        },
        daemon=True,
    )
    thread.start()
    assert ready.wait(5)
    try:
        with httpx.Client(base_url=urls[0]) as http:
            api = Api(http)
            ids = pipeline(api)
            assert (
                api.call("GET", f"{FLOW}/flows/{ids['flow']}").json()["items"][0]["id"]
                == ids["flow"]
            )
            assert api.call("GET", SR + "/stats").json()["tenantId"] == "aepflowlocal"
    finally:
        stop.set()
        thread.join(5)

"""Fixtures: an emulator on a fake clock, and a small API client that speaks to it over httpx."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from aepflow.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORG_ID,
    EMBEDDED_BASE_URL,
    Emulator,
)

FLOW = "/data/foundation/flowservice"
SCHEMA = "/data/foundation/schemaregistry"
CATALOG = "/data/foundation/catalog"
PREP = "/data/foundation/conversion"
TENANT = "aepflowlocal"

SALESFORCE = "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5"
SERVICE_CLOUD = "cb66ab34-8619-49cb-96d1-39b37ede86ea"
SERVICENOW = "eb13cb25-47ab-407f-ba89-c0125281c563"
DYNAMICS = "38ad80fe-8b06-4938-94f4-d4ee80266b07"
DATA_LAKE = "c604ff05-7f1a-43c0-8e18-33bf874cb11c"
CRM_TO_AEP = "14518937-270c-4525-bdec-c2ba7cce3860"
PROFILE = "https://ns.adobe.com/xdm/context/profile"
PERSON = "https://ns.adobe.com/xdm/context/profile-person-details"
PERSONAL = "https://ns.adobe.com/xdm/context/profile-personal-details"
IDENTITY_MAP = "https://ns.adobe.com/xdm/context/identitymap"
XED_FULL = "application/vnd.adobe.xed-full+json;version=1"

START = 1_800_000_000.0  # 2027-01-15T08:00:00Z, the fake clock's start


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _no_knobs(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith("AEPFLOW_EMULATOR_")]:
        monkeypatch.delenv(var)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "emulator"


@pytest.fixture
def emulator(state_dir: Path, clock: Clock) -> Emulator:
    return Emulator(state_dir, clock=clock)


class Api:
    """Requests to the emulator with a token and the AEP headers, per sandbox."""

    def __init__(self, emulator: Emulator, sandbox: str = "prod") -> None:
        self.emulator = emulator
        self.http = httpx.Client(transport=emulator.transport(), base_url=EMBEDDED_BASE_URL)
        self.sandbox = sandbox
        self.token = token(self.http)

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "x-api-key": DEFAULT_CLIENT_ID,
            "x-gw-ims-org-id": DEFAULT_ORG_ID,
            "x-sandbox-name": self.sandbox,
            **extra,
        }

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.http.request(
            method, path, json=json, params=params, headers={**self.headers(), **(headers or {})}
        )

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, json=body, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, json=body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, json=body, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def xed(self, path: str, accept: str = XED_FULL.replace(";", "; ")) -> httpx.Response:
        return self.get(path, headers={"Accept": accept})

    # -- builders of the usual objects --------------------------------------------------------

    def created(self, response: httpx.Response) -> str:
        assert response.status_code in (200, 201), response.text
        body = response.json()
        if isinstance(body, list):
            return str(body[0]).rsplit("/", 1)[-1]
        return str(body.get("id") or body.get("$id") or body["@id"])

    def connection(self, name: str = "crm", **auth: str) -> str:
        return self.created(self.post(f"{FLOW}/connections", connection_body(name, **auth)))

    def source(self, base: str, table: str = "Contact", name: str = "crm contacts") -> str:
        body = source_body(base, table, name)
        return self.created(self.post(f"{FLOW}/sourceConnections", body))

    def schema(self, title: str = "Contacts", groups: tuple[str, ...] = (PERSON, PERSONAL)) -> str:
        return self.created(self.post(f"{SCHEMA}/tenant/schemas", schema_body(title, groups)))

    def dataset(self, schema: str, name: str = "contacts", **extra: Any) -> str:
        body = {"name": name, "schemaRef": {"id": schema, "contentType": XED_FULL}, **extra}
        return self.created(self.post(f"{CATALOG}/dataSets", body))

    def target(self, schema: str, dataset: str, name: str = "lake") -> str:
        return self.created(
            self.post(f"{FLOW}/targetConnections", target_body(schema, dataset, name))
        )

    def mapping(self, schema: str, mappings: list[dict[str, Any]] | None = None) -> str:
        return self.created(self.post(f"{PREP}/mappingSets", mapping_body(schema, mappings)))

    def flow(self, source: str, target: str, mapping: str, **overrides: Any) -> str:
        body = flow_body(source, target, mapping, **overrides)
        return self.created(self.post(f"{FLOW}/flows", body))

    def etag(self, collection: str, obj_id: str) -> str:
        return str(self.get(f"{FLOW}/{collection}/{obj_id}").json()["items"][0]["etag"])


def token(http: httpx.Client, secret: str = DEFAULT_CLIENT_SECRET) -> str:
    response = http.post(
        "https://ims.example/ims/token/v3",
        data={
            "grant_type": "client_credentials",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": secret,
            "scope": "openid,AdobeID,read_organizations",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def connection_body(name: str = "crm", **auth: str) -> dict[str, Any]:
    params = auth or {
        "environmentUrl": "https://acme.my.salesforce.com",
        "username": "crm-reader@acme.example",
        "password": "s3cret-Passw0rd",
        "securityToken": "tok-Secret-42",
    }
    return {
        "name": name,
        "description": "the CRM",
        "auth": {"specName": "Basic Authentication", "params": params},
        "connectionSpec": {"id": SALESFORCE, "version": "1.0"},
    }


def source_body(base: str, table: str = "Contact", name: str = "crm contacts") -> dict[str, Any]:
    return {
        "name": name,
        "baseConnectionId": base,
        "data": {"format": "tabular"},
        "params": {
            "tableName": table,
            "columns": [{"name": "Email", "type": "string", "xdm": {"type": "string"}}],
        },
        "connectionSpec": {"id": SALESFORCE, "version": "1.0"},
    }


def schema_body(title: str, groups: tuple[str, ...] = (PERSON, PERSONAL)) -> dict[str, Any]:
    return {
        "title": title,
        "description": "people from the CRM",
        "type": "object",
        "allOf": [{"$ref": PROFILE}] + [{"$ref": g} for g in groups],
    }


def target_body(schema: str, dataset: str, name: str = "lake") -> dict[str, Any]:
    return {
        "name": name,
        "data": {"schema": {"id": schema, "version": XED_FULL}},
        "params": {"dataSetId": dataset},
        "connectionSpec": {"id": DATA_LAKE, "version": "1.0"},
    }


def mapping_body(schema: str, mappings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "outputSchema": {"schemaRef": {"id": schema, "contentType": XED_FULL}},
        "mappings": mappings
        or [
            {
                "sourceType": "ATTRIBUTE",
                "source": "FirstName",
                "destination": "person.name.firstName",
            },
            {
                "sourceType": "EXPRESSION",
                "source": "lower(Email)",
                "destination": "personalEmail.address",
            },
        ],
    }


def flow_body(source: str, target: str, mapping: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "contacts flow",
        "description": "CRM contacts to the lake",
        "flowSpec": {"id": CRM_TO_AEP, "version": "1.0"},
        "sourceConnectionIds": [source],
        "targetConnectionIds": [target],
        "transformations": [
            {"name": "Copy", "params": {"deltaColumn": {"name": "LastModifiedDate"}}},
            {"name": "Mapping", "params": {"mappingId": mapping, "mappingVersion": 0}},
        ],
        "scheduleParams": {
            "startTime": str(int(START) + 3600),
            "frequency": "hour",
            "interval": "1",
        },
    }
    body.update(overrides)
    return body


@pytest.fixture
def api(emulator: Emulator) -> Iterator[Api]:
    client = Api(emulator)
    yield client
    client.http.close()


@dataclass
class World:
    """One complete pipeline: ids of every object a flow needs."""

    connection: str
    source: str
    schema: str
    dataset: str
    target: str
    mapping: str
    flow: str


@pytest.fixture
def world(api: Api) -> World:
    connection = api.connection()
    source = api.source(connection)
    schema = api.schema()
    dataset = api.dataset(schema)
    target = api.target(schema, dataset)
    mapping = api.mapping(schema)
    flow = api.flow(source, target, mapping)
    return World(connection, source, schema, dataset, target, mapping, flow)


def flow_error(response: httpx.Response) -> tuple[int, str, str]:
    """(status, FLOW code, detailed message) of a Flow Service error, its shape checked."""
    body = response.json()
    code = body["type"].rsplit("/", 1)[-1]
    assert body["type"] == f"https://ns.adobe.com/aep/errors/{code}"
    assert body["status"] == response.status_code
    assert body["errorMessage"] == body["report"]["detailed-message"]
    assert body["report"]["request-id"]
    return response.status_code, code, body["report"]["detailed-message"]


def xdm_error(response: httpx.Response) -> tuple[int, str, str, str]:
    """(status, XDM code, title, detail) of a Schema Registry error, its shape checked."""
    body = response.json()
    code = body["type"].rsplit("/", 1)[-1]
    assert body["type"] == f"http://ns.adobe.com/aep/errors/{code}"
    assert body["status"] == response.status_code
    assert body["report"]["detailed-message"] == body["detail"]
    assert body["report"]["sub-errors"] == []
    return response.status_code, code, body["title"], body["detail"]


def state_text(state_dir: Path) -> str:
    """Every byte the emulator keeps on disk: the snapshot and the journal of later changes."""
    return "".join(
        (state_dir / name).read_text() if (state_dir / name).exists() else ""
        for name in ("state.json", "state.journal")
    )

"""Each request the fidelity fixes changed, sent through the client and pinned with respx
against the documented example it follows (the doc path is in each test's docstring)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from aepflow.api import Request
from aepflow.errors import SourceLocation
from aepflow.kinds import KINDS
from aepflow.kinds.base import Resource, ref
from aepflow.model import ProjectModel, SchemaDef
from aepflow.platform import Credentials, PlatformClient

BASE = "https://platform.adobe.io"
IMS = "https://ims-na1.adobelogin.com"
LOC = SourceLocation("m.yaml", 1, 1)
S1 = "https://ns.adobe.com/acme/schemas/s1"


@pytest.fixture
def client() -> PlatformClient:
    return PlatformClient(
        credentials=Credentials("cid", "secret", "ORG@AdobeOrg", "openid"),
        sandbox="dev",
        platform_url=BASE,
        ims_url=IMS,
    )


def send(
    mock: respx.MockRouter, client: PlatformClient, request: Request, answer: Any
) -> httpx.Request:
    mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 86399})
    )
    route = mock.route(method=request.method, url__startswith=BASE + request.path).mock(
        return_value=httpx.Response(200, json=answer)
    )
    client.send(request)
    sent: httpx.Request = route.calls[0].request
    assert sent.headers["x-sandbox-name"] == "dev"
    assert sent.headers["x-gw-ims-org-id"] == "ORG@AdobeOrg"
    return sent


def body(sent: httpx.Request) -> Any:
    return json.loads(sent.content)


@respx.mock
def test_a_date_time_custom_field_is_a_string_with_a_format(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    """help/xdm/tutorials/custom-fields-api.md: DateTime fields are type string, format date-time."""
    s = SchemaDef("s", LOC, title="Accounts", class_id="https://ns.adobe.com/xdm/context/profile",
                  custom_fields={"createdAt": {"type": "date-time", "title": "Created"}})  # fmt: skip
    (r,) = KINDS["fieldGroup"].desired(ProjectModel(schemas={"s": s}), "acme")
    (create,) = KINDS["fieldGroup"].create(r, r.spec, "acme")
    sent = send(respx_mock, client, create, {"$id": "fg"})
    assert sent.url.path == "/data/foundation/schemaregistry/tenant/fieldgroups"
    fields = body(sent)["definitions"]["customFields"]["properties"]["_acme"]["properties"]
    assert fields == {"createdAt": {"type": "string", "format": "date-time", "title": "Created"}}


@respx.mock
def test_a_schema_joins_the_profile_union_by_a_plain_json_patch(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    """help/xdm/api/schemas.md ("Enable a schema for use in Real-Time Customer Profile")."""
    r = Resource("profile.s", "profile", {"schema": ref("schema.s"), "union": True}, LOC)
    (patch,) = KINDS["profile"].create(r, {"schema": S1, "union": True}, "acme")
    sent = send(respx_mock, client, patch, {"$id": S1})
    assert sent.method == "PATCH"
    assert (
        sent.url.raw_path.decode()
        == "/data/foundation/schemaregistry/tenant/schemas/https%3A%2F%2Fns.adobe.com%2Facme%2Fschemas%2Fs1"
    )
    assert sent.headers["content-type"] == "application/json"
    assert body(sent) == [{"op": "add", "path": "/meta:immutableTags", "value": ["union"]}]


@respx.mock
def test_a_dataset_is_created_with_request_data_source_and_enabled_by_json_patch(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    """help/catalog/api/create-dataset.md (requestDataSource=true) and
    help/catalog/datasets/enable-for-profile.md (JSON Patch, application/json-patch+json)."""
    spec = {"name": "Contacts", "description": "", "schema": S1, "profile": True, "identity": False}
    r = Resource("dataset.c", "dataset", {**spec, "schema": ref("schema.s")}, LOC)
    (create,) = KINDS["dataset"].create(r, spec, "acme")
    sent = send(respx_mock, client, create, ["@/dataSets/d1"])
    assert sent.url.params["requestDataSource"] == "true"
    assert body(sent)["tags"] == {"aepflow": ["dataset.c"], "unifiedProfile": ["enabled:true"]}
    live = KINDS["dataset"].live({"id": "d1", "name": "Contacts", "schemaRef": {"id": S1}})
    from aepflow.kinds.base import Change

    (update,) = KINDS["dataset"].update(r, spec, live, [Change("profile", False, True)], "acme")
    sent = send(respx_mock, client, update, {})
    assert sent.headers["content-type"] == "application/json-patch+json"
    assert body(sent) == [{"op": "add", "path": "/tags/unifiedProfile", "value": ["enabled:true"]}]


@respx.mock
def test_a_target_connection_writes_parquet_xdm(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    """help/sources/tutorials/api/collect/customer-success.md ("Create a target connection")."""
    spec = {"name": "t", "description": "", "dataset": "d1", "schema": S1}
    r = Resource("targetConnection.f", "targetConnection", spec, LOC)
    (create,) = KINDS["targetConnection"].create(r, spec, "acme")
    sent = send(respx_mock, client, create, {"id": "t1"})
    assert body(sent)["data"] == {
        "format": "parquet_xdm",
        "schema": {"id": S1, "version": "application/vnd.adobe.xed-full+json;version=1"},
    }
    assert body(sent)["connectionSpec"] == {
        "id": "c604ff05-7f1a-43c0-8e18-33bf874cb11c",
        "version": "1.0",
    }


@respx.mock
def test_a_salesforce_jwt_connection(respx_mock: respx.MockRouter, client: PlatformClient) -> None:
    """help/sources/tutorials/api/create/crm/salesforce.md (Experience Platform on AWS):
    specName OAuth2 JWT Token Credential, params jwtToken, clientId, clientSecret, instanceUrl."""
    spec = {
        "name": "sf", "description": "", "connectionSpec": "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5",
        "authSpec": "OAuth2 JWT Token Credential",
        "params": {"clientId": "id", "instanceUrl": "https://acme.my.salesforce.com"},
    }  # fmt: skip
    r = Resource(
        "connection.sf", "connection", spec, LOC, secrets={"jwtToken": "j", "clientSecret": "s"}
    )
    (create,) = KINDS["connection"].create(r, spec, "acme")
    filled = Request(
        create.method,
        create.path,
        json.loads(
            json.dumps(create.body)
            .replace('{"$secret": "jwtToken"}', '"j"')
            .replace('{"$secret": "clientSecret"}', '"s"')
        ),
    )
    sent = send(respx_mock, client, filled, {"id": "c1"})
    assert body(sent)["auth"] == {
        "specName": "OAuth2 JWT Token Credential",
        "params": {
            "clientId": "id",
            "instanceUrl": "https://acme.my.salesforce.com",
            "clientSecret": "s",
            "jwtToken": "j",
        },
    }


@respx.mock
def test_a_flow_with_partial_ingestion_and_diagnostics(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    """help/ingestion/batch-ingestion/partial.md: the flow's top-level options."""
    spec = {
        "name": "f", "description": "", "sourceConnection": "s1", "targetConnection": "t1",
        "deltaColumn": {"name": "LastModifiedDate"}, "mappingId": "m1", "mappingVersion": 0,
        "schedule": {"startTime": 1900000000, "frequency": "hour", "interval": 1},
        "enabled": True, "options": {"partialIngestionPercent": 5, "errorDiagnosticsEnabled": True},
    }  # fmt: skip
    (create,) = KINDS["flow"].create(Resource("flow.f", "flow", spec, LOC), spec, "acme")
    sent = send(respx_mock, client, create, {"id": "f1"})
    assert body(sent)["options"] == {"partialIngestionPercent": 5, "errorDiagnosticsEnabled": True}
    assert body(sent)["flowSpec"] == {
        "id": "14518937-270c-4525-bdec-c2ba7cce3860",
        "version": "1.0",
    }


@respx.mock
def test_a_static_true_is_sent_as_true(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    """help/data-prep/api/mapping-set.md: a static value is the literal, here true."""
    from aepflow.manifest.walk import static_text

    spec = {
        "schema": S1,
        "mappings": [
            {"sourceType": "STATIC", "source": static_text(True), "destination": "_acme.active"}
        ],
    }
    (create,) = KINDS["mappingSet"].create(
        Resource("mappingSet.f", "mappingSet", spec, LOC), spec, "acme"
    )
    sent = send(respx_mock, client, create, {"id": "m1", "version": 0})
    assert body(sent)["mappings"] == [
        {"sourceType": "STATIC", "source": "true", "destination": "_acme.active"}
    ]


@respx.mock
def test_descriptors_are_listed_page_by_page_with_the_v2_accept(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    """help/xdm/api/descriptors.md: Accept application/vnd.adobe.xdm-v2+json."""
    respx_mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 86399})
    )
    route = respx_mock.get(BASE + "/data/foundation/schemaregistry/tenant/descriptors").mock(
        side_effect=[
            httpx.Response(200, json={"results": [{"@id": "a"}], "_page": {"next": "a"}}),
            httpx.Response(200, json={"results": [{"@id": "b"}], "_page": {"next": None}}),
        ]
    )
    query = KINDS["descriptor"].list_all([])
    assert query is not None
    assert [d["@id"] for d in client.list(query)] == ["a", "b"]
    assert route.calls[0].request.headers["accept"] == "application/vnd.adobe.xdm-v2+json"
    assert route.calls[1].request.url.params["start"] == "a"

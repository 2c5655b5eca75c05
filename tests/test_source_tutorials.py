"""Each source's requests against its Flow Service tutorial (help/sources/tutorials/api/create/...),
and the emulator's connection specs against the connector entries."""

from __future__ import annotations

from typing import Any

import pytest

from aepflow.connectors import CONNECTORS, REST_FLOW_SPEC_ID
from aepflow.emulator import specs
from aepflow.engine.sourcecheck import rest_request
from aepflow.errors import SourceLocation
from aepflow.kinds.base import Resource
from aepflow.kinds.flow import KIND as FLOW
from aepflow.kinds.source_connection import KIND as SOURCE

AT = SourceLocation("manifests/x.yaml", 1, 1)

# key -> (connectionSpec id, auth.specName, auth.params) as each tutorial's base connection
# request sends them.
TUTORIALS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # create/crm/salesforce.md
    "salesforce": (
        "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5",
        "OAuth2 Client Credential",
        ("environmentUrl", "clientId", "clientSecret", "apiVersion", "includeDeletedObjects"),
    ),
    # create/customer-success/salesforce-service-cloud.md
    "salesforce-service-cloud": (
        "cb66ab34-8619-49cb-96d1-39b37ede86ea",
        "OAuth2 Client Credential",
        ("environmentUrl", "clientId", "clientSecret", "apiVersion", "includeDeletedObjects"),
    ),
    # create/customer-success/servicenow.md
    "servicenow": (
        "eb13cb25-47ab-407f-ba89-c0125281c563",
        "Basic Authentication",
        ("endpoint", "username", "password"),
    ),
    # create/crm/ms-dynamics.md
    "dynamics": (
        "38ad80fe-8b06-4938-94f4-d4ee80266b07",
        "Basic Authentication for Dynamics-Online",
        ("serviceUri", "username", "password"),
    ),
    # create/marketing-automation/hubspot.md
    "hubspot": (
        "cc6a4487-9e91-433e-a3a3-9cf6626c1806",
        "Basic Authentication",
        ("clientId", "clientSecret", "accessToken", "refreshToken"),
    ),
    # create/crm/veeva.md
    "veeva": (
        "fcad62f3-09b0-41d3-be11-449d5a621b69",
        "Basic Authentication",
        ("environmentUrl", "username", "password", "securityToken"),
    ),
    # create/crm/zoho.md
    "zoho": (
        "929e4450-0237-4ed2-9404-b7e1e0a00309",
        "Basic Authentication",
        ("endpoint", "accountsUrl", "clientId", "clientSecret", "accessToken", "refreshToken"),
    ),
    # create/customer-success/oracle-service-cloud.md
    "oracle-service-cloud": (
        "ba5126ec-c9ac-11eb-b8bc-0242ac130003",
        "Basic Authentication",
        ("host", "username", "password"),
    ),
    # create/customer-success/zendesk.md
    "zendesk": (
        "0a27232b-2c6e-4396-b8c6-c9fc24e37ba4",
        "OAuth2 Refresh Code",
        ("subdomain", "accessToken"),
    ),
    # create/crm/sugarcrm-accounts-contacts.md
    "sugarcrm": (
        "59a4b493-a615-40f9-bd38-f823d0909a2b",
        "OAuth2 Refresh Code",
        ("host", "username", "password"),
    ),
    # create/crm/sugarcrm-events.md
    "sugarcrm-events": (
        "59a4b493-a615-40f9-bd38-f823d0909a2b",
        "OAuth2 Refresh Code",
        ("host", "username", "password"),
    ),
    # create/crm/sap-hybris-subscription-billing-customers-and-contacts.md
    "sap-subscription-billing": (
        "d8ee38de-7ae9-4058-9610-c79ce75f8e92",
        "OAuth2 Client Credential",
        ("region", "clientId", "clientSecret", "tokenEndpoint"),
    ),
}


def test_every_connector_is_pinned_to_a_tutorial() -> None:
    assert set(TUTORIALS) == set(CONNECTORS)


@pytest.mark.parametrize("key", sorted(TUTORIALS))
def test_the_entry_sends_the_tutorials_spec_id_auth_spec_and_params(key: str) -> None:
    spec_id, spec_name, params = TUTORIALS[key]
    connector = CONNECTORS[key]
    assert connector.spec_id == spec_id
    [auth] = [a for a in connector.auth_types.values() if a.spec_name == spec_name]
    assert set(auth.params) == set(params)
    assert connector.doc.startswith("help/sources/tutorials/api/create/")


def test_oauth2_jwt_only_where_a_tutorial_documents_it() -> None:
    """create/crm/salesforce.md documents the JWT (Experience Platform on AWS); the Service
    Cloud tutorial documents basic and OAuth 2 client credentials only."""
    assert [k for k, c in CONNECTORS.items() if "oauth2-jwt" in c.auth_types] == ["salesforce"]
    cloud = specs.connection_specs()["cb66ab34-8619-49cb-96d1-39b37ede86ea"]
    assert [a["name"] for a in cloud["authSpec"]] == [
        "Basic Authentication",
        "OAuth2 Client Credential",
    ]


@pytest.mark.parametrize("key", sorted(CONNECTORS))
def test_the_emulator_spec_agrees_with_the_entry(key: str) -> None:
    connector = CONNECTORS[key]
    served = specs.connection_specs()[connector.spec_id]
    for auth in connector.auth_types.values():
        found = specs.auth_spec(served, auth.spec_name)
        assert found is not None, auth.spec_name
        assert set(found["spec"]["required"]) <= set(auth.params)
        assert set(auth.required) >= set(found["spec"]["required"])
        assert specs.secret_params(served, auth.spec_name) == auth.secrets
    assert specs.is_rest(served) == (connector.rest is not None)


def test_rest_explore_requests_are_the_tutorials() -> None:
    """create/crm/sugarcrm-accounts-contacts.md and sugarcrm-events.md."""
    accounts = rest_request("f5421911-6f6c-41c7-aafa-5d9d2ce51535", "accounts")
    assert accounts.path.endswith("/connections/f5421911-6f6c-41c7-aafa-5d9d2ce51535/explore")
    assert accounts.params == (
        ("objectType", "rest"),
        ("object", "json"),
        ("fileType", "json"),
        ("preview", "true"),
        ("sourceParams", "eyJvYmplY3RfdHlwZSI6ImFjY291bnRzIn0="),
    )
    contacts = rest_request("c", "contacts")
    assert contacts.params[-1] == ("sourceParams", "eyJvYmplY3RfdHlwZSI6ImNvbnRhY3RzIn0=")
    # {} in base64 (sugarcrm-events.md; zendesk.md prints it without the padding).
    assert rest_request("c", "json").params[-1] == ("sourceParams", "e30=")


def _source(spec: dict[str, Any]) -> dict[str, Any]:
    r = Resource("sourceConnection.x", "sourceConnection", spec, AT)
    [request] = SOURCE.create(r, {**spec, "baseConnection": "BASE"}, "t")
    body: dict[str, Any] = request.body
    return {k: v for k, v in body.items() if k not in ("name", "description")}


def test_rest_source_connection_bodies_are_the_tutorials() -> None:
    head = {"name": "n", "description": "d", "baseConnection": "BASE", "format": "json"}
    # create/customer-success/zendesk.md
    assert _source({**head, "connectionSpec": CONNECTORS["zendesk"].source_spec_id}) == {
        "baseConnectionId": "BASE",
        "connectionSpec": {"id": "0a27232b-2c6e-4396-b8c6-c9fc24e37ba4", "version": "1.0"},
        "data": {"format": "json"},
        "params": {},
    }
    # create/crm/sugarcrm-accounts-contacts.md
    sugar = CONNECTORS["sugarcrm"].source_spec_id
    assert _source({**head, "connectionSpec": sugar, "object": "accounts"}) == {
        "baseConnectionId": "BASE",
        "connectionSpec": {"id": "63d2b27b-69a5-45c9-a7fe-78148a25de3c", "version": "1.0"},
        "data": {"format": "json"},
        "params": {"object_type": "accounts", "path": "accounts"},
    }


def test_a_rest_flow_is_the_tutorials() -> None:
    """create/customer-success/zendesk.md: the REST flow spec, a Mapping transformation only."""
    spec = {
        "name": "Zendesk dataflow",
        "description": "",
        "sourceConnection": "S",
        "targetConnection": "T",
        "deltaColumn": {},
        "mappingId": "M",
        "mappingVersion": 0,
        "schedule": {"startTime": 1625040887, "frequency": "minute", "interval": 15},
        "enabled": True,
        "flowSpec": REST_FLOW_SPEC_ID,
    }
    r = Resource("flow.x", "flow", spec, AT)
    [request] = FLOW.create(r, spec, "t")
    assert request.body["flowSpec"] == {
        "id": "6499120c-0b15-42dc-936e-847ea3c24d72",
        "version": "1.0",
    }
    assert request.body["transformations"] == [
        {"name": "Mapping", "params": {"mappingId": "M", "mappingVersion": 0}}
    ]

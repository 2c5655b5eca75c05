"""A sandbox made by hand through the documented HTTP API, as a team builds it in the UI: the
requests of the tutorials, with every option aepflow manages.

Requests follow help/sources/tutorials/api/create/crm/salesforce.md and ms-dynamics.md
(connections), help/sources/tutorials/api/collect/crm.md (source and target connections,
flows), help/sources/tutorials/api/filter.md (row filters), help/xdm/api/field-groups.md,
schemas.md and descriptors.md, help/catalog/api/create-dataset.md and
help/catalog/datasets/enable-for-profile.md, and help/data-prep/api/mapping-set.md.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from aepflow.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORG_ID

FLOW = "/data/foundation/flowservice"
SCHEMAS = "/data/foundation/schemaregistry"
CATALOG = "/data/foundation/catalog"
CONVERSION = "/data/foundation/conversion"
CRM_TO_AEP = {"id": "14518937-270c-4525-bdec-c2ba7cce3860", "version": "1.0"}
SALESFORCE = {"id": "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5", "version": "1.0"}
DYNAMICS = {"id": "38ad80fe-8b06-4938-94f4-d4ee80266b07", "version": "1.0"}
DATA_LAKE = {"id": "c604ff05-7f1a-43c0-8e18-33bf874cb11c", "version": "1.0"}
XED_FULL = "application/vnd.adobe.xed-full+json;version=1"
START = "1900000000"  # 2030-03-17: a start time still ahead


class Http:
    """A user's own client: a token from IMS, then the documented requests."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        token = client.post(
            "/ims/token/v3",
            data={
                "grant_type": "client_credentials",
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "scope": "openid,AdobeID,read_organizations",
            },
        ).json()["access_token"]
        self.headers = {
            "Authorization": f"Bearer {token}",
            "x-api-key": DEFAULT_CLIENT_ID,
            "x-gw-ims-org-id": DEFAULT_ORG_ID,
            "x-sandbox-name": "prod",
        }

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        sent = {"Content-Type": "application/json", **self.headers, **headers}
        content = None if body is None else json.dumps(body).encode()
        response = self.client.request(method, path, content=content, headers=sent)
        assert response.status_code < 300, (method, path, response.text)
        return response.json() if response.content else None

    def flow_patch(self, collection: str, id: str, ops: list[dict[str, Any]]) -> None:
        etag = self.call("GET", f"{FLOW}/{collection}/{id}")["items"][0]["etag"]
        self.call("PATCH", f"{FLOW}/{collection}/{id}", ops, **{"If-Match": etag})


def build_by_hand(http: Http) -> dict[str, str]:
    """Two pipelines as a team makes them in the UI, with every option aepflow manages."""
    ids: dict[str, str] = {}
    tenant = http.call("GET", f"{SCHEMAS}/stats")["tenantId"]
    ids["tenant"] = tenant
    # Salesforce with a JWT, on Experience Platform on AWS (create/crm/salesforce.md): AEP
    # adds auth.params.orgId once the connection is enabled.
    ids["sf"] = http.call(
        "POST",
        f"{FLOW}/connections",
        {
            "name": "Salesforce prod",
            "description": "Made in the UI",
            "auth": {
                "specName": "OAuth2 JWT Token Credential",
                "params": {
                    "jwtToken": "sf-jwt",
                    "clientId": "sf-client",
                    "clientSecret": "sf-secret",
                    "instanceUrl": "https://acme.my.salesforce.com",
                },
            },
            "connectionSpec": SALESFORCE,
        },
    )["id"]
    ids["org"] = http.call("GET", f"{FLOW}/connections/{ids['sf']}")["items"][0]["auth"]["params"][
        "orgId"
    ]
    # Microsoft Dynamics, basic (create/crm/ms-dynamics.md).
    ids["dyn"] = http.call(
        "POST",
        f"{FLOW}/connections",
        {
            "name": "Dynamics prod",
            "auth": {
                "specName": "Basic Authentication for Dynamics-Online",
                "params": {
                    "serviceUri": "https://acme.crm.dynamics.com",
                    "username": "dyn-user",
                    "password": "dyn-password",
                },
            },
            "connectionSpec": DYNAMICS,
        },
    )["id"]
    # A schema with standard and custom field groups, an identity, in the Profile union.
    group = http.call(
        "POST",
        f"{SCHEMAS}/tenant/fieldgroups",
        {
            "title": "Loyalty members fields",
            "description": "CRM fields",
            "type": "object",
            "meta:intendedToExtend": ["https://ns.adobe.com/xdm/context/profile"],
            "definitions": {
                "customFields": {
                    "properties": {
                        f"_{tenant}": {
                            "type": "object",
                            "properties": {
                                "crmId": {"type": "string", "title": "CRM id"},
                                "tier": {"type": "string", "title": "Tier"},
                            },
                        }
                    }
                }
            },
            "allOf": [{"$ref": "#/definitions/customFields"}],
        },
    )["$id"]
    schema = http.call(
        "POST",
        f"{SCHEMAS}/tenant/schemas",
        {
            "type": "object",
            "title": "Loyalty members",
            "description": "Profiles from the CRM",
            "allOf": [
                {"$ref": "https://ns.adobe.com/xdm/context/profile"},
                {"$ref": "https://ns.adobe.com/xdm/context/profile-person-details"},
                {"$ref": "https://ns.adobe.com/xdm/context/profile-personal-details"},
                {"$ref": group},
            ],
        },
    )["$id"]
    ids["schema"] = schema
    http.call(
        "POST",
        f"{SCHEMAS}/tenant/descriptors",
        {
            "@type": "xdm:descriptorIdentity",
            "xdm:sourceSchema": schema,
            "xdm:sourceVersion": 1,
            "xdm:sourceProperty": "/personalEmail/address",
            "xdm:namespace": "Email",
            "xdm:property": "xdm:code",
            "xdm:isPrimary": True,
        },
    )
    http.call(
        "PATCH",
        f"{SCHEMAS}/tenant/schemas/{_quote(schema)}",
        [{"op": "add", "path": "/meta:immutableTags", "value": ["union"]}],
    )
    for key, name, profile in (("ds_sf", "Loyalty members", True), ("ds_dyn", "Contacts", False)):
        body: dict[str, Any] = {
            "name": name,
            "schemaRef": {"id": schema, "contentType": XED_FULL},
        }
        if profile:
            body["tags"] = {"unifiedProfile": ["enabled:true"], "unifiedIdentity": ["enabled:true"]}
        made = http.call("POST", f"{CATALOG}/dataSets?requestDataSource=true", body)
        ids[key] = made[0].rsplit("/", 1)[-1]
    # Salesforce: a row filter, a delta column, every kind of mapping, error handling.
    source = http.call(
        "POST",
        f"{FLOW}/sourceConnections",
        {
            "name": "Contacts source",
            "baseConnectionId": ids["sf"],
            "data": {"format": "tabular"},
            "params": {
                "tableName": "Contact",
                "columns": [
                    {"name": n, "type": "string", "xdm": {"type": "string"}}
                    for n in ("Id", "FirstName", "Email", "LastModifiedDate")
                ],
                "filters": {
                    "type": "PQL",
                    "format": "pql/json",
                    "value": {
                        "nodeType": "fnApply",
                        "fnName": "and",
                        "params": [
                            {
                                "nodeType": "fnApply",
                                "fnName": "=",
                                "params": [
                                    {"nodeType": "fieldLookup", "fieldName": "FirstName"},
                                    {"nodeType": "literal", "value": "Ada"},
                                ],
                            },
                            {
                                "nodeType": "fnApply",
                                "fnName": "NOT",
                                "params": [
                                    {
                                        "nodeType": "fnApply",
                                        "fnName": "isNull",
                                        "params": [
                                            {"nodeType": "fieldLookup", "fieldName": "Email"}
                                        ],
                                    }
                                ],
                            },
                        ],
                    },
                },
            },
            "connectionSpec": SALESFORCE,
        },
    )["id"]
    mapping = http.call(
        "POST",
        f"{CONVERSION}/mappingSets",
        {
            "outputSchema": {"schemaRef": {"id": schema, "contentType": XED_FULL}},
            "mappings": [
                {"sourceType": "ATTRIBUTE", "source": "Id", "destination": f"_{tenant}.crmId"},
                {
                    "sourceType": "EXPRESSION",
                    "source": "lower(Email)",
                    "destination": "personalEmail.address",
                },
                {"sourceType": "STATIC", "source": "gold", "destination": f"_{tenant}.tier"},
                {
                    "sourceType": "ATTRIBUTE",
                    "source": "FirstName",
                    "destination": "person.name.firstName",
                },
            ],
        },
    )["id"]
    ids["flow_sf"] = _flow(
        http,
        "Loyalty members from Salesforce",
        source,
        _target(http, "Loyalty target", schema, ids["ds_sf"]),
        mapping,
        {"name": "LastModifiedDate", "dateFormat": "YYYY-MM-DD", "timezone": "UTC"},
        {"startTime": START, "frequency": "hour", "interval": "1", "backfill": "true"},
        {"partialIngestionPercent": 5, "errorDiagnosticsEnabled": True},
    )
    # A flow whose row filter compares two columns: not expressible, so skipped with why.
    lead = http.call(
        "POST",
        f"{FLOW}/sourceConnections",
        {
            "name": "Leads source",
            "baseConnectionId": ids["sf"],
            "data": {"format": "tabular"},
            "params": {
                "tableName": "Lead",
                "filters": {
                    "type": "PQL",
                    "format": "pql/json",
                    "value": {
                        "nodeType": "fnApply",
                        "fnName": "=",
                        "params": [
                            {"nodeType": "fieldLookup", "fieldName": "Email"},
                            {"nodeType": "fieldLookup", "fieldName": "Phone"},
                        ],
                    },
                },
            },
            "connectionSpec": SALESFORCE,
        },
    )["id"]
    ids["flow_lead"] = _flow(
        http,
        "Leads",
        lead,
        _target(http, "Leads target", schema, ids["ds_dyn"]),
        http.call(
            "POST",
            f"{CONVERSION}/mappingSets",
            {
                "outputSchema": {"schemaRef": {"id": schema, "contentType": XED_FULL}},
                "mappings": [
                    {
                        "sourceType": "ATTRIBUTE",
                        "source": "Email",
                        "destination": "personalEmail.address",
                    }
                ],
            },
        )["id"],
        {"name": "LastModifiedDate"},
        {"startTime": START, "frequency": "hour", "interval": "1"},
        {},
    )
    # Dynamics: a view with a primary key, a quarter-hour schedule without backfill, disabled.
    source = http.call(
        "POST",
        f"{FLOW}/sourceConnections",
        {
            "name": "Dynamics contacts",
            "baseConnectionId": ids["dyn"],
            "data": {"format": "tabular"},
            "params": {"tableName": "contact", "entityType": "view", "primaryKey": "contactid"},
            "connectionSpec": DYNAMICS,
        },
    )["id"]
    mapping = http.call(
        "POST",
        f"{CONVERSION}/mappingSets",
        {
            "outputSchema": {"schemaRef": {"id": schema, "contentType": XED_FULL}},
            "mappings": [
                {
                    "sourceType": "ATTRIBUTE",
                    "source": "emailaddress1",
                    "destination": "personalEmail.address",
                }
            ],
        },
    )["id"]
    ids["flow_dyn"] = _flow(
        http,
        "Dynamics contacts",
        source,
        _target(http, "Dynamics target", schema, ids["ds_dyn"]),
        mapping,
        {"name": "modifiedon"},
        {"startTime": START, "frequency": "minute", "interval": "15", "backfill": "false"},
        {"errorDiagnosticsEnabled": True},
    )
    http.call("POST", f"{FLOW}/flows/{ids['flow_dyn']}/action?op=disable")
    return ids


def _quote(id: str) -> str:
    return quote(id, safe="")


def _target(http: Http, name: str, schema: str, dataset: str) -> str:
    body = {
        "name": name,
        "data": {"schema": {"id": schema, "version": XED_FULL}},
        "params": {"dataSetId": dataset},
        "connectionSpec": DATA_LAKE,
    }
    return str(http.call("POST", f"{FLOW}/targetConnections", body)["id"])


def _flow(
    http: Http,
    name: str,
    source: str,
    target: str,
    mapping: str,
    delta: dict[str, str],
    schedule: dict[str, str],
    options: dict[str, Any],
) -> str:
    body = {
        "name": name,
        "flowSpec": CRM_TO_AEP,
        "sourceConnectionIds": [source],
        "targetConnectionIds": [target],
        "transformations": [
            {"name": "Copy", "params": {"deltaColumn": delta}},
            {"name": "Mapping", "params": {"mappingId": mapping, "mappingVersion": 0}},
        ],
        "scheduleParams": schedule,
        "options": options,
    }
    return str(http.call("POST", f"{FLOW}/flows", body)["id"])

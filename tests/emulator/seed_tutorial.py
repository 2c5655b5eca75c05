"""The seed tutorial ("collect CRM data with source connectors and APIs"), request by request.

Bodies are the seeds' (shared/seeds/002, with the Salesforce connection body of the Salesforce
tutorial), their documented typos corrected: the connectionSpec id ``ccfc0fee1-...`` ->
``cfc0fee1-...``, the table ``Accounts`` -> ``Account``, the trailing comma in ``data``, the flow's
flowSpec (``9753525b-...``, the cloud-storage spec) -> CRMToAEP, and the Mapping transformation's
missing ``mappingVersion``. ``run`` takes a ``send`` function so the same requests go over httpx
and over curl.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aepflow.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORG_ID

# send(method, path_and_query, headers, json_body or None, form or None) -> (status, json or None)
Send = Callable[[str, str, dict[str, str], Any, dict[str, str] | None], tuple[int, Any]]

SALESFORCE = "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5"
CRM_TO_AEP = "14518937-270c-4525-bdec-c2ba7cce3860"
FLOW = "/data/foundation/flowservice"


def run(send: Send) -> dict[str, Any]:
    """Every step's answer is asserted; returns the ids made."""
    status, token = send(
        "POST",
        "/ims/token/v3",
        {"Content-Type": "application/x-www-form-urlencoded"},
        None,
        {
            "grant_type": "client_credentials",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "scope": "openid,AdobeID,read_organizations",
        },
    )
    assert status == 200 and token["token_type"] == "bearer" and token["expires_in"] == 86399
    headers = {
        "Authorization": f"Bearer {token['access_token']}",
        "x-api-key": DEFAULT_CLIENT_ID,
        "x-gw-ims-org-id": DEFAULT_ORG_ID,
        "x-sandbox-name": "prod",
        "Content-Type": "application/json",
    }
    ids: dict[str, Any] = {}

    def call(method: str, path: str, body: Any = None, **extra: str) -> tuple[int, Any]:
        return send(method, path, {**headers, **extra}, body, None)

    status, created = call(
        "POST",
        f"{FLOW}/connections",
        {
            "name": "Salesforce base connection",
            "description": "Base connection for Salesforce",
            "auth": {
                "specName": "Basic Authentication",
                "params": {
                    "username": "salesforce-user",
                    "password": "salesforce-password",
                    "securityToken": "salesforce-security-token",
                },
            },
            "connectionSpec": {"id": SALESFORCE, "version": "1.0"},
        },
    )
    assert status == 201 and set(created) == {"id", "etag"}
    ids["connection"] = created["id"]

    status, tables = call("GET", f"{FLOW}/connections/{ids['connection']}/explore?objectType=root")
    assert status == 200 and [t["path"] for t in tables] == ["Account", "Contact", "Lead"]
    status, table = call(
        "GET",
        f"{FLOW}/connections/{ids['connection']}/explore?objectType=table&object=Account&preview=true",
    )
    assert status == 200 and table["format"] == "flat" and len(table["data"]) == 5

    status, created = call(
        "POST",
        f"{FLOW}/sourceConnections",
        {
            "name": "Salesforce source connection",
            "baseConnectionId": ids["connection"],
            "description": "Salesforce source connection",
            "data": {"format": "tabular"},
            "params": {
                "tableName": "Account",
                "columns": [
                    {"name": "first_name", "type": "string", "xdm": {"type": "String"}},
                    {"name": "last_name", "type": "string", "xdm": {"type": "String"}},
                    {"name": "email", "type": "string", "xdm": {"type": "String"}},
                ],
            },
            "connectionSpec": {"id": SALESFORCE, "version": "1.0"},
        },
    )
    assert status == 201
    ids["source"] = created["id"]

    status, schema = call(
        "POST",
        "/data/foundation/schemaregistry/tenant/schemas",
        {
            "type": "object",
            "title": "Salesforce target XDM schema",
            "description": "Salesforce target XDM schema",
            "allOf": [
                {"$ref": "https://ns.adobe.com/xdm/context/profile"},
                {"$ref": "https://ns.adobe.com/xdm/context/profile-person-details"},
                {"$ref": "https://ns.adobe.com/xdm/context/profile-personal-details"},
            ],
            "meta:containerId": "tenant",
            "meta:resourceType": "schemas",
            "meta:xdmType": "object",
            "meta:class": "https://ns.adobe.com/xdm/context/profile",
        },
    )
    assert status == 201 and schema["version"] == "1.0"
    ids["schema"] = schema["$id"]

    status, refs = call(
        "POST",
        "/data/foundation/catalog/dataSets?requestDataSource=true",
        {
            "name": "Salesforce target dataset",
            "schemaRef": {
                "id": ids["schema"],
                "contentType": "application/vnd.adobe.xed-full-notext+json; version=1",
            },
        },
    )
    assert status == 201 and len(refs) == 1 and refs[0].startswith("@/dataSets/")
    ids["dataset"] = refs[0].rsplit("/", 1)[-1]

    status, created = call(
        "POST",
        f"{FLOW}/targetConnections",
        {
            "name": "Salesforce target connection",
            "description": "Salesforce target connection",
            "data": {
                "schema": {
                    "id": ids["schema"],
                    "version": "application/vnd.adobe.xed-full+json;version=1",
                }
            },
            "params": {"dataSetId": ids["dataset"]},
            "connectionSpec": {"id": "c604ff05-7f1a-43c0-8e18-33bf874cb11c", "version": "1.0"},
        },
    )
    assert status == 201
    ids["target"] = created["id"]

    legacy = {"identity": False, "identityGroup": None, "namespaceCode": None, "version": 0}
    status, mapping = call(
        "POST",
        "/data/foundation/conversion/mappingSets",
        {
            "version": 0,
            "xdmSchema": ids["schema"],
            "xdmVersion": "1.0",
            "id": None,
            "mappings": [
                {
                    "destinationXdmPath": "person.name.firstName",
                    "sourceAttribute": "first_name",
                    **legacy,
                },
                {
                    "destinationXdmPath": "person.name.lastName",
                    "sourceAttribute": "last_name",
                    **legacy,
                },
                {
                    "destinationXdmPath": "personalEmail.address",
                    "sourceAttribute": "email",
                    **legacy,
                },
            ],
        },
    )
    assert status == 200 and mapping["version"] == 0
    ids["mapping"] = mapping["id"]

    status, specs = call("GET", f"{FLOW}/flowSpecs?property=name==%22CRMToAEP%22")
    assert status == 200 and [s["id"] for s in specs["items"]] == [CRM_TO_AEP]

    status, created = call(
        "POST",
        f"{FLOW}/flows",
        {
            "name": "Salesforce dataflow",
            "description": "Salesforce dataflow",
            "flowSpec": {"id": CRM_TO_AEP, "version": "1.0"},
            "sourceConnectionIds": [ids["source"]],
            "targetConnectionIds": [ids["target"]],
            "transformations": [
                {
                    "name": "Copy",
                    "params": {
                        "deltaColumn": {
                            "name": "updatedAt",
                            "dateFormat": "YYYY-MM-DD",
                            "timezone": "UTC",
                        }
                    },
                },
                {"name": "Mapping", "params": {"mappingId": ids["mapping"], "mappingVersion": "0"}},
            ],
            "scheduleParams": {"startTime": "1567411548", "frequency": "minute", "interval": "30"},
        },
    )
    assert status == 201
    ids["flow"] = created["id"]

    status, listed = call("GET", f"{FLOW}/flows?property=name==Salesforce%20dataflow")
    assert status == 200 and [f["id"] for f in listed["items"]] == [ids["flow"]]
    etag = listed["items"][0]["etag"]

    ops = [{"op": "replace", "path": "/scheduleParams/frequency", "value": "hour"}]
    status, error = call("PATCH", f"{FLOW}/flows/{ids['flow']}", ops)
    assert status == 400 and error["type"].endswith("FLOW-1403-400")
    status, patched = call(
        "PATCH",
        f"{FLOW}/flows/{ids['flow']}",
        [*ops, {"op": "replace", "path": "/scheduleParams/interval", "value": "1"}],
        **{"If-Match": etag},
    )
    assert status == 200 and patched["etag"] != etag
    status, stale = call("PATCH", f"{FLOW}/flows/{ids['flow']}", ops, **{"If-Match": etag})
    assert status == 412 and stale["type"].endswith("FLOW-1404-412")

    status, action = call("POST", f"{FLOW}/flows/{ids['flow']}/action?op=disable")
    assert status == 200 and action["id"] == ids["flow"]
    status, got = call("GET", f"{FLOW}/flows/{ids['flow']}")
    assert status == 200 and got["items"][0]["state"] == "disabled"
    assert got["items"][0]["scheduleParams"]["frequency"] == "hour"

    status, refused = call("DELETE", f"{FLOW}/connections/{ids['connection']}")
    assert status == 400 and refused["type"].endswith("FLOW-1418-400")
    status, _ = call("DELETE", f"{FLOW}/flows/{ids['flow']}")
    assert status == 204
    status, gone = call("GET", f"{FLOW}/flows/{ids['flow']}")
    assert status == 404 and gone["type"] == "https://ns.adobe.com/aep/errors/FLOW-1439-404"
    return ids

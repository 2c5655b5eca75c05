"""Flow Service specs and connections: base, source and target (help/sources/tutorials/api/collect/crm.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.emulator.conftest import (
    CRM_TO_AEP,
    DATA_LAKE,
    DYNAMICS,
    FLOW,
    SALESFORCE,
    SERVICE_CLOUD,
    SERVICENOW,
    START,
    Api,
    World,
    connection_body,
    flow_error,
    source_body,
    state_text,
    target_body,
)

ETAG = re.compile(r'^"[0-9a-f]{8}-0000-0200-0000-[0-9a-f]{12}"$')
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


# -- specs ------------------------------------------------------------------------------------


def test_connection_specs_list_and_lookup(api: Api) -> None:
    listed = api.get(f"{FLOW}/connectionSpecs").json()
    assert [s["name"] for s in listed["items"]] == [
        "salesforce",
        "salesforce-service-cloud",
        "service-now",
        "dynamics-online",
        "hubspot",
        "veeva",
        "zoho-crm",
        "oracle-service-cloud",
        "zendesk",
        "generic-rest",
        "sap-subscription-billing",
        "generic-rest-source",
        "google-adwords",
        "Data Lake",
    ]
    assert listed["_links"] == {}
    by_name = api.get(f"{FLOW}/connectionSpecs", params={"property": 'name=="service-now"'})
    (spec,) = by_name.json()["items"]
    assert spec["id"] == SERVICENOW
    assert spec["authSpec"][0]["name"] == "Basic Authentication"
    assert spec["authSpec"][0]["spec"]["required"] == ["endpoint", "username", "password"]
    assert spec["authSpec"][0]["spec"]["properties"]["password"]["format"] == "password"
    single = api.get(f"{FLOW}/connectionSpecs/{DYNAMICS}").json()
    assert [a["name"] for a in single["items"][0]["authSpec"]] == [
        "Basic Authentication for Dynamics-Online",
        "Service Principal Key Based Authentication",
    ]


def test_flow_spec_by_name_quoted_or_not(api: Api) -> None:
    for expr in ('name=="CRMToAEP"', "name==CRMToAEP"):
        (spec,) = api.get(f"{FLOW}/flowSpecs", params={"property": expr}).json()["items"]
        assert spec["id"] == CRM_TO_AEP
    assert set(spec["sourceConnectionSpecIds"]) >= {SALESFORCE, SERVICE_CLOUD, SERVICENOW, DYNAMICS}
    assert spec["targetConnectionSpecIds"] == [DATA_LAKE]
    assert [t["name"] for t in spec["transformationSpecs"]] == ["Copy", "Mapping"]
    schedule = spec["scheduleSpec"]["spec"]
    assert schedule["properties"]["frequency"]["enum"] == ["once", "minute", "hour", "day", "week"]
    assert api.get(f"{FLOW}/flowSpecs/{CRM_TO_AEP}").json()["items"] == [spec]


def test_unknown_spec_ids_are_404(api: Api) -> None:
    response = api.get(f"{FLOW}/flowSpecs/9753525b-82c7-4dce-8a9b-5ccfce2b9876")
    assert flow_error(response) == (
        404,
        "FLOW-1439-404",
        "The requested flowSpecs resource 9753525b-82c7-4dce-8a9b-5ccfce2b9876 is not found. "
        "Verify the resource ID before trying again.",
    )
    assert response.json()["report"]["type"] == "flowSpecs"


# -- base connections ---------------------------------------------------------------------------


def test_create_answers_201_id_etag_and_location(api: Api) -> None:
    response = api.post(f"{FLOW}/connections", connection_body())
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "etag"}
    assert UUID.match(body["id"]) and ETAG.match(body["etag"])
    assert response.headers["Location"] == f"{FLOW}/connections/{body['id']}"


def test_get_is_wrapped_in_items_with_secrets_masked(api: Api, state_dir: Path) -> None:
    created = api.post(f"{FLOW}/connections", connection_body()).json()
    response = api.get(f"{FLOW}/connections/{created['id']}")
    assert list(response.json()) == ["items"]
    (conn,) = response.json()["items"]
    assert conn["auth"] == {
        "specName": "Basic Authentication",
        "params": {
            "environmentUrl": "https://acme.my.salesforce.com",
            "username": "crm-reader@acme.example",
            "password": "**********",
            "securityToken": "**********",
        },
    }
    assert conn["state"] == "enabled"
    assert conn["etag"] == conn["version"] == created["etag"]
    assert conn["createdAt"] == conn["updatedAt"] == int(START * 1000)
    assert (conn["createdBy"], conn["createdClient"]) == (
        "aepflow-emulator@AdobeID",
        "aepflow-emulator",
    )
    assert (conn["sandboxName"], conn["imsOrgId"]) == ("prod", "AEPFLOW0EMULATOR000000000@AdobeOrg")
    assert conn["connectionSpec"] == {"id": SALESFORCE, "version": "1.0"}
    state = state_text(state_dir).encode()
    assert b"s3cret-Passw0rd" not in state and b"tok-Secret-42" not in state


@pytest.mark.parametrize(
    ("auth", "code", "message"),
    [
        (
            {"specName": "Basic Authentication", "params": {"username": "u", "password": "p"}},
            "FLOW-1100-400",
            "The request could not be processed. Error from flow provider: auth params do not "
            "match the auth spec 'Basic Authentication': 'securityToken' is a required property",
        ),
        (
            {
                "specName": "Basic Authentication",
                "params": {"username": "u", "password": "p", "securityToken": "t", "region": "eu"},
            },
            "FLOW-1100-400",
            "The request could not be processed. Error from flow provider: auth params do not "
            "match the auth spec 'Basic Authentication': unknown param(s) region",
        ),
        (
            {"specName": "Token Auth", "params": {"token": "t"}},
            "FLOW-1415-400",
            "The auth spec 'Token Auth' could not be found for the connection spec ID "
            "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5.",
        ),
        (
            {
                "specName": "OAuth2 Client Credential",
                "params": {
                    "environmentUrl": "https://acme.my.salesforce.com",
                    "clientId": "c",
                    "clientSecret": "secret-value-9",
                    "apiVersion": "60.0",
                    "includeDeletedObjects": "yes",
                },
            },
            "FLOW-1100-400",
            "The request could not be processed. Error from flow provider: auth params do not "
            "match the auth spec 'OAuth2 Client Credential': includeDeletedObjects: 'yes' is not "
            "of type 'boolean'",
        ),
        (
            None,
            "FLOW-1100-400",
            "The request could not be processed. Error from flow provider: auth is required: "
            "{specName, params}",
        ),
    ],
)
def test_auth_params_are_checked_against_the_auth_spec(
    api: Api, auth: object, code: str, message: str
) -> None:
    body = {**connection_body(), "auth": auth}
    response = api.post(f"{FLOW}/connections", body)
    assert flow_error(response) == (400, code, message)
    assert "secret-value-9" not in response.text


def test_every_connector_and_auth_type_is_accepted(api: Api) -> None:
    bodies = [
        (
            SERVICE_CLOUD,
            "OAuth2 Client Credential",
            {
                "environmentUrl": "https://a.my.salesforce.com",
                "clientId": "c",
                "clientSecret": "s",
                "apiVersion": "60.0",
            },
        ),
        (
            SERVICENOW,
            "Basic Authentication",
            {"endpoint": "https://acme.service-now.com", "username": "u", "password": "p"},
        ),
        (
            DYNAMICS,
            "Basic Authentication for Dynamics-Online",
            {"serviceUri": "https://acme.crm.dynamics.com", "username": "u", "password": "p"},
        ),
        (
            DYNAMICS,
            "Service Principal Key Based Authentication",
            {
                "serviceUri": "https://acme.crm.dynamics.com",
                "servicePrincipalId": "i",
                "servicePrincipalKey": "k",
            },
        ),
    ]
    for spec, name, params in bodies:
        body = {
            "name": name,
            "auth": {"specName": name, "params": params},
            "connectionSpec": {"id": spec, "version": "1.0"},
        }
        created = api.post(f"{FLOW}/connections", body)
        assert created.status_code == 201, created.text


def test_an_unknown_connection_spec_is_refused(api: Api) -> None:
    body = {**connection_body(), "connectionSpec": {"id": "ccfc0fee1-7dc0-40ef-b73e-d8b134c436f5"}}
    assert flow_error(api.post(f"{FLOW}/connections", body)) == (
        400,
        "FLOW-1413-400",
        "The spec ID provided is invalid. Please provide a valid spec ID and try again. Unknown "
        "connectionSpec id ccfc0fee1-7dc0-40ef-b73e-d8b134c436f5.",
    )


def test_an_empty_body_is_refused(api: Api) -> None:
    response = api.request(
        "POST", f"{FLOW}/connections", headers={"Content-Type": "application/json"}
    )
    assert flow_error(response) == (
        400,
        "FLOW-1405-400",
        "The request body cannot be null or empty.",
    )
    assert flow_error(api.post(f"{FLOW}/connections", {})) == (
        400,
        "FLOW-1405-400",
        "The request body cannot be null or empty. Please provide a request body and try again.",
    )


def test_patch_needs_the_current_etag(api: Api) -> None:
    conn = api.connection()
    etag = api.etag("connections", conn)
    ops = [{"op": "replace", "path": "/name", "value": "renamed"}]
    assert flow_error(api.patch(f"{FLOW}/connections/{conn}", ops)) == (
        400,
        "FLOW-1403-400",
        "The header 'If-Match' is missing in the request. Please provide the header and try again.",
    )
    stale = api.patch(f"{FLOW}/connections/{conn}", ops, headers={"If-Match": '"stale"'})
    assert flow_error(stale) == (
        412,
        "FLOW-1404-412",
        f"The supplied version '\"stale\"' does not match the current version on entity "
        f"'{etag}'. Please ensure that the supplied version matches the current version on "
        "entity and try again.",
    )
    assert stale.json()["title"] == "Version not matching"
    done = api.patch(f"{FLOW}/connections/{conn}", ops, headers={"If-Match": etag})
    assert done.status_code == 200
    assert set(done.json()) == {"id", "etag"} and done.json()["etag"] != etag
    (got,) = api.get(f"{FLOW}/connections/{conn}").json()["items"]
    assert (got["name"], got["etag"], got["version"]) == (
        "renamed",
        done.json()["etag"],
        done.json()["etag"],
    )


def test_patch_rotates_etag_and_updated_at(api: Api, clock: object) -> None:
    conn = api.connection()
    before = api.get(f"{FLOW}/connections/{conn}").json()["items"][0]
    clock.advance(61)  # type: ignore[attr-defined]
    ops = [{"op": "replace", "path": "/description", "value": "new words"}]
    api.patch(f"{FLOW}/connections/{conn}", ops, headers={"If-Match": before["etag"]})
    after = api.get(f"{FLOW}/connections/{conn}").json()["items"][0]
    assert after["updatedAt"] == before["updatedAt"] + 61_000
    assert after["createdAt"] == before["createdAt"]
    assert after["etag"] != before["etag"]


@pytest.mark.parametrize(
    ("ops", "code", "message"),
    [
        (
            [{"op": "move", "from": "/name", "path": "/description"}],
            "FLOW-1434-400",
            "Unsupported operation 'move' received. Please use one of the supported operation "
            "types and try again.",
        ),
        (
            [{"op": "increment", "path": "/name", "value": 1}],
            "FLOW-1434-400",
            "Unsupported operation 'increment' received. Please use one of the supported "
            "operation types and try again.",
        ),
        (
            [{"op": "replace", "path": "/keyWhichDoesNotExist", "value": 1}],
            "FLOW-1455-400",
            "An error has occurred while validating patch instructions: field "
            '"keyWhichDoesNotExist" cannot be updated; updatable fields: auth, description, name',
        ),
        (
            [{"op": "replace", "path": "/auth/params/region", "value": "eu"}],
            "FLOW-1455-400",
            'An error has occurred while validating patch instructions: Missing field "region" '
            "(/auth/params/region)",
        ),
        (
            [{"op": "replace", "path": "/connectionSpec/id", "value": SERVICENOW}],
            "FLOW-1414-400",
            "The connection spec of a connection cannot be updated.",
        ),
    ],
)
def test_patch_refusals(api: Api, ops: list[dict[str, object]], code: str, message: str) -> None:
    conn = api.connection()
    response = api.patch(
        f"{FLOW}/connections/{conn}", ops, headers={"If-Match": api.etag("connections", conn)}
    )
    assert flow_error(response) == (400, code, message)


def test_patch_auth_params_hashes_new_secrets_and_keeps_masked_ones(
    api: Api, state_dir: Path
) -> None:
    conn = api.connection()
    state_before = state_text(state_dir)
    # Send the GET's params back with one secret changed: the masked one keeps its value.
    (got,) = api.get(f"{FLOW}/connections/{conn}").json()["items"]
    params = {**got["auth"]["params"], "password": "n3w-Passw0rd"}
    response = api.patch(
        f"{FLOW}/connections/{conn}",
        [{"op": "replace", "path": "/auth/params", "value": params}],
        headers={"If-Match": got["etag"]},
    )
    assert response.status_code == 200
    state = state_text(state_dir)
    assert "n3w-Passw0rd" not in state
    stored = api.emulator.store.read
    with stored() as tx:
        auth = tx.get("prod", "connections", conn)["auth"]["params"]
    assert auth["password"].startswith("sha256:") and auth["password"] not in state_before
    assert auth["securityToken"] in state_before  # unchanged: the same hash
    assert (
        api.get(f"{FLOW}/connections/{conn}").json()["items"][0]["auth"]["params"]
        == got["auth"]["params"]
    )


def test_patch_auth_params_is_checked_again(api: Api) -> None:
    conn = api.connection()
    response = api.patch(
        f"{FLOW}/connections/{conn}",
        [{"op": "remove", "path": "/auth/params/username"}],
        headers={"If-Match": api.etag("connections", conn)},
    )
    assert flow_error(response)[2].endswith("'username' is a required property")


def test_test_and_delete(api: Api) -> None:
    conn = api.connection()
    assert api.get(f"{FLOW}/connections/{conn}/test").json() == {"result": True}
    deleted = api.delete(f"{FLOW}/connections/{conn}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert flow_error(api.get(f"{FLOW}/connections/{conn}"))[:2] == (404, "FLOW-1439-404")
    assert flow_error(api.delete(f"{FLOW}/connections/{conn}"))[:2] == (404, "FLOW-1439-404")
    assert flow_error(api.get(f"{FLOW}/connections/{conn}/test"))[:2] == (404, "FLOW-1439-404")


def test_a_base_connection_used_by_a_flow_cannot_be_deleted(api: Api, world: World) -> None:
    response = api.delete(f"{FLOW}/connections/{world.connection}")
    assert flow_error(response) == (
        400,
        "FLOW-1418-400",
        f"The base connection with the ID {world.connection} cannot be deleted because the base "
        "connection is being used in one or more flows. Please ensure that corresponding flows "
        "are deleted before deleting a base connection.",
    )
    assert api.delete(f"{FLOW}/flows/{world.flow}").status_code == 204
    assert api.delete(f"{FLOW}/connections/{world.connection}").status_code == 204


def test_source_and_target_connections_used_by_a_flow_cannot_be_deleted(
    api: Api, world: World
) -> None:
    for collection, conn in (
        ("sourceConnections", world.source),
        ("targetConnections", world.target),
    ):
        assert flow_error(api.delete(f"{FLOW}/{collection}/{conn}")) == (
            400,
            "FLOW-1447-400",
            f"Found active flows containing id {conn}.",
        )
    api.delete(f"{FLOW}/flows/{world.flow}")
    assert api.delete(f"{FLOW}/sourceConnections/{world.source}").status_code == 204
    assert api.delete(f"{FLOW}/targetConnections/{world.target}").status_code == 204


# -- explore ------------------------------------------------------------------------------------


def test_explore_root_lists_the_connector_tables(api: Api) -> None:
    conn = api.connection()
    response = api.get(f"{FLOW}/connections/{conn}/explore", params={"objectType": "root"})
    assert response.json() == [
        {"type": "table", "name": t, "path": t, "canPreview": True, "canFetchSchema": True}
        for t in ("Account", "Contact", "Lead")
    ]


@pytest.mark.parametrize(
    ("spec", "auth", "tables"),
    [
        (
            SERVICENOW,
            (
                "Basic Authentication",
                {"endpoint": "https://a.service-now.com", "username": "u", "password": "p"},
            ),
            ["incident", "sys_user"],
        ),
        (
            DYNAMICS,
            (
                "Basic Authentication for Dynamics-Online",
                {"serviceUri": "https://a.crm.dynamics.com", "username": "u", "password": "p"},
            ),
            ["contact", "account", "activecontacts"],
        ),
        (
            SERVICE_CLOUD,
            ("Basic Authentication", {"username": "u", "password": "p", "securityToken": "t"}),
            ["Account", "Contact", "Lead"],
        ),
    ],
)
def test_explore_catalog_per_connector(
    api: Api, spec: str, auth: tuple[str, dict[str, str]], tables: list[str]
) -> None:
    body = {
        "name": "c",
        "auth": {"specName": auth[0], "params": auth[1]},
        "connectionSpec": {"id": spec},
    }
    conn = api.created(api.post(f"{FLOW}/connections", body))
    listed = api.get(f"{FLOW}/connections/{conn}/explore", params={"objectType": "root"}).json()
    assert [t["name"] for t in listed] == tables


def test_explore_a_table_and_preview_it(api: Api) -> None:
    conn = api.connection()
    table = api.get(
        f"{FLOW}/connections/{conn}/explore", params={"objectType": "table", "object": "Contact"}
    ).json()
    assert set(table) == {"format", "schema"} and table["format"] == "flat"
    columns = {c["name"]: c for c in table["schema"]["columns"]}
    assert {"Id", "FirstName", "LastName", "Email", "LastModifiedDate"} <= set(columns)
    assert columns["Email"] == {"name": "Email", "type": "string", "xdm": {"type": "string"}}
    assert columns["LastModifiedDate"] == {
        "name": "LastModifiedDate",
        "type": "string",
        "meta:xdmType": "date-time",
        "xdm": {"type": "string", "format": "date-time"},
    }
    preview = api.get(
        f"{FLOW}/connections/{conn}/explore",
        params={"objectType": "table", "object": "Contact", "preview": "true"},
    ).json()
    assert preview["schema"] == table["schema"]
    assert len(preview["data"]) == 5
    assert preview["data"][0]["Email"] == "ava.martin@example.com"
    assert preview["data"][0]["LastModifiedDate"] == "2026-01-10T09:10:00Z"
    assert set(preview["data"][0]) == set(columns)


def test_explore_refusals(api: Api) -> None:
    conn = api.connection()
    missing = api.get(
        f"{FLOW}/connections/{conn}/explore", params={"objectType": "table", "object": "Accounts"}
    )
    assert flow_error(missing) == (
        400,
        "FLOW-1100-400",
        "The request could not be processed. Error from flow provider: the table 'Accounts' "
        "was not found in the source",
    )
    folder = api.get(f"{FLOW}/connections/{conn}/explore", params={"objectType": "folder"})
    assert flow_error(folder)[2].endswith(
        "objectType folder is not supported by salesforce: use root or table"
    )


# -- source and target connections ------------------------------------------------------------


def test_source_connection(api: Api) -> None:
    conn = api.connection()
    created = api.post(f"{FLOW}/sourceConnections", source_body(conn))
    assert created.status_code == 201
    source_id = created.json()["id"]
    assert created.headers["Location"] == f"{FLOW}/sourceConnections/{source_id}"
    (got,) = api.get(f"{FLOW}/sourceConnections/{source_id}").json()["items"]
    assert got["baseConnectionId"] == conn
    assert got["params"]["tableName"] == "Contact"
    assert got["data"] == {"format": "tabular"}
    assert got["etag"] == created.json()["etag"]


def test_source_connection_refusals(api: Api) -> None:
    conn = api.connection()
    unknown = api.post(
        f"{FLOW}/sourceConnections", source_body("4cb0c374-d3bb-4557-b139-5712880adc55")
    )
    assert flow_error(unknown) == (
        400,
        "FLOW-1411-400",
        "Unable to retrieve entityId. Invalid request received with path "
        "'connections/4cb0c374-d3bb-4557-b139-5712880adc55'.",
    )
    other_spec = {**source_body(conn), "connectionSpec": {"id": SERVICENOW, "version": "1.0"}}
    assert flow_error(api.post(f"{FLOW}/sourceConnections", other_spec))[:2] == (
        400,
        "FLOW-1413-400",
    )
    no_table = {**source_body(conn), "params": {}}
    assert flow_error(api.post(f"{FLOW}/sourceConnections", no_table))[2].endswith(
        "params.tableName is required: the table to read"
    )


def test_target_connection_checks_the_dataset_and_its_schema(api: Api) -> None:
    schema = api.schema("Contacts")
    other = api.schema("Other")
    dataset = api.dataset(schema)
    created = api.post(f"{FLOW}/targetConnections", target_body(schema, dataset))
    assert created.status_code == 201
    missing = api.post(f"{FLOW}/targetConnections", target_body(schema, "5c8c3c555033b814b69f947f"))
    assert flow_error(missing) == (
        400,
        "FLOW-1100-400",
        "The request could not be processed. Error from flow provider: the dataset "
        "5c8c3c555033b814b69f947f does not exist",
    )
    mismatch = api.post(f"{FLOW}/targetConnections", target_body(other, dataset))
    assert flow_error(mismatch) == (
        400,
        "FLOW-1100-400",
        "The request could not be processed. Error from flow provider: data.schema.id "
        f"{other} is not the schema of dataset {dataset} ({schema})",
    )
    not_a_target = {**target_body(schema, dataset), "connectionSpec": {"id": SALESFORCE}}
    assert flow_error(api.post(f"{FLOW}/targetConnections", not_a_target))[:2] == (
        400,
        "FLOW-1413-400",
    )


def test_target_patch_is_checked_again(api: Api) -> None:
    schema = api.schema("Contacts")
    dataset = api.dataset(schema)
    target = api.target(schema, dataset)
    response = api.patch(
        f"{FLOW}/targetConnections/{target}",
        [{"op": "replace", "path": "/params/dataSetId", "value": "000000000000000000000000"}],
        headers={"If-Match": api.etag("targetConnections", target)},
    )
    assert flow_error(response)[2].endswith("the dataset 000000000000000000000000 does not exist")

"""A pipeline built by hand through the HTTP API, imported with one command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from aepflow.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORG_ID,
    EMBEDDED_BASE_URL,
    Emulator,
)
from tests.e2e import handmade_rest
from tests.e2e.conftest import Project, apply_ok
from tests.e2e.handmade import Http, _target
from tests.emulator import seed_tutorial

TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": DEFAULT_CLIENT_ID,
    "client_secret": DEFAULT_CLIENT_SECRET,
    "scope": "openid,AdobeID,read_organizations",
}


def build_by_hand(project: Project) -> dict[str, Any]:
    """The seed tutorial's requests, as a team would have sent them before aepflow."""
    emulator = Emulator(project.root / ".aepflow" / "emulator")
    with httpx.Client(base_url=EMBEDDED_BASE_URL, transport=emulator.transport()) as http:

        def send(
            method: str, path: str, headers: dict[str, str], body: Any, form: dict[str, str] | None
        ) -> tuple[int, Any]:
            if form is not None:
                response = http.request(method, path, headers=headers, data=form)
            else:
                content = None if body is None else json.dumps(body).encode()
                response = http.request(method, path, headers=headers, content=content)
            return response.status_code, response.json() if response.content else None

        ids = seed_tutorial.run(send)  # it ends by deleting its flow: make it again
        token = send("POST", "/ims/token/v3", {}, None, TOKEN_FORM)[1]["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "x-api-key": DEFAULT_CLIENT_ID,
            "x-gw-ims-org-id": DEFAULT_ORG_ID,
            "x-sandbox-name": "prod",
            "Content-Type": "application/json",
        }
        body = {
            "name": "Salesforce dataflow",
            "description": "Salesforce dataflow",
            "flowSpec": {"id": seed_tutorial.CRM_TO_AEP, "version": "1.0"},
            "sourceConnectionIds": [ids["source"]],
            "targetConnectionIds": [ids["target"]],
            "transformations": [
                {
                    "name": "Copy",
                    "params": {
                        "deltaColumn": {
                            "name": "email",
                            "dateFormat": "YYYY-MM-DD",
                            "timezone": "UTC",
                        }
                    },
                },
                {"name": "Mapping", "params": {"mappingId": ids["mapping"], "mappingVersion": 0}},
            ],
            "scheduleParams": {"startTime": "1900000000", "frequency": "hour", "interval": "1"},
        }
        status, created = send("POST", "/data/foundation/flowservice/flows", headers, body, None)
        assert status == 201, created
        return {**ids, "flow": created["id"]}


def test_a_hand_made_pipeline_is_imported_whole_and_plans_clean(project: Project) -> None:
    for name in ("flow.yaml", "schema.yaml", "crm.yaml"):
        (project.root / "manifests" / name).unlink()
    ids = build_by_hand(project)
    result = project.run("import", "--flow", ids["flow"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Imported flow.salesforce-dataflow: wrote manifests/imported/salesforce-dataflow.yaml",
        "Set these environment variables (the connections' secrets, which AEP never returns): "
        "SALESFORCE_BASE_CONNECTION_PASSWORD, SALESFORCE_BASE_CONNECTION_SECURITY_TOKEN",
        "Run `aepflow plan`: it shows only what differs (connection secrets are re-sent once).",
    ]
    docs = list(
        yaml.safe_load_all(
            (project.root / "manifests" / "imported" / "salesforce-dataflow.yaml").read_text()
        )
    )
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("Connection", "salesforce-base-connection"),
        ("Schema", "salesforce-target-xdm-schema"),
        ("Dataset", "salesforce-target-dataset"),
        ("Dataflow", "salesforce-dataflow"),
    ]
    recorded = project.lock()["resources"]
    assert recorded["flow.salesforce-dataflow"]["id"] == ids["flow"]
    assert recorded["connection.salesforce-base-connection"]["id"] == ids["connection"]
    assert recorded["mappingSet.salesforce-dataflow"]["version"] == 0
    assert project.run("validate").exit_code == 0
    plan = project.run("plan").output
    changed = [line.strip() for line in plan.splitlines() if line.startswith("      ")]
    assert changed == [
        "~ auth.params.password: (sensitive value changed)",
        "~ auth.params.securityToken: (sensitive value changed)",
    ], plan
    apply_ok(project)
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"
    assert len(project.client().flow_list("flows")) == 1
    again = project.run("import", "--flow", ids["flow"])
    assert (again.exit_code, again.output) == (
        1,
        f"Error: flow {ids['flow']} is already managed as flow.salesforce-dataflow\n",
    )
    second = project.run("import", "--all")
    assert (second.exit_code, second.output) == (
        0,
        "Nothing new to import: every flow aepflow can manage is managed already.\n",
    )
    assert Path("manifests/imported").is_dir()


def test_a_title_taken_by_an_unmanaged_object_stops_the_plan_with_the_import_command(
    project: Project,
) -> None:
    from aepflow.api import Request

    sandbox = project.client()
    made = sandbox.client.send(
        Request(
            "POST",
            "/data/foundation/schemaregistry/tenant/schemas",
            {
                "title": "E2E Contacts",
                "type": "object",
                "allOf": [{"$ref": "https://ns.adobe.com/xdm/context/profile"}],
            },
        )
    )
    result = project.run("plan")
    assert (result.exit_code, result.output) == (
        1,
        f"Error: schema.contacts would be created with the title 'E2E Contacts', which the "
        f"object {made['$id']} (not managed by aepflow) already has; AEP keeps titles unique, so "
        f"the apply would fail. Manage that object with `aepflow import schema.contacts "
        f"{made['$id']}`, or change the title in the manifest\n",
    )
    assert project.run("import", "schema.contacts", made["$id"]).exit_code == 0
    assert "schema.contacts" in project.run("plan").output


def test_a_connector_with_no_entry_is_imported_in_generic_form_and_plans_only_secrets(
    project: Project,
) -> None:
    """Google AdWords (help/sources/tutorials/api/create/crm/adwords.md) has no entry: its
    UI-made flow imports as ``connector: {spec: ID}``, secrets from its authSpec."""
    for name in ("flow.yaml", "schema.yaml", "crm.yaml"):
        (project.root / "manifests" / name).unlink()
    ids = build_by_hand(project)
    emulator = Emulator(project.root / ".aepflow" / "emulator")
    with httpx.Client(base_url=EMBEDDED_BASE_URL, transport=emulator.transport()) as http:
        token = http.post("/ims/token/v3", data=TOKEN_FORM).json()["access_token"]
        http.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "x-api-key": DEFAULT_CLIENT_ID,
                "x-gw-ims-org-id": DEFAULT_ORG_ID,
                "x-sandbox-name": "prod",
            }
        )
        fs = "/data/foundation/flowservice"
        adwords = "d771e9c1-4f26-40dc-8617-ce58c4b53702"
        conn = http.post(
            f"{fs}/connections",
            json={
                "name": "AdWords account",
                "auth": {
                    "specName": "Basic Authentication for google-adwords",
                    "params": {
                        "clientCustomerID": "123-456-7890",
                        "developerToken": "dev",
                        "refreshToken": "refresh",
                        "clientId": "app",
                        "clientSecret": "secret",
                    },
                },
                "connectionSpec": {"id": adwords, "version": "1.0"},
            },
        ).json()["id"]
        seed_source = http.get(f"{fs}/sourceConnections/{ids['source']}").json()["items"][0]
        source = http.post(
            f"{fs}/sourceConnections",
            json={
                "name": "AdWords source",
                "baseConnectionId": conn,
                "data": {"format": "tabular"},
                "params": seed_source["params"],
                "connectionSpec": {"id": adwords, "version": "1.0"},
            },
        ).json()["id"]
        flow = http.get(f"{fs}/flows/{ids['flow']}").json()["items"][0]
        http.delete(f"{fs}/flows/{ids['flow']}")
        body = {k: flow[k] for k in ("flowSpec", "targetConnectionIds", "transformations")} | {
            "name": "AdWords dataflow",
            "sourceConnectionIds": [source],
            "scheduleParams": {"startTime": "1900000000", "frequency": "hour", "interval": "1"},
        }
        created = http.post(f"{fs}/flows", json=body)
        assert created.status_code == 201, created.text
        flow_id = created.json()["id"]
    result = project.run("import", "--flow", flow_id)
    assert result.exit_code == 0, result.output
    docs = list(
        yaml.safe_load_all(
            (project.root / "manifests" / "imported" / "adwords-dataflow.yaml").read_text()
        )
    )
    assert docs[0]["spec"] == {
        "name": "AdWords account",
        "connector": {"spec": adwords},
        "auth": {
            "specName": "Basic Authentication for google-adwords",
            "params": {
                "clientCustomerID": "123-456-7890",
                "developerToken": "${env:ADWORDS_ACCOUNT_DEVELOPER_TOKEN}",
                "refreshToken": "${env:ADWORDS_ACCOUNT_REFRESH_TOKEN}",
                "clientId": "app",
                "clientSecret": "${env:ADWORDS_ACCOUNT_CLIENT_SECRET}",
            },
        },
    }
    assert project.run("validate").exit_code == 0
    plan = project.run("plan").output
    changed = [line.strip() for line in plan.splitlines() if line.startswith("      ")]
    assert changed == [
        "~ auth.params.clientSecret: (sensitive value changed)",
        "~ auth.params.developerToken: (sensitive value changed)",
        "~ auth.params.refreshToken: (sensitive value changed)",
    ], plan


def test_one_flow_given_twice_is_imported_once(project: Project) -> None:
    for name in ("flow.yaml", "schema.yaml", "crm.yaml"):
        (project.root / "manifests" / name).unlink()
    ids = build_by_hand(project)
    result = project.run("import", "--flow", ids["flow"], "--flow", ids["flow"], "-e", "local")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "Imported flow.salesforce-dataflow: wrote manifests/imported/salesforce-dataflow.yaml"
    )
    assert result.output.splitlines()[-1] == (
        "Run `aepflow plan -e local`: it shows only what differs (connection secrets are "
        "re-sent once)."
    )
    assert [p.name for p in (project.root / "manifests" / "imported").iterdir()] == [
        "salesforce-dataflow.yaml"
    ]
    flows = [a for a, e in project.lock()["resources"].items() if e["id"] == ids["flow"]]
    assert flows == ["flow.salesforce-dataflow"]


def test_an_imported_flow_edited_in_the_ui_is_labelled_drift(project: Project) -> None:
    for name in ("flow.yaml", "schema.yaml", "crm.yaml"):
        (project.root / "manifests" / name).unlink()
    ids = build_by_hand(project)
    assert project.run("import", "--all").exit_code == 0
    project.client().flow_patch(
        "flows", ids["flow"], [{"op": "replace", "path": "/scheduleParams/interval", "value": "2"}]
    )
    plan = project.run("plan").output
    assert (
        "  # flow.salesforce-dataflow will be updated in-place (changed outside aepflow)\n"
        f"  ~ flow.salesforce-dataflow (id {ids['flow']})\n"
        "      ~ schedule.interval: 2 -> 1\n"
    ) in plan, plan


def test_the_variables_a_ci_job_needs_follow_the_manifests(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aepflow.importing import env_names

    assert env_names("local") == ["SF_PASSWORD", "SF_TOKEN", "SF_USERNAME"]  # sorted
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: prod\n"
        "environments:\n  prod: {type: aep, sandbox: prod}\n"
    )
    assert env_names(None) == [
        "AEP_CLIENT_ID",
        "AEP_CLIENT_SECRET",
        "AEP_ORG_ID",
        "AEP_SCOPES",
        "SF_PASSWORD",
        "SF_TOKEN",
        "SF_USERNAME",
    ]


def test_objects_aepflow_made_are_imported_under_the_names_their_markers_carry(
    project: Project,
) -> None:
    """A project whose manifests and lock were lost gets its own names back: the next plan
    re-sends only the secrets, with no re-addressing of every object."""
    import shutil

    apply_ok(project)
    for name in ("flow.yaml", "schema.yaml", "crm.yaml"):
        (project.root / "manifests" / name).unlink()
    shutil.rmtree(project.root / ".aepflow" / "locks")
    result = project.run("import", "--all")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "Imported flow.contacts: wrote manifests/imported/contacts.yaml"
    )
    plan = project.run("plan").output
    changed = [line.strip() for line in plan.splitlines() if line.startswith("      ")]
    assert changed == [
        "~ auth.params.password: (sensitive value changed)",
        "~ auth.params.securityToken: (sensitive value changed)",
    ], plan


@pytest.mark.parametrize(
    ("connection", "source", "key", "written"),
    [
        pytest.param(
            ("SugarCRM events", "OAuth2 Refresh Code", handmade_rest.SUGARCRM),
            (handmade_rest.GENERIC_REST_SOURCE, {}),
            "sugarcrm-events",
            {},
            id="sugarcrm-events",
        ),
        pytest.param(
            ("SAP billing", "OAuth2 Client Credential", {"id": "d8ee38de-7ae9-4058-9610-c79ce75f8e92", "version": "1.0"}),
            (handmade_rest.GENERIC_REST_SOURCE, {"object_type": "contacts", "path": "contacts"}),
            "sap-subscription-billing",
            {"object": "contacts"},
            id="sap-subscription-billing",
        ),
    ],
)  # fmt: skip
def test_a_rest_flow_given_by_id_is_imported_as_the_entry_its_source_belongs_to(
    project: Project,
    connection: tuple[str, str, dict[str, str]],
    source: tuple[dict[str, str], dict[str, str]],
    key: str,
    written: dict[str, Any],
) -> None:
    """SugarCRM Events shares its base connection spec with SugarCRM Accounts & Contacts, and
    SAP Subscription Billing its REST source spec and a ``contacts`` object: the flow is read
    as the entry its base connection and source connection name, and plans only secrets."""
    for name in ("flow.yaml", "schema.yaml", "crm.yaml"):
        (project.root / "manifests" / name).unlink()
    ids = build_by_hand(project)
    params = {
        "SugarCRM events": {"host": "developer.salesfusion.com", "username": "u", "password": "p"},
        "SAP billing": {
            "region": "eu10",
            "clientId": "app",
            "clientSecret": "secret",
            "tokenEndpoint": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token",
        },
    }[connection[0]]
    emulator = Emulator(project.root / ".aepflow" / "emulator")
    with httpx.Client(base_url=EMBEDDED_BASE_URL, transport=emulator.transport()) as client:
        http = Http(client)
        base = handmade_rest._connection(http, connection[0], connection[1], params, connection[2])
        made = handmade_rest._rest_source(http, f"{connection[0]} source", base, *source)
        mapping = handmade_rest._mapping(
            http, ids["schema"], {"results.name": "person.name.fullName"}
        )
        target = _target(http, "REST target", ids["schema"], ids["dataset"])
        flow = handmade_rest._rest_flow(http, f"{connection[0]} flow", made, target, mapping)
    result = project.run("import", "--flow", flow)
    assert result.exit_code == 0, result.output
    slug = connection[0].lower().replace(" ", "-")
    docs = list(
        yaml.safe_load_all(
            (project.root / "manifests" / "imported" / f"{slug}-flow.yaml").read_text()
        )
    )
    by_kind = {d["kind"]: d["spec"] for d in docs}
    assert by_kind["Connection"]["connector"] == key
    assert by_kind["Dataflow"]["source"] == written
    assert by_kind["Dataflow"]["mappings"] == [
        {"source": "results.name", "destination": "person.name.fullName"}
    ]
    assert "deltaColumn" not in by_kind["Dataflow"]
    secret = "password" if key == "sugarcrm-events" else "clientSecret"
    plan = project.run("plan").output
    changed = [line.strip() for line in plan.splitlines() if line.startswith("      ")]
    assert changed == [f"~ auth.params.{secret}: (sensitive value changed)"], plan

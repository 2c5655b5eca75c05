"""Options and shapes the real API documents, applied end to end on the emulator."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Project, apply_ok


def test_row_filters_and_error_handling_apply_and_converge(project: Project) -> None:
    project.edit(
        "flow.yaml",
        "    columns: [Id, FirstName, LastName, Email, LastModifiedDate]\n",
        "    columns: [Id, FirstName, LastName, Email, LastModifiedDate]\n"
        "    filter: {or: [{column: LastName, op: like, value: 'A%'}, "
        "{column: Email, op: isNull}]}\n"
        "  errorHandling: {partialIngestionPercent: 5}\n",
    )
    apply_ok(project)
    sandbox = project.client()
    source = sandbox.flow_get("sourceConnections", project.id("sourceConnection.contacts"))
    assert source["params"]["filters"]["value"]["fnName"] == "or"
    flow = sandbox.flow_get("flows", project.id("flow.contacts"))
    assert {
        k: flow["options"][k] for k in ("partialIngestionPercent", "errorDiagnosticsEnabled")
    } in (
        {"partialIngestionPercent": 5, "errorDiagnosticsEnabled": True},
        {"partialIngestionPercent": "5", "errorDiagnosticsEnabled": "true"},
    )
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"
    project.edit("flow.yaml", "partialIngestionPercent: 5", "partialIngestionPercent: 10")
    plan = project.run("plan").output
    assert "      ~ options.partialIngestionPercent: 5 -> 10" in plan
    apply_ok(project)
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"


def test_options_a_connector_does_not_have_are_validation_errors(project: Project) -> None:
    project.write(
        "now.yaml",
        (project.root / "manifests" / "crm.yaml")
        .read_text()
        .replace("{name: crm}", "{name: now}")
        .replace("connector: salesforce", "connector: servicenow")
        .replace(
            "      environmentUrl: https://acme.my.salesforce.com\n",
            "      endpoint: https://acme.service-now.com\n",
        )
        .replace("      securityToken: ${env:SF_TOKEN}\n", ""),
    )
    project.edit("flow.yaml", "connection: crm", "connection: now")
    project.edit(
        "flow.yaml",
        "    table: Contact\n",
        "    table: Contact\n    entityType: view\n    filter: {column: Id, op: '=', value: x}\n",
    )
    result = project.run("validate")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "flow.yaml" in line]
    assert lines == [
        "manifests/flow.yaml:9:17: source.entityType 'view': ServiceNow ingests tables only (views are a Microsoft Dynamics option)",
        "manifests/flow.yaml:10:13: source.filter: ServiceNow has no row-level filters (AEP offers them for Salesforce, Microsoft Dynamics); filter in a mapping or downstream instead",
    ]
    project.edit(
        "flow.yaml",
        "  deltaColumn:",
        "  errorHandling: {diagnostics: false, partialIngestionPercent: 5}\n  deltaColumn:",
    )
    result = project.run("validate")
    assert [line for line in result.output.splitlines() if "flow.yaml" in line] == [
        "manifests/flow.yaml:18:32: errorHandling.diagnostics cannot be false with partialIngestionPercent: partial ingestion keeps error diagnostics; remove one of the two"
    ]


def test_destroy_waits_while_a_deleted_flow_is_finalizing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """help/sources/errors/flow-service-errors.md: 1418 / 1447 while the flow finalizes."""
    apply_ok(project)
    monkeypatch.setenv("AEPFLOW_EMULATOR_DELETE_FINALIZE_MS", "600")
    result = project.run("destroy", "--auto-approve", "--allow-data-loss")
    assert result.exit_code == 0, result.output
    assert project.lock()["resources"] == {}
    assert project.client().flow_list("connections") == []


def test_an_auth_type_change_replaces_the_connection_and_what_uses_it(project: Project) -> None:
    apply_ok(project)
    old = project.id("connection.crm")
    project.edit("crm.yaml", "type: basic", "type: oauth2-jwt")
    project.edit(
        "crm.yaml",
        "      environmentUrl: https://acme.my.salesforce.com\n"
        "      username: ${env:SF_USERNAME}\n"
        "      password: ${env:SF_PASSWORD}\n"
        "      securityToken: ${env:SF_TOKEN}\n",
        "      instanceUrl: https://acme.my.salesforce.com\n"
        "      clientId: ${env:SF_USERNAME}\n"
        "      clientSecret: ${env:SF_PASSWORD}\n"
        "      jwtToken: ${env:SF_TOKEN}\n",
    )
    plan = project.run("plan").output
    assert (
        '      ~ authSpec: "Basic Authentication" -> "OAuth2 JWT Token Credential"  # forces replacement'
        in plan
    )
    apply_ok(project)
    assert project.id("connection.crm") != old
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"


def test_a_profile_dataset_enables_its_schema_for_profile_first(project: Project) -> None:
    """help/catalog/datasets/enable-for-profile.md: schema union (after its primary identity),
    then the dataset's unifiedProfile tag; the emulator refuses any other order."""
    project.edit("schema.yaml", "schema: contacts}", "schema: contacts, profile: true}")
    plan = project.run("plan").output
    assert "  + profile.contacts" in plan
    apply_ok(project)
    sandbox = project.client()
    from aepflow.api import Request

    schema_id = project.id("schema.contacts")
    schema = sandbox.client.send(
        Request(
            "GET",
            "/data/foundation/schemaregistry/tenant/schemas/"
            + schema_id.replace(":", "%3A").replace("/", "%2F"),
            accept="application/vnd.adobe.xed+json; version=1",
        )
    )
    assert schema["meta:immutableTags"] == ["union"]
    dataset = sandbox.dataset_get(project.id("dataset.contacts"))
    assert dataset["tags"]["unifiedProfile"] == ["enabled:true"]
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"


def test_profile_without_a_primary_identity_is_a_validation_error(project: Project) -> None:
    project.edit("schema.yaml", "namespace: Email, primary: true}", "namespace: Email}")
    project.edit("schema.yaml", "schema: contacts}", "schema: contacts, profile: true}")
    result = project.run("validate")
    assert result.exit_code == 1
    assert (
        "manifests/schema.yaml:16:55: dataset 'contacts' has profile: true, but schema 'contacts' "
        "has no primary identity: mark one of its identities primary: true (or add the "
        "identitymap field group); AEP enables Profile only on such a schema"
    ) in result.output.splitlines(), result.output.splitlines()

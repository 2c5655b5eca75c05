"""Every listed source applies on the emulator with its documented connectionSpec id, and the
next plan has nothing to do (the example manifests in tests/e2e/sources/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aepflow.connectors import CONNECTORS, FLOW_SPEC_ID, REST_FLOW_SPEC_ID
from tests.e2e.conftest import Project, apply_ok

SOURCES = Path(__file__).parent / "sources"
ADWORDS = "d771e9c1-4f26-40dc-8617-ce58c4b53702"  # help/sources/tutorials/api/create/crm/adwords.md


def _only(project: Project, example: str) -> None:
    for name in ("crm.yaml", "flow.yaml", "schema.yaml"):
        (project.root / "manifests" / name).unlink()
    project.write(f"{example}.yaml", (SOURCES / f"{example}.yaml").read_text())


@pytest.mark.parametrize("example", sorted(p.stem for p in SOURCES.glob("*.yaml")))
def test_each_source_applies_with_its_documented_spec_and_then_plans_no_changes(
    project: Project, example: str
) -> None:
    _only(project, example)
    apply_ok(project)
    sandbox = project.client()
    [conn_address] = [a for a in project.lock()["resources"] if a.startswith("connection.")]
    [flow_address] = [a for a in project.lock()["resources"] if a.startswith("flow.")]
    source_address = "sourceConnection." + flow_address.split(".", 1)[1]
    conn = sandbox.flow_get("connections", project.id(conn_address))
    source = sandbox.flow_get("sourceConnections", project.id(source_address))
    flow = sandbox.flow_get("flows", project.id(flow_address))
    assert conn is not None and source is not None and flow is not None
    connector = CONNECTORS.get(example)
    assert conn["connectionSpec"]["id"] == (connector.spec_id if connector else ADWORDS)
    assert source["connectionSpec"]["id"] == (connector.source_spec_id if connector else ADWORDS)
    rest = connector is not None and connector.rest is not None
    assert source["data"]["format"] == ("json" if rest else "tabular")
    assert flow["flowSpec"]["id"] == (REST_FLOW_SPEC_ID if rest else FLOW_SPEC_ID)
    names = [t["name"] for t in flow["transformations"]]
    assert names == (["Mapping"] if rest else ["Copy", "Mapping"])
    again = project.run("plan", "--detailed-exitcode")
    assert (again.exit_code, again.output) == (0, "No changes.\n")


def test_every_connector_has_an_example() -> None:
    assert {p.stem for p in SOURCES.glob("*.yaml")} == set(CONNECTORS) | {"generic"}


def test_rest_source_connections_are_the_tutorials(project: Project) -> None:
    """create/crm/sugarcrm-accounts-contacts.md: data.format json, params object_type and path,
    the generic REST source spec; create/customer-success/zendesk.md: params {}."""
    _only(project, "sugarcrm")
    apply_ok(project)
    source = project.client().flow_get(
        "sourceConnections", project.id("sourceConnection.sugarcrm-contacts")
    )
    assert source is not None
    assert (source["data"], source["params"], source["connectionSpec"]) == (
        {"format": "json"},
        {"object_type": "contacts", "path": "contacts"},
        {"id": "63d2b27b-69a5-45c9-a7fe-78148a25de3c", "version": "1.0"},
    )


def test_a_dynamics_view_is_checked_as_a_view(project: Project) -> None:
    _only(project, "dynamics")
    project.edit("dynamics.yaml", "table: activecontacts", "table: activecontact")
    result = project.run("plan")
    assert (result.exit_code, result.output) == (
        1,
        "Error: manifests/dynamics.yaml:20:12: sourceConnection.dynamics-active-contacts: the "
        "source has no view 'activecontact'; did you mean 'activecontacts'? "
        "(views: activecontacts)\n",
    )


def test_a_rest_object_the_source_lacks_is_a_validate_error(project: Project) -> None:
    _only(project, "sugarcrm")
    project.edit("sugarcrm.yaml", "object: contacts", "object: contact")
    result = project.run("validate")
    assert result.exit_code == 1
    assert (
        "manifests/sugarcrm.yaml:20:13: source.object 'contact': SugarCRM Accounts & Contacts "
        "serves accounts, contacts" in result.output
    )


def test_a_secret_of_a_generic_connector_written_out_is_refused_at_plan(
    project: Project,
) -> None:
    _only(project, "generic")
    project.edit("generic.yaml", "${env:ADWORDS_DEVELOPER_TOKEN}", "tok-123")
    result = project.run("plan")
    assert result.exit_code == 1
    assert result.output == (
        "Error: manifests/generic.yaml:12:23: connection.adwords: auth.params.developerToken is "
        "a secret of authSpec 'Basic Authentication for google-adwords' (format: password): "
        "write exactly ${env:NAME} and set NAME in the environment\n"
    )
    assert "tok-123" not in result.output


def test_a_generic_connector_param_the_spec_lacks_is_refused_at_plan(project: Project) -> None:
    _only(project, "generic")
    project.edit("generic.yaml", "clientId: adwords-app", "clientID: adwords-app")
    result = project.run("plan")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: manifests/generic.yaml:14:17: connection.adwords: auth.params.clientID: unknown "
        "param for authSpec 'Basic Authentication for google-adwords' (known: clientCustomerID,"
    )


def test_oauth2_jwt_is_not_offered_for_service_cloud(project: Project) -> None:
    """customer-success/salesforce-service-cloud.md documents basic and OAuth 2 client
    credentials only; create/crm/salesforce.md documents the JWT."""
    _only(project, "salesforce-service-cloud")
    project.edit(
        "salesforce-service-cloud.yaml", "type: oauth2-client-credentials", "type: oauth2-jwt"
    )
    result = project.run("validate")
    assert (result.exit_code, result.output) == (
        1,
        "manifests/salesforce-service-cloud.yaml:8:11: spec.auth.type: 'oauth2-jwt' is not one "
        "of oauth2-client-credentials, basic\n1 problem found.\n",
    )


def test_a_generic_connectors_dataflow_reads_a_table_with_a_delta_column(
    project: Project,
) -> None:
    _only(project, "generic")
    project.edit("generic.yaml", "  deltaColumn: {name: Date}\n", "")
    result = project.run("validate")
    assert result.exit_code == 1
    assert (
        "manifests/generic.yaml:19:18: deltaColumn is required: the flow reads new and changed "
        "rows by it\n"
    ) in result.output

"""Preview writes what the flow would write: array destinations as arrays, Data Prep's own
conversions (the ones validate uses), and the rows of views and REST sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import FLOW, Project, apply_ok
from tests.served import aim_at

SOURCES = Path(__file__).parent / "sources"

LOYALTY_SCHEMA = "fieldGroups: [profile-person-details, profile-personal-details]"


def flow_with(project: Project, mappings: str, columns: str = "") -> None:
    flow = FLOW
    if columns:
        flow = flow.replace("Email, LastModifiedDate]", f"Email, {columns}, LastModifiedDate]")
    start = flow.index("  mappings:\n") + len("  mappings:\n")
    end = flow.index("  deltaColumn:")
    project.write("flow.yaml", flow[:start] + mappings + flow[end:])


def test_array_destinations_are_arrays_in_the_record(project: Project) -> None:
    project.edit(
        "schema.yaml",
        LOYALTY_SCHEMA,
        "fieldGroups: [profile-person-details, profile-personal-details, "
        "profile-loyalty-details, identitymap]",
    )
    flow_with(
        project,
        '    - {source: Id, destination: "loyalty.loyaltyID[0]"}\n'
        '    - {expression: lower(Email), destination: "identityMap.Email[0].id"}\n'
        '    - {source: Email, destination: "identityMap.Email[1].id"}\n',
    )
    checked = project.run("validate")
    assert checked.exit_code == 0, checked.output
    apply_ok(project, "--target", "connection.crm")
    result = project.run("preview", "contacts", "--rows", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["records"][0]["record"] == {
        "loyalty": {"loyaltyID": ["ID00001"]},
        "identityMap": {
            "Email": [{"id": "ava.martin@example.com"}, {"id": "ava.martin@example.com"}]
        },
    }


DATA_PREP_VALUES = """\
Preview of dataflow contacts: 1 record from table Contact of connection crm (environment local)

Record 1 of 1 (row: Id=ID00001, FirstName=Ava, LastName=Martin, Email=ava.martin@example.com, LastModifiedDate=2026-01-10T09:10:00Z)
  field                 value         mapping
  _aepflowlocal.vip     true          value "yes"
  _aepflowlocal.crmId   "ID00001"     Id
  person.birthDate      "2020-12-31"  value "12/31/2020"
  _aepflowlocal.member  false         iif(FirstName == 'Ava', 'N', 'Y')
"""


def test_values_validate_accepts_are_written_by_preview_as_data_prep_reads_them(
    project: Project,
) -> None:
    project.edit(
        "schema.yaml",
        "    crmId: {type: string}\n",
        "    crmId: {type: string}\n    vip: {type: boolean}\n    member: {type: boolean}\n",
    )
    flow_with(
        project,
        '    - {value: "yes", destination: "_${tenant}.vip"}\n'
        '    - {source: Id, destination: "_${tenant}.crmId"}\n'
        '    - {value: "12/31/2020", destination: person.birthDate}\n'
        "    - {expression: \"iif(FirstName == 'Ava', 'N', 'Y')\", "
        'destination: "_${tenant}.member"}\n',
    )
    checked = project.run("validate")
    assert checked.exit_code == 0, checked.output
    apply_ok(project, "--target", "connection.crm")
    result = project.run("preview", "contacts", "--rows", "1")
    assert (result.exit_code, result.output) == (0, DATA_PREP_VALUES)


def only(project: Project, *examples: str) -> None:
    for name in ("crm.yaml", "flow.yaml", "schema.yaml"):
        (project.root / "manifests" / name).unlink()
    for example in examples:
        project.write(f"{example}.yaml", (SOURCES / f"{example}.yaml").read_text())


DYNAMICS_VIEW = """\
Preview of dataflow dynamics-active-contacts: 1 record from view activecontacts of connection dynamics (environment local)

Record 1 of 1 (row: contactid=CON00001, fullname=fullname 1, modifiedon=2026-01-10T09:10:00Z)
  field                   value         mapping
  _aepflowlocal.sourceId  "CON00001"    contactid
  person.name.fullName    "fullname 1"  fullname
"""

ZENDESK = """\
Preview of dataflow zendesk-users: 1 record from connection zendesk (environment local)

Record 1 of 1 (row: result.id=3, result.name=name 1, result.email=ava.martin@example.com, result.phone=+1 555 0100, result.role=3, result.active=True, result.verified=True, result.time_zone=time_zone 1, result.locale=locale 1, result.created_at=created_at 1, result.updated_at=updated_at 1, result.url=url 1)
  field                  value                     mapping
  person.name.fullName   "name 1"                  result.name
  personalEmail.address  "ava.martin@example.com"  result.email
"""

SUGARCRM = """\
Preview of dataflow sugarcrm-contacts: 1 record from object contacts of connection sugarcrm (environment local)

Record 1 of 1 (row: next=next 1, page_number=3, total_count=3, count=3, page_size=3, results.contact_id=3, results.contact=contact 1, results.first_name=Ava, results.last_name=Martin, results.email=ava.martin@example.com, results.phone=+1 555 0100, results.account_id=3, results.account_name=account_name 1, results.created_date=created_date 1, results.updated_date=updated_date 1)
  field                  value                     mapping
  person.name.firstName  "Ava"                     results.first_name
  personalEmail.address  "ava.martin@example.com"  results.email
"""

SAP = """\
Preview of dataflow sap-customers: 1 record from object customers of connection sap-billing (environment local)

Record 1 of 1 (row: customerNumber=customerNumber 1, customerType=customerType 1, personalInfo.firstName=Ava, personalInfo.lastName=Martin, createdAt=createdAt 1, changedAt=changedAt 1)
  field                  value     mapping
  person.name.firstName  "Ava"     personalInfo.firstName
  person.name.lastName   "Martin"  personalInfo.lastName
"""


@pytest.mark.parametrize(
    ("example", "flow", "expected"),
    [
        ("dynamics", "dynamics-active-contacts", DYNAMICS_VIEW),
        ("zendesk", "zendesk-users", ZENDESK),
        ("sugarcrm", "sugarcrm-contacts", SUGARCRM),
        ("sap-subscription-billing", "sap-customers", SAP),
    ],
)
def test_views_and_rest_sources_preview_from_what_they_serve(
    project: Project, example: str, flow: str, expected: str
) -> None:
    only(project, example)
    apply_ok(project)
    result = project.run("preview", flow, "--rows", "1")
    assert (result.exit_code, result.output) == (0, expected)


def test_a_rest_record_is_built_from_the_json_paths(project: Project) -> None:
    only(project, "sugarcrm")
    apply_ok(project)
    result = project.run("preview", "sugarcrm-contacts", "--rows", "1", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert (doc["table"], doc["kind"]) == ("contacts", "rest")
    assert doc["records"][0]["record"] == {
        "person": {"name": {"firstName": "Ava"}},
        "personalEmail": {"address": "ava.martin@example.com"},
    }


def test_plan_preview_shows_records_of_a_rest_flow_and_a_view(project: Project) -> None:
    only(project, "zendesk", "dynamics")
    apply_ok(project)
    project.edit(
        "zendesk.yaml",
        "destination: person.name.fullName}\n",
        'destination: person.name.fullName}\n    - {value: "x", destination: '
        "person.name.firstName}\n",
    )
    project.edit(
        "dynamics.yaml",
        "{source: fullname, destination: person.name.fullName}",
        "{expression: upper(fullname), destination: person.name.fullName}",
    )
    result = project.run("plan", "--format", "markdown", "--preview")
    assert result.exit_code == 0, result.output
    section = result.output[result.output.index("### Mapping preview") :]
    assert "no preview" not in section
    assert (
        "<summary><code>dynamics-active-contacts</code>: 3 records from view activecontacts of "
        "connection dynamics (environment local)</summary>" in section
    )
    assert '| `person.name.fullName` | `"FULLNAME 1"` | `upper(fullname)` |' in section
    assert (
        "<summary><code>zendesk-users</code>: 2 records from connection zendesk "
        "(environment local)</summary>" in section
    )
    assert '| `person.name.firstName` | `"x"` | `value "x"` |' in section


def test_views_and_rest_sources_preview_over_loopback_like_a_real_sandbox(
    project: Project, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: staging\n"
        "environments:\n  staging: {type: aep, sandbox: dev}\n"
    )
    aim_at(
        monkeypatch,
        served,
        DYN_PRINCIPAL_ID="i",
        DYN_PRINCIPAL_KEY="k",
        ZENDESK_TOKEN="t",
        SUGAR_USERNAME="u",
        SUGAR_PASSWORD="p",
    )
    only(project, "dynamics", "zendesk", "sugarcrm")
    for name in ("dynamics", "zendesk", "sugarcrm"):
        apply_ok(project, "--target", f"connection.{name}")
    for flow, expected in (
        ("dynamics-active-contacts", DYNAMICS_VIEW),
        ("zendesk-users", ZENDESK),
        ("sugarcrm-contacts", SUGARCRM),
    ):
        result = project.run("preview", flow, "--rows", "1")
        tenant = json.loads(project.run("preview", flow, "--json").output)["records"][0]
        key = next(k for k in tenant["record"] if k.startswith("_")) if flow[0] == "d" else ""
        assert (result.exit_code, result.output) == (
            0,
            expected.replace("_aepflowlocal", key or "_aepflowlocal").replace(
                "environment local", "environment staging"
            ),
        )

"""Preview writes what the flow would write: array destinations as arrays, Data Prep's own
conversions (the ones validate uses), and the rows of views and REST sources."""

from __future__ import annotations

import json

from tests.e2e.conftest import FLOW, Project, apply_ok

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

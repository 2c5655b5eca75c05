"""`aepflow preview` and `plan --preview` end to end, on the embedded emulator and over the
network path (the emulator served on loopback)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import FLOW, Project, apply_ok
from tests.served import aim_at

MAPPINGS = """\
    - {source: Id, destination: "_${tenant}.crmId"}
    - {source: FirstName, destination: person.name.firstName}
    - {expression: lower(Email), destination: personalEmail.address}
    - {expression: "concat(FirstName, ' ', upper(LastName))", destination: person.name.fullName}
    - {source: Birthdate, destination: person.birthDate}
    - {value: web, destination: person.name.suffix}
    - {expression: "iif(FirstName == 'Noah', 'x', FirstName)", destination: person.birthYear}
"""

TWO_RECORDS = """\
Preview of dataflow contacts: 2 records from table Contact of connection crm (environment local); 2 would fail

Record 1 of 2 (row: Id=ID00001, FirstName=Ava, LastName=Martin, Email=ava.martin@example.com, Birthdate=1980-01-20, LastModifiedDate=2026-01-10T09:10:00Z)
  field                  value                     mapping
  _aepflowlocal.crmId    "ID00001"                 Id
  person.name.firstName  "Ava"                     FirstName
  personalEmail.address  "ava.martin@example.com"  lower(Email)
  person.name.fullName   "Ava MARTIN"              concat(FirstName, ' ', upper(LastName))
  person.birthDate       "1980-01-20"              Birthdate
  person.name.suffix     "web"                     value "web"
  person.birthYear       (error)                   iif(FirstName == 'Noah', 'x', FirstName)
  error: person.birthYear: 'Ava' is not an integer

Record 2 of 2 (row: Id=ID00002, FirstName=Noah, LastName=Okafor, Email=noah.okafor@example.com, Birthdate=1981-02-21, LastModifiedDate=2026-02-11T09:11:00Z)
  field                  value                      mapping
  _aepflowlocal.crmId    "ID00002"                  Id
  person.name.firstName  "Noah"                     FirstName
  personalEmail.address  "noah.okafor@example.com"  lower(Email)
  person.name.fullName   "Noah OKAFOR"              concat(FirstName, ' ', upper(LastName))
  person.birthDate       "1981-02-21"               Birthdate
  person.name.suffix     "web"                      value "web"
  person.birthYear       (error)                    iif(FirstName == 'Noah', 'x', FirstName)
  error: person.birthYear: 'x' is not an integer
"""


def with_mappings(project: Project, mappings: str = MAPPINGS) -> None:
    flow = FLOW.replace(
        "columns: [Id, FirstName, LastName, Email, LastModifiedDate]",
        "columns: [Id, FirstName, LastName, Email, Birthdate, LastModifiedDate]",
    )
    start = flow.index("  mappings:\n") + len("  mappings:\n")
    end = flow.index("  deltaColumn:")
    project.write("flow.yaml", flow[:start] + mappings + flow[end:])


def test_preview_shows_each_record_and_each_value_that_does_not_fit(project: Project) -> None:
    with_mappings(project)
    apply_ok(project, "--target", "connection.crm")
    result = project.run("preview", "contacts", "--rows", "2")
    assert (result.exit_code, result.output) == (0, TWO_RECORDS)


def test_preview_json_is_one_document_with_the_nested_record(project: Project) -> None:
    with_mappings(project)
    apply_ok(project, "--target", "connection.crm")
    result = project.run("preview", "contacts", "--rows", "1", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["records"] == [
        {
            "row": {
                "Id": "ID00001",
                "FirstName": "Ava",
                "LastName": "Martin",
                "Email": "ava.martin@example.com",
                "Birthdate": "1980-01-20",
                "LastModifiedDate": "2026-01-10T09:10:00Z",
            },
            "record": {
                "_aepflowlocal": {"crmId": "ID00001"},
                "person": {
                    "name": {"firstName": "Ava", "fullName": "Ava MARTIN", "suffix": "web"},
                    "birthDate": "1980-01-20",
                },
                "personalEmail": {"address": "ava.martin@example.com"},
            },
            "values": [
                {"destination": "_aepflowlocal.crmId", "value": "ID00001"},
                {"destination": "person.name.firstName", "value": "Ava"},
                {"destination": "personalEmail.address", "value": "ava.martin@example.com"},
                {"destination": "person.name.fullName", "value": "Ava MARTIN"},
                {"destination": "person.birthDate", "value": "1980-01-20"},
                {"destination": "person.name.suffix", "value": "web"},
            ],
            "errors": [{"destination": "person.birthYear", "message": "'Ava' is not an integer"}],
        }
    ]
    assert {k: doc[k] for k in ("flow", "environment", "connection", "table", "unchecked")} == {
        "flow": "contacts",
        "environment": "local",
        "connection": "crm",
        "table": "Contact",
        "unchecked": [],
    }


def test_a_function_preview_lacks_is_named_on_the_field(project: Project) -> None:
    with_mappings(
        project, "    - {expression: ua_os_name(Email), destination: person.name.suffix}\n"
    )
    apply_ok(project, "--target", "connection.crm")
    result = project.run("preview", "contacts", "--rows", "1")
    assert result.exit_code == 0
    assert result.output.splitlines()[-2:] == [
        "  person.name.suffix  (error)  ua_os_name(Email)",
        "  error: person.name.suffix: Data Prep function 'ua_os_name' is not supported by preview",
    ]


def test_a_flow_whose_connection_does_not_exist_yet_says_what_to_do(project: Project) -> None:
    result = project.run("preview", "contacts")
    assert (result.exit_code, result.output) == (
        1,
        "Error: dataflow 'contacts' reads from connection 'crm', which does not exist yet in "
        "environment local (it has no id in the lock): create it first with "
        "`aepflow apply --target connection.crm`, then preview again\n",
    )


def test_with_json_an_error_is_the_one_document_on_stdout(project: Project) -> None:
    result = project.run("preview", "contacts", "--json")
    message = (
        "dataflow 'contacts' reads from connection 'crm', which does not exist yet in "
        "environment local (it has no id in the lock): create it first with "
        "`aepflow apply --target connection.crm`, then preview again"
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"error": {"code": "usage", "message": message}}
    assert result.stderr == f"Error: {message}\n"


def test_an_unknown_flow_has_a_did_you_mean(project: Project) -> None:
    result = project.run("preview", "contact")
    assert (result.exit_code, result.output) == (
        1,
        "Error: no Dataflow named 'contact' in the manifests: did you mean 'contacts'? "
        "(dataflows: contacts)\n",
    )


def test_invalid_manifests_are_reported_before_anything_is_read(project: Project) -> None:
    with_mappings(project, "    - {expression: lowr(Email), destination: person.name.suffix}\n")
    result = project.run("preview", "contacts")
    assert (result.exit_code, result.output) == (
        1,
        "Error: manifests/flow.yaml:13:20: unknown Data Prep function 'lowr': did you mean "
        "'lower'?\n1 problem found.\n",
    )


PLAN_SECTION = """
### Mapping preview

<details><summary><code>contacts</code>: 1 record from table Contact of connection crm (environment local)</summary>

Record 1

| field | value | mapping |
|---|---|---|
| `_aepflowlocal.crmId` | `"ID00001"` | `Id` |
| `person.name.firstName` | `"Ava"` | `FirstName` |
| `personalEmail.address` | `"ava.martin@example.com"` | `lower(Email)` |
| `person.name.fullName` | `"Ava martin"` | `concat(FirstName, ' ', lower(LastName))` |

</details>
"""


def test_plan_markdown_preview_shows_records_of_the_flows_whose_mappings_change(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aepflow.preview.PLAN_ROWS", 1)
    mappings = MAPPINGS.splitlines(keepends=True)[:4]
    with_mappings(project, "".join(mappings))
    first = project.run("plan", "--format", "markdown", "--preview")
    assert first.exit_code == 0
    assert first.output.endswith(
        "### Mapping preview\n\n**`contacts`**: connection crm is created by this plan: no rows "
        "to preview yet\n"
    )
    apply_ok(project)
    unchanged = project.run("plan", "--format", "markdown", "--preview")
    assert "Mapping preview" not in unchanged.output
    with_mappings(project, "".join(mappings).replace("upper(LastName)", "lower(LastName)"))
    changed = project.run("plan", "--format", "markdown", "--preview")
    assert changed.exit_code == 0
    assert changed.output.endswith("</details>\n" + PLAN_SECTION)


def test_plan_preview_needs_the_markdown_format(project: Project) -> None:
    result = project.run("plan", "--preview")
    assert (result.exit_code, result.output) == (
        1,
        "Error: --preview goes with --format markdown (the pull-request comment); for one "
        "flow's records run: aepflow preview FLOW\n",
    )


def test_preview_over_loopback_like_a_real_sandbox(
    project: Project, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: staging\n"
        "environments:\n  staging: {type: aep, sandbox: dev}\n"
    )
    aim_at(monkeypatch, served, SF_USERNAME="u", SF_PASSWORD="p", SF_TOKEN="t")
    with_mappings(project)
    apply_ok(project, "--target", "connection.crm")
    result = project.run("preview", "contacts", "--rows", "2")
    tenant = json.loads(project.run("preview", "contacts", "--json").output)["records"][0]
    assert result.exit_code == 0
    crm_key = next(k for k in tenant["record"] if k.startswith("_"))
    assert result.output == TWO_RECORDS.replace("_aepflowlocal", crm_key).replace(
        "environment local", "environment staging"
    )

"""`aepflow explore`: a connection's tables, a table's columns and a Dataflow skeleton."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from aepflow import explore
from aepflow.explore import Column
from tests.e2e.conftest import Project, apply_ok

CONTACT_COLUMNS = """\
Id                string
AccountId         string
FirstName         string
LastName          string
Name              string
Email             string
Phone             string
MobilePhone       string
Title             string
MailingCity       string
MailingCountry    string
Birthdate         date
CreatedDate       date-time
LastModifiedDate  date-time
SystemModstamp    date-time
"""

SKELETON = """\
# Dataflow skeleton from `aepflow explore crm Contact --manifest`.
# Every proposal marked `# review` is a guess by name: check it against the data.
apiVersion: aepflow.io/v1
kind: Dataflow
metadata:
  name: contact
spec:
  connection: crm
  source:
    table: Contact
    columns: [Id, AccountId, FirstName, LastName, Name, Email, Phone, MobilePhone, Title,
      MailingCity, MailingCountry, Birthdate, CreatedDate, LastModifiedDate, SystemModstamp]
  # schema: the first Schema of the manifests; choose another with --schema NAME.
  schema: contacts
  dataset: contacts
  # deltaColumn: LastModifiedDate, picked by its name as the table's last-modified column (names
  #   like LastModifiedDate, modifiedon, sys_updated_on, updated_at).
  deltaColumn: {name: LastModifiedDate}
  schedule: {frequency: hour, interval: 1, start: "2031-05-06T08:00:00Z"}
  mappings:
    - {source: Id, destination: "_${tenant}.crmId"}  # review (id column)
    - {source: FirstName, destination: person.name.firstName}  # review (field name)
    - {source: LastName, destination: person.name.lastName}  # review (field name)
    - {source: Name, destination: person.name.fullName}  # review (alias)
    - {source: Email, destination: personalEmail.address}  # review (alias)
    - {source: MobilePhone, destination: mobilePhone.number}  # review (alias)
    - {source: MailingCity, destination: mailingAddress.city}  # review (address field)
    - {source: MailingCountry, destination: mailingAddress.country}  # review (address field)
    - {source: Birthdate, destination: person.birthDate}  # review (field name)
  # Not mapped (no free field of schema contacts fits the name): AccountId, Phone, Title,
  #   CreatedDate, LastModifiedDate, SystemModstamp.
"""


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2031, 5, 6, 7, 42, 10, tzinfo=timezone.utc)
    monkeypatch.setattr(explore, "utcnow", lambda: now)


def test_lists_the_tables_of_an_applied_connection(project: Project) -> None:
    apply_ok(project)
    result = project.run("explore", "crm")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Account  Account  table\nContact  Contact  table\nLead     Lead     table\n"
    )


def test_lists_the_columns_of_a_table(project: Project) -> None:
    apply_ok(project)
    result = project.run("explore", "crm", "Contact")
    assert result.exit_code == 0, result.output
    assert result.output == CONTACT_COLUMNS


def test_manifest_skeleton_validates_and_applies(project: Project, fixed_clock: None) -> None:
    apply_ok(project)
    result = project.run("explore", "crm", "Contact", "--manifest")
    assert result.exit_code == 0, result.output
    assert result.output == SKELETON
    project.write("new.yaml", result.output)
    checked = project.run("validate")
    assert checked.exit_code == 0, checked.output
    assert "2 dataflow(s)" in checked.output
    applied = apply_ok(project)
    assert "flow.contact: done" in applied
    assert project.id("flow.contact")
    assert project.run("plan").output.startswith("No changes.")


def test_manifest_with_another_schema_and_no_dataset_of_it(
    project: Project, fixed_clock: None
) -> None:
    project.write(
        "leads.yaml",
        "apiVersion: aepflow.io/v1\nkind: Schema\nmetadata: {name: leads}\n"
        "spec:\n  title: Leads\n  class: profile\n  fieldGroups: [profile-person-details]\n"
        "  customFields:\n    leadId: {type: string}\n",
    )
    apply_ok(project)
    result = project.run("explore", "crm", "Lead", "--manifest", "--schema", "leads")
    assert result.exit_code == 0, result.output
    assert "  schema: leads\n" in result.output
    assert "  # dataset: a new dataset (no Dataset uses schema leads).\n" in result.output
    assert "  dataset: {name: lead}\n" in result.output
    assert '{source: Id, destination: "_${tenant}.leadId"}  # review' in result.output
    project.write("lead.yaml", result.output)
    assert project.run("validate").exit_code == 0
    apply_ok(project)
    assert project.id("dataset.lead")


def test_a_connection_not_applied_is_a_usage_error(project: Project) -> None:
    result = project.run("explore", "crm")
    assert result.exit_code == 1
    assert result.output == (
        "Error: connection crm is not applied in environment local: it has no id in the lock "
        "yet. Apply it first: aepflow apply --target connection.crm\n"
    )


def test_an_unknown_connection_lists_the_known_ones(project: Project) -> None:
    result = project.run("explore", "nope")
    assert result.exit_code == 1
    assert (
        result.output == "Error: no Connection named 'nope' in the manifests (connections: crm)\n"
    )


def test_an_unknown_table_is_a_clear_error(project: Project) -> None:
    apply_ok(project)
    result = project.run("explore", "crm", "Opportunity")
    assert result.exit_code == 1
    assert result.output == (
        "Error: no table 'Opportunity' in the source of connection crm "
        "(tables: Account, Contact, Lead)\n"
    )
    result = project.run("explore", "crm", "contact", "--manifest")
    assert result.exit_code == 1
    assert result.output.endswith("(tables: Account, Contact, Lead); did you mean Contact?\n")


def test_manifest_needs_a_table_and_schema_needs_manifest(project: Project) -> None:
    result = project.run("explore", "crm", "--manifest")
    assert result.exit_code == 1
    assert "--manifest needs a TABLE" in result.output
    result = project.run("explore", "crm", "Contact", "--schema", "contacts")
    assert result.exit_code == 1
    assert "--schema goes with --manifest" in result.output


def test_delta_column_rules() -> None:
    def cols(*spec: str) -> list[Column]:
        return [Column(n, "string", t) for n, t in (s.split(":") for s in spec)]

    assert explore.delta_column(cols("sys_id:string", "sys_updated_on:date-time")) == (
        "sys_updated_on",
        "name",
    )
    assert explore.delta_column(cols("id:string", "Changed:date-time", "updated:date-time")) == (
        "updated",
        "name",
    )
    assert explore.delta_column(cols("id:string", "Changed:date-time")) == ("Changed", "date-time")
    assert explore.delta_column(cols("id:string")) == ("id", "none")


def test_manifest_names() -> None:
    assert explore.manifest_name("sys_user") == "sys-user"
    assert explore.manifest_name("AccountContactRelation") == "account-contact-relation"
    assert explore.manifest_name("Contact", {"contact", "contact-2"}) == "contact-3"


def test_plan_checks_declared_columns_against_the_source(project: Project) -> None:
    apply_ok(project)
    project.edit("flow.yaml", "columns: [Id, FirstName,", "columns: [Id, FristName, FirstName,")
    result = project.run("plan")
    assert (result.exit_code, result.output) == (
        1,
        "Error: manifests/flow.yaml:9:19: sourceConnection.contacts: table 'Contact' has no "
        "column 'FristName'; did you mean 'FirstName'?\n",
    )
    project.edit("flow.yaml", "FristName, ", "")
    project.edit("flow.yaml", "table: Contact", "table: Contacts")
    result = project.run("plan")
    assert result.output == (
        "Error: manifests/flow.yaml:8:12: sourceConnection.contacts: the source has no table "
        "'Contacts'; did you mean 'Contact'? (tables: Account, Contact, Lead)\n"
    )


def test_an_experience_event_skeleton_maps_id_and_timestamp_and_validates(
    project: Project, fixed_clock: None
) -> None:
    project.write(
        "events.yaml",
        "apiVersion: aepflow.io/v1\nkind: Schema\nmetadata: {name: events}\n"
        "spec:\n  title: Events\n  class: experienceevent\n"
        "  customFields:\n    leadId: {type: string}\n",
    )
    apply_ok(project)
    result = project.run("explore", "crm", "Lead", "--manifest", "--schema", "events")
    assert result.exit_code == 0, result.output
    assert (
        '    - {expression: "uuid()", destination: _id}  # review (expression: ExperienceEvents '
        "need it)\n"
        "    - {source: LastModifiedDate, destination: timestamp}  # review (event time: "
        "ExperienceEvents need it)\n"
    ) in result.output
    project.write("lead.yaml", result.output)
    checked = project.run("validate")
    assert checked.exit_code == 0, checked.output


def test_a_rest_source_is_explored_as_json_and_its_skeleton_validates(
    project: Project, fixed_clock: None
) -> None:
    project.write(
        "sugar.yaml",
        "apiVersion: aepflow.io/v1\nkind: Connection\nmetadata: {name: sugar}\nspec:\n"
        "  connector: sugarcrm\n  auth:\n    type: oauth2-refresh-code\n    params:\n"
        "      host: developer.salesfusion.com\n      username: ${env:SUGAR_USER}\n"
        "      password: ${env:SUGAR_PASSWORD}\n",
    )
    apply_ok(project)
    assert (
        project.run("explore", "sugar").output.splitlines()[1:]
        == [
            "accounts  rest",
            "contacts  rest",
        ]
        or "contacts" in project.run("explore", "sugar").output
    )
    columns = project.run("explore", "sugar", "contacts")
    assert columns.exit_code == 0, columns.output
    assert "results.email" in columns.output
    result = project.run("explore", "sugar", "contacts", "--manifest")
    assert result.exit_code == 0, result.output
    assert "  source:\n    object: contacts\n" in result.output
    assert "deltaColumn" not in result.output.replace("no deltaColumn", "")
    assert "columns" not in result.output.replace("no columns", "")

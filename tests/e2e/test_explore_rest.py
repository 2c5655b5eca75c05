"""`aepflow explore --manifest` on REST sources: mappings proposed from the JSON paths' leaf
names (help/sources/tutorials/api/create/customer-success/zendesk.md and
create/crm/sugarcrm-accounts-contacts.md: mapping sources are paths into the JSON)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from aepflow import explore
from aepflow.explore import Column, Proposal
from aepflow.manifest import xdm
from tests.e2e.conftest import Project, apply_ok

ZENDESK = """\
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: zendesk}
spec:
  connector: zendesk
  auth:
    type: oauth2-refresh-code
    params: {subdomain: "https://acme.zendesk.com", accessToken: "${env:ZENDESK_TOKEN}"}
"""
SUGAR = """\
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: sugar}
spec:
  connector: sugarcrm
  auth:
    type: oauth2-refresh-code
    params: {host: developer.salesfusion.com, username: u, password: "${env:SUGAR_PASSWORD}"}
"""


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2031, 5, 6, 7, 42, 10, tzinfo=timezone.utc)
    monkeypatch.setattr(explore, "utcnow", lambda: now)


ZENDESK_MAPPINGS = """\
  mappings:
    - {source: result.id, destination: "_${tenant}.crmId"}  # review (id column)
    - {source: result.name, destination: person.name.fullName}  # review (alias)
    - {source: result.email, destination: personalEmail.address}  # review (alias)
    - {source: result.phone, destination: mobilePhone.number}  # review (alias)
  # Not mapped (no free field of schema contacts fits the name): result.role, result.active,
  #   result.verified, result.time_zone, result.locale, result.created_at, result.updated_at,
  #   result.url.
"""
SUGAR_MAPPINGS = """\
  mappings:
    - {source: results.first_name, destination: person.name.firstName}  # review (field name)
    - {source: results.last_name, destination: person.name.lastName}  # review (field name)
    - {source: results.email, destination: personalEmail.address}  # review (alias)
    - {source: results.phone, destination: mobilePhone.number}  # review (alias)
  # Not mapped (no free field of schema contacts fits the name): next, page_number, previous,
  #   total_count, count, page_size, results.contact_id, results.contact, results.account_id,
  #   results.account_name, results.created_date, results.updated_date.
"""


@pytest.mark.parametrize(
    ("name", "connection", "object", "source", "mappings"),
    [
        pytest.param("zendesk", ZENDESK, "json", "  source: {}\n", ZENDESK_MAPPINGS, id="zendesk"),
        pytest.param(
            "sugar", SUGAR, "contacts", "  source:\n    object: contacts\n", SUGAR_MAPPINGS, id="sugarcrm"
        ),
    ],
)  # fmt: skip
def test_a_rest_skeleton_maps_json_paths_by_their_leaf_names_and_validates(
    project: Project,
    fixed_clock: None,
    name: str,
    connection: str,
    object: str,
    source: str,
    mappings: str,
) -> None:
    project.write(f"{name}.yaml", connection)
    apply_ok(project)
    result = project.run("explore", name, object, "--manifest")
    assert result.exit_code == 0, result.output
    assert source in result.output
    assert result.output.endswith(
        '  schedule: {frequency: hour, interval: 1, start: "2031-05-06T08:00:00Z"}\n' + mappings
    ), result.output
    project.write(f"{name}-flow.yaml", result.output)
    checked = project.run("validate")
    assert checked.exit_code == 0, checked.output
    assert checked.output.endswith(
        "OK: 6 manifest document(s): 2 connection(s), 1 schema(s), 1 dataset(s), 2 dataflow(s).\n"
    )


def test_json_paths_match_by_their_leaf_names_through_arrays() -> None:
    """``customers[].personalInfo.firstName`` (SAP Subscription Billing's shape) is matched by
    its leaf; a parent and leaf name an address field; a table column with dots is not a
    path (only REST columns are)."""
    fields = xdm.schema_fields(
        xdm.class_id("profile"),
        [
            xdm.field_group_id("profile-person-details"),
            xdm.field_group_id("profile-personal-details"),
        ],
        {},
    )
    assert fields is not None
    paths = [
        "customers[].personalInfo.firstName",
        "customers[].personalInfo.lastName",
        "customers[].mailing.city",
        "customers[0].email",
        "customers[].FirstName",  # firstName is taken by then: the earlier path keeps it
    ]
    columns = [Column(p, "string", "string") for p in paths]
    assert explore.propose_mappings(columns, fields, "customers", json=True) == (
        [
            Proposal(paths[0], "person.name.firstName", "field name"),
            Proposal(paths[1], "person.name.lastName", "field name"),
            Proposal(paths[2], "mailingAddress.city", "address field"),
            Proposal(paths[3], "personalEmail.address", "alias"),
        ],
        [paths[4]],
    )
    assert explore.propose_mappings(columns, fields, "customers") == ([], paths)

"""The round trip a team meets first: pipelines made by hand through the documented HTTP API
(``tests/e2e/handmade.py``, the shapes of the tutorials), imported with ``import --all`` into a
fresh project; the next plan re-sends only secrets, an apply leaves ``No changes.``, an edit made
in the UI is labelled drift, and importing again changes no file. Run on the embedded emulator
and over ``aepflow emulator serve``, as a real sandbox is reached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from aepflow.emulator import (
    EMBEDDED_BASE_URL,
    Emulator,
)
from aepflow.kinds import KINDS
from tests.e2e.conftest import Project
from tests.e2e.handmade import FLOW, Http, build_by_hand
from tests.e2e.handmade_rest import build_rest_and_generic
from tests.served import aim_at, serving


@dataclass
class Sandbox:
    """Where the pipelines live, and how the project and a user's own client reach it."""

    http: Http
    env: str  # the environment the commands name with -e


@pytest.fixture(params=["embedded", "served"])
def sandbox(
    request: pytest.FixtureRequest,
    project: Project,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Sandbox]:
    for name in ("crm.yaml", "schema.yaml", "flow.yaml"):  # a fresh project: no manifests
        (project.root / "manifests" / name).unlink()
    if request.param == "embedded":
        emulator = Emulator(project.root / ".aepflow" / "emulator")
        with httpx.Client(base_url=EMBEDDED_BASE_URL, transport=emulator.transport()) as c:
            yield Sandbox(Http(c), "local")
        return
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: local\nenvironments:\n"
        "  local: {type: embedded, sandbox: prod}\n  staging: {type: aep, sandbox: prod}\n"
    )
    with serving(tmp_path / "served") as url, httpx.Client(base_url=url) as c:
        aim_at(monkeypatch, url)
        yield Sandbox(Http(c), "staging")


SALESFORCE_FLOW = """\
metadata:
  name: loyalty-members-from-salesforce
spec:
  name: Loyalty members from Salesforce
  connection: salesforce-prod
  source:
    table: Contact
    columns:
      - Id
      - FirstName
      - Email
      - LastModifiedDate
    filter:
      and:
        - column: FirstName
          op: '='
          value: Ada
        - not:
            column: Email
            op: isNull
  schema: loyalty-members
  dataset: loyalty-members
  mappings:
    - source: Id
      destination: _${tenant}.crmId
    - expression: lower(Email)
      destination: personalEmail.address
    - value: gold
      destination: _${tenant}.tier
    - source: FirstName
      destination: person.name.firstName
  deltaColumn:
    name: LastModifiedDate
    dateFormat: YYYY-MM-DD
    timezone: UTC
  schedule:
    frequency: hour
    interval: 1
    start: '2030-03-17T17:46:40Z'
    backfill: true
  errorHandling:
    diagnostics: true
    partialIngestionPercent: 5
"""


# The REST and generic pipelines' connections and dataflows, as import writes them (the
# Contacts dataset and the schema they share are written once, in the first flow's file).
REST_AND_GENERIC = {
    "zendesk-users": [
        """\
apiVersion: aepflow.io/v1
kind: Connection
metadata:
  name: zendesk-support
spec:
  name: Zendesk support
  connector: zendesk
  auth:
    type: oauth2-refresh-code
    params:
      subdomain: https://acme.zendesk.com
      accessToken: ${env:ZENDESK_SUPPORT_ACCESS_TOKEN}
""",
        """\
apiVersion: aepflow.io/v1
kind: Dataflow
metadata:
  name: zendesk-users
spec:
  name: Zendesk users
  connection: zendesk-support
  source: {}
  schema: loyalty-members
  dataset: contacts
  mappings:
    - source: result.email
      destination: personalEmail.address
    - source: result.name
      destination: person.name.fullName
  schedule:
    frequency: minute
    interval: 15
    start: '2030-03-17T17:46:40Z'
""",
    ],
    "sugarcrm-contacts": [
        """\
apiVersion: aepflow.io/v1
kind: Connection
metadata:
  name: sugarcrm-prod
spec:
  name: SugarCRM prod
  connector: sugarcrm
  auth:
    type: oauth2-refresh-code
    params:
      host: developer.salesfusion.com
      username: sugar-user
      password: ${env:SUGARCRM_PROD_PASSWORD}
""",
        """\
apiVersion: aepflow.io/v1
kind: Dataflow
metadata:
  name: sugarcrm-contacts
spec:
  name: SugarCRM contacts
  connection: sugarcrm-prod
  source:
    object: contacts
  schema: loyalty-members
  dataset: contacts
  mappings:
    - source: results.first_name
      destination: person.name.firstName
    - source: results.email
      destination: personalEmail.address
  schedule:
    frequency: minute
    interval: 15
    start: '2030-03-17T17:46:40Z'
""",
    ],
    "adwords-campaigns": [
        """\
apiVersion: aepflow.io/v1
kind: Connection
metadata:
  name: adwords-account
spec:
  name: AdWords account
  connector:
    spec: d771e9c1-4f26-40dc-8617-ce58c4b53702
  auth:
    params:
      clientCustomerID: 123-456-7890
      developerToken: ${env:ADWORDS_ACCOUNT_DEVELOPER_TOKEN}
      refreshToken: ${env:ADWORDS_ACCOUNT_REFRESH_TOKEN}
      clientId: adwords-app
      clientSecret: ${env:ADWORDS_ACCOUNT_CLIENT_SECRET}
    specName: Basic Authentication for google-adwords
""",
        """\
apiVersion: aepflow.io/v1
kind: Dataflow
metadata:
  name: adwords-campaigns
spec:
  name: AdWords campaigns
  connection: adwords-account
  source:
    table: Campaign
    columns:
      - CampaignId
      - CampaignName
      - name: Date
        type: date-time
  schema: loyalty-members
  dataset: contacts
  mappings:
    - source: CampaignName
      destination: person.name.fullName
  deltaColumn:
    name: Date
    dateFormat: ''
    timezone: ''
  schedule:
    frequency: day
    interval: 1
    start: '2030-03-17T17:46:40Z'
""",
    ],
}


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.yaml"))}


def test_a_hand_made_sandbox_round_trips(
    sandbox: Sandbox, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = build_rest_and_generic(sandbox.http, build_by_hand(sandbox.http))
    env = sandbox.env
    imported = project.run("import", "--all", "-e", env)
    assert imported.exit_code == 0, imported.output
    names = {
        ids["flow_sf"]: "loyalty-members-from-salesforce",
        ids["flow_dyn"]: "dynamics-contacts",
        ids["flow_zendesk"]: "zendesk-users",
        ids["flow_sugar"]: "sugarcrm-contacts",
        ids["flow_adwords"]: "adwords-campaigns",
    }
    skipped = [
        "Skipped 1 flow(s) aepflow cannot import:",
        f"  {ids['flow_lead']} (Leads): its row filter compares two columns, which aepflow "
        "cannot express",
    ]
    secrets = [
        "ADWORDS_ACCOUNT_CLIENT_SECRET",
        "ADWORDS_ACCOUNT_DEVELOPER_TOKEN",
        "ADWORDS_ACCOUNT_REFRESH_TOKEN",
        "DYNAMICS_PROD_PASSWORD",
        "SALESFORCE_PROD_CLIENT_SECRET",
        "SALESFORCE_PROD_JWT_TOKEN",
        "SUGARCRM_PROD_PASSWORD",
        "ZENDESK_SUPPORT_ACCESS_TOKEN",
    ]
    assert imported.output.splitlines() == [
        *(
            f"Imported flow.{names[id]}: wrote manifests/imported/{names[id]}.yaml"
            for id in sorted(names)
        ),
        *skipped,
        "Set these environment variables (the connections' secrets, which AEP never returns): "
        + ", ".join(secrets),
        f"Run `aepflow plan -e {env}`: it shows only what differs (connection secrets are "
        "re-sent once).",
    ]
    for variable in secrets:
        monkeypatch.setenv(variable, "from-the-environment")
    assert project.run("validate", "-e", env).exit_code == 0
    files = _files(project.root / "manifests")
    # Written in fmt's canonical layout: a CI's `fmt --check` passes on an import's PR.
    checked = project.run("fmt", "--check")
    assert (checked.exit_code, checked.output) == (0, ""), checked.output
    assert project.run("fmt").exit_code == 0 and _files(project.root / "manifests") == files
    flow_doc = files["imported/loyalty-members-from-salesforce.yaml"]
    assert flow_doc.split("kind: Dataflow\n", 1)[1] == SALESFORCE_FLOW
    for name, expected in REST_AND_GENERIC.items():
        # Flows are imported in id order: the shared dataset and schema are in the first.
        written = files[f"imported/{name}.yaml"].split("\n", 1)[1].split("---\n")
        kinds = ("kind: Connection\n", "kind: Dataflow\n")
        assert [d for d in written if any(k in d for k in kinds)] == expected, name
    lock = project.lock_of(env)
    assert {e["kind"] for e in lock.values()} == set(KINDS)  # every kind round-trips
    assert lock["profile.loyalty-members"]["id"] == ids["schema"]
    assert lock["flow.dynamics-contacts"]["hash"].startswith("sha256:")
    plan = project.run("plan", "-e", env, "--detailed-exitcode")
    changed = sorted(line.strip() for line in plan.output.splitlines() if line.startswith("      "))
    assert changed == [
        "~ auth.params.accessToken: (sensitive value changed)",
        "~ auth.params.clientSecret: (sensitive value changed)",
        "~ auth.params.clientSecret: (sensitive value changed)",
        "~ auth.params.developerToken: (sensitive value changed)",
        "~ auth.params.jwtToken: (sensitive value changed)",
        "~ auth.params.password: (sensitive value changed)",
        "~ auth.params.password: (sensitive value changed)",
        "~ auth.params.refreshToken: (sensitive value changed)",
    ], plan.output
    assert "Plan: 0 to add, 5 to change, 0 to destroy." in plan.output
    applied = project.run("apply", "-e", env, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    live = sandbox.http.call("GET", f"{FLOW}/connections/{ids['sf']}")["items"][0]
    assert live["auth"]["params"]["orgId"] == ids["org"]  # re-sending secrets kept it
    again = project.run("plan", "-e", env, "--detailed-exitcode")
    assert (again.exit_code, again.output) == (0, "No changes.\n")

    # An edit made in the UI is drift, labelled as such, like on a created flow.
    sandbox.http.flow_patch(
        "flows",
        ids["flow_sf"],
        [{"op": "replace", "path": "/name", "value": "Renamed in the UI"}],
    )
    drift = project.run("plan", "-e", env)
    assert (
        "  # flow.loyalty-members-from-salesforce will be updated in-place "
        "(changed outside aepflow)"
    ) in drift.output, drift.output
    assert drift.output.endswith(
        f"\nNote: this plan was not saved (--out); `aepflow apply -e {env}` will plan again "
        "before it changes anything.\n"
    )

    # Importing again finds nothing new and changes no file.
    before = _files(project.root / "manifests")
    lock_before = project.lock_of(env)
    twice = project.run("import", "--all", "-e", env)
    assert twice.exit_code == 0
    assert twice.output.splitlines() == [
        *skipped,
        "Nothing new to import: every flow aepflow can manage is managed already.",
    ]
    assert _files(project.root / "manifests") == before
    assert project.lock_of(env) == lock_before
    one = project.run("import", "--flow", ids["flow_lead"], "-e", env)
    assert (one.exit_code, one.output) == (
        1,
        f"Error: flow {ids['flow_lead']} cannot be imported: its row filter compares two "
        "columns, which aepflow cannot express\n",
    )
    as_json = project.run("import", "--all", "-e", env, "--json")
    assert (as_json.exit_code, json.loads(as_json.output)) == (
        0,
        {
            "imported": [],
            "skipped": [
                {
                    "id": ids["flow_lead"],
                    "name": "Leads",
                    "reason": "its row filter compares two columns, which aepflow cannot express",
                }
            ],
            "env_vars": [],
            "notes": [],
        },
    )

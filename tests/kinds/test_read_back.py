"""Import is the inverse of the kinds' requests: for every kind, the object its create requests
make on the platform, read back (``normalize``) and written in the manifest's words
(``manifest``), describes the same desired resource again.

The property is checked through the embedded emulator and the real loader: every resource of a
project is created by its kind's own requests, read back with its kind's GET, the manifest
fields each kind owns are removed from the documents and replaced by what the kind read back,
and the project is loaded again. What is left to the importer (manifest names and references
between manifests, secrets as ``${env:NAME}``, the custom field group turned into
``customFields``) is done here the way the importer does it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from aepflow import emulator
from aepflow.api import SELF, fill
from aepflow.engine.planner import resolve
from aepflow.graph import topological_order
from aepflow.kinds import KINDS, desired_resources
from aepflow.kinds.base import Resource
from aepflow.kinds.schema import tenant_owned
from aepflow.manifest import load_model
from aepflow.platform import PlatformClient
from aepflow.platform.client import Credentials
from aepflow.project import load_project

PROJECT = "version: 1\nmanifests: manifests\ndefaultEnvironment: dev\nenvironments:\n  dev: {type: embedded, sandbox: dev}\n"
ENVIRON = {
    "PW": "p",
    "TOKEN": "t",
    "SUGAR_PW": "s",
    "DEV_TOKEN": "d",
    "REFRESH": "r",
    "SECRET": "c",
}
DOCS = """\
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: crm}
spec:
  name: CRM prod
  description: Made by aepflow
  connector: salesforce
  auth:
    type: basic
    params: {username: u, password: "${env:PW}", securityToken: "${env:TOKEN}"}
---
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: dynamics}
spec:
  connector: dynamics
  auth:
    type: basic
    params: {serviceUri: "https://acme.crm.dynamics.com", username: u, password: "${env:PW}"}
---
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: sugar}
spec:
  connector: sugarcrm
  auth:
    type: oauth2-refresh-code
    params: {host: developer.salesfusion.com, username: u, password: "${env:SUGAR_PW}"}
---
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: adwords}
spec:
  connector: {spec: d771e9c1-4f26-40dc-8617-ce58c4b53702}
  auth:
    specName: Basic Authentication for google-adwords
    params:
      clientCustomerID: "123-456-7890"
      developerToken: ${env:DEV_TOKEN}
      refreshToken: ${env:REFRESH}
      clientId: app
      clientSecret: ${env:SECRET}
---
apiVersion: aepflow.io/v1
kind: Schema
metadata: {name: members}
spec:
  title: Members
  description: People from the CRM
  class: profile
  fieldGroups: [profile-person-details, profile-personal-details]
  customFields:
    crmId: {type: string, title: CRM id}
    tier: {type: string}
    joined: {type: date}
    address: {type: object, properties: {city: {type: string}}}
  identities:
    - {field: personalEmail.address, namespace: Email, primary: true}
    - {field: "_${tenant}.crmId", namespace: CRMID}
---
apiVersion: aepflow.io/v1
kind: Dataset
metadata: {name: members}
spec: {name: Members, description: From the CRM, schema: members, profile: true, identity: true}
---
apiVersion: aepflow.io/v1
kind: Dataflow
metadata: {name: members}
spec:
  name: Members from the CRM
  description: Hourly
  connection: crm
  source:
    table: Contact
    columns: [Id, Email, {name: LastModifiedDate, type: date-time}]
    filter: {and: [{column: Country, op: "=", value: FR}, {not: {column: Email, op: isNull}}]}
  schema: members
  dataset: members
  mappings:
    - {source: Id, destination: "_${tenant}.crmId"}
    - {expression: lower(Email), destination: personalEmail.address}
    - {value: gold, destination: "_${tenant}.tier"}
  deltaColumn: {name: LastModifiedDate}
  schedule: {frequency: minute, interval: 15, start: "2030-01-01T00:00:00Z", backfill: false}
  enabled: false
  errorHandling: {partialIngestionPercent: 5}
---
apiVersion: aepflow.io/v1
kind: Dataflow
metadata: {name: active}
spec:
  connection: dynamics
  source:
    table: activecontacts
    entityType: view
    primaryKey: contactid
    columns: [contactid, emailaddress1, {name: modifiedon, type: date-time}]
  schema: members
  dataset: members
  mappings: [{source: emailaddress1, destination: personalEmail.address}]
  deltaColumn: {name: modifiedon}
  schedule: {frequency: hour, interval: 1, start: "2030-01-01T00:00:00Z"}
  errorHandling: {diagnostics: true}
---
apiVersion: aepflow.io/v1
kind: Dataflow
metadata: {name: sugar}
spec:
  connection: sugar
  source: {object: contacts}
  schema: members
  dataset: members
  mappings: [{source: results.email, destination: personalEmail.address}]
  schedule: {frequency: day, interval: 1, start: "2030-01-01T00:00:00Z"}
---
apiVersion: aepflow.io/v1
kind: Dataflow
metadata: {name: campaigns}
spec:
  connection: adwords
  source: {table: Campaign, columns: [CampaignId, CampaignName, {name: Date, type: date-time}]}
  schema: members
  dataset: members
  mappings: [{source: CampaignName, destination: person.name.fullName}]
  deltaColumn: {name: Date, dateFormat: YYYY-MM-DD, timezone: UTC}
  schedule: {frequency: hour, interval: 2, start: "2030-01-01T00:00:00Z", backfill: true}
"""  # fmt: skip
# The manifest fields each kind reads back, by manifest kind. The profile and target
# connection kinds are derived whole (from the dataset's profile switch, and the dataflow's
# schema and dataset).
OWNED = {
    "connection": ("Connection", ("name", "description", "connector", "auth")),
    "schema": ("Schema", ("title", "description", "class", "fieldGroups")),
    "fieldGroup": ("Schema", ("customFields",)),
    "descriptor": ("Schema", ("identities",)),
    "dataset": ("Dataset", ("name", "description", "profile", "identity")),
    "sourceConnection": ("Dataflow", ("source",)),
    "mappingSet": ("Dataflow", ("mappings",)),
    "flow": ("Dataflow", ("name", "description", "deltaColumn", "schedule", "enabled", "errorHandling")),
}  # fmt: skip
DERIVED = {"profile", "targetConnection"}


def _desired(root: Path, text: str, tenant: str) -> dict[str, Resource]:
    (root / "manifests" / "all.yaml").write_text(text)
    project = load_project(root)
    model = load_model(project, project.environment("dev"), secrets=True, environ=ENVIRON)
    return desired_resources(model, tenant)


@pytest.fixture
def client(tmp_path: Path) -> PlatformClient:
    return PlatformClient(
        credentials=Credentials(
            emulator.DEFAULT_CLIENT_ID,
            emulator.DEFAULT_CLIENT_SECRET,
            emulator.DEFAULT_ORG_ID,
            "openid,AdobeID,read_organizations",
        ),
        sandbox="dev",
        platform_url=emulator.EMBEDDED_BASE_URL,
        ims_url=emulator.EMBEDDED_IMS_URL,
        transport=emulator.Emulator(tmp_path / "emulator").transport(),
    )


def _create_all(client: PlatformClient, desired: dict[str, Resource]) -> dict[str, Any]:
    """Every resource made by its kind's own create requests, in dependency order; the ids
    (and versions) the platform gave them."""
    known: dict[str, dict[str, Any]] = {}
    order = topological_order({a: r.depends_on for a, r in desired.items()})
    for address in order:
        r = desired[address]
        kind = KINDS[r.kind]
        requests = kind.create(r, resolve(r.spec, known), client.tenant_id())
        first, *rest = requests
        body = fill(first.body, lambda p, secrets=r.secrets: secrets[p["$secret"]])
        sent = client.send(replace(first, body=body))
        id, version = kind.created(sent)
        for more in rest:
            client.send(replace(more, path=more.path.replace(SELF, id)))
        known[address] = {"id": id, "version": version}
    return known


def test_every_kind_reads_what_its_requests_made_back_to_the_same_desired_resource(
    tmp_path: Path, client: PlatformClient
) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "aepflow.yaml").write_text(PROJECT)
    tenant = client.tenant_id()
    before = _desired(tmp_path, DOCS, tenant)
    assert {r.kind for r in before.values()} == set(KINDS) == set(OWNED) | DERIVED
    known = _create_all(client, before)
    docs = list(yaml.safe_load_all(DOCS))
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    secrets = {  # the importer writes secrets as ${env:NAME}: here, as the manifests did
        d["metadata"]["name"]: {
            k: v for k, v in d["spec"]["auth"]["params"].items() if str(v).startswith("${env:")
        }
        for d in docs
        if d["kind"] == "Connection"
    }
    for manifest_kind, fields in OWNED.values():
        for d in docs:
            if d["kind"] == manifest_kind:
                for field in fields:
                    d["spec"].pop(field, None)
    for address, r in sorted(before.items()):
        kind = KINDS[r.kind]
        live = kind.read(client, known[address]["id"])
        assert live is not None, address
        back = kind.manifest(live.spec, tenant)
        if r.kind in DERIVED:
            assert back == {}, address
            continue
        manifest_kind = OWNED[r.kind][0]
        name = r.name.split(".")[0]  # a descriptor's address is schema.field
        spec = by_name[(manifest_kind, name)]["spec"]
        if r.kind == "descriptor":
            spec.setdefault("identities", []).append(back)
            continue
        if r.kind == "connection":
            back["auth"]["params"] |= secrets[name]
        if r.kind == "schema":  # the custom group becomes customFields (the fieldGroup kind's)
            back["fieldGroups"] = [g for g in back["fieldGroups"] if not tenant_owned(g, tenant)]
        spec.update(back)
    for spec in (d["spec"] for d in docs if d["kind"] == "Schema"):
        spec["identities"].sort(key=lambda i: not i.get("primary", False))
    after = _desired(tmp_path, yaml.safe_dump_all(docs, sort_keys=False), tenant)
    assert sorted(after) == sorted(before)
    for address, r in before.items():
        assert (after[address].spec, after[address].secrets) == (r.spec, r.secrets), address

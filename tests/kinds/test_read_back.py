"""Import is the inverse of the kinds' requests: for every kind that spells out part of a
manifest, the object its create request makes, read back (``normalize``) and written in the
manifest's words (``manifest``), describes the same desired resource again.

The property is checked through the real loader: the manifest fields a kind owns are removed
from the documents, replaced by what the kind read back, and the project is loaded again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from aepflow.api import Request
from aepflow.kinds import KINDS, desired_resources
from aepflow.kinds.base import Resource
from aepflow.manifest import load_model
from aepflow.project import load_project
from tests.engine.helpers import resolved

TENANT = "acme"
PROJECT = "version: 1\nmanifests: manifests\ndefaultEnvironment: dev\nenvironments:\n  dev: {type: embedded, sandbox: dev}\n"
DOCS = """\
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: crm}
spec:
  connector: salesforce
  auth:
    type: basic
    params: {username: u, password: "${env:PW}", securityToken: "${env:TOKEN}"}
---
apiVersion: aepflow.io/v1
kind: Schema
metadata: {name: members}
spec:
  title: Members
  class: profile
  fieldGroups: [profile-person-details, profile-personal-details]
  customFields:
    crmId: {type: string}
    tier: {type: string}
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
    filter: {column: Country, op: "=", value: FR}
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
"""
# The manifest fields each kind reads back, by manifest kind.
OWNED = {
    "flow": ("Dataflow", ("name", "description", "deltaColumn", "schedule", "enabled", "errorHandling")),
    "mappingSet": ("Dataflow", ("mappings",)),
    "dataset": ("Dataset", ("name", "description", "profile", "identity")),
    "descriptor": ("Schema", ("identities",)),
}  # fmt: skip


def _desired(root: Path, text: str) -> dict[str, Resource]:
    (root / "manifests" / "all.yaml").write_text(text)
    project = load_project(root)
    model = load_model(project, project.environment("dev"), secrets=True, environ={"PW": "p", "TOKEN": "t"})  # fmt: skip
    return desired_resources(model, TENANT)


def _live(r: Resource, ids: dict[str, str]) -> dict[str, Any]:
    """The object the platform keeps after ``r``'s create requests (the first one's body, and
    a flow's state after its enable/disable action)."""
    requests: list[Request] = list(KINDS[r.kind].create(r, resolved(r, ids), TENANT))
    raw = dict(requests[0].body)
    if r.kind == "flow":
        disabled = any(q.params == (("op", "disable"),) for q in requests[1:])
        raw["state"] = "disabled" if disabled else "enabled"
    return raw


def test_every_kind_reads_its_live_object_back_to_the_same_desired_resource(
    tmp_path: Path,
) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "aepflow.yaml").write_text(PROJECT)
    before = _desired(tmp_path, DOCS)
    ids = {a: f"id-{a}" for a in before}
    docs = {d["kind"]: d for d in yaml.safe_load_all(DOCS)}
    for manifest_kind, fields in OWNED.values():
        for field in fields:
            docs[manifest_kind]["spec"].pop(field, None)
    identities = []
    for _, r in sorted(before.items()):
        if r.kind not in OWNED:
            continue
        kind = KINDS[r.kind]
        back = kind.manifest(kind.normalize(_live(r, ids)), TENANT)
        if r.kind == "descriptor":
            identities.append(back)
        else:
            docs[OWNED[r.kind][0]]["spec"].update(back)
    docs["Schema"]["spec"]["identities"] = identities
    after = _desired(tmp_path, yaml.safe_dump_all(docs.values(), sort_keys=False))
    compared = sorted(a for a, r in before.items() if r.kind in OWNED)
    assert [a.split(".")[0] for a in compared] == [
        "dataset", "descriptor", "descriptor", "flow", "mappingSet"
    ]  # fmt: skip
    for address in compared:
        assert after[address].spec == before[address].spec, address

"""End-to-end fixtures: a small project on the embedded emulator, driven through the CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from aepflow import api
from aepflow.api import ListRequest, Request
from aepflow.cli import cli

PROJECT = """\
version: 1
manifests: manifests
defaultEnvironment: local
environments:
  local: {type: embedded, sandbox: prod}
"""

CONNECTION = """\
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: crm}
spec:
  connector: salesforce
  auth:
    type: basic
    params:
      environmentUrl: https://acme.my.salesforce.com
      username: ${env:SF_USERNAME}
      password: ${env:SF_PASSWORD}
      securityToken: ${env:SF_TOKEN}
"""

SCHEMA = """\
apiVersion: aepflow.io/v1
kind: Schema
metadata: {name: contacts}
spec:
  title: E2E Contacts
  class: profile
  fieldGroups: [profile-person-details, profile-personal-details]
  customFields:
    crmId: {type: string}
  identities:
    - {field: personalEmail.address, namespace: Email, primary: true}
"""

DATASET = """\
apiVersion: aepflow.io/v1
kind: Dataset
metadata: {name: contacts}
spec: {name: E2E Contacts, schema: contacts}
"""

FLOW = """\
apiVersion: aepflow.io/v1
kind: Dataflow
metadata: {name: contacts}
spec:
  name: E2E contacts
  connection: crm
  source:
    table: Contact
    columns: [Id, FirstName, LastName, Email, LastModifiedDate]
  schema: contacts
  dataset: contacts
  mappings:
    - {source: Id, destination: "_${tenant}.crmId"}
    - {source: FirstName, destination: person.name.firstName}
    - {expression: lower(Email), destination: personalEmail.address}
  deltaColumn: {name: LastModifiedDate}
  schedule: {frequency: hour, interval: 1, start: "2030-01-01T00:00:00Z"}
"""


@dataclass
class Project:
    root: Path
    runner: CliRunner

    def write(self, name: str, text: str) -> None:
        (self.root / "manifests" / name).write_text(text)

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / "manifests" / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new))

    def run(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    def lock(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            (self.root / ".aepflow" / "locks" / "local.lock.json").read_text()
        )
        return data

    def id(self, address: str) -> str:
        return str(self.lock()["resources"][address]["id"])

    def lock_of(self, environment: str) -> dict[str, Any]:
        """The resources the lock of an environment records (embedded or committed)."""
        for path in (
            self.root / ".aepflow" / "locks" / f"{environment}.lock.json",
            self.root / "locks" / f"{environment}.lock.json",
        ):
            if path.exists():
                return dict(json.loads(path.read_text())["resources"])
        raise AssertionError(f"no lock for {environment}")

    def id_in(self, environment: str, address: str) -> str:
        """The id recorded in the committed lock of a real (non-embedded) environment."""
        data = json.loads((self.root / "locks" / f"{environment}.lock.json").read_text())
        return str(data["resources"][address]["id"])

    def client(self) -> Sandbox:
        from aepflow.project import load_project
        from aepflow.workspace import platform_client

        env = load_project(self.root).environment("local")
        return Sandbox(platform_client(env, {}))


class Sandbox:
    """Hands-on access to the emulated sandbox, as a user would have with curl."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def flow_get(self, collection: str, id: str) -> dict[str, Any] | None:
        body = self.client.send(Request("GET", f"{api.FLOW}/{collection}/{id}"), allow_404=True)
        items = (body or {}).get("items") or []
        return dict(items[0]) if items else None

    def flow_list(self, collection: str) -> list[dict[str, Any]]:
        return list(self.client.list(ListRequest(f"{api.FLOW}/{collection}", "flowservice")))

    def flow_patch(self, collection: str, id: str, ops: list[dict[str, Any]]) -> None:
        etag = (self.flow_get(collection, id) or {})["etag"]
        self.client.send(Request("PATCH", f"{api.FLOW}/{collection}/{id}", ops, if_match=etag))

    def flow_delete(self, collection: str, id: str) -> None:
        self.client.send(Request("DELETE", f"{api.FLOW}/{collection}/{id}"))

    def dataset_get(self, id: str) -> dict[str, Any] | None:
        body = self.client.send(Request("GET", f"{api.CATALOG}/dataSets/{id}"), allow_404=True)
        return None if body is None or id not in body else {**body[id], "id": id}

    def dataset_list(self) -> list[dict[str, Any]]:
        return list(self.client.list(ListRequest(f"{api.CATALOG}/dataSets", "catalog")))

    def mapping_set_get(self, id: str, version: int | None = None) -> dict[str, Any] | None:
        params = (("version", str(version)),) if version is not None else ()
        request = Request("GET", f"{api.CONVERSION}/mappingSets/{id}", params=params)
        return self.client.send(request, allow_404=True)  # type: ignore[no-any-return]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    root = tmp_path / "project"
    (root / "manifests").mkdir(parents=True)
    (root / "aepflow.yaml").write_text(PROJECT)
    p = Project(root, CliRunner())
    p.write("crm.yaml", CONNECTION)
    p.write("schema.yaml", SCHEMA + "---\n" + DATASET)
    p.write("flow.yaml", FLOW)
    monkeypatch.chdir(root)
    for var in ("SF_USERNAME", "SF_PASSWORD", "SF_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    for var in [v for v in os.environ if v.startswith("AEPFLOW_EMULATOR_")]:
        monkeypatch.delenv(var)
    yield p


def apply_ok(project: Project, *args: str) -> str:
    result = project.run("apply", "--auto-approve", *args)
    assert result.exit_code == 0, result.output
    return result.output

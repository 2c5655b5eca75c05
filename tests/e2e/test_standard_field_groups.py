"""A schema with any stable standard field group validates and applies on the emulator."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from aepflow import api
from aepflow.api import Request
from aepflow.catalog.xdm import catalog
from tests.e2e.conftest import Project

EVENT = "https://ns.adobe.com/xdm/context/experienceevent"
# One or two per class family: Profile, ExperienceEvent, B2B, and other classes; by short
# name where the name is unique, by $id otherwise.
SAMPLE = [
    "profile-loyalty-details",
    "https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details",
    "profile-preferences-details",
    "experienceevent-commerce",
    "experienceevent-web",
    "https://ns.adobe.com/xdm/mixins/b2b-person-details",
    "campaign-member-details",
    "cdn-requests-summary",
]


def schema_yaml(klass: str, group: str) -> str:
    return f"""\
apiVersion: aepflow.io/v1
kind: Schema
metadata: {{name: contacts}}
spec:
  title: E2E Standard
  class: {klass}
  fieldGroups: [{group}]
  customFields:
    crmId: {{type: string}}
  identities:
    - {{field: "_${{tenant}}.crmId", namespace: CRMID, primary: true}}
---
apiVersion: aepflow.io/v1
kind: Dataset
metadata: {{name: contacts}}
spec: {{name: E2E Standard, schema: contacts}}
"""


@pytest.mark.parametrize("group", SAMPLE)
def test_a_stable_standard_field_group_applies(project: Project, group: str) -> None:
    ref = catalog().find(group, ["fieldgroup"])
    assert ref is not None
    resource = catalog().get(ref)
    assert resource is not None and resource.status == "stable"
    klass = resource.intended_to_extend[0]
    project.write("schema.yaml", schema_yaml(klass, group))
    leaf = next(f.path for f in resource.fields if f.xdm_type == "string" and "{" not in f.path)
    extra = f'    - {{source: LastName, destination: "{leaf.replace("[]", "[0]")}"}}\n'
    if klass == EVENT:
        extra += "    - {source: Id, destination: _id}\n"
        extra += "    - {source: LastModifiedDate, destination: timestamp}\n"
    project.edit(
        "flow.yaml",
        "    - {source: FirstName, destination: person.name.firstName}\n"
        "    - {expression: lower(Email), destination: personalEmail.address}\n",
        extra,
    )
    checked = project.run("validate")
    assert checked.exit_code == 0, checked.output
    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    schema = project.client().client.send(
        Request(
            "GET",
            f"{api.SCHEMA}/tenant/schemas/{quote(project.id('schema.contacts'), safe='')}",
            accept="application/vnd.adobe.xed+json; version=1",
        )
    )
    assert ref in schema["meta:extends"]
    assert schema["meta:class"] == klass
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"


def test_import_writes_a_standard_field_group_by_its_short_name(project: Project) -> None:
    ref = "https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details"
    project.write("schema.yaml", schema_yaml("profile", ref))
    project.edit(
        "flow.yaml",
        "    - {source: FirstName, destination: person.name.firstName}\n"
        "    - {expression: lower(Email), destination: personalEmail.address}\n",
        "    - {source: LastName, destination: loyalty.tier}\n",
    )
    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    flow = project.id("flow.contacts")
    for name in ("flow.yaml", "schema.yaml", "crm.yaml"):
        (project.root / "manifests" / name).unlink()
    (project.root / ".aepflow" / "locks" / "local.lock.json").unlink()
    imported = project.run("import", "--flow", flow)
    assert imported.exit_code == 0, imported.output
    written = next((project.root / "manifests" / "imported").glob("*.yaml")).read_text()
    assert "  fieldGroups:\n    - profile-loyalty-details\n" in written
    assert "  class: profile\n" in written
    assert project.run("validate").exit_code == 0

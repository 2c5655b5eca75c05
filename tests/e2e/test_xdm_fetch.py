"""A field group newer than the shipped catalog: validate warns offline; a plan reads it from
the Schema Registry (the emulator's global container) and checks mappings against it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aepflow import xdmfetch
from aepflow.catalog.xdm import Catalog, catalog
from aepflow.manifest import xdm
from tests.e2e.conftest import Project

LOYALTY = "https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details"


@pytest.fixture(autouse=True)
def older_catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """aepflow's side of the catalog lacks Loyalty Details; the platform has it."""
    text = (Path(xdm.__file__).parents[1] / "catalog" / "xdm.txt").read_text(encoding="utf-8")
    blocks = text.split("\n=")
    older = Catalog("\n=".join(b for b in blocks if not b.startswith(f"fieldgroup\t{LOYALTY}\t")))
    assert LOYALTY in catalog() and LOYALTY not in older
    monkeypatch.setattr(xdm, "catalog", lambda: older)
    xdmfetch.forget()
    yield
    xdmfetch.forget()


def use_loyalty(project: Project, destination: str) -> None:
    project.edit(
        "schema.yaml",
        "fieldGroups: [profile-person-details, profile-personal-details]",
        f"fieldGroups: [profile-person-details, profile-personal-details, {LOYALTY}]",
    )
    project.edit(
        "flow.yaml",
        "    - {source: FirstName, destination: person.name.firstName}\n",
        "    - {source: FirstName, destination: person.name.firstName}\n"
        f"    - {{source: LastName, destination: {destination}}}\n",
    )


def test_offline_a_warning_on_a_sandbox_the_group_is_read_and_used(project: Project) -> None:
    use_loyalty(project, "loyalty.tier")
    checked = project.run("validate")
    assert checked.exit_code == 0, checked.output
    assert checked.output.splitlines()[1] == (
        f"manifests/schema.yaml:7:67: warning: standard field group '{LOYALTY}' is not in "
        f"aepflow's XDM catalog (adobe/xdm {catalog().commit[:12]}): its fields cannot be "
        "checked offline; a plan on a sandbox reads it from the Schema Registry (did you mean "
        "'https://ns.adobe.com/xdm/context/profile-personal-details' or "
        "'https://ns.adobe.com/xdm/context/profile-work-details' or "
        "'https://ns.adobe.com/xdm/context/profile-person-details'?)"
    )
    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert xdm.lookup(LOYALTY) is not None  # read from the platform, used like a shipped one
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"


def test_a_mapping_the_fetched_group_does_not_define_fails_the_plan(project: Project) -> None:
    use_loyalty(project, "loyalty.tierz")
    assert project.run("validate").exit_code == 0  # offline: cannot be checked
    result = project.run("plan")
    assert result.exit_code == 1
    assert (
        "manifests/flow.yaml:15:39: mapping destination 'loyalty.tierz' does not exist in "
        "schema 'contacts'"
    ) in result.output
    assert "Traceback" not in result.output


TYPO = "https://ns.adobe.com/xdm/context/profile-persona-details"


def test_a_group_the_sandbox_does_not_have_is_a_plan_error_before_anything_is_written(
    project: Project,
) -> None:
    project.edit(
        "schema.yaml",
        "fieldGroups: [profile-person-details, profile-personal-details]",
        f"fieldGroups: [profile-personal-details, {TYPO}]",
    )
    project.edit(
        "flow.yaml",
        "    - {source: FirstName, destination: person.name.firstName}\n",
        "    - {source: FirstName, destination: person.name.firstName}\n"
        "    - {source: LastName, destination: personaDetails.level}\n",
    )
    checked = project.run("validate")  # offline: the catalog lacks it, nothing more is known
    assert checked.exit_code == 0, checked.output
    errors = (
        "Error: manifests/flow.yaml:14:40: mapping destination 'person.name.firstName' does not "
        "exist in schema 'contacts'\n"
        "manifests/flow.yaml:15:39: mapping destination 'personaDetails.level' does not exist "
        "in schema 'contacts'\n"
        "manifests/schema.yaml:7:43: no such standard field group in sandbox 'prod': its "
        f"Schema Registry has no '{TYPO}' (did you mean "
        "'https://ns.adobe.com/xdm/context/profile-personal-details' or "
        "'https://ns.adobe.com/xdm/context/profile-person-details' or "
        "'https://ns.adobe.com/xdm/mixins/profile-person-details-v2'?): correct the $id\n"
        "3 problems found.\n"
    )
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = project.run(*command)
        assert (result.exit_code, result.stderr) == (1, errors), result.output
    assert not (project.root / ".aepflow" / "locks" / "local.lock.json").exists()
    sandbox = project.client()
    assert sandbox.flow_list("connections") == [] and sandbox.dataset_list() == []


def test_a_class_the_sandbox_does_not_have_is_a_plan_error(project: Project) -> None:
    project.edit("schema.yaml", "class: profile", "class: https://ns.adobe.com/xdm/context/profil")
    result = project.run("plan")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: manifests/schema.yaml:6:10: no such XDM class in sandbox 'prod': its Schema "
        "Registry has no 'https://ns.adobe.com/xdm/context/profil' (did you mean "
        "'https://ns.adobe.com/xdm/context/profile'?): correct the $id"
    )

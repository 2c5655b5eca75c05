"""``--replace`` of an object AEP keeps while something refers to it: a field group a schema
uses cannot be deleted, and once a dataset uses the schema, the schema cannot drop it. The
plan refuses what can never apply, with the same "additive only" reason as a manifest edit."""

from __future__ import annotations

from tests.e2e.conftest import SCHEMA, Project, apply_ok


def test_replace_of_a_field_group_a_used_schema_holds_is_refused_at_plan(
    project: Project,
) -> None:
    apply_ok(project)
    lock = project.lock()
    refused = (
        "Error: fieldGroup.contacts cannot be replaced (as requested with --replace): AEP does "
        "not delete a field group that a schema uses (schema.contacts), and a dataset already "
        "uses that schema, so it cannot drop the group either: AEP only allows additive "
        "changes. Add new fields to customFields instead, or replace the schema with it "
        "(--replace schema.contacts), which replaces the dataset and deletes its data\n"
    )
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = project.run(*command, "--replace", "fieldGroup.contacts")
        assert (result.exit_code, result.stderr) == (1, refused), result.output
    assert project.lock() == lock
    # The way the error offers applies: the schema (and so its dataset) replaced with it.
    out = apply_ok(
        project,
        "--replace",
        "fieldGroup.contacts",
        "--replace",
        "schema.contacts",
        "--allow-data-loss",
    )
    assert "fieldGroup.contacts: done" in out
    assert project.id("fieldGroup.contacts") != lock["resources"]["fieldGroup.contacts"]["id"]


def test_replace_of_a_field_group_names_the_schema_when_no_dataset_uses_it(
    project: Project,
) -> None:
    (project.root / "manifests" / "flow.yaml").unlink()
    project.write("schema.yaml", SCHEMA)
    apply_ok(project)
    result = project.run("plan", "--replace", "fieldGroup.contacts")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: fieldGroup.contacts cannot be replaced (as requested with --replace): AEP does "
        "not delete a field group that a schema uses (schema.contacts). Replace the schema "
        "with it (--replace schema.contacts), or change customFields instead\n",
    )
    out = apply_ok(project, "--replace", "fieldGroup.contacts", "--replace", "schema.contacts")
    assert "Apply complete" in out
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_replace_of_a_profile_is_refused_a_schema_never_leaves_the_union(
    project: Project,
) -> None:
    project.edit("schema.yaml", "schema: contacts}", "schema: contacts, profile: true}")
    apply_ok(project)
    result = project.run("plan", "--replace", "profile.contacts")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: --replace profile.contacts: AEP never takes a schema out of the Profile union "
        "(the union tag of meta:immutableTags cannot be removed), so there is nothing to "
        "delete and create again. To start over, replace the schema itself "
        "(--replace schema.contacts)\n",
    )

"""A dataset's Profile switch turned on, off and on again plans and applies cleanly."""

from __future__ import annotations

from tests.e2e.conftest import Project, apply_ok


def test_profile_true_false_true_plans_and_applies(project: Project) -> None:
    project.edit(
        "schema.yaml",
        "spec: {name: E2E Contacts, schema: contacts}",
        "spec: {name: E2E Contacts, schema: contacts, profile: true}",
    )
    apply_ok(project)
    assert project.lock()["resources"]["profile.contacts"]["id"] == project.id("schema.contacts")
    project.edit("schema.yaml", "profile: true}", "profile: false}")
    apply_ok(project)
    assert "profile.contacts" not in project.lock()["resources"]
    project.edit("schema.yaml", "profile: false}", "profile: true}")
    plan = project.run("plan")
    assert plan.exit_code == 0, plan.output
    assert "  # profile.contacts will be adopted" in plan.output
    apply_ok(project)
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"
    tags = (project.client().dataset_get(project.id("dataset.contacts")) or {})["tags"]
    assert tags["unifiedProfile"] == ["enabled:true"]
    assert {"adobe/pqs/table", "adobe/siphon/table/format"} <= set(tags)  # Catalog's own, kept


def test_a_schema_already_in_the_union_is_imported_as_its_profile(project: Project) -> None:
    project.edit(
        "schema.yaml",
        "spec: {name: E2E Contacts, schema: contacts}",
        "spec: {name: E2E Contacts, schema: contacts, profile: true}",
    )
    apply_ok(project)
    assert project.run("state", "rm", "profile.contacts").exit_code == 0
    schema_id = project.id("schema.contacts")
    result = project.run("import", "profile.contacts", schema_id)
    assert result.exit_code == 0, result.output
    assert project.lock()["resources"]["profile.contacts"]["id"] == schema_id
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"

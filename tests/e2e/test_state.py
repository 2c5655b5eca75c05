"""State commands and renames: the lock as an inventory, corrected without touching data."""

from __future__ import annotations

import json

from tests.e2e.conftest import Project, apply_ok


def test_state_list_and_show(project: Project) -> None:
    apply_ok(project)
    listed = project.run("state", "list").output.splitlines()
    assert [line.split("\t")[0] for line in listed] == sorted(project.lock()["resources"])
    assert listed[0] == f"connection.crm\t{project.id('connection.crm')}"
    shown = json.loads(project.run("state", "show", "connection.crm").output)
    assert shown["address"] == "connection.crm"
    assert shown["secret_hashes"] == {
        "password": "(sensitive)",
        "securityToken": "(sensitive)",
        "username": "(sensitive)",
    }
    missing = project.run("state", "show", "flow.nope")
    assert (missing.exit_code, missing.output) == (
        1,
        "Error: flow.nope is not in the lock (of that kind: flow.contacts)\n",
    )


def test_state_rm_forgets_without_deleting_and_a_plan_adopts_it_again(project: Project) -> None:
    apply_ok(project)
    flow_id = project.id("flow.contacts")
    result = project.run("state", "rm", "flow.contacts")
    assert result.output == (
        f"Removed flow.contacts ({flow_id}) from the lock; the object itself is not deleted.\n"
        "If a manifest still declares it, the next plan adopts it again by its aepflow marker.\n"
    )
    assert "flow.contacts" not in project.lock()["resources"]
    assert project.client().flow_get("flows", flow_id) is not None
    assert "Plan: 1 to adopt, 0 to add, 0 to change, 0 to destroy." in project.run("plan").output


def test_a_renamed_dataflow_is_moved_never_destroyed(project: Project) -> None:
    apply_ok(project)
    before = {a: e["id"] for a, e in project.lock()["resources"].items()}
    project.edit(
        "flow.yaml", "metadata: {name: contacts}", "metadata: {name: people, movedFrom: [contacts]}"
    )
    plan = project.run("plan").output
    assert (
        "Note: flow.contacts is now flow.people (movedFrom): re-addressed, not re-created." in plan
    )
    assert "destroy" not in plan.split("Plan:")[-1].replace("0 to destroy", "")
    assert '      ~ marker: "flow.contacts" -> "flow.people"' in plan
    apply_ok(project)
    after = {a: e["id"] for a, e in project.lock()["resources"].items()}
    assert after["flow.people"] == before["flow.contacts"]
    assert after["sourceConnection.people"] == before["sourceConnection.contacts"]
    assert "flow.contacts" not in after
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"
    assert len(project.client().flow_list("flows")) == 1


def test_state_mv_re_addresses_a_dataset_and_keeps_its_data(project: Project) -> None:
    apply_ok(project)
    dataset_id = project.id("dataset.contacts")
    project.edit(
        "schema.yaml",
        "metadata: {name: contacts}\nspec: {name: E2E",
        "metadata: {name: people}\nspec: {name: E2E",
    )
    project.edit("flow.yaml", "dataset: contacts", "dataset: people")
    refused = project.run("plan")  # without a move: the protected dataset would be destroyed
    assert refused.exit_code == 1
    assert "dataset.contacts would be destroyed (no longer in the manifests)" in refused.output
    moved = project.run("state", "mv", "dataset.contacts", "dataset.people")
    assert moved.output.startswith(f"Moved dataset.contacts to dataset.people ({dataset_id}).")
    assert project.lock()["resources"]["targetConnection.contacts"]["depends_on"] == [
        "dataset.people",
        "schema.contacts",
    ]
    apply_ok(project)
    assert project.id("dataset.people") == dataset_id
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"
    wrong = project.run("state", "mv", "dataset.people", "flow.people")
    assert wrong.exit_code == 1
    assert wrong.output == (
        "Error: cannot move dataset.people to flow.people: an address keeps its kind "
        "(dataset.NEW-NAME)\n"
    )


def test_moved_from_on_a_connection_moves_only_the_connection(project: Project) -> None:
    """A Dataflow named like the renamed Connection keeps its own addresses and data."""
    project.edit("flow.yaml", "metadata: {name: contacts}", "metadata: {name: crm}")
    apply_ok(project)
    project.edit("crm.yaml", "metadata: {name: crm}", "metadata: {name: sales, movedFrom: [crm]}")
    project.edit("flow.yaml", "connection: crm", "connection: sales")
    plan = project.run("plan").output
    assert "Note: connection.crm is now connection.sales (movedFrom)" in plan
    assert [line for line in plan.splitlines() if "(movedFrom)" in line] == [
        "Note: connection.crm is now connection.sales (movedFrom): re-addressed, not re-created."
    ]
    apply_ok(project)
    assert "flow.crm" in project.lock()["resources"]
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"


def test_a_rename_without_moved_from_points_to_the_rename_tools(project: Project) -> None:
    apply_ok(project)
    project.edit(
        "schema.yaml",
        "metadata: {name: contacts}\nspec:\n  title",
        "metadata: {name: people}\nspec:\n  title",
    )
    project.edit("schema.yaml", "schema: contacts}", "schema: people}")
    project.edit("flow.yaml", "schema: contacts", "schema: people")
    result = project.run("plan")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: fieldGroup.people would be created with the title 'E2E Contacts fields', which "
        "fieldGroup.contacts ("
    )
    assert result.output.endswith(
        "already has. If this is a rename, re-address it instead of creating a copy: add "
        "metadata.movedFrom with the old name, or run `aepflow state mv fieldGroup.contacts "
        "fieldGroup.people`\n"
    )


def test_state_list_json_is_one_document_for_scripts(project: Project) -> None:
    empty = project.run("state", "list", "--json")
    assert (empty.exit_code, json.loads(empty.output)) == (
        0,
        {"environment": "local", "sandbox": "prod", "lineage": None, "serial": 0, "resources": []},
    )
    apply_ok(project)
    data = json.loads(project.run("state", "list", "--json").output)
    lock = project.lock()
    assert (data["lineage"], data["serial"]) == (lock["lineage"], lock["serial"])
    assert [r["address"] for r in data["resources"]] == sorted(lock["resources"])
    flow = next(r for r in data["resources"] if r["address"] == "flow.contacts")
    assert flow == {
        "address": "flow.contacts",
        "kind": "flow",
        "id": project.id("flow.contacts"),
        "depends_on": lock["resources"]["flow.contacts"]["depends_on"],
        "protect": False,
        "version": None,
    }
    assert "secret" not in json.dumps(data)

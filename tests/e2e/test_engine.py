"""plan / apply / destroy / import through the CLI, on the embedded emulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import SCHEMA, Project

ADDRESSES = [
    "connection.crm",
    "dataset.contacts",
    "descriptor.contacts.personalEmail.address",
    "fieldGroup.contacts",
    "flow.contacts",
    "mappingSet.contacts",
    "schema.contacts",
    "sourceConnection.contacts",
    "targetConnection.contacts",
]


def apply(project: Project, *args: str) -> str:
    result = project.run("apply", "--auto-approve", *args)
    assert result.exit_code == 0, result.output
    return result.output


def plan_lines(project: Project, *args: str) -> tuple[int, list[str]]:
    result = project.run("plan", "--detailed-exitcode", *args)
    return result.exit_code, result.output.splitlines()


def test_the_seed_workflow_is_applied_in_dependency_order_and_recorded(project: Project) -> None:
    code, lines = plan_lines(project)
    assert code == 2
    assert lines[-3] == "Plan: 9 to add, 0 to change, 0 to destroy."
    assert "  + connection.crm" in lines
    assert "      + secrets        = (sensitive value)" in lines
    out = apply(project)
    assert "Apply complete: 9 step(s). Lock file: .aepflow/locks/local.lock.json" in out
    assert sorted(project.lock()["resources"]) == ADDRESSES

    client = project.client()
    flow = client.flow_get("flows", project.id("flow.contacts"))
    assert flow["state"] == "enabled"
    assert flow["sourceConnectionIds"] == [project.id("sourceConnection.contacts")]
    assert flow["targetConnectionIds"] == [project.id("targetConnection.contacts")]
    assert flow["transformations"][1]["params"]["mappingId"] == project.id("mappingSet.contacts")
    assert flow["description"] == "aepflow: flow.contacts"
    target = client.flow_get("targetConnections", project.id("targetConnection.contacts"))
    assert target["params"]["dataSetId"] == project.id("dataset.contacts")
    dataset = client.dataset_get(project.id("dataset.contacts"))
    assert dataset["schemaRef"]["id"] == project.id("schema.contacts")
    assert dataset["tags"]["aepflow"] == ["dataset.contacts"]
    source = client.flow_get("sourceConnections", project.id("sourceConnection.contacts"))
    assert source["baseConnectionId"] == project.id("connection.crm")
    assert source["params"]["tableName"] == "Contact"


def test_a_second_apply_and_plan_change_nothing(project: Project) -> None:
    apply(project)
    lock_before = project.lock()
    code, lines = plan_lines(project)
    assert (code, lines) == (0, ["No changes."])
    assert project.run("apply", "--auto-approve").output == "No changes.\n"
    assert project.lock() == lock_before


def test_a_schedule_change_is_patched_in_place(project: Project) -> None:
    apply(project)
    flow_id = project.id("flow.contacts")
    project.edit("flow.yaml", "interval: 1,", "interval: 6,")
    code, lines = plan_lines(project)
    assert code == 2
    assert "  ~ flow.contacts (id " + flow_id + ")" in lines
    assert "      ~ schedule.interval: 1 -> 6" in lines
    assert lines[-3] == "Plan: 0 to add, 1 to change, 0 to destroy."
    apply(project)
    flow = project.client().flow_get("flows", flow_id)
    assert int(flow["scheduleParams"]["interval"]) == 6
    assert project.id("flow.contacts") == flow_id
    assert plan_lines(project) == (0, ["No changes."])


def test_a_mapping_change_makes_a_new_version_and_moves_the_flow_to_it(project: Project) -> None:
    apply(project)
    flow_id, mapping_id = project.id("flow.contacts"), project.id("mappingSet.contacts")
    project.edit(
        "flow.yaml", "destination: person.name.firstName", "destination: person.name.lastName"
    )
    code, lines = plan_lines(project)
    assert code == 2
    # Mappings are compared by destination: one removed, one added, nothing about the others.
    mapping_lines = [line for line in lines if "mappings" in line]
    assert mapping_lines == [
        '      - mappings[person.name.firstName]: {"destination": "person.name.firstName", "source": "FirstName", "sourceType": "ATTRIBUTE"}',
        '      + mappings[person.name.lastName]: {"destination": "person.name.lastName", "source": "FirstName", "sourceType": "ATTRIBUTE"}',
    ]
    assert "      ~ mappingVersion: 0 -> (known after apply)" in lines
    assert "changed outside aepflow" not in "\n".join(lines)  # an edit is not drift
    apply(project)
    client = project.client()
    assert client.mapping_set_get(mapping_id)["version"] == 1
    assert client.mapping_set_get(mapping_id, version=0)["mappings"][1]["destination"] == (
        "person.name.firstName"
    )
    flow = client.flow_get("flows", flow_id)
    assert int(flow["transformations"][1]["params"]["mappingVersion"]) == 1
    assert project.lock()["resources"]["mappingSet.contacts"]["version"] == 1
    assert project.id("flow.contacts") == flow_id  # the same flow, not a new one
    assert plan_lines(project) == (0, ["No changes."])


def test_disabling_a_flow_uses_the_action_endpoint(project: Project) -> None:
    apply(project)
    project.edit("flow.yaml", "  deltaColumn:", "  enabled: false\n  deltaColumn:")
    code, lines = plan_lines(project)
    assert code == 2
    assert "      ~ enabled: true -> false" in lines
    apply(project)
    assert project.client().flow_get("flows", project.id("flow.contacts"))["state"] == "disabled"
    assert plan_lines(project) == (0, ["No changes."])


def test_a_table_change_replaces_the_source_connection_and_the_flow(project: Project) -> None:
    apply(project)
    old_flow, old_source = project.id("flow.contacts"), project.id("sourceConnection.contacts")
    project.edit("flow.yaml", "table: Contact", "table: Lead")
    code, lines = plan_lines(project)
    assert code == 2
    assert f"-/+ sourceConnection.contacts (id {old_source})" in lines
    assert '      ~ table: "Contact" -> "Lead"  # forces replacement' in lines
    assert f"-/+ flow.contacts (id {old_flow})" in lines
    assert lines[-3] == "Plan: 2 to add, 0 to change, 2 to destroy."
    apply(project)
    client = project.client()
    assert client.flow_get("flows", old_flow) is None
    assert client.flow_get("sourceConnections", old_source) is None
    assert project.id("flow.contacts") != old_flow
    assert plan_lines(project) == (0, ["No changes."])


def test_a_pipeline_removed_from_the_manifests_is_pruned_but_its_dataset_is_protected(
    project: Project,
) -> None:
    apply(project)
    (project.root / "manifests" / "flow.yaml").unlink()
    code, lines = plan_lines(project)
    assert code == 2
    assert "  # flow.contacts will be destroyed (no longer in the manifests)" in lines
    assert lines[-3] == "Plan: 0 to add, 0 to change, 4 to destroy."
    apply(project)
    assert sorted(project.lock()["resources"]) == [
        a
        for a in ADDRESSES
        if a.split(".")[0] in ("connection", "dataset", "descriptor", "fieldGroup", "schema")
    ]
    (project.root / "manifests" / "schema.yaml").write_text(
        (project.root / "manifests" / "schema.yaml").read_text().split("---")[0]
    )
    result = project.run("plan")
    assert result.exit_code == 1
    assert result.output == (
        "Error: dataset.contacts would be destroyed (no longer in the manifests): deleting a "
        "dataset deletes the data ingested into it; if that is intended, run again with "
        "--allow-data-loss or set `protect: false` on the dataset\n"
    )
    apply(project, "--allow-data-loss")
    assert "dataset.contacts" not in project.lock()["resources"]


def test_drift_is_shown_and_put_back(project: Project) -> None:
    apply(project)
    client = project.client()
    flow_id = project.id("flow.contacts")
    client.flow_patch(
        "flows", flow_id, [{"op": "replace", "path": "/name", "value": "renamed in UI"}]
    )
    code, lines = plan_lines(project)
    assert code == 2
    assert "  # flow.contacts will be updated in-place (changed outside aepflow)" in lines
    assert '      ~ name: "renamed in UI" -> "E2E contacts"' in lines
    assert "Note: objects have changed outside aepflow: flow.contacts" in lines
    apply(project)
    assert project.client().flow_get("flows", flow_id)["name"] == "E2E contacts"
    assert plan_lines(project) == (0, ["No changes."])


def test_a_resource_deleted_outside_is_created_again(project: Project) -> None:
    apply(project)
    client = project.client()
    dataset_id = project.id("dataset.contacts")
    client.flow_delete("flows", project.id("flow.contacts"))
    code, lines = plan_lines(project)
    assert code == 2
    assert "  # flow.contacts will be created (deleted outside aepflow)" in lines
    assert lines[-3] == "Plan: 1 to add, 0 to change, 0 to destroy."
    apply(project)
    assert project.client().flow_get("flows", project.id("flow.contacts"))["state"] == "enabled"
    assert project.id("dataset.contacts") == dataset_id
    assert plan_lines(project) == (0, ["No changes."])


def test_a_saved_plan_applies_exactly_and_a_stale_one_is_refused(project: Project) -> None:
    result = project.run("plan", "--out", "plan.json")
    assert result.exit_code == 0
    assert "Saved the plan to plan.json" in result.output
    assert "password" not in Path("plan.json").read_text().lower().replace('"password"', "")
    out = project.run("apply", "plan.json")
    assert out.exit_code == 0, out.output
    assert plan_lines(project) == (0, ["No changes."])

    project.edit("flow.yaml", "interval: 1,", "interval: 2,")
    assert project.run("plan", "--out", "plan2.json").exit_code == 0
    client = project.client()
    client.flow_patch(
        "flows", project.id("flow.contacts"), [{"op": "replace", "path": "/name", "value": "moved"}]
    )
    refused = project.run("apply", "plan2.json")
    assert refused.exit_code == 1
    assert refused.output == (
        "Error: saved plan is stale: flow.contacts changed in the sandbox since the plan was "
        "made; run `aepflow plan --out FILE` again and review the new plan\n"
    )


def applied_then_forgotten(project: Project, address: str) -> str:
    """The id of ``address`` after an apply whose lock then lost it (a hand-made object)."""
    apply(project)
    lock_path = project.root / ".aepflow" / "locks" / "local.lock.json"
    data = project.lock()
    object_id: str = data["resources"].pop(address)["id"]
    lock_path.write_text(json.dumps(data))
    return object_id


def test_import_brings_a_hand_made_object_under_management(project: Project) -> None:
    flow_id = applied_then_forgotten(project, "flow.contacts")
    result = project.run("import", "flow.contacts", flow_id)
    assert result.output == (
        f"Imported {flow_id} as flow.contacts. "
        "Run `aepflow plan` to see how it differs from its manifest.\n"
    )
    assert project.id("flow.contacts") == flow_id
    assert plan_lines(project) == (0, ["No changes."])
    again = project.run("import", "flow.contacts", flow_id)
    assert again.exit_code == 1
    assert "flow.contacts is already in the lock" in again.output


def test_import_of_one_object_answers_json_when_asked(project: Project) -> None:
    flow_id = applied_then_forgotten(project, "flow.contacts")
    result = project.run("import", "flow.contacts", flow_id, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"imported": [{"address": "flow.contacts", "id": flow_id}]}
    again = project.run("import", "flow.contacts", flow_id, "--json")
    assert again.exit_code == 1
    error = json.loads(again.stdout)
    assert error["error"]["code"] and "already in the lock" in error["error"]["message"]


def test_a_lost_lock_adopts_instead_of_duplicating(project: Project) -> None:
    apply(project)
    ids = {a: e["id"] for a, e in project.lock()["resources"].items()}
    shutil.rmtree(project.root / ".aepflow" / "locks")
    code, lines = plan_lines(project)
    assert code == 2
    assert lines[-3] == "Plan: 9 to adopt, 0 to add, 1 to change, 0 to destroy."
    assert "  = flow.contacts (id " + ids["flow.contacts"] + ")" in lines
    apply(project)
    assert {a: e["id"] for a, e in project.lock()["resources"].items()} == ids
    assert plan_lines(project) == (0, ["No changes."])
    assert len(project.client().flow_list("flows")) == 1


def test_a_datasets_schema_change_needs_the_data_loss_opt_in(project: Project) -> None:
    apply(project)
    project.write("other.yaml", SCHEMA_B)
    project.edit("schema.yaml", "schema: contacts}", "schema: other}")
    project.edit("flow.yaml", "schema: contacts", "schema: other")
    result = project.run("plan")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: dataset.contacts must be replaced (change of schema): deleting a dataset deletes"
    )


SCHEMA_B = SCHEMA.replace("name: contacts", "name: other").replace("E2E Contacts", "E2E Other")


def test_plan_formats(project: Project) -> None:
    data = json.loads(project.run("plan", "--format", "json").output)
    assert data["format_version"] == "2.0"
    assert data["summary"]["add"] == 9
    assert {c["address"]: c["actions"] for c in data["resource_changes"]}["flow.contacts"] == [
        "create"
    ]
    md = project.run("plan", "--format", "markdown").output
    assert md.startswith("**Plan: 9 to add, 0 to change, 0 to destroy.**\n")
    assert "<details><summary>Show plan</summary>" in md


def test_destroy_removes_everything_in_reverse_order(project: Project) -> None:
    apply(project)
    ids = {a: e["id"] for a, e in project.lock()["resources"].items()}
    result = project.run("destroy", "--auto-approve", "--allow-data-loss")
    assert result.exit_code == 0, result.output
    assert "Plan: 0 to add, 0 to change, 9 to destroy." in result.output
    assert project.lock()["resources"] == {}
    client = project.client()
    assert client.flow_get("flows", ids["flow.contacts"]) is None
    assert client.flow_get("connections", ids["connection.crm"]) is None
    assert client.dataset_get(ids["dataset.contacts"]) is None


def test_apply_without_a_terminal_needs_auto_approve(project: Project) -> None:
    result = project.run("apply")
    assert result.exit_code == 1
    assert result.output.endswith(
        "Error: apply needs confirmation and there is no terminal to ask: review the plan and pass "
        "--auto-approve, or apply a saved plan (aepflow plan --out FILE; aepflow apply FILE)\n"
    )
    assert not (project.root / ".aepflow" / "locks" / "local.lock.json").exists()


def _requests(project: Project) -> dict[str, int]:
    result = project.run("emulator", "stats", "--json")
    counts: dict[str, int] = json.loads(result.output)["by_endpoint"]
    return counts


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}


def test_apply_of_a_schedule_change_sends_one_write_and_only_the_plans_reads(
    project: Project,
) -> None:
    apply(project)
    project.edit("flow.yaml", "interval: 1,", "interval: 2,")
    start = _requests(project)
    assert project.run("plan").exit_code == 0
    planned = _requests(project)
    apply(project)
    applied = _requests(project)
    plan_reads = _delta(planned, start)
    assert all(k.startswith(("GET ", "POST /ims")) for k in plan_reads)
    assert _delta(applied, planned) == {
        **plan_reads,
        "PATCH /data/foundation/flowservice/flows/{id}": 1,
    }


def test_a_bad_emulator_knob_is_a_one_line_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AEPFLOW_EMULATOR_LATENCY_MS", "slow")
    for args in (("plan",), ("emulator", "stats")):
        result = project.run(*args)
        assert (result.exit_code, result.output) == (
            1,
            "Error: AEPFLOW_EMULATOR_LATENCY_MS must be a number of milliseconds, not 'slow'\n",
        )

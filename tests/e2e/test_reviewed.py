"""Apply exactly what was reviewed: `show PLANFILE`, a stale saved plan planned again and
applied only when it makes the same changes, and the operator's `--replace` and
`--refresh-only`."""

from __future__ import annotations

import json
from pathlib import Path

from aepflow import api
from aepflow.api import Request
from tests.e2e.conftest import Project, apply_ok


def test_show_prints_a_saved_plan_in_every_format(project: Project) -> None:
    for fmt in ("text", "json", "markdown"):
        made = project.run("plan", "--format", fmt, "--out", f"plan-{fmt}.json")
        assert made.exit_code == 0, made.output
        shown = project.run("show", f"plan-{fmt}.json", "--format", fmt)
        assert shown.exit_code == 0
        expected = made.output.split("\nSaved the plan to")[0]
        assert shown.output == expected
    assert (
        "```mermaid\nflowchart LR\n"
        in project.run("show", "plan-text.json", "--format", "markdown").output
    )
    assert (
        json.loads(project.run("show", "plan-text.json", "--format", "json").output)["summary"][
            "text"
        ]
        == "Plan: 9 to add, 0 to change, 0 to destroy."
    )
    missing = project.run("show", "nope.json")
    assert (missing.exit_code, missing.output) == (1, "Error: plan file nope.json does not exist\n")
    Path("bad.json").write_text("{}")
    bad = project.run("show", "bad.json")
    assert (bad.exit_code, bad.output) == (
        1,
        "Error: bad.json is not a valid aepflow plan file: not an aepflow plan file of format 2; "
        "make it again with `aepflow plan --out FILE`\n",
    )


def _reviewed_interval_change(project: Project) -> None:
    apply_ok(project)
    project.edit("flow.yaml", "interval: 1,", "interval: 2,")
    assert project.run("plan", "--out", "reviewed.json").exit_code == 0


def test_a_stale_plan_making_the_same_changes_is_planned_again_and_applied(
    project: Project,
) -> None:
    _reviewed_interval_change(project)
    # Merged with another change that plans nothing (a comment): the saved plan is stale.
    project.edit("schema.yaml", "kind: Dataset", "kind: Dataset  # the contacts we keep")
    refused = project.run("apply", "reviewed.json")
    assert (refused.exit_code, refused.output) == (
        1,
        "Error: saved plan is stale: manifests changed: manifests/schema.yaml; run `aepflow "
        "plan --out FILE` again and review the new plan\n",
    )
    result = project.run("apply", "reviewed.json", "--replan-if-stale")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "Note: the saved plan was stale (manifests changed: manifests/schema.yaml); a new plan "
        "makes the same changes, so it is applied.\n"
    )
    flow = project.client().flow_get("flows", project.id("flow.contacts"))
    assert flow is not None and flow["scheduleParams"]["interval"] == "2"
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_a_stale_plan_making_other_changes_stops_and_writes_nothing(project: Project) -> None:
    _reviewed_interval_change(project)
    client = project.client()
    flow_id, dataset_id = project.id("flow.contacts"), project.id("dataset.contacts")
    client.flow_patch("flows", flow_id, [{"op": "replace", "path": "/name", "value": "UI"}])
    lock_before = (project.root / ".aepflow" / "locks" / "local.lock.json").read_bytes()
    result = project.run("apply", "reviewed.json", "--replan-if-stale", "--json")
    message = (
        "saved plan is stale (flow.contacts changed in the sandbox since the plan was "
        "made) and a new plan makes other changes than the reviewed one: flow.contacts: update "
        "with other requests. Nothing was applied; run `aepflow plan --out FILE` again and "
        "review the new plan"
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": {"code": "plan_stale", "message": message},
        "event": "error",
    }
    assert result.stderr == f"Error: {message}\n"
    assert (project.root / ".aepflow" / "locks" / "local.lock.json").read_bytes() == lock_before
    flow = client.flow_get("flows", flow_id)
    assert flow is not None and (flow["name"], flow["scheduleParams"]["interval"]) == ("UI", "1")
    assert client.dataset_get(dataset_id) is not None
    # A resource the reviewed plan did not touch, changed in the UI: another difference.
    client.flow_patch(
        "flows", flow_id, [{"op": "replace", "path": "/name", "value": "E2E contacts"}]
    )
    project.edit("flow.yaml", "interval: 2,", "interval: 1,")
    assert project.run("plan", "--out", "none.json").exit_code == 0  # no changes reviewed
    project.edit("flow.yaml", "interval: 1,", "interval: 3,")
    other = project.run("apply", "none.json", "--replan-if-stale")
    assert other.exit_code == 1
    assert (
        "a new plan makes other changes than the reviewed one: flow.contacts: update, not "
        "in the reviewed plan. Nothing was applied" in other.output
    )


def test_replace_forces_a_replacement_and_refuses_datasets_and_unknown_addresses(
    project: Project,
) -> None:
    apply_ok(project)
    old = project.id("sourceConnection.contacts")
    planned = project.run("plan", "--replace", "sourceConnection.contacts")
    assert planned.exit_code == 0, planned.output
    assert (
        "  # sourceConnection.contacts must be replaced (as requested with --replace)"
        in planned.output.splitlines()
    )
    data = json.loads(
        project.run("plan", "--replace", "sourceConnection.contacts", "--format", "json").output
    )
    replaced = {
        c["address"] for c in data["resource_changes"] if c["actions"] == ["delete", "create"]
    }
    assert "sourceConnection.contacts" in replaced and "flow.contacts" in replaced
    apply_ok(project, "--replace", "sourceConnection.contacts")
    assert project.id("sourceConnection.contacts") != old
    assert project.run("plan", "--detailed-exitcode").exit_code == 0

    dataset = project.run("plan", "--replace", "dataset.contacts")
    assert (dataset.exit_code, dataset.output) == (
        1,
        "Error: dataset.contacts must be replaced (as requested with --replace): deleting a "
        "dataset deletes the data ingested into it; if that is intended, run again with "
        "--allow-data-loss or set `protect: false` on the dataset\n",
    )
    unknown = project.run("plan", "--replace", "flow.nope")
    assert (unknown.exit_code, unknown.output) == (
        1,
        "Error: --replace flow.nope: no such resource in the manifests (of that kind: "
        "flow.contacts); `aepflow state list` shows the addresses\n",
    )
    mixed = project.run("plan", "--refresh-only", "--replace", "flow.contacts")
    assert mixed.exit_code == 1
    assert "--refresh-only changes nothing in AEP" in mixed.output


def test_refresh_only_records_the_sandbox_in_the_lock_and_changes_nothing_in_aep(
    project: Project,
) -> None:
    apply_ok(project)
    client = project.client()
    flow_id, dataset_id = project.id("flow.contacts"), project.id("dataset.contacts")
    client.flow_delete("flows", flow_id)
    patch = Request("PATCH", f"{api.CATALOG}/dataSets/{dataset_id}", {"name": "Renamed in UI"})
    client.client.send(patch)
    planned = project.run("plan", "--refresh-only", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert planned.output == (
        'This is a refresh-only plan: the lock of environment "local" will record the state of '
        "sandbox prod; nothing changes in AEP:\n"
        "\n"
        "Note: objects have changed outside aepflow: dataset.contacts\n"
        "\n"
        "  # dataset.contacts will record the live values (changed outside aepflow; the "
        "sandbox's values become the baseline)\n"
        f"  ~ dataset.contacts (id {dataset_id})\n"
        '      ~ baseline (lock): "last applied manifest" -> "sandbox\'s values"\n'
        "\n"
        "  # flow.contacts will be forgotten (deleted outside aepflow; nothing is deleted in AEP)\n"
        f"  - flow.contacts (id {flow_id})\n"
        "\n"
        "Refresh only: 1 to forget, 1 to record in the lock; nothing changes in AEP.\n"
        "\n"
        "Note: this plan was not saved (--out); `aepflow apply --refresh-only` will plan again "
        "before it changes anything.\n"
    )
    assert "destroy" not in planned.output
    data = json.loads(project.run("plan", "--refresh-only", "--format", "json").output)
    assert data["summary"] == {
        "add": 0,
        "adopt": 0,
        "change": 0,
        "destroy": 0,
        "forget": 1,
        "record": 1,
        "text": "Refresh only: 1 to forget, 1 to record in the lock; nothing changes in AEP.",
    }
    actions = {c["address"]: c["actions"] for c in data["resource_changes"]}
    assert (actions["flow.contacts"], actions["dataset.contacts"]) == (["forget"], ["record"])
    assert {a for a, acts in actions.items() if acts != ["no-op"]} == {
        "flow.contacts",
        "dataset.contacts",
    }
    md = project.run("plan", "--refresh-only", "--format", "markdown").output
    assert md.startswith(
        "**Refresh only: 1 to forget, 1 to record in the lock; nothing changes in AEP.**\n"
    )
    assert "- flow.contacts (id" in md and "destroy" not in md and "mermaid" not in md
    flows_before = client.flow_list("flows")
    result = project.run("apply", "--refresh-only", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "Refresh complete: the lock records 2 change(s); nothing was changed in AEP. "
        "Lock file: .aepflow/locks/local.lock.json"
    )
    lock = project.lock()["resources"]
    assert "flow.contacts" not in lock and "hash" not in lock["dataset.contacts"]
    assert client.flow_list("flows") == flows_before
    assert (client.dataset_get(dataset_id) or {})["name"] == "Renamed in UI"
    # The next plan: the flow is created (no longer recorded), the dataset's name is an
    # ordinary change, no longer drift.
    after = project.run("plan").output
    assert "  # flow.contacts will be created\n" in after
    assert "  # dataset.contacts will be updated in-place\n" in after
    assert "changed outside aepflow" not in after
    assert project.run("plan", "--refresh-only", "--detailed-exitcode").exit_code == 0


def test_refresh_only_records_objects_found_by_their_marker_after_a_lost_lock(
    project: Project,
) -> None:
    apply_ok(project)
    ids = {a: e["id"] for a, e in project.lock()["resources"].items()}
    (project.root / ".aepflow" / "locks" / "local.lock.json").unlink()
    planned = project.run("plan", "--refresh-only")
    assert f"Refresh only: 0 to forget, {len(ids)} to record in the lock" in planned.output
    assert (
        "  # flow.contacts will be recorded (found on the platform by its aepflow marker; "
        "nothing is sent)" in planned.output.splitlines()
    )
    assert f"  = flow.contacts (id {ids['flow.contacts']})" in planned.output.splitlines()
    md = project.run("plan", "--refresh-only", "--format", "markdown", "--out", "r.json").output
    assert md.startswith(f"**Refresh only: 0 to forget, {len(ids)} to record in the lock")
    assert "mermaid" not in md and "destroys or replaces" not in md
    result = project.run("apply", "r.json", "--json")  # a saved refresh plan writes the lock only
    assert result.exit_code == 0, result.output
    end = json.loads(result.output.splitlines()[-1])
    assert (end["event"], end["ok"], sorted(end["done"])) == ("end", True, sorted(ids))
    assert {a: e["id"] for a, e in project.lock()["resources"].items()} == ids
    # Only the connection's secrets, never read back from AEP, are sent again.
    after = project.run("plan").output
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in after
    assert "connection.crm will be updated in-place" in after


def test_refresh_only_records_the_mapping_version_a_flow_uses_since_a_ui_edit(
    project: Project,
) -> None:
    """A mapping edited in the UI is a new version of the mapping set, and the flow moves to
    it: the lock must record that version, or the next plan moves the flow back."""
    apply_ok(project)
    client = project.client()
    flow_id, mapping_id = project.id("flow.contacts"), project.id("mappingSet.contacts")
    live = client.mapping_set_get(mapping_id) or {}
    kinds = {"text/x.schema-path": "ATTRIBUTE", "text/x.aep-xl": "EXPRESSION"}
    mappings = [
        {
            "sourceType": kinds.get(m["sourceType"], m["sourceType"]),
            "source": m["source"],
            "destination": m["destination"],
        }
        for m in live["mappings"]
    ]
    for m in mappings:
        if m["destination"] == "person.name.firstName":
            m["destination"] = "person.name.lastName"
    body = {"outputSchema": live["outputSchema"], "mappings": mappings}
    made = client.client.send(Request("PUT", f"{api.CONVERSION}/mappingSets/{mapping_id}", body))
    version = int(made["version"])
    assert version == 1
    flow = client.flow_get("flows", flow_id) or {}
    at = [t["name"] for t in flow["transformations"]].index("Mapping")
    client.flow_patch(
        "flows",
        flow_id,
        [
            {
                "op": "replace",
                "path": f"/transformations/{at}",
                "value": {
                    "name": "Mapping",
                    "params": {"mappingId": mapping_id, "mappingVersion": version},
                },
            }
        ],
    )
    # The manifest takes the UI's change too: only the lock is behind.
    project.edit(
        "flow.yaml",
        "{source: FirstName, destination: person.name.firstName}",
        "{source: FirstName, destination: person.name.lastName}",
    )
    planned = project.run("plan", "--refresh-only")
    assert (
        "  # mappingSet.contacts will record the live values (changed outside aepflow: what "
        "uses it now uses version 1)\n"
        f"  ~ mappingSet.contacts (id {mapping_id})\n"
        "      ~ version (lock): 0 -> 1\n"
    ) in planned.output
    result = project.run("apply", "--refresh-only", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert project.lock()["resources"]["mappingSet.contacts"]["version"] == 1
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"

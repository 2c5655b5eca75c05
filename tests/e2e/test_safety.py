"""Safety of plan, apply, import and the lock: no data lost, no pipeline created twice."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.conftest import Project, apply_ok


def test_an_apply_that_waited_for_the_lock_plans_from_what_the_first_one_recorded(
    project: Project,
) -> None:
    from aepflow.workspace import locked, make_plan, open_workspace

    apply_ok(project)
    project.edit("flow.yaml", "table: Contact", "table: Lead")
    waiting = open_workspace(None, ())  # read the lock, then wait for the apply lock
    try:
        apply_ok(project)  # meanwhile another apply replaces the source and the flow
        with locked(waiting, 0, lambda message: None):
            plan = make_plan(waiting)
    finally:
        waiting.close()
    assert plan.summary() == "No changes."
    assert len(project.client().flow_list("flows")) == 1


def _lock_path(project: Project) -> Path:
    return project.root / ".aepflow" / "locks" / "local.lock.json"


def test_protect_changes_are_recorded_and_obeyed_both_ways(project: Project) -> None:
    project.edit("schema.yaml", "schema: contacts}", "schema: contacts, protect: false}")
    apply_ok(project)
    assert "protect" not in project.lock()["resources"]["dataset.contacts"]
    project.edit("schema.yaml", "protect: false}", "protect: true}")
    result = project.run("plan")
    assert "      ~ protect (lock): false -> true" in result.output
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in result.output
    apply_ok(project)
    assert project.lock()["resources"]["dataset.contacts"]["protect"] is True
    # Now protected: removing the dataset and its pipeline is refused without the opt-in.
    (project.root / "manifests" / "flow.yaml").unlink()
    project.write(
        "schema.yaml", (project.root / "manifests" / "schema.yaml").read_text().split("---")[0]
    )
    refused = project.run("plan")
    assert refused.exit_code == 1
    assert "dataset.contacts would be destroyed (no longer in the manifests)" in refused.output


def test_a_lock_of_another_environment_is_refused_and_nothing_is_touched(project: Project) -> None:
    apply_ok(project)
    data = project.lock()
    data["environment"] = "prod"
    _lock_path(project).write_text(json.dumps(data))
    before = _lock_path(project).read_text()
    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {_lock_path(project).relative_to(project.root)}: this lock belongs to "
        "environment 'prod' (sandbox 'prod'), not to environment 'local' (sandbox 'prod'); "
        "nothing was read or changed. Check lockFile in aepflow.yaml and the -e option\n"
    )
    assert _lock_path(project).read_text() == before


def test_import_refuses_an_id_another_address_owns(project: Project) -> None:
    apply_ok(project)
    flow_id = project.id("flow.contacts")
    data = project.lock()
    del data["resources"]["sourceConnection.contacts"]
    _lock_path(project).write_text(json.dumps(data))
    result = project.run("import", "sourceConnection.contacts", flow_id)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {flow_id} is already in the lock as flow.contacts; one object cannot be two "
        "resources (`aepflow state rm flow.contacts` first if the lock is wrong)\n"
    )


def test_a_dangling_link_among_the_manifests_is_an_error_not_a_removal(project: Project) -> None:
    apply_ok(project)
    os.symlink(project.root / "elsewhere.yaml", project.root / "manifests" / "moved.yaml")
    for command in ("validate", "plan"):
        result = project.run(command)
        assert result.exit_code == 1
        assert (
            "manifests/moved.yaml:1:1: a symbolic link to "
            f"{project.root / 'elsewhere.yaml'}, which does not exist"
        ) in result.output
    assert "destroy" not in project.run("plan").output


def test_planning_some_files_or_targets_never_destroys_the_rest(project: Project) -> None:
    apply_ok(project)
    project.edit("flow.yaml", "interval: 1,", "interval: 3,")
    result = project.run("plan", "manifests/flow.yaml")
    assert result.exit_code == 0, result.output
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in result.output
    assert "Note: this plan is partial: it covers 8 resource(s)" in result.output
    only_dataset = project.run("plan", "--target", "dataset.contacts")
    assert "No changes." in only_dataset.output
    assert "it covers 3 resource(s)" in only_dataset.output  # the dataset, its schema, field group
    unknown = project.run("plan", "--target", "flow.nope")
    assert unknown.exit_code == 1
    assert unknown.output == (
        "Error: --target flow.nope: no such resource in the manifests or the lock "
        "(of that kind: flow.contacts)\n"
    )


def test_a_lock_id_that_points_nowhere_adopts_the_live_copy_instead_of_a_second_one(
    project: Project,
) -> None:
    apply_ok(project)
    data = project.lock()
    real = data["resources"]["flow.contacts"]["id"]
    data["resources"]["flow.contacts"]["id"] = "00000000-0000-0000-0000-000000000000"
    _lock_path(project).write_text(json.dumps(data))
    result = project.run("plan")
    assert (
        "  # flow.contacts will be adopted (its recorded id 00000000-0000-0000-0000-000000000000 "
        "is gone; found on the platform by its aepflow marker)"
    ) in result.output
    apply_ok(project)
    assert project.id("flow.contacts") == real
    assert len(project.client().flow_list("flows")) == 1


def test_two_live_copies_of_one_resource_stop_the_plan(project: Project) -> None:
    apply_ok(project)
    data = project.lock()
    del data["resources"]["targetConnection.contacts"]
    _lock_path(project).write_text(json.dumps(data))
    sandbox = project.client()
    original = sandbox.flow_get(
        "targetConnections",
        project.id("flow.contacts")
        and json.loads(json.dumps(data))["resources"]["flow.contacts"]["id"],
    )
    assert original is None  # a flow id is not a target connection
    copy = next(t for t in sandbox.flow_list("targetConnections"))
    from aepflow.api import Request

    body = {k: copy[k] for k in ("name", "description", "data", "params", "connectionSpec")}
    sandbox.client.send(Request("POST", "/data/foundation/flowservice/targetConnections", body))
    result = project.run("plan")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: targetConnection.contacts: 2 live objects carry its aepflow marker ("
    )
    assert "aepflow will not choose one and leave the other running" in result.output


def test_a_saved_plan_is_bound_to_the_manifests_and_its_own_content(project: Project) -> None:
    apply_ok(project)
    project.edit("flow.yaml", "interval: 1,", "interval: 2,")
    assert project.run("plan", "--out", "plan.json").exit_code == 0
    saved = Path("plan.json").read_text()
    # A field outside the plan itself, edited by hand: refused by the checksum.
    data = json.loads(saved)
    data["inputs"]["environment"] = "prod"
    Path("edited.json").write_text(json.dumps(data))
    edited = project.run("apply", "edited.json")
    assert (edited.exit_code, edited.output) == (
        1,
        "Error: edited.json is not a valid aepflow plan file: its checksum does not match its "
        "content (edited by hand?)\n",
    )
    # The manifests moved after the plan was made: refused, naming the file.
    project.edit("flow.yaml", "interval: 2,", "interval: 4,")
    stale = project.run("apply", "plan.json")
    assert stale.exit_code == 1
    assert stale.output == (
        "Error: saved plan is stale: manifests changed: manifests/flow.yaml; run `aepflow plan "
        "--out FILE` again and review the new plan\n"
    )
    project.edit("flow.yaml", "interval: 4,", "interval: 2,")
    assert project.run("apply", "plan.json").exit_code == 0
    malformed = project.run("apply", "flow.yaml")
    assert malformed.exit_code == 1
    assert malformed.output.startswith("Error: ")
    assert "Traceback" not in malformed.output


def test_credentials_never_travel_over_plain_http_except_to_loopback(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: dev\n"
        "environments:\n  dev: {type: aep, sandbox: dev}\n"
    )
    for name in ("AEP_CLIENT_ID", "AEP_CLIENT_SECRET", "AEP_ORG_ID", "AEP_SCOPES"):
        monkeypatch.setenv(name, "x")
    for name in ("SF_USERNAME", "SF_PASSWORD", "SF_TOKEN"):
        monkeypatch.setenv(name, "v")
    monkeypatch.setenv("AEPFLOW_IMS_URL", "http://ims.example.com")
    result = project.run("plan")
    assert (result.exit_code, result.output) == (
        1,
        "Error: AEPFLOW_IMS_URL: http://ims.example.com would send the client secret and tokens "
        "in clear text; use https:// (http:// is allowed only for a loopback address, such as "
        "`aepflow emulator serve`)\n",
    )
    monkeypatch.setenv("AEPFLOW_IMS_URL", "ftp://127.0.0.1")
    assert project.run("plan").output == (
        "Error: AEPFLOW_IMS_URL: 'ftp://127.0.0.1' is not an http(s) URL (https://HOST[:PORT]); "
        "correct it, or unset AEPFLOW_IMS_URL to use the default\n"
    )


def test_an_added_column_is_one_keyed_change_and_not_drift(project: Project) -> None:
    apply_ok(project)
    project.edit("flow.yaml", "columns: [Id, FirstName,", "columns: [Id, Title, FirstName,")
    lines = project.run("plan").output.splitlines()
    assert [line for line in lines if "columns" in line] == [
        '      + columns[Title]: {"name": "Title", "type": "string"}  # forces replacement'
    ]
    assert not any("outside aepflow" in line for line in lines)


@pytest.mark.parametrize(
    "written",
    ["${env:FLOW_NAME}", '"\\u0024{env:FLOW_NAME}"', '"${tenant}-${env:FLOW_NAME}"'],
    ids=["plain", "escaped", "after-tenant"],
)
def test_env_values_outside_connection_auth_are_refused(project: Project, written: str) -> None:
    project.edit("flow.yaml", "name: E2E contacts", f"name: {written}")
    result = project.run("validate")
    assert result.exit_code == 1
    assert result.output == (
        "manifests/crm.yaml:7:11: warning: basic authentication to Salesforce is deprecated "
        "since January 2026; use oauth2-client-credentials (or oauth2-jwt on Experience "
        "Platform on AWS)\n"
        "manifests/flow.yaml:5:9: ${env:...} is only allowed in a Connection's auth.params: "
        "values read from the environment are sensitive and never shown, so they cannot name or "
        "shape a resource; use ${var.name} from aepflow.yaml for values that differ per "
        "environment\n1 problem found.\n"
    )


def test_ignore_changes_keeps_a_flow_paused_in_the_ui_paused(project: Project) -> None:
    apply_ok(project)
    sandbox = project.client()
    from aepflow.api import Request

    flow_id = project.id("flow.contacts")
    sandbox.client.send(
        Request(
            "POST",
            f"/data/foundation/flowservice/flows/{flow_id}/action",
            params=(("op", "disable"),),
        )
    )
    assert "~ enabled: false -> true" in project.run("plan").output  # drift, without the rule
    project.edit(
        "flow.yaml", "  deltaColumn:", "  lifecycle: {ignoreChanges: [enabled]}\n  deltaColumn:"
    )
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"
    project.edit("flow.yaml", "interval: 1,", "interval: 2,")
    apply_ok(project)
    assert sandbox.flow_get("flows", flow_id)["state"] == "disabled"


def test_a_failed_lock_write_stops_the_apply_and_lists_what_is_not_recorded(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aepflow.engine import lockfile
    from aepflow.errors import LockWriteError

    real = lockfile.LockWriter._append
    calls = {"n": 0}

    def flaky(self: lockfile.LockWriter, record: dict[str, object]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the disk fills up after the first recorded step
            raise LockWriteError(self.journal, "No space left on device")
        real(self, record)

    monkeypatch.setattr(lockfile.LockWriter, "_append", flaky)
    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    stop = lines.index(
        "Apply stopped: the lock file could not be written (No space left on device), so "
        ".aepflow/locks/local.lock.json does not record everything done."
    )
    unrecorded = lines[stop + 1 : -1]
    assert len(unrecorded) == 1 and unrecorded[0].startswith("  created but not recorded: ")
    assert lines[-1] == (
        "Fix the cause (disk space, permissions) and run `aepflow plan`: each object above "
        "carries its aepflow marker and is adopted, not created twice."
    )
    assert "the lock file records everything done" not in result.output
    monkeypatch.setattr(lockfile.LockWriter, "_append", real)
    address = unrecorded[0].split(": ", 1)[1].split(" = ")[0]
    plan = project.run("plan").output
    assert f"  # {address} will be adopted" in plan  # found by its marker, never created twice
    apply_ok(project)
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"


def test_a_partial_plan_refuses_a_replacement_that_forces_others_outside_it(
    project: Project,
) -> None:
    apply_ok(project)
    project.edit("flow.yaml", "columns: [Id, FirstName,", "columns: [Id, Title, FirstName,")
    result = project.run("plan", "--target", "sourceConnection.contacts")
    assert (result.exit_code, result.output) == (
        1,
        "Error: sourceConnection.contacts must be replaced, which forces flow.contacts to be "
        "replaced too, outside this partial plan: add --target flow.contacts, or plan without "
        "--target\n",
    )
    assert project.run("plan", "--target", "flow.contacts").exit_code == 0


def test_a_partial_apply_of_a_mapping_set_is_not_drift_for_its_flow(project: Project) -> None:
    apply_ok(project)
    project.edit(
        "flow.yaml",
        "{source: FirstName, destination: person.name.firstName}",
        "{source: FirstName, destination: person.name.lastName}",
    )
    apply_ok(project, "--target", "mappingSet.contacts")
    plan = project.run("plan").output
    assert "      ~ mappingVersion: 0 -> 1" in plan
    assert "outside aepflow" not in plan


def test_a_saved_plan_rotating_env_sourced_auth_params_applies(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_ok(project)
    monkeypatch.setenv("SF_USERNAME", "another-user")
    monkeypatch.setenv("SF_PASSWORD", "another-password")
    assert project.run("plan", "--out", "plan.json").exit_code == 0
    result = project.run("apply", "plan.json")
    assert result.exit_code == 0, result.output
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"

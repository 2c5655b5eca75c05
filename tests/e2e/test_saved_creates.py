"""A saved plan's creates are looked for again before it is applied: the same branch applied
elsewhere since the plan must never leave a second live copy (a connection, a flow...)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from urllib.parse import quote

import pytest

from aepflow import api
from aepflow.api import ListRequest
from aepflow.project import load_project
from aepflow.workspace import platform_client
from tests.e2e.conftest import Project
from tests.served import aim_at

AEP_PROJECT = (
    "version: 1\nmanifests: manifests\ndefaultEnvironment: prod\n"
    "environments:\n  prod: {type: aep, sandbox: dev}\n"
)


def _reviewed_then_applied_elsewhere(
    project: Project, served: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The pull request's reviewed plan (9 to add), then the same branch applied from another
    checkout (its own lock): the ids it created."""
    (project.root / "aepflow.yaml").write_text(AEP_PROJECT)
    aim_at(monkeypatch, served, SF_USERNAME="u", SF_PASSWORD="p", SF_TOKEN="t")
    planned = project.run("plan", "--out", "reviewed.json")
    assert planned.exit_code == 0 and "Plan: 9 to add" in planned.output, planned.output
    laptop = project.root.parent / "laptop"
    shutil.copytree(project.root, laptop)
    monkeypatch.chdir(laptop)
    assert project.run("apply", "--auto-approve").exit_code == 0
    monkeypatch.chdir(project.root)
    lock = json.loads((laptop / "locks" / "prod.lock.json").read_text())["resources"]
    return {a: e["id"] for a, e in lock.items()}


def _connections(project: Project) -> list[str]:
    env = load_project(project.root).environment("prod")
    client = platform_client(env, os.environ)
    try:
        items = client.list(ListRequest(f"{api.FLOW}/connections", "flowservice"))
        return sorted(str(c["id"]) for c in items)
    finally:
        client.close()


def test_a_saved_plan_whose_creates_now_exist_is_stale_and_writes_nothing(
    project: Project, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _reviewed_then_applied_elsewhere(project, served, monkeypatch)
    before = _connections(project)
    result = project.run("apply", "reviewed.json", "--auto-approve")
    assert (result.exit_code, result.output) == (
        1,
        "Error: saved plan is stale: connection.crm now exists in the sandbox (id "
        f"{made['connection.crm']}), made since the plan; run `aepflow plan --out FILE` again "
        "and review the new plan\n",
    )
    assert _connections(project) == before == [made["connection.crm"]]
    assert not (project.root / "locks" / "prod.lock.json").exists()


def test_replan_if_stale_adopts_what_appeared_but_never_applies_it_unreviewed(
    project: Project, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _reviewed_then_applied_elsewhere(project, served, monkeypatch)
    result = project.run("apply", "reviewed.json", "--auto-approve", "--replan-if-stale")
    adopted = "; ".join(
        f"{a}: adopt instead of create"
        for a in (
            "dataset.contacts",
            "descriptor.contacts.personalEmail.address",
            "fieldGroup.contacts",
            "flow.contacts",
            "mappingSet.contacts",
            "schema.contacts",
            "sourceConnection.contacts",
            "targetConnection.contacts",
        )
    )
    assert (result.exit_code, result.output) == (
        1,
        "Error: saved plan is stale (connection.crm now exists in the sandbox (id "
        f"{made['connection.crm']}), made since the plan) and a new plan makes other changes "
        "than the reviewed one: connection.crm: adopt/update instead of create; "
        f"{adopted}. Nothing was applied; run `aepflow plan --out FILE` again and review the "
        "new plan\n",
    )
    assert _connections(project) == [made["connection.crm"]]
    assert not (project.root / "locks" / "prod.lock.json").exists()
    # Planned again and reviewed, the plan adopts them: still one live copy of each.
    assert project.run("plan", "--out", "again.json").exit_code == 0
    applied = project.run("apply", "again.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    lock = json.loads((project.root / "locks" / "prod.lock.json").read_text())["resources"]
    assert {a: e["id"] for a, e in lock.items()} == made
    assert _connections(project) == [made["connection.crm"]]


def test_a_reviewed_dataflow_applied_elsewhere_since_is_never_created_twice(
    project: Project,
) -> None:
    """Flow Service objects have no unique titles: nothing but the marker lookup stands between
    a reviewed plan and a second live flow ingesting the same data."""
    flow = (project.root / "manifests" / "flow.yaml").read_text()
    (project.root / "manifests" / "flow.yaml").unlink()
    assert project.run("apply", "--auto-approve").exit_code == 0
    project.write("flow.yaml", flow)
    planned = project.run("plan", "--out", "reviewed.json")
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in planned.output, planned.output
    lock_path = project.root / ".aepflow" / "locks" / "local.lock.json"
    lock_before = lock_path.read_bytes()
    # Applied from another checkout, whose lock this one does not see.
    assert project.run("apply", "--auto-approve").exit_code == 0
    flow_id = project.id("flow.contacts")
    lock_path.write_bytes(lock_before)
    result = project.run("apply", "reviewed.json", "--auto-approve")
    assert (result.exit_code, result.output) == (
        1,
        "Error: saved plan is stale: flow.contacts now exists in the sandbox (id "
        f"{flow_id}), made since the plan; run "
        "`aepflow plan --out FILE` again and review the new plan\n",
    )
    assert [f["id"] for f in project.client().flow_list("flows")] == [flow_id]
    assert lock_path.read_bytes() == lock_before


def test_a_saved_plan_whose_create_title_is_now_taken_is_stale(project: Project) -> None:
    """An object without the marker, made since the plan with the title the plan creates:
    the Schema Registry would refuse the create half-way through the apply."""
    target = ("--target", "fieldGroup.contacts")
    assert project.run("plan", *target, "--out", "reviewed.json").exit_code == 0
    lock_path = project.root / ".aepflow" / "locks" / "local.lock.json"
    assert project.run("apply", "--auto-approve", *target).exit_code == 0
    group = project.id("fieldGroup.contacts")
    lock_path.unlink()
    path = f"{api.SCHEMA}/tenant/fieldgroups/{quote(group, safe='')}"
    unmarked = [{"op": "replace", "path": "/description", "value": "made in the UI"}]
    project.client().client.send(api.Request("PATCH", path, unmarked))
    result = project.run("apply", "reviewed.json", "--auto-approve")
    assert (result.exit_code, result.output) == (
        1,
        "Error: saved plan is stale: the title 'E2E Contacts fields' of fieldGroup.contacts is "
        f"now taken in the sandbox (by {group}); run `aepflow plan --out FILE` again and "
        "review the new plan\n",
    )
    assert not lock_path.exists()


def test_a_connection_made_while_apply_waits_for_its_yes_is_never_created_twice(
    project: Project, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same gap as a saved plan's, for an apply that asks: while a person reads the plan,
    the same branch is applied from another checkout. The answer `yes` must send nothing."""
    from aepflow.cli import applying

    (project.root / "aepflow.yaml").write_text(AEP_PROJECT)
    aim_at(monkeypatch, served, SF_USERNAME="u", SF_PASSWORD="p", SF_TOKEN="t")
    laptop = project.root.parent / "laptop"
    shutil.copytree(project.root, laptop)

    def meanwhile(auto_approve: bool, question: str, environment: str | None = None) -> None:
        other = subprocess.run(
            [sys.executable, "-m", "aepflow", "apply", "--auto-approve"],
            cwd=laptop,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert other.returncode == 0, other.stdout + other.stderr

    monkeypatch.setattr(applying, "confirm", meanwhile)
    result = project.run("apply")
    made = json.loads((laptop / "locks" / "prod.lock.json").read_text())["resources"]
    connection = made["connection.crm"]["id"]
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: the sandbox changed while the plan waited for your answer: connection.crm now "
        f"exists in the sandbox (id {connection}), made since the plan. Nothing was applied; "
        "run `aepflow apply` again to plan afresh"
    )
    assert _connections(project) == [connection]
    assert not (project.root / "locks" / "prod.lock.json").exists()

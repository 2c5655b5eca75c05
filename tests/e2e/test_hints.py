"""Every command a message suggests carries the -e the command was given: after
`aepflow plan -e prod`, a bare `aepflow state mv A B` would act on another environment's lock."""

from __future__ import annotations

import json

import pytest

from aepflow.api import Request
from tests.e2e.conftest import PROJECT, Project, apply_ok

TWO_ENVIRONMENTS = PROJECT + "  other: {type: embedded, sandbox: prod}\n"


def _title_taken(project: Project) -> str:
    made = project.client().client.send(
        Request(
            "POST",
            "/data/foundation/schemaregistry/tenant/schemas",
            {
                "title": "E2E Contacts",
                "type": "object",
                "allOf": [{"$ref": "https://ns.adobe.com/xdm/context/profile"}],
            },
        )
    )
    return str(made["$id"])


def test_the_planners_hints_carry_the_environment_given(project: Project) -> None:
    schema_id = _title_taken(project)
    for given, flag in (((), ""), (("-e", "local"), " -e local")):
        result = project.run("plan", *given)
        assert (result.exit_code, result.output) == (
            1,
            "Error: schema.contacts would be created with the title 'E2E Contacts', which the "
            f"object {schema_id} (not managed by aepflow) already has; AEP keeps titles unique, "
            "so the apply would fail. Manage that object with "
            f"`aepflow import{flag} schema.contacts {schema_id}`, or change the title in the "
            "manifest\n",
        )
        replaced = project.run("plan", *given, "--replace", "flow.nope")
        assert (replaced.exit_code, replaced.output) == (
            1,
            "Error: --replace flow.nope: no such resource in the manifests (of that kind: "
            f"flow.contacts); `aepflow state list{flag}` shows the addresses\n",
        )


def test_a_rename_hint_carries_the_environment_given(project: Project) -> None:
    apply_ok(project)
    project.edit(
        "schema.yaml",
        "metadata: {name: contacts}\nspec:\n  title",
        "metadata: {name: people}\nspec:\n  title",
    )
    project.edit("schema.yaml", "schema: contacts}", "schema: people}")
    project.edit("flow.yaml", "schema: contacts", "schema: people")
    result = project.run("plan", "-e", "local")
    assert result.exit_code == 1
    assert result.output.endswith(
        "or run `aepflow state mv -e local fieldGroup.contacts fieldGroup.people`\n"
    )


def test_apply_hints_carry_the_environment_given(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aepflow.engine.executor import Executor
    from aepflow.errors import PlatformError

    no_terminal = project.run("apply", "-e", "local")
    assert no_terminal.output.endswith(
        "Error: apply needs confirmation and there is no terminal to ask: review the plan and "
        "pass --auto-approve, or apply a saved plan (aepflow plan -e local --out FILE; "
        "aepflow apply -e local FILE)\n"
    )
    real = Executor._create

    def failing(self: Executor, r, change):  # type: ignore[no-untyped-def]
        if r.address == "flow.contacts":
            raise PlatformError("POST", "/flows", 400, "X-400", "refused")
        return real(self, r, change)

    monkeypatch.setattr(Executor, "_create", failing)
    for given, flag in (((), ""), (("-e", "local"), " -e local")):
        result = project.run("apply", *given, "--auto-approve")
        assert result.exit_code == 1
        last = result.output.splitlines()[-1]
        assert last.endswith(
            "the lock file records everything done. Fix the cause and run "
            f"`aepflow apply{flag}` again to carry on."
        ), last


def test_a_stale_saved_plan_says_how_to_plan_again_in_its_environment(project: Project) -> None:
    (project.root / "aepflow.yaml").write_text(TWO_ENVIRONMENTS)
    for env in ("local", "other"):
        assert project.run("plan", "-e", env, "--out", f"{env}.json").exit_code == 0
    project.edit("flow.yaml", "interval: 1,", "interval: 2,")
    stale = "Error: saved plan is stale: manifests changed: manifests/flow.yaml; "
    cases = [
        (("local.json",), "`aepflow plan --out FILE`"),
        (("-e", "local", "local.json"), "`aepflow plan -e local --out FILE`"),
        # Not the default environment: the hint names it although no -e was given.
        (("other.json",), "`aepflow plan -e other --out FILE`"),
    ]
    for args, hint in cases:
        result = project.run("apply", *args)
        assert (result.exit_code, result.output) == (
            1,
            f"{stale}run {hint} again and review the new plan\n",
        )
    (project.root / "bad.json").write_text("{}")
    bad = project.run("apply", "-e", "other", "bad.json")
    assert bad.output == (
        "Error: bad.json is not a valid aepflow plan file: not an aepflow plan file of format 2; "
        "make it again with `aepflow plan -e other --out FILE`\n"
    )


def test_status_import_and_preview_hints_carry_the_environment_given(project: Project) -> None:
    status = project.run("status", "-e", "local", "flow.nope")
    assert (status.exit_code, status.output) == (
        1,
        "Error: flow.nope: not a flow in the lock; the managed flows are: none (run "
        "`aepflow apply -e local` first)\n",
    )
    preview = project.run("plan", "-e", "local", "--preview")
    assert preview.output == (
        "Error: --preview goes with --format markdown (the pull-request comment); for one "
        "flow's records run: aepflow preview -e local FLOW\n"
    )
    explore = project.run("explore", "-e", "local", "crm")
    assert explore.output == (
        "Error: connection crm is not applied in environment local: it has no id in the lock "
        "yet. Apply it first: aepflow apply -e local --target connection.crm\n"
    )
    sample = project.run("preview", "-e", "local", "contacts")
    assert sample.output == (
        "Error: dataflow 'contacts' reads from connection 'crm', which does not exist yet in "
        "environment local (it has no id in the lock): create it first with "
        "`aepflow apply -e local --target connection.crm`, then preview again\n"
    )
    apply_ok(project)
    flow_id = project.id("flow.contacts")
    data = project.lock()
    del data["resources"]["sourceConnection.contacts"]
    (project.root / ".aepflow" / "locks" / "local.lock.json").write_text(json.dumps(data))
    result = project.run("import", "-e", "local", "sourceConnection.contacts", flow_id)
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {flow_id} is already in the lock as flow.contacts; one object cannot be two "
        "resources (`aepflow state rm -e local flow.contacts` first if the lock is wrong)\n",
    )


def test_an_unsaved_plan_names_the_apply_that_makes_it_again(project: Project) -> None:
    """The same environment and planning flags: a refresh-only plan applied by a bare
    `aepflow apply` would change AEP."""
    apply_ok(project)
    project.edit("flow.yaml", "interval: 1,", "interval: 2,")
    cases = [
        ((), "aepflow apply"),
        (("-e", "local"), "aepflow apply -e local"),
        (
            ("-e", "local", "--target", "flow.contacts", "--replace", "flow.contacts"),
            "aepflow apply -e local --target flow.contacts --replace flow.contacts",
        ),
        (("--destroy", "--allow-data-loss"), "aepflow destroy --allow-data-loss"),
        (
            ("--replace", "dataset.contacts", "--allow-data-loss"),
            "aepflow apply --replace dataset.contacts --allow-data-loss",
        ),
    ]
    for args, again in cases:
        result = project.run("plan", *args)
        assert result.exit_code == 0, result.output
        assert result.output.endswith(
            f"\nNote: this plan was not saved (--out); `{again}` will plan again before it "
            "changes anything.\n"
        )


def test_an_unsaved_plan_of_some_paths_names_the_saved_plan_that_keeps_its_scope(
    project: Project,
) -> None:
    """apply takes no paths: suggesting `aepflow apply` would apply the whole project."""
    apply_ok(project)
    project.edit("flow.yaml", "interval: 1,", "interval: 2,")
    result = project.run("plan", "-e", "local", "manifests/flow.yaml")
    assert result.exit_code == 0, result.output
    assert result.output.endswith(
        "\nNote: this plan was not saved (--out), and apply plans the whole project: to apply "
        "only this scope, run `aepflow plan -e local manifests/flow.yaml --out FILE`, then "
        "`aepflow apply FILE`.\n"
    )

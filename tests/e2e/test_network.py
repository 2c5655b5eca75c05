"""The engine over the network path: the emulator served on loopback, credentials from the environment."""

from __future__ import annotations

import json

import pytest

from aepflow.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORG_ID
from tests.e2e.conftest import Project
from tests.served import aim_at


def test_plan_and_apply_over_loopback_like_a_real_sandbox(
    project: Project, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: staging\n"
        "environments:\n  staging: {type: aep, sandbox: dev}\n"
    )
    result = project.run("plan")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: manifests/crm.yaml:"
    )  # real sandboxes need real secrets
    for name, value in {"SF_USERNAME": "u", "SF_PASSWORD": "p", "SF_TOKEN": "t"}.items():
        monkeypatch.setenv(name, value)
    result = project.run("plan")
    assert result.output == (
        "Error: missing AEP credentials; set these environment variables:\n"
        "  AEP_CLIENT_ID: the Client ID of your Developer Console project (OAuth Server-to-Server)\n"
        "  AEP_CLIENT_SECRET: a Client Secret of that project\n"
        "  AEP_ORG_ID: your IMS organization id (…@AdobeOrg), or orgId in aepflow.yaml\n"
        "  AEP_SCOPES: the comma-separated scopes listed in that project's credential\n"
    )
    monkeypatch.setenv("AEP_CLIENT_ID", DEFAULT_CLIENT_ID)
    monkeypatch.setenv("AEP_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
    monkeypatch.setenv("AEP_ORG_ID", DEFAULT_ORG_ID)
    monkeypatch.setenv("AEP_SCOPES", "openid,AdobeID")
    monkeypatch.setenv("AEPFLOW_PLATFORM_URL", served)
    monkeypatch.setenv("AEPFLOW_IMS_URL", served)
    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 9 step(s). Lock file: locks/staging.lock.json" in applied.output
    again = project.run("plan", "--detailed-exitcode")
    assert (again.exit_code, again.output) == (0, "No changes.\n")
    doctor = project.run("doctor")
    assert doctor.exit_code == 0
    assert doctor.output.splitlines() == [
        'Environment "staging" (sandbox dev)',
        "  ok    SF_PASSWORD (used at manifests/crm.yaml:11:17) is set",
        "  ok    SF_TOKEN (used at manifests/crm.yaml:12:22) is set",
        "  ok    SF_USERNAME (used at manifests/crm.yaml:10:17) is set",
        "  ok    credentials are set",
        "  ok    obtained an access token from IMS",
        "  ok    Schema Registry answers; tenant id aepflowlocal",
        # Only the connectors the manifests use: a sandbox need not license the others.
        "  ok    connection spec Salesforce (cfc0fee1-7dc0-40ef-b73e-d8b134c436f5)",
        "  ok    flow spec CRMToAEP (14518937-270c-4525-bdec-c2ba7cce3860)",
        f"  ok    connection.crm ({project.id_in('staging', 'connection.crm')}) connects to its source",
        "All checks passed.",
    ]
    monkeypatch.delenv("SF_TOKEN")
    unset = project.run("doctor")
    assert unset.exit_code == 1
    assert (
        "  FAIL  SF_TOKEN (used at manifests/crm.yaml:12:22) is not set\n"
        "        fix: set SF_TOKEN in the environment (CI: a secret)"
    ) in unset.output
    monkeypatch.setenv("SF_TOKEN", "t")
    # Day-two commands over the same network path.
    status = project.run("status", "--json")
    assert status.exit_code == 0, status.output
    (flow,) = json.loads(status.output)["flows"]
    assert (flow["address"], flow["state"]) == ("flow.contacts", "enabled")
    tables = project.run("explore", "crm")
    assert tables.exit_code == 0 and "Contact" in tables.output
    none_left = project.run("import", "--all")
    assert (none_left.exit_code, none_left.output) == (
        0,
        "Nothing new to import: every flow aepflow can manage is managed already.\n",
    )
    monkeypatch.setenv("AEP_CLIENT_SECRET", "wrong-secret")
    bad = project.run("doctor")
    assert bad.exit_code == 1
    assert "wrong-secret" not in bad.output
    assert "  FAIL  token: POST /ims/token/v3 failed: 401 invalid_client" in bad.output


def test_a_first_apply_on_a_real_sandbox_checks_the_source_before_creating_it(
    project: Project, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base connection is created in the same run: the plan has no id to explore with, so
    the table is checked right before its source connection is created."""
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: staging\n"
        "environments:\n  staging: {type: aep, sandbox: dev}\n"
    )
    aim_at(monkeypatch, served, SF_USERNAME="u", SF_PASSWORD="p", SF_TOKEN="t")
    project.edit("flow.yaml", "table: Contact", "table: Contacts")
    planned = project.run("plan")  # nothing to explore yet
    assert planned.exit_code == 0 and "to add" in planned.output, planned.output
    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 1
    assert (
        "manifests/flow.yaml:8:12: sourceConnection.contacts: the source has no table "
        "'Contacts'; did you mean 'Contact'? (tables: Account, Contact, Lead)"
    ) in applied.output
    lock = json.loads((project.root / "locks" / "staging.lock.json").read_text())
    assert "connection.crm" in lock["resources"]
    assert "sourceConnection.contacts" not in lock["resources"]
    assert project.run("plan").output.startswith(
        "Error: manifests/flow.yaml:8:12: sourceConnection.contacts: the source has no table"
    )

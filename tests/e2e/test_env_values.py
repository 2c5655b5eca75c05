"""A value read from ${env:...} never appears in a plan, in any of its forms, even once the
manifest no longer reads it from the environment (an auth-type replacement)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Project, apply_ok

OAUTH = """\
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: crm}
spec:
  connector: salesforce
  auth:
    type: oauth2-client-credentials
    params:
      environmentUrl: https://acme.my.salesforce.com
      clientId: ${env:SF_CLIENT_ID}
      clientSecret: ${env:SF_CLIENT_SECRET}
      apiVersion: "60.0"
"""
CLIENT_ID = "client-id-from-the-environment-3f9a"


def test_an_auth_type_replacement_never_prints_a_value_read_from_the_environment(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_CLIENT_ID", CLIENT_ID)
    project.write("crm.yaml", OAUTH)
    apply_ok(project)
    monkeypatch.delenv("SF_CLIENT_ID")
    project.write(
        "crm.yaml",
        OAUTH.replace("oauth2-client-credentials", "basic").replace(
            "      clientId: ${env:SF_CLIENT_ID}\n      clientSecret: ${env:SF_CLIENT_SECRET}\n"
            '      apiVersion: "60.0"\n',
            "      username: ${env:SF_USERNAME}\n      password: ${env:SF_PASSWORD}\n"
            "      securityToken: ${env:SF_TOKEN}\n",
        ),
    )
    text = project.run("plan")
    assert "-/+ connection.crm (id " in text.output, text.output
    assert "- params.clientId: (sensitive value)  # forces replacement" not in text.output
    assert "      - params.clientId: (sensitive value)" in text.output, text.output
    markdown = project.run("plan", "--format", "markdown")
    as_json = project.run("plan", "--format", "json")
    saved = project.run("plan", "--out", "plan.bin")
    assert saved.exit_code in (0, 2), saved.output
    shown = project.run("apply", "plan.bin", input="no\n")
    for output in (text.output, markdown.output, as_json.output, shown.output):
        assert CLIENT_ID not in output
    data = json.loads(as_json.output)
    crm = next(c for c in data["resource_changes"] if c["address"] == "connection.crm")
    assert crm["before"]["params"]["clientId"] == "(sensitive value)"
    assert CLIENT_ID not in (project.root / "plan.bin").read_text(errors="replace")


LEAK = "LEAKME-from-the-environment"
NOT_BOOLEAN = OAUTH + "      includeDeletedObjects: ${env:SF_INC}\n"
GENERIC = NOT_BOOLEAN.replace(
    "connector: salesforce", "connector: {spec: cfc0fee1-7dc0-40ef-b73e-d8b134c436f5}"
).replace("type: oauth2-client-credentials", "specName: OAuth2 Client Credential")


@pytest.mark.parametrize("manifest", [NOT_BOOLEAN, GENERIC], ids=["named", "generic"])
def test_a_param_from_the_environment_of_the_wrong_type_stops_the_plan_without_its_value(
    project: Project, monkeypatch: pytest.MonkeyPatch, manifest: str
) -> None:
    monkeypatch.setenv("SF_INC", LEAK)
    project.write("crm.yaml", manifest)
    expected = (
        "Error: manifests/crm.yaml:13:30: connection.crm: auth.params.includeDeletedObjects: "
        "the value read from the environment does not match the authSpec (type: 'boolean') "
        "(authSpec 'OAuth2 Client Credential')\n"
    )
    for args in (("plan",), ("apply", "--auto-approve")):
        result = project.run(*args)
        assert result.exit_code == 1, result.output
        assert result.output.endswith(expected), result.output
        assert LEAK not in result.output
    as_json = project.run("apply", "--auto-approve", "--json")
    assert as_json.exit_code == 1
    emitted = [json.loads(x) for x in as_json.output.splitlines() if x.startswith("{")]
    assert LEAK not in as_json.output
    assert emitted[-1] == {
        "event": "error",
        "error": {"code": "plan_refused", "message": expected[len("Error: ") : -1]},
    }
    assert not (project.root / ".aepflow" / "locks" / "local.lock.json").exists()


def test_an_apply_error_that_echoes_a_value_from_the_environment_shows_it_redacted(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the plan does not catch, the platform door redacts: text and --json."""
    from aepflow.engine import sourcecheck

    monkeypatch.setattr(sourcecheck, "check_param_values", lambda *a, **k: None)
    monkeypatch.setenv("SF_INC", LEAK)
    project.write("crm.yaml", NOT_BOOLEAN)
    text = project.run("apply", "--auto-approve")
    assert text.exit_code == 1
    assert (
        "Error: connection.crm: POST /data/foundation/flowservice/connections failed: 400 "
        "FLOW-1100-400 The request could not be processed. Error from flow provider: auth "
        "params do not match the auth spec 'OAuth2 Client Credential': includeDeletedObjects: "
        "'(redacted)' is not of type 'boolean' (request id "
    ) in text.output, text.output
    as_json = project.run("apply", "--auto-approve", "--json")
    assert as_json.exit_code == 1
    events = [json.loads(line) for line in as_json.output.splitlines()]
    end = events[-1]
    assert end["event"] == "end"
    assert "'(redacted)' is not of type 'boolean'" in end["errors"]["connection.crm"]
    for output in (text.output, as_json.output):
        assert LEAK not in output

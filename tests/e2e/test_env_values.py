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

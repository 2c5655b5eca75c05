"""A platform or IMS URL that cannot be used, from the environment or aepflow.yaml: one clear
error naming where it came from, before any request (also under --json)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Project

# Each bad shape and what aepflow says of it.
BAD = {
    "http://[::1": "'http://[::1' is not a valid URL: its host is malformed (an IPv6 address "
    "goes in square brackets, as in http://[::1]:8080)",
    "https://[zz]": "'https://[zz]' is not a valid URL: its host is malformed (an IPv6 address "
    "goes in square brackets, as in http://[::1]:8080)",
    "http://127.0.0.1:99999": "'http://127.0.0.1:99999' is not a valid URL: its port must be a "
    "number from 1 to 65535",
    "https://platform.example:http": "'https://platform.example:http' is not a valid URL: its "
    "port must be a number from 1 to 65535",
    "https://": "'https://' is not a valid URL: it has no host",
    "http://:8080": "'http://:8080' is not a valid URL: it has no host",
    "ftp://127.0.0.1": "'ftp://127.0.0.1' is not an http(s) URL (https://HOST[:PORT])",
    "localhost:8080": "'localhost:8080' is not an http(s) URL (https://HOST[:PORT])",
    "https://platform.adobe.io\n": "'https://platform.adobe.io\\n' is not a valid URL: it "
    "contains a space or a line break",
    "https://platform.example?x=1": "'https://platform.example?x=1' is not a base URL: remove "
    "the query or fragment (?..., #...); aepflow adds each request's path and query itself",
    "http://127.0.0.1:8765/#top": "'http://127.0.0.1:8765/#top' is not a base URL: remove the "
    "query or fragment (?..., #...); aepflow adds each request's path and query itself",
    # Credentials in a URL would be printed by every error that names its host: refused, and
    # never quoted.
    "http://user:secret-Pw9@127.0.0.1:8765": "the URL holds a user name or password "
    "(USER:PASSWORD@HOST): credentials do not belong in it (aepflow signs in with "
    "AEP_CLIENT_ID and AEP_CLIENT_SECRET)",
    "https://token@platform.example": "the URL holds a user name or password "
    "(USER:PASSWORD@HOST): credentials do not belong in it (aepflow signs in with "
    "AEP_CLIENT_ID and AEP_CLIENT_SECRET)",
}
VARIABLES = {"AEPFLOW_PLATFORM_URL": "platformUrl", "AEPFLOW_IMS_URL": "imsUrl"}


def _aep(project: Project, monkeypatch: pytest.MonkeyPatch, extra: str = "") -> None:
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: dev\n"
        f"environments:\n  dev:\n    type: aep\n    sandbox: dev\n{extra}"
    )
    for name in ("AEP_CLIENT_ID", "AEP_CLIENT_SECRET", "AEP_ORG_ID", "AEP_SCOPES"):
        monkeypatch.setenv(name, "x")
    for name in ("SF_USERNAME", "SF_PASSWORD", "SF_TOKEN"):
        monkeypatch.setenv(name, "v")
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("variable", sorted(VARIABLES))
@pytest.mark.parametrize("value", sorted(BAD))
def test_a_bad_url_in_the_environment_is_one_error_naming_the_variable(
    project: Project, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    _aep(project, monkeypatch)
    monkeypatch.setenv(variable, value)
    message = f"{variable}: {BAD[value]}; correct it, or unset {variable} to use the default"
    text = project.run("plan")
    assert (text.exit_code, text.output) == (1, f"Error: {message}\n")
    document = project.run("plan", "--format", "json")
    assert document.exit_code == 1
    assert json.loads(document.stdout) == {"error": {"code": "usage", "message": message}}
    assert document.stderr == f"Error: {message}\n"


@pytest.mark.parametrize("key", sorted(VARIABLES.values()))
@pytest.mark.parametrize("value", sorted(BAD))
def test_a_bad_url_in_aepflow_yaml_is_a_positioned_problem_for_every_command(
    project: Project, monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    _aep(project, monkeypatch, f"    {key}: {json.dumps(value)}\n")
    where = f"aepflow.yaml:8:{len(key) + 7}"
    message = f"{key}: {BAD[value]}; correct it, or remove {key} to use the default"
    checked = project.run("validate")
    assert (checked.exit_code, checked.output) == (
        1,
        f"Error: {where}: {message}\n1 problem found.\n",
    )
    document = project.run("plan", "--format", "json")
    assert document.exit_code == 1
    line, col = (int(n) for n in where.split(":")[1:])
    assert json.loads(document.stdout) == {
        "error": {
            "code": "manifest_invalid",
            "message": "1 problem found.",
            "diagnostics": [{"file": "aepflow.yaml", "line": line, "col": col, "message": message}],
        }
    }


def test_clear_text_http_in_aepflow_yaml_is_refused_by_validate_at_its_position(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _aep(
        project,
        monkeypatch,
        "    platformUrl: https://[::1]:8443\n    imsUrl: http://ims.example.com\n",
    )
    checked = project.run("validate")
    assert (checked.exit_code, checked.output) == (
        1,
        "Error: aepflow.yaml:9:13: imsUrl: http://ims.example.com would send the client secret "
        "and tokens in clear text; use https:// (http:// is allowed only for a loopback "
        "address, such as `aepflow emulator serve`)\n1 problem found.\n",
    )


def test_loopback_urls_with_a_port_are_accepted(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An IPv6 loopback in aepflow.yaml and loopback URLs in the environment pass the
    checks; the request then goes to them (nothing listens on port 9)."""
    _aep(project, monkeypatch, "    platformUrl: http://[::1]:9\n")
    monkeypatch.setenv("AEPFLOW_PLATFORM_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AEPFLOW_IMS_URL", "http://localhost:9")
    result = project.run("plan")
    assert (result.exit_code, result.output) == (
        1,
        "Error: POST /ims/token/v3 failed: cannot reach IMS at localhost:9: ConnectError\n",
    )


def test_unquoted_variable_values_that_yaml_would_change_must_be_quoted(
    project: Project,
) -> None:
    """The Norway problem and its kin: NO, 0123, 1_000 and 1.0e+3 would reach the manifests as
    'False', '83', '1000' and '1000.0'; plain numbers that read back as written are fine."""
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: local\n"
        "variables: {n: 15, f: 1.5, country: NO}\n"
        "environments:\n"
        "  local: {type: embedded, sandbox: prod, variables: {sfx: 0123, big: 1_000, e: 1.0e+3}}\n"
    )
    result = project.run("validate")
    assert (result.exit_code, result.output.splitlines()) == (
        1,
        [
            "Error: aepflow.yaml:4:37: variables.country: YAML reads the unquoted 'NO' as a "
            "boolean, which would become 'False' in the manifests: write it in quotes (\"NO\")",
            "aepflow.yaml:6:59: variables.sfx: YAML reads the unquoted '0123' as a number, "
            "which would become '83' in the manifests: write it in quotes (\"0123\")",
            "aepflow.yaml:6:70: variables.big: YAML reads the unquoted '1_000' as a number, "
            "which would become '1000' in the manifests: write it in quotes (\"1_000\")",
            "aepflow.yaml:6:80: variables.e: YAML reads the unquoted '1.0e+3' as a number, "
            "which would become '1000.0' in the manifests: write it in quotes (\"1.0e+3\")",
            "4 problems found.",
        ],
    )

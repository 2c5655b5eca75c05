"""Bad input of any shape: file:line:col, a one-line reason and what to do, exit 1, no
traceback — and nothing sent to the platform."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aepflow.cli import cli
from aepflow.scaffold import EXAMPLE


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["init", "p", "--install", "x"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "p")
    return tmp_path / "p" / "manifests" / "servicenow-users.yaml"


CASES = {
    "unclosed reference": (
        ("${env:SERVICENOW_PASSWORD}", "${env:SERVICENOW_PASSWORD"),
        "manifests/servicenow-users.yaml:11:17: '${env:SERVICENOW_PASSWORD': '${' without a "
        "closing '}' (write $${ for a literal)",
    ),
    "secret mixed with text": (
        ("${env:SERVICENOW_PASSWORD}", "pw-${env:SERVICENOW_PASSWORD}"),
        "manifests/servicenow-users.yaml:11:17: auth.params.password is a secret: do not write "
        "it, or any part of it, in a manifest; write exactly ${env:NAME} and set NAME in the "
        "environment",
    ),
    "epoch milliseconds": (
        ('start: "${var.scheduleStart}"', "start: 1900000000000"),
        "manifests/servicenow-users.yaml:36:51: schedule.start: 1900000000000 looks like epoch "
        "milliseconds; give epoch seconds or an ISO-8601 date-time",
    ),
    "unknown time zone": (
        ("{name: sys_updated_on}", "{name: sys_updated_on, timezone: Europe/Pariss}"),
        "manifests/servicenow-users.yaml:35:49: deltaColumn.timezone 'Europe/Pariss' is not a "
        "time zone name; did you mean 'Europe/Paris'?",
    ),
    "two mappings into one destination": (
        (
            "    - {source: email, destination: personalEmail.address}",
            "    - {source: email, destination: personalEmail.address}\n"
            "    - {source: first_name, destination: personalEmail.address}",
        ),
        "manifests/servicenow-users.yaml:35:41: two mappings write 'personalEmail.address' "
        "(mappings 3 and 4): keep one, or combine them in an expression",
    ),
    "two identities on one field": (
        (
            "      - {field: personalEmail.address, namespace: Email, primary: true}",
            "      - {field: personalEmail.address, namespace: Email, primary: true}\n"
            "      - {field: personalEmail.address, namespace: Phone}",
        ),
        "manifests/servicenow-users.yaml:29:17: field 'personalEmail.address' is already an "
        "identity (identities 0 and 1): a field has one identity namespace",
    ),
    "a name ending in a newline": (
        ("{name: ServiceNow Users}", '{name: "ServiceNow Users\\n"}'),
        "manifests/servicenow-users.yaml:29:19: name 'ServiceNow Users\\n' has a control "
        "character or white space at its ends; write it on one line without them",
    ),
    # aepflow's own limit and words at every depth, whichever parser or release stops first.
    "nesting hundreds deep": (
        (
            "apiVersion: aepflow.io/v1\nkind: Dataflow",
            "x: " + "[" * 3000 + "]" * 3000 + "\n---\napiVersion: aepflow.io/v1\nkind: Dataflow",
        ),
        "manifests/servicenow-users.yaml:13:67: the YAML nests more than 64 levels deep, too "
        "deep for a manifest: flatten it",
    ),
    "nesting just past the limit": (
        (
            "apiVersion: aepflow.io/v1\nkind: Dataflow",
            "x: " + "[" * 64 + "]" * 64 + "\n---\napiVersion: aepflow.io/v1\nkind: Dataflow",
        ),
        "manifests/servicenow-users.yaml:13:67: the YAML nests more than 64 levels deep, too "
        "deep for a manifest: flatten it",
    ),
    "block nesting thousands deep": (
        (
            "apiVersion: aepflow.io/v1\nkind: Dataflow",
            "x:\n  " + "- " * 2000 + "1\n---\napiVersion: aepflow.io/v1\nkind: Dataflow",
        ),
        "manifests/servicenow-users.yaml:14:129: the YAML nests more than 64 levels deep, too "
        "deep for a manifest: flatten it",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_bad_manifest_is_one_positioned_line(example: Path, case: str) -> None:
    (old, new), message = CASES[case]
    assert old in EXAMPLE
    example.write_text(EXAMPLE.replace(old, new, 1))
    for command in ("validate", "plan"):
        result = CliRunner().invoke(cli, [command])
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert message in result.output.splitlines()[0], result.output
    assert not (example.parent.parent / ".aepflow" / "emulator").exists()  # nothing was sent


def test_usage_errors_exit_1_not_2(example: Path) -> None:
    """Exit 2 means "changes" for plan --detailed-exitcode, which CI scripts test for."""
    for args in (
        ["plan", "--bogus"],
        ["apply", "--parallelism", "0"],
        ["plan", "--format", "yaml"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "aepflow", *args], capture_output=True, text=True
        )
        assert done.returncode == 1, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stderr.splitlines()[-1].startswith("Error: ")


def test_init_and_schemas_into_an_unwritable_place_are_one_line_errors(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    for args in (["init", str(blocked / "p")], ["schemas", str(blocked / "s")]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1
        assert result.output.startswith(f"Error: cannot write {blocked}")
        assert "Traceback" not in result.output

"""``preview --json`` fails as every ``--json`` command does (docs/errors.md): the error
object with its stable code on stdout, the ``Error:`` line on stderr, exit code 1."""

from __future__ import annotations

import json

from tests.e2e.conftest import Project


def test_an_unknown_flow_is_the_usage_error_document(project: Project) -> None:
    result = project.run("preview", "nosuch", "--json")
    message = "no Dataflow named 'nosuch' in the manifests (dataflows: contacts)"
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"error": {"code": "usage", "message": message}}
    assert result.stderr == f"Error: {message}\n"


def test_an_unknown_environment_is_the_usage_error_document(project: Project) -> None:
    result = project.run("preview", "contacts", "-e", "nope", "--json")
    message = "unknown environment 'nope' in aepflow.yaml; known environments: local"
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"error": {"code": "usage", "message": message}}
    assert result.stderr == f"Error: {message}\n"


def test_invalid_manifests_are_the_manifest_invalid_document_with_diagnostics(
    project: Project,
) -> None:
    (project.root / "manifests" / "flow.yaml").write_text("kind: [\n")
    result = project.run("preview", "contacts", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": {
            "code": "manifest_invalid",
            "message": "1 problem found.",
            "diagnostics": [
                {
                    "file": "manifests/flow.yaml",
                    "line": 1,
                    "col": 7,
                    "message": "this [ is never closed: add ']'",
                }
            ],
        }
    }
    assert result.stderr == (
        "Error: manifests/flow.yaml:1:7: this [ is never closed: add ']'\n1 problem found.\n"
    )


def test_import_help_says_it_prints_one_document() -> None:
    from click.testing import CliRunner

    from aepflow.cli import cli

    text = CliRunner().invoke(cli, ["import", "--help"], terminal_width=200).output
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("--json")]
    assert lines == [
        "--json                  One JSON document for machines: what was imported; with "
        "--flow or --all also the files written, the flows skipped and why, the variables to "
        "set."
    ]

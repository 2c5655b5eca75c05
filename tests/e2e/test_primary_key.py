"""A Dynamics ``source.primaryKey`` names a column: checked against the declared columns by
validate, and against the table or view's columns by the plan's source check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Project

DYNAMICS = (Path(__file__).parent / "sources" / "dynamics.yaml").read_text()


@pytest.fixture
def dynamics(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name in ("crm.yaml", "schema.yaml", "flow.yaml"):
        (project.root / "manifests" / name).unlink()
    project.write("dynamics.yaml", DYNAMICS)
    monkeypatch.setenv("DYN_PRINCIPAL_ID", "id")
    monkeypatch.setenv("DYN_PRINCIPAL_KEY", "key")
    return project


def test_a_primary_key_that_is_no_declared_column_is_refused_at_its_position(
    dynamics: Project,
) -> None:
    dynamics.edit("dynamics.yaml", "primaryKey: contactid", "primaryKey: contactd")
    message = (
        "manifests/dynamics.yaml:23:17: source.primaryKey 'contactd' is not among the declared "
        "columns (contactid, fullname, modifiedon); did you mean 'contactid'?"
    )
    checked = dynamics.run("validate")
    assert (checked.exit_code, checked.output) == (1, f"{message}\n1 problem found.\n")
    applied = dynamics.run("apply", "--auto-approve")
    assert (applied.exit_code, applied.output) == (1, f"Error: {message}\n1 problem found.\n")
    assert not (dynamics.root / ".aepflow" / "locks" / "local.lock.json").exists()


def test_a_primary_key_the_view_lacks_stops_the_plan_at_its_position(dynamics: Project) -> None:
    """Columns left undeclared: only the source knows the key is none of its columns."""
    dynamics.edit("dynamics.yaml", "    columns: [contactid, fullname, modifiedon]\n", "")
    dynamics.edit("dynamics.yaml", "primaryKey: contactid", "primaryKey: contact_id")
    assert dynamics.run("validate").exit_code == 0
    for command in (("plan",), ("apply", "--auto-approve")):
        result = dynamics.run(*command)
        assert (result.exit_code, result.output) == (
            1,
            "Error: manifests/dynamics.yaml:22:17: sourceConnection.dynamics-active-contacts: "
            "view 'activecontacts' has no column 'contact_id' (source.primaryKey); did you "
            "mean 'contactid'?\n",
        ), command
    assert not (dynamics.root / ".aepflow" / "locks" / "local.lock.json").exists()

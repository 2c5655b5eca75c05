"""An identity names a string field: an object or a number passes nothing, so an apply never
deletes a schema's primary identity and then fails to create the new one."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Project, apply_ok

PRIMARY = "{field: personalEmail.address, namespace: Email, primary: true}"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            "person.name",
            "identity field 'person.name' is an object in schema 'contacts'; an identity is a "
            "string field: name one of its fields ('person.name.firstName', "
            "'person.name.lastName', 'person.name.middleName', ...)",
        ),
        (
            "person.birthYear",
            "identity field 'person.birthYear' is a short field in schema 'contacts'; an "
            "identity is a string field: choose a string field, or add a custom string field "
            "and map the value into it",
        ),
        (
            "person.birthDate",
            "identity field 'person.birthDate' is a date field in schema 'contacts'; an "
            "identity is a string field: choose a string field, or add a custom string field "
            "and map the value into it",
        ),
    ],
)
def test_an_identity_that_is_no_string_field_is_refused_before_anything_is_written(
    project: Project, field: str, message: str
) -> None:
    apply_ok(project)
    lock_before = (project.root / ".aepflow" / "locks" / "local.lock.json").read_bytes()
    project.edit("schema.yaml", PRIMARY, PRIMARY.replace("personalEmail.address", field))
    where = "manifests/schema.yaml:11:15"
    checked = project.run("validate")
    assert (checked.exit_code, checked.output.splitlines()[1:]) == (
        1,
        [f"{where}: {message}", "1 problem found."],
    )
    for command in (("plan",), ("apply", "--auto-approve")):
        result = project.run(*command)
        assert (result.exit_code, result.output) == (
            1,
            f"Error: {where}: {message}\n1 problem found.\n",
        ), command
    assert (project.root / ".aepflow" / "locks" / "local.lock.json").read_bytes() == lock_before
    # The primary identity is still in the sandbox, as the lock says: nothing to do.
    project.edit("schema.yaml", PRIMARY.replace("personalEmail.address", field), PRIMARY)
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_the_primary_identity_moves_to_another_field_in_one_apply(project: Project) -> None:
    """A schema has one primary identity: the new one is created once the old one is
    deleted, not alongside it (the Schema Registry would refuse it)."""
    apply_ok(project)
    moved = PRIMARY.replace("personalEmail.address", "person.name.lastName")
    project.edit("schema.yaml", PRIMARY, moved)
    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in applied.output
    lock = project.lock()["resources"]
    assert "descriptor.contacts.personalEmail.address" not in lock
    assert "descriptor.contacts.person.name.lastName" in lock
    assert project.run("plan", "--detailed-exitcode").exit_code == 0
    # And back, with the other order of addresses.
    project.edit("schema.yaml", moved, PRIMARY)
    assert project.run("apply", "--auto-approve").exit_code == 0
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize("parallelism", ["1", "10"])
def test_primary_moved_between_two_existing_identities_applies_in_one_run(
    project: Project, parallelism: str
) -> None:
    """AEP holds one primary identity per schema: the identity that gives it up is updated
    before the one that takes it, whatever their order by name or the parallelism."""
    project.edit(
        "schema.yaml",
        "    - {field: personalEmail.address, namespace: Email, primary: true}\n",
        "    - {field: personalEmail.address, namespace: Email, primary: true}\n"
        '    - {field: "_${tenant}.crmId", namespace: CRMID}\n',
    )
    apply_ok(project)
    project.edit(
        "schema.yaml",
        "{field: personalEmail.address, namespace: Email, primary: true}",
        "{field: personalEmail.address, namespace: Email}",
    )
    project.edit(
        "schema.yaml",
        '{field: "_${tenant}.crmId", namespace: CRMID}',
        '{field: "_${tenant}.crmId", namespace: CRMID, primary: true}',
    )
    applied = project.run("apply", "--auto-approve", "--parallelism", parallelism)
    assert applied.exit_code == 0, applied.output
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"

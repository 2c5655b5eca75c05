"""Day-two edges on a small project: filter operands, state addresses, machine output, the
placeholder org id, file-system faults and renames under a lost lock."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Project, apply_ok

COLUMNS = "    columns: [Id, FirstName, LastName, Email, LastModifiedDate]\n"

FILTERS = {
    "in with one value": (
        "{column: LastName, op: in, value: Smith}",
        "manifests/flow.yaml:10:47: source.filter: op in takes a list of values, not a "
        "string: write value: ['Smith'] (or use op =)",
    ),
    "in with an empty list": (
        "{column: LastName, op: in, value: []}",
        "manifests/flow.yaml:10:47: source.filter: op in takes a list of at least one value",
    ),
    "in with a mapping inside": (
        "{column: LastName, op: in, value: [a, {b: 1}]}",
        "manifests/flow.yaml:10:47: source.filter: op in: each value is a string, number or "
        "true/false, not a mapping",
    ),
    "isNull with a value": (
        "{column: Email, op: isNull, value: x}",
        "manifests/flow.yaml:10:48: source.filter: op isNull takes no value: remove 'value' "
        "(for 'is not null', wrap the condition in {not: ...})",
    ),
    "= without a value": (
        "{column: Email, op: '='}",
        "manifests/flow.yaml:10:33: source.filter: op = needs a value: add 'value'",
    ),
    "!= with a null value": (
        "{column: Email, op: '!=', value: null}",
        "manifests/flow.yaml:10:46: source.filter: op != needs a value: add 'value'",
    ),
    "< with a list": (
        "{column: Email, op: '<', value: [1, 2]}",
        "manifests/flow.yaml:10:45: source.filter: op < takes one value (a string, number or "
        "true/false), not a list",
    ),
    ">= with true": (
        "{column: Email, op: '>=', value: true}",
        "manifests/flow.yaml:10:46: source.filter: op >= compares numbers, dates or text, not "
        "true/false",
    ),
    "like with a number": (
        "{column: Email, op: like, value: 5}",
        "manifests/flow.yaml:10:46: source.filter: op like takes a text pattern (% matches any "
        "text), not a number",
    ),
    "in nested under and/not": (
        "{and: [{column: Id, op: '=', value: x}, {not: {column: LastName, op: in, value: y}}]}",
        "manifests/flow.yaml:10:93: source.filter.and.1.not: op in takes a list of values, not "
        "a string: write value: ['y'] (or use op =)",
    ),
}


@pytest.mark.parametrize("case", sorted(FILTERS))
def test_each_filter_operator_takes_its_operand_shape(project: Project, case: str) -> None:
    condition, message = FILTERS[case]
    project.edit("flow.yaml", COLUMNS, f"{COLUMNS}    filter: {condition}\n")
    for command in ("validate", "plan"):
        result = project.run(command)
        assert result.exit_code == 1
        lines = [line.removeprefix("Error: ") for line in result.output.splitlines()]
        assert next(line for line in lines if "warning" not in line) == message
    assert not (project.root / ".aepflow" / "emulator").exists()  # nothing was sent


@pytest.mark.parametrize(
    "condition",
    [
        "{column: LastName, op: in, value: [Smith, Jones]}",
        "{not: {column: Email, op: isNull}}",
        "{column: Email, op: like, value: '%@acme.com'}",
        "{column: Id, op: '>=', value: 10}",
        "{column: Id, op: '=', value: true}",
    ],
)
def test_the_documented_operand_shapes_validate(project: Project, condition: str) -> None:
    project.edit("flow.yaml", COLUMNS, f"{COLUMNS}    filter: {condition}\n")
    result = project.run("validate")
    assert result.exit_code == 0, result.output


def _lose_the_lock(project: Project) -> None:
    for path in (project.root / ".aepflow" / "locks").glob("local.lock.json*"):
        path.unlink()


@pytest.mark.parametrize("renamed", ["flow", "schema and dataset", "connection"])
def test_a_rename_under_a_lost_lock_adopts_and_makes_no_second_copy(
    project: Project, renamed: str
) -> None:
    apply_ok(project)
    sandbox = project.client()
    before = {
        "flows": project.id("flow.contacts"),
        "sourceConnections": project.id("sourceConnection.contacts"),
        "targetConnections": project.id("targetConnection.contacts"),
        "connections": project.id("connection.crm"),
    }
    datasets = len(sandbox.dataset_list())
    if renamed == "flow":
        project.edit(
            "flow.yaml",
            "metadata: {name: contacts}",
            "metadata: {name: people, movedFrom: [contacts]}",
        )
        new = "flow.people"
    elif renamed == "schema and dataset":
        project.write(
            "schema.yaml",
            (project.root / "manifests" / "schema.yaml")
            .read_text()
            .replace(
                "metadata: {name: contacts}", "metadata: {name: people, movedFrom: [contacts]}"
            )
            .replace("schema: contacts", "schema: people"),
        )
        project.edit(
            "flow.yaml",
            "schema: contacts\n  dataset: contacts",
            "schema: people\n  dataset: people",
        )
        new = "dataset.people"
    else:
        project.edit(
            "crm.yaml", "metadata: {name: crm}", "metadata: {name: sales, movedFrom: [crm]}"
        )
        project.edit("flow.yaml", "connection: crm", "connection: sales")
        new = "connection.sales"
    _lose_the_lock(project)
    apply_ok(project)
    for collection, id in before.items():
        assert [item["id"] for item in sandbox.flow_list(collection)] == [id], collection
    assert len(sandbox.dataset_list()) == datasets
    assert new in project.lock()["resources"]
    assert project.run("plan", "--detailed-exitcode").output == "No changes.\n"


def test_state_mv_refuses_addresses_no_manifest_can_declare(project: Project) -> None:
    apply_ok(project)
    for target, reason in (
        ("flow.", "a name is lower-case letters, digits and '-', at most 63, as in metadata.name"),
        (
            "flow.Bad Name",
            "a name is lower-case letters, digits and '-', at most 63, as in metadata.name",
        ),
        (
            "flow.-x",
            "a name is lower-case letters, digits and '-', at most 63, as in metadata.name",
        ),
        (
            "flow." + "x" * 64,
            "a name is lower-case letters, digits and '-', at most 63, as in metadata.name",
        ),
        (
            "flow.a.b",
            "a name is lower-case letters, digits and '-', at most 63, as in metadata.name",
        ),
    ):
        result = project.run("state", "mv", "flow.contacts", target)
        assert result.exit_code == 1
        assert result.output == (
            f"Error: {target!r} is not an address a manifest can declare: {reason}\n"
        )
    assert "flow.contacts" in project.lock()["resources"]
    ok = project.run("state", "mv", "flow.contacts", "flow.people-2")
    assert ok.exit_code == 0, ok.output

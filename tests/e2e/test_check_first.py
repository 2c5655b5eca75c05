"""On a real sandbox, a source whose connection is created in the same apply is checked right
after that connection is created and before anything else is written: invalid input leaves
only the connection (which the corrected manifest reuses), never a schema or a protected
dataset. The plan says when the source will be checked."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Project
from tests.served import aim_at

AEP = (
    "version: 1\nmanifests: manifests\ndefaultEnvironment: staging\n"
    "environments:\n  staging: {type: aep, sandbox: dev}\n"
)
NOTE = (
    "sourceConnection.contacts: the source is checked once connection.crm exists: apply "
    "creates the connection first and checks the source before it writes anything else."
)


@pytest.fixture
def staging(project: Project, served: str, monkeypatch: pytest.MonkeyPatch) -> Project:
    (project.root / "aepflow.yaml").write_text(AEP)
    aim_at(monkeypatch, served, SF_USERNAME="u", SF_PASSWORD="p", SF_TOKEN="t")
    return project


def lock(project: Project) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (project.root / "locks" / "staging.lock.json").read_text()
    )["resources"]
    return data


def test_a_column_typo_writes_nothing_but_the_connection(staging: Project) -> None:
    staging.edit("flow.yaml", "FirstName, LastName", "FirstNam, LastName")
    staging.edit("flow.yaml", "{source: FirstName,", "{source: FirstNam,")
    planned = staging.run("plan")
    assert planned.exit_code == 0, planned.output
    assert NOTE in planned.output, planned.output
    applied = staging.run("apply", "--auto-approve")
    assert applied.exit_code == 1
    assert (
        "manifests/flow.yaml:9:19: sourceConnection.contacts: table 'Contact' has no column "
        "'FirstNam'; did you mean 'FirstName'?"
    ) in applied.output, applied.output
    assert "[1/9] connection.crm: done" in applied.output
    assert list(lock(staging)) == ["connection.crm"]
    # Fixed, the next apply carries on from the connection it made.
    staging.edit("flow.yaml", "FirstNam, LastName", "FirstName, LastName")
    staging.edit("flow.yaml", "{source: FirstNam,", "{source: FirstName,")
    again = staging.run("apply", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "connection.crm" not in again.output
    assert "flow.contacts" in lock(staging)


def test_the_json_progress_of_a_failed_check_names_the_source(staging: Project) -> None:
    staging.edit("flow.yaml", "table: Contact", "table: Contacts")
    applied = staging.run("apply", "--auto-approve", "--json")
    assert applied.exit_code == 1
    events = [json.loads(x) for x in applied.output.splitlines() if x.startswith("{")]
    assert [e["event"] for e in events][1:] == ["begin", "start", "done", "failed", "end"]
    assert events[1]["steps"] == 9
    end = events[-1]
    assert end["done"] == ["connection.crm"]
    assert list(end["errors"]) == ["sourceConnection.contacts"]
    assert end["errors"]["sourceConnection.contacts"].startswith(
        "manifests/flow.yaml:8:12: sourceConnection.contacts: the source has no table 'Contacts'"
    )
    assert len(end["not_started"]) == 7


def test_many_flows_on_one_table_explore_it_once(staging: Project) -> None:
    """The checks of one apply share what they read: three flows on one connection and table
    explore its listing and its columns once each, not once per flow."""
    flow = (staging.root / "manifests" / "flow.yaml").read_text()
    for n in (2, 3):
        staging.write(
            f"flow{n}.yaml",
            flow.replace("name: contacts}", f"name: contacts-{n}}}", 1).replace(
                "name: E2E contacts", f"name: E2E contacts {n}", 1
            ),
        )
    applied = staging.run("apply", "--auto-approve", "--log-http", "http.jsonl")
    assert applied.exit_code == 0, applied.output
    lines = [json.loads(x) for x in (staging.root / "http.jsonl").read_text().splitlines()]
    explores = [x["path"] for x in lines if str(x["path"]).endswith("/explore")]
    assert len(explores) == 2, explores  # the tables, then the columns of Contact
    assert {"flow.contacts", "flow.contacts-2", "flow.contacts-3"} <= set(lock(staging))

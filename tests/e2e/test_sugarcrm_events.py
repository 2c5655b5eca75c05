"""SugarCRM Events shares its connection spec with SugarCRM Accounts & Contacts (both
tutorials create the base connection alike); what differs is the source connection (Events:
``params: {}``, explored with ``sourceParams`` ``e30=``). A SugarCRM Events connection explores
and checks as SugarCRM Events, on the embedded emulator and over the network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Project
from tests.served import aim_at

EVENTS = (Path(__file__).parent / "sources" / "sugarcrm-events.yaml").read_text()
AEP = (
    "version: 1\nmanifests: manifests\ndefaultEnvironment: staging\n"
    "environments:\n  staging: {type: aep, sandbox: dev}\n"
)


@pytest.fixture
def events(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name in ("crm.yaml", "schema.yaml", "flow.yaml"):
        (project.root / "manifests" / name).unlink()
    project.write("sugarcrm-events.yaml", EVENTS)
    monkeypatch.setenv("SUGAR_USERNAME", "user")
    monkeypatch.setenv("SUGAR_PASSWORD", "secret-pass")
    return project


def two_steps(project: Project) -> None:
    first = project.run("apply", "--auto-approve", "--target", "connection.sugarcrm-events")
    assert first.exit_code == 0, first.output
    second = project.run("apply", "--auto-approve")
    assert second.exit_code == 0, second.output
    assert "flow.sugarcrm-events: done" in second.output


def test_a_sugarcrm_events_pipeline_applies_once_its_connection_exists(events: Project) -> None:
    two_steps(events)
    listed = events.run("explore", "sugarcrm-events")
    assert listed.exit_code == 0, listed.output
    assert listed.output == "json  json  rest\n"  # not the Accounts & Contacts objects
    columns = events.run("explore", "sugarcrm-events", "json")
    assert "results.event_id" in columns.output, columns.output


def test_a_sugarcrm_events_pipeline_applies_over_the_network(
    events: Project, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (events.root / "aepflow.yaml").write_text(AEP)
    aim_at(monkeypatch, served)
    applied = events.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    lock = json.loads((events.root / "locks" / "staging.lock.json").read_text())
    assert "flow.sugarcrm-events" in lock["resources"]
    assert events.run("plan").output.startswith("No changes.")


def test_a_sugarcrm_events_pipeline_applies_in_two_steps_over_the_network(
    events: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.served import serving

    (events.root / "aepflow.yaml").write_text(AEP)
    with serving(tmp_path / "state") as url:
        aim_at(monkeypatch, url)
        two_steps(events)

"""`aepflow status`: the managed flows' state, next run and last runs (help/sources/tutorials/api/monitor.md).

The emulator materialises runs from each flow's schedule on its clock; these tests give the
embedded emulator (and the status command) a clock they move. A run's metrics are a function
of the flow's id, which is random, so exact run lines are built from the runs the emulator
answers. Failures are made deterministic two ways: a source table the connector lacks fails
every run (CONNECTOR-2002-400), and ``runs.FAILURE_RATE`` set to 0 or 1.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from aepflow import api, emulator, status, workspace
from aepflow.api import Request
from aepflow.emulator import runs
from tests.e2e.conftest import Project, apply_ok

START = 1893456000  # 2030-01-01T00:00:00Z, the start of the conftest's hourly flow
HOUR = 3600


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The embedded emulator and the status command on one clock, an hour before the start."""
    the_clock = Clock(START - HOUR)
    monkeypatch.setattr(
        workspace, "embedded", lambda state_dir: emulator.Emulator(state_dir, clock=the_clock)
    )
    monkeypatch.setattr(status, "clock", the_clock)
    return the_clock


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(ms: int) -> str:
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes}m {seconds}s" if minutes else f"{seconds}s"


def _raw_runs(project: Project, flow_id: str) -> list[dict[str, Any]]:
    """The flow's runs as the API answers them, newest first."""
    found = [r for r in project.client().flow_list("runs") if r["flowId"] == flow_id]
    return sorted(found, key=lambda r: r["metrics"]["durationSummary"]["startedAtUTC"])[::-1]


def _line(run: dict[str, Any]) -> str:
    m = run["metrics"]
    started = m["durationSummary"]["startedAtUTC"]
    completed = m["durationSummary"].get("completedAtUTC")
    took = _duration(completed - started) if completed else "running"
    r = m["recordSummary"]
    line = (
        f"  {_iso(started)}  {m['statusSummary']['status']:<10}  {took:>10}  "
        f"read {r['inputRecordCount']}  written {r['outputRecordCount']}  "
        f"failed {r['failedRecordCount']}"
    )
    if m["statusSummary"]["status"] == "failed":
        line += "".join(f"  {e['code']}: {e['message']}" for e in m["statusSummary"]["errors"])
    return line


def test_status_on_a_fresh_apply_has_no_runs_yet(project: Project) -> None:
    apply_ok(project)
    flow_id = project.id("flow.contacts")
    result = project.run("status")
    assert (result.exit_code, result.output) == (
        0,
        f"flow.contacts ({flow_id}): enabled, next run 2030-01-01T00:00:00Z\n  no runs yet\n",
    )


def test_status_with_no_flow_in_the_lock(project: Project) -> None:
    result = project.run("status")
    assert (result.exit_code, result.output) == (
        0,
        "No managed flows in the lock of environment local: `aepflow apply` creates them.\n",
    )
    as_json = project.run("status", "--json")
    assert (as_json.exit_code, json.loads(as_json.output)) == (0, {"failing": [], "flows": []})
    given = project.run("status", "-e", "local")
    assert given.output == (
        "No managed flows in the lock of environment local: `aepflow apply -e local` creates "
        "them.\n"
    )


def test_runs_come_newest_first_and_the_last_run_decides(
    project: Project, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_ok(project)
    flow_id = project.id("flow.contacts")
    clock.advance(4 * HOUR + 30 * 60)  # runs due 00:00 .. 03:00, all finished by 03:30
    raw = _raw_runs(project, flow_id)
    assert len(raw) == 4
    result = project.run("status", "--runs", "3")
    failed = raw[0]["metrics"]["statusSummary"]["status"] == "failed"
    expected = [
        f"flow.contacts ({flow_id}): enabled, next run 2030-01-01T04:00:00Z",
        *[_line(r) for r in raw[:3]],
    ]
    if failed:
        expected += ["", "Failing: flow.contacts"]
    assert result.output.splitlines() == expected
    assert result.exit_code == (3 if failed else 0)

    # Every run succeeds: exit 0, even with failed records (partial ingestion below threshold).
    monkeypatch.setattr(runs, "FAILURE_RATE", 0.0)
    result = project.run("status", "--runs", "1")
    assert result.output.splitlines() == [
        f"flow.contacts ({flow_id}): enabled, next run 2030-01-01T04:00:00Z",
        _line(_raw_runs(project, flow_id)[0]),
    ]
    assert result.exit_code == 0


def _without_source_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan refuses a table the source lacks; these tests need a flow whose runs fail."""
    monkeypatch.setattr(workspace, "embedded_catalog", lambda spec_id: None)


def test_a_failed_run_exits_3_and_names_the_error(
    project: Project, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_source_check(monkeypatch)
    project.edit("flow.yaml", "table: Contact", "table: Opportunity")  # salesforce lacks it
    apply_ok(project)
    flow_id = project.id("flow.contacts")
    clock.advance(3 * HOUR + 10 * 60)
    raw = _raw_runs(project, flow_id)
    result = project.run("status", "flow.contacts", "--runs", "2")
    assert result.exit_code == 3
    lines = result.output.splitlines()
    assert lines == [
        f"flow.contacts ({flow_id}): enabled, next run 2030-01-01T03:00:00Z",
        _line(raw[0]),
        _line(raw[1]),
        "",
        "Failing: flow.contacts",
    ]
    assert lines[1].startswith(f"  {_iso(raw[0]['metrics']['durationSummary']['startedAtUTC'])}")
    assert lines[1].endswith(
        "  failed              3s  read 0  written 0  failed 0  "
        "CONNECTOR-2002-400: The table Opportunity was not found."
    )


def test_a_run_in_progress_leaves_the_last_finished_run_to_decide(
    project: Project, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "FAILURE_RATE", 1.0)  # every finished run fails
    apply_ok(project)
    flow_id = project.id("flow.contacts")
    clock.advance(3 * HOUR + 10)  # 02:00:10: the 01:00 run is done, the 02:00 one just started
    raw = _raw_runs(project, flow_id)
    assert [r["metrics"]["statusSummary"]["status"] for r in raw] == [
        "inProgress",
        "failed",
        "failed",
    ]
    result = project.run("status", "--runs", "2")
    assert result.exit_code == 3
    assert result.output.splitlines()[1:3] == [_line(raw[0]), _line(raw[1])]
    assert "  inProgress     running  read " in result.output.splitlines()[1]
    code = raw[1]["metrics"]["statusSummary"]["errors"][0]["code"]
    assert code in {c for c, _ in runs.RUN_ERRORS}
    assert f"  {code}: " in result.output.splitlines()[2]


def test_json_status(project: Project, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_source_check(monkeypatch)
    project.edit("flow.yaml", "table: Contact", "table: Opportunity")
    apply_ok(project)
    flow_id = project.id("flow.contacts")
    clock.advance(2 * HOUR + 10 * 60)
    raw = _raw_runs(project, flow_id)
    result = project.run("status", "--json", "--runs", "5")
    assert result.exit_code == 3
    data = json.loads(result.output)
    assert data == {
        "failing": ["flow.contacts"],
        "flows": [
            {
                "address": "flow.contacts",
                "id": flow_id,
                "state": "enabled",
                "next_run": "2030-01-01T02:00:00Z",
                "runs": [
                    {
                        "id": r["id"],
                        "started": _iso(r["metrics"]["durationSummary"]["startedAtUTC"]),
                        "duration_s": 3.0,
                        "status": "failed",
                        "records_read": 0,
                        "records_written": 0,
                        "records_failed": 0,
                        "errors": [
                            {
                                "code": "CONNECTOR-2002-400",
                                "message": "The table Opportunity was not found.",
                            }
                        ],
                    }
                    for r in raw
                ],
            }
        ],
    }
    assert len(data["flows"][0]["runs"]) == 2  # due 00:00 and 01:00


def test_a_disabled_flow_has_no_next_run(project: Project, clock: Clock) -> None:
    apply_ok(project)
    flow_id = project.id("flow.contacts")
    action = Request("POST", f"{api.FLOW}/flows/{flow_id}/action", params=(("op", "disable"),))
    project.client().client.send(action)
    result = project.run("status")
    assert (result.exit_code, result.output) == (
        0,
        f"flow.contacts ({flow_id}): disabled, next run none\n  no runs yet\n",
    )


def test_an_unknown_address_is_an_error_naming_the_flows(project: Project) -> None:
    apply_ok(project)
    result = project.run("status", "flow.nope")
    assert (result.exit_code, result.output) == (
        1,
        "Error: flow.nope: not a flow in the lock; the managed flows are: flow.contacts\n",
    )
    not_a_flow = project.run("status", "dataset.contacts")
    assert not_a_flow.exit_code == 1
    assert not_a_flow.output.startswith("Error: dataset.contacts: not a flow in the lock")


def test_a_flow_deleted_outside_aepflow_is_failing(project: Project) -> None:
    apply_ok(project)
    flow_id = project.id("flow.contacts")
    project.client().flow_delete("flows", flow_id)
    result = project.run("status")
    assert result.exit_code == 3
    assert result.output == (
        f"flow.contacts ({flow_id}): missing from the sandbox (deleted outside aepflow? "
        "`aepflow plan` shows it)\n\nFailing: flow.contacts\n"
    )

"""Flow runs materialised from the schedule on the emulator clock (help/sources/tutorials/api/collect/crm.md, Flow runs)."""

from __future__ import annotations

from typing import Any

from aepflow.emulator import runs
from tests.emulator.conftest import FLOW, START, Api, Clock, World, flow_body, flow_error, token

HOUR = 3600


def _runs(api: Api, flow: str, *filters: str) -> list[dict[str, Any]]:
    api.token = token(api.http)  # the clock may have moved past the last token's expiry
    params = [("property", f"flowId=={flow}"), *(("property", f) for f in filters)]
    response = api.get(f"{FLOW}/runs", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["_links"] == {}
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_no_run_before_the_start_time(api: Api, world: World, clock: Clock) -> None:
    assert _runs(api, world.flow) == []
    clock.advance(HOUR - 1)  # the flow starts at START + 1 h
    assert _runs(api, world.flow) == []


def test_runs_come_due_hourly_with_deterministic_metrics(
    api: Api, world: World, clock: Clock
) -> None:
    clock.advance(4 * HOUR)  # due at +1 h, +2 h, +3 h, +4 h; the last one is still running
    found = _runs(api, world.flow)
    assert [r["metrics"]["durationSummary"]["startedAtUTC"] // 1000 // HOUR for r in found] == [
        (int(START) + k * HOUR) // HOUR for k in (1, 2, 3, 4)
    ]
    assert found == _runs(api, world.flow)  # the same runs on every read
    first = found[0]
    assert first["flowId"] == world.flow
    assert first["flowSpec"] == {"id": "14518937-270c-4525-bdec-c2ba7cce3860", "version": "1.0"}
    assert (first["sandboxName"], first["imsOrgId"]) == (
        "prod",
        "AEPFLOW0EMULATOR000000000@AdobeOrg",
    )
    metrics = first["metrics"]
    assert set(metrics) == {
        "durationSummary",
        "sizeSummary",
        "recordSummary",
        "fileSummary",
        "statusSummary",
    }
    records = metrics["recordSummary"]
    assert (
        records["outputRecordCount"] + records["failedRecordCount"] <= records["inputRecordCount"]
    )
    status = metrics["statusSummary"]["status"]
    assert status in ("success", "failed")
    if status == "success":
        assert metrics["statusSummary"]["errors"] == []
        assert (
            records["outputRecordCount"] + records["failedRecordCount"]
            == records["inputRecordCount"]
        )
    else:
        assert metrics["statusSummary"]["errors"][0]["code"]
    assert metrics["durationSummary"]["completedAtUTC"] > metrics["durationSummary"]["startedAtUTC"]
    assert found[-1]["metrics"]["statusSummary"]["status"] in ("inProgress", "success", "failed")


def test_the_flow_shows_its_last_run(api: Api, world: World, clock: Clock) -> None:
    clock.advance(HOUR + 2 * 3600 - 60)
    (flow,) = api.get(f"{FLOW}/flows/{world.flow}").json()["items"]
    last = _runs(api, world.flow)[-1]
    expected = {
        "id": last["id"],
        "state": last["metrics"]["statusSummary"]["status"],
        "startedAtUTC": last["metrics"]["durationSummary"]["startedAtUTC"],
    }
    if "completedAtUTC" in last["metrics"]["durationSummary"]:
        expected["completedAtUTC"] = last["metrics"]["durationSummary"]["completedAtUTC"]
    assert flow["lastRunDetails"] == expected


def test_a_run_by_id(api: Api, world: World, clock: Clock) -> None:
    clock.advance(3 * HOUR)
    run = _runs(api, world.flow)[0]
    assert api.get(f"{FLOW}/runs/{run['id']}").json() == {"items": [run]}
    missing = api.get(f"{FLOW}/runs/a10cc80b-0000-4000-8000-000000000000")
    assert flow_error(missing)[:2] == (404, "FLOW-1439-404")


def test_disabling_stops_new_runs_and_keeps_old_ones(api: Api, world: World, clock: Clock) -> None:
    clock.advance(2 * HOUR + 30)
    api.post(f"{FLOW}/flows/{world.flow}/action", params={"op": "disable"})
    before = _runs(api, world.flow)
    assert len(before) == 2
    clock.advance(5 * HOUR)
    assert [r["id"] for r in _runs(api, world.flow)] == [r["id"] for r in before]
    api.post(f"{FLOW}/flows/{world.flow}/action", params={"op": "enable"})
    clock.advance(HOUR)
    assert len(_runs(api, world.flow)) == 3  # only the hour after re-enabling


def test_a_once_flow_runs_once(api: Api, world: World, clock: Clock) -> None:
    schedule = {"startTime": str(int(START) + 60), "frequency": "once"}
    body = flow_body(
        world.source, world.target, world.mapping, name="once", scheduleParams=schedule
    )
    flow = api.created(api.post(f"{FLOW}/flows", body))
    clock.advance(30 * 24 * HOUR)
    (run,) = _runs(api, flow)
    started = run["metrics"]["durationSummary"]["startedAtUTC"]
    assert 0 <= started - (int(START) + 60) * 1000 <= 5_000  # due time plus the start-up jitter


def test_a_once_flow_whose_start_has_passed_runs_once_soon_after_it_is_created(
    api: Api, world: World, clock: Clock
) -> None:
    clock.advance(0.4)  # created a fraction of a second past a whole second
    schedule = {"startTime": "1567411548", "frequency": "once"}
    body = flow_body(world.source, world.target, world.mapping, name="o", scheduleParams=schedule)
    flow = api.created(api.post(f"{FLOW}/flows", body))
    clock.advance(HOUR)
    (run,) = _runs(api, flow)
    created = api.get(f"{FLOW}/flows/{flow}").json()["items"][0]["createdAt"]
    started = run["metrics"]["durationSummary"]["startedAtUTC"]
    assert 0 <= started - (created // 1000 + 1) * 1000 <= 5_000


def test_a_past_start_time_runs_from_creation_and_runs_are_capped(
    api: Api, world: World, clock: Clock
) -> None:
    schedule = {"startTime": "1567411548", "frequency": "minute", "interval": "15"}
    body = flow_body(world.source, world.target, world.mapping, name="q", scheduleParams=schedule)
    flow = api.created(api.post(f"{FLOW}/flows", body))
    clock.advance(14 * 60)
    assert len(_runs(api, flow)) == 1  # the first quarter-hour slot after creation
    clock.advance(7 * 24 * HOUR)
    found = _runs(api, flow)
    assert len(found) == runs.MAX_RUNS
    starts = [r["metrics"]["durationSummary"]["startedAtUTC"] // 1000 // 900 for r in found]
    assert starts == list(range(starts[0], starts[0] + runs.MAX_RUNS))
    assert starts[-1] == int(clock.now) // 900


def test_failed_runs_can_be_filtered(api: Api, world: World, clock: Clock) -> None:
    schedule = {"startTime": str(int(START)), "frequency": "minute", "interval": "15"}
    body = flow_body(world.source, world.target, world.mapping, name="q", scheduleParams=schedule)
    flow = api.created(api.post(f"{FLOW}/flows", body))
    clock.advance(2 * 24 * HOUR)
    everything = _runs(api, flow)
    failed = _runs(api, flow, "metrics.statusSummary.status==failed")
    assert failed == [r for r in everything if r["metrics"]["statusSummary"]["status"] == "failed"]
    counted = api.get(f"{FLOW}/runs", params={"property": f"flowId=={flow}", "count": "true"})
    assert counted.json() == {"count": len(everything)}


def test_a_table_the_source_lacks_fails_every_run(api: Api, world: World, clock: Clock) -> None:
    source = api.source(world.connection, table="Opportunity", name="opportunities")
    body = flow_body(source, world.target, world.mapping, name="opportunities")
    flow = api.created(api.post(f"{FLOW}/flows", body))
    clock.advance(4 * HOUR + 10)
    found = _runs(api, flow)
    assert len(found) == 4
    for run in found:
        assert run["metrics"]["statusSummary"] == {
            "status": "failed",
            "errors": [
                {"code": "CONNECTOR-2002-400", "message": "The table Opportunity was not found."}
            ],
        }
        assert run["metrics"]["recordSummary"]["inputRecordCount"] == 0


def _flow(flow_id: str, periods: list[list[float | None]]) -> dict[str, Any]:
    return {
        "id": flow_id,
        "createdAt": 1_000 * 1000,
        "scheduleParams": {"startTime": 1_000, "frequency": "minute", "interval": 15},
        "_emu": {"enabled": periods, "table": "Contact", "connector": "salesforce"},
    }


def test_a_minority_of_runs_fail_with_an_error() -> None:
    flow = _flow("2edc08ac-0000-4000-8000-000000000001", [[1_000, None]])
    found = list(runs.runs_of(flow, 1_000 + 100 * 900 + 10))
    statuses = [r["metrics"]["statusSummary"]["status"] for r in found]
    failed = statuses.count("failed")
    assert 3 <= failed <= 25
    assert statuses.count("success") + statuses.count("inProgress") == len(found) - failed
    codes = {e["code"] for r in found for e in r["metrics"]["statusSummary"]["errors"]}
    assert codes <= {c for c, _ in runs.RUN_ERRORS}


def test_run_due_times() -> None:
    flow = _flow("f", [[1_000, 1_000 + 3 * 900 + 1], [1_000 + 10 * 900, None]])
    assert runs.due(flow, 1_000 + 12 * 900) == [
        (k, 1_000 + k * 900) for k in (0, 1, 2, 3, 10, 11, 12)
    ]


def test_runs_are_ordered_and_limited_as_documented(api: Api, world: World, clock: Clock) -> None:
    """help/dataflows/api/sort-and-filter.md: orderby with a - prefix sorts descending; limit
    pages; a field that is not a run's is refused."""
    clock.advance(5 * HOUR)
    every = _runs(api, world.flow)
    response = api.get(
        f"{FLOW}/runs",
        params=[("property", f"flowId=={world.flow}"), ("orderby", "-createdAt"), ("limit", "2")],
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["items"]] == [r["id"] for r in every[::-1][:2]]
    assert "next" in response.json()["_links"]
    bad = api.get(f"{FLOW}/runs", params=[("orderby", "-name")])
    assert bad.status_code == 400
    assert "Incorrect field= name passed in orderBy" in bad.text

"""What makes a new plan "the same changes" as a reviewed one (apply --replan-if-stale)."""

from __future__ import annotations

from dataclasses import replace

from aepflow.api import Request
from aepflow.engine.plan import Change, Plan, ResourceChange
from aepflow.engine.planner import PROTECT_PATH
from aepflow.savedplan import differences


def plan_of(*changes: ResourceChange, **kw: object) -> Plan:
    return Plan("prod", "prod", changes, "L", "V", "lin", **kw)  # type: ignore[arg-type]


PATCH = Request(
    "PATCH", "/flows/f1", [{"op": "replace", "path": "/name", "value": "n"}], if_match="e1"
)
FLOW = ResourceChange("flow.f", "flow", "update", id="f1", requests=(PATCH,))
NOOP = ResourceChange("dataset.d", "dataset", "noop", id="d1")


def test_same_requests_are_the_same_changes_whatever_the_etag_and_noops() -> None:
    newer = replace(FLOW, requests=(replace(PATCH, if_match="e2"),), before={"x": 1})
    assert differences(plan_of(FLOW, NOOP), plan_of(newer)) == []


def test_every_kind_of_difference_is_named() -> None:
    other_body = replace(FLOW, requests=(replace(PATCH, body=[{"op": "remove", "path": "/x"}]),))
    assert differences(plan_of(FLOW), plan_of(other_body)) == ["flow.f: update with other requests"]
    replaced = replace(FLOW, action="replace")
    assert differences(plan_of(FLOW), plan_of(replaced)) == [
        "flow.f: delete/create instead of update"
    ]
    created = ResourceChange("flow.g", "flow", "create", requests=(Request("POST", "/flows"),))
    assert differences(plan_of(FLOW), plan_of(FLOW, created)) == [
        "flow.g: create, not in the reviewed plan"
    ]
    assert differences(plan_of(FLOW), plan_of()) == [
        "flow.f: update in the reviewed plan, no longer planned"
    ]
    protect = replace(FLOW, changes=(Change(PROTECT_PATH, True, False),))
    assert differences(plan_of(FLOW), plan_of(protect)) == ["flow.f: update with other requests"]
    assert differences(plan_of(FLOW), plan_of(FLOW, refresh_only=True)) == [
        "the plans were made with other options"
    ]

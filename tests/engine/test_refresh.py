"""The refresh-only plan's lock changes, from an ordinary plan (pure)."""

from __future__ import annotations

from aepflow.engine.plan import Lock, LockEntry, Plan, ResourceChange
from aepflow.engine.refresh import refresh_plan, used_versions
from aepflow.kinds.base import ref
from tests.engine.helpers import res


def _plan(flow_live: dict[str, object]) -> Plan:
    return Plan(
        "local",
        "prod",
        (
            ResourceChange("flow.f", "flow", "noop", id="F", before=flow_live),
            ResourceChange("mappingSet.f", "mappingSet", "noop", id="M", version=0),
        ),
        "L",
        "V",
        "lin",
    )


FLOW = res(
    "flow.f",
    {"mappingId": ref("mappingSet.f"), "mappingVersion": ref("mappingSet.f", "version")},
)
LOCK = Lock(
    "local",
    "prod",
    resources={
        "flow.f": LockEntry("F", "flow", hash="h1"),
        "mappingSet.f": LockEntry("M", "mappingSet", hash="h2", version=0),
    },
)


def test_the_version_a_flow_uses_live_is_recorded_for_its_mapping_set() -> None:
    plan = _plan({"mappingId": "M", "mappingVersion": 2})
    assert used_versions(plan, {"flow.f": FLOW}) == {"mappingSet.f": 2}
    refreshed = refresh_plan(plan, LOCK, {"flow.f": FLOW})
    (change,) = refreshed.actionable
    assert (change.address, change.action, change.version, change.hash) == (
        "mappingSet.f",
        "record",
        2,
        "h2",  # the content was not changed outside: its baseline stays
    )
    assert [(c.path, c.before, c.after) for c in change.changes] == [("version (lock)", 0, 2)]
    assert refreshed.counts == {
        "adopt": 0,
        "add": 0,
        "change": 0,
        "destroy": 0,
        "forget": 0,
        "record": 1,
    }


def test_a_flow_moved_to_another_mapping_set_records_no_version_for_the_old_one() -> None:
    plan = _plan({"mappingId": "made-in-the-ui", "mappingVersion": 2})
    assert used_versions(plan, {"flow.f": FLOW}) == {}
    assert refresh_plan(plan, LOCK, {"flow.f": FLOW}).actionable == ()
    same = _plan({"mappingId": "M", "mappingVersion": 0})
    assert refresh_plan(same, LOCK, {"flow.f": FLOW}).actionable == ()

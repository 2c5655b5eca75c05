"""flow: desired, normalised GET (string scheduleParams), create/update/delete, the start-time rule."""

from __future__ import annotations

from dataclasses import replace

from aepflow.api import ListRequest
from aepflow.engine.plan import Change
from aepflow.engine.planner import build_plan, resolve
from aepflow.kinds.base import LiveObject, Resource, ref
from aepflow.kinds.flow import KIND
from aepflow.model import DataflowDef, DeltaColumnDef, ProjectModel, ScheduleDef
from tests.engine.helpers import flow, live, pipeline, resolved
from tests.kinds.helpers import LOC, NOW, TENANT, FakeDoor, change_of, data

PATH = "/data/foundation/flowservice/flows"
FLOW_SPEC = {"id": "14518937-270c-4525-bdec-c2ba7cce3860", "version": "1.0"}
DELTA = {"name": "LastModifiedDate", "dateFormat": "yyyy-MM-dd HH:mm:ss", "timezone": "UTC"}
IDS = {"sourceConnection.f": "s1", "targetConnection.f": "t1", "mappingSet.f": "m1"}
FUTURE = 1_850_000_000


def model() -> ProjectModel:
    full = DataflowDef(
        "contacts",
        LOC,
        flow_name="Contacts flow",
        description="Hourly",
        delta_column=DeltaColumnDef("LastModifiedDate", "yyyy-MM-dd HH:mm:ss", "UTC"),
        schedule=ScheduleDef("minute", 1_900_000_000, 15, True),
        enabled=False,
    )
    bare = DataflowDef(
        "leads",
        LOC,
        flow_name="Leads flow",
        delta_column=DeltaColumnDef("Modified"),
        schedule=ScheduleDef("once", 1_900_000_000, None, False),
    )
    return ProjectModel(dataflows={"contacts": full, "leads": bare})


def refs(name: str) -> dict:
    return {
        "sourceConnection": ref(f"sourceConnection.{name}"),
        "targetConnection": ref(f"targetConnection.{name}"),
        "mappingId": ref(f"mappingSet.{name}"),
        "mappingVersion": ref(f"mappingSet.{name}", "version"),
    }


CONTACTS = {
    "name": "Contacts flow",
    "description": "Hourly",
    **refs("contacts"),
    "deltaColumn": DELTA,
    "schedule": {
        "startTime": 1_900_000_000,
        "frequency": "minute",
        "interval": 15,
        "backfill": True,
    },
    "enabled": False,
}


def test_desired_spec_of_a_full_and_a_bare_dataflow():
    assert list(KIND.desired(model(), TENANT)) == [
        Resource("flow.contacts", "flow", CONTACTS, LOC),
        Resource(
            "flow.leads",
            "flow",
            {
                "name": "Leads flow",
                "description": "",
                **refs("leads"),
                "deltaColumn": {"name": "Modified"},
                "schedule": {"startTime": 1_900_000_000, "frequency": "once", "backfill": False},
                "enabled": True,
            },
            LOC,
        ),
    ]


RAW = {
    "id": "f1",
    "name": "Contacts flow",
    "description": "Hourly\n\naepflow: flow.contacts",
    "flowSpec": FLOW_SPEC,
    "sourceConnectionIds": ["s1"],
    "targetConnectionIds": ["t1"],
    "transformations": [
        {"name": "Copy", "params": {"deltaColumn": DELTA}},
        {"name": "Mapping", "params": {"mappingId": "m1", "mappingVersion": "2"}},
    ],
    "scheduleParams": {
        "startTime": "1900000000",
        "frequency": "minute",
        "interval": "15",
        "backfill": "true",
    },
    "state": "disabled",
    "etag": '"e5"',
}
SPEC = {
    "name": "Contacts flow",
    "description": "Hourly",
    "sourceConnection": "s1",
    "targetConnection": "t1",
    "deltaColumn": DELTA,
    "mappingId": "m1",
    "mappingVersion": 2,
    "schedule": {
        "startTime": 1_900_000_000,
        "frequency": "minute",
        "interval": 15,
        "backfill": True,
    },
    "enabled": False,
}


def test_normalize_converts_string_schedule_params_and_reads_the_transformations():
    assert KIND.normalize(RAW) == SPEC
    assert KIND.normalize({**RAW, "state": "enabled"})["enabled"] is True
    assert KIND.normalize({**RAW, "scheduleParams": {"backfill": "FALSE", "interval": 15}})[
        "schedule"
    ] == {
        "interval": 15,
        "backfill": False,
    }


def test_normalize_of_a_flow_without_transformations_or_schedule():
    assert KIND.normalize({"id": "f2", "name": "x", "state": "enabled"}) == {
        "name": "x",
        "description": "",
        "sourceConnection": None,
        "targetConnection": None,
        "deltaColumn": {},
        "mappingId": None,
        "mappingVersion": None,
        "schedule": {},
        "enabled": True,
    }


def test_create_of_a_disabled_flow_disables_it_right_after():
    (r, _) = KIND.desired(model(), TENANT)
    known = {
        "sourceConnection.contacts": {"id": "s1"},
        "targetConnection.contacts": {"id": "t1"},
        "mappingSet.contacts": {"id": "m1", "version": 3},
    }
    spec = resolve(r.spec, known, keep_unknown=True)
    assert data(KIND.create(r, spec, TENANT)) == [
        {
            "method": "POST",
            "path": PATH,
            "body": {
                "name": "Contacts flow",
                "description": "Hourly\n\naepflow: flow.contacts",
                "flowSpec": FLOW_SPEC,
                "sourceConnectionIds": ["s1"],
                "targetConnectionIds": ["t1"],
                "transformations": [
                    {"name": "Copy", "params": {"deltaColumn": DELTA}},
                    {"name": "Mapping", "params": {"mappingId": "m1", "mappingVersion": 3}},
                ],
                "scheduleParams": {
                    "startTime": 1_900_000_000,
                    "frequency": "minute",
                    "interval": 15,
                    "backfill": True,
                },
            },
            "content_type": "application/json",
        },
        {"method": "POST", "path": f"{PATH}/{{self}}/action", "params": [["op", "disable"]]},
    ]


def test_create_of_an_enabled_flow_is_one_post():
    (_, r) = KIND.desired(model(), TENANT)
    assert [x["method"] for x in data(KIND.create(r, r.spec, TENANT))] == ["POST"]


def plan_flow(old: Resource, new: Resource, raw: dict, *, now: float = NOW):
    desired, lock, state = pipeline((old, "f1", resolved(old, IDS)))
    desired[new.address] = new
    state.objects[new.address] = live("f1", resolved(old, IDS), "flow", etag='"e5"', raw=raw)
    from aepflow.engine.planner import build_plan

    return change_of(
        build_plan(desired, lock, state, now=now, tenant=TENANT), "flow.f"
    ), build_plan(desired, lock, state, now=now, tenant=TENANT).notes


def sched(**kw) -> dict:
    return {"startTime": FUTURE, "frequency": "hour", "interval": 1, **kw}


LIVE_RAW = {
    "scheduleParams": {
        "startTime": str(FUTURE),
        "frequency": "hour",
        "interval": "1",
        "backfill": "true",
    },
    "transformations": [
        {"name": "Mapping", "params": {"mappingId": "m1", "mappingVersion": 0}},
        {"name": "Copy", "params": {"deltaColumn": {"name": "LastModifiedDate"}}},
    ],
}


def test_schedule_changes_replace_and_remove_with_the_etag():
    old = flow(schedule=sched(backfill=True))
    new = flow(schedule={"startTime": FUTURE, "frequency": "minute", "interval": 15})
    change, notes = plan_flow(old, new, LIVE_RAW)
    assert change.changes == (
        Change("schedule.backfill", True, None),
        Change("schedule.frequency", "hour", "minute"),
        Change("schedule.interval", 1, 15),
    )
    assert notes == ()
    assert data(change.requests) == [
        {
            "method": "PATCH",
            "path": f"{PATH}/f1",
            "body": [
                {"op": "remove", "path": "/scheduleParams/backfill"},
                {"op": "replace", "path": "/scheduleParams/frequency", "value": "minute"},
                {"op": "replace", "path": "/scheduleParams/interval", "value": 15},
            ],
            "content_type": "application/json",
            "if_match": '"e5"',
        }
    ]


def test_a_schedule_key_the_live_flow_lacks_is_added():
    old, new = flow(schedule=sched()), flow(schedule=sched(backfill=False))
    raw = {
        **LIVE_RAW,
        "scheduleParams": {"startTime": str(FUTURE), "frequency": "hour", "interval": "1"},
    }
    change, _ = plan_flow(old, new, raw)
    assert change.changes == (Change("schedule.backfill", None, False),)
    assert change.requests[0].body == [
        {"op": "add", "path": "/scheduleParams/backfill", "value": False}
    ]


def test_a_delta_column_change_replaces_the_copy_transformation_at_its_index():
    old = flow(schedule=sched(backfill=True))
    new = flow(schedule=sched(backfill=True), deltaColumn={"name": "SystemModstamp"})
    change, _ = plan_flow(old, new, LIVE_RAW)
    assert change.changes == (Change("deltaColumn.name", "LastModifiedDate", "SystemModstamp"),)
    assert change.requests[0].body == [
        {
            "op": "replace",
            "path": "/transformations/1",
            "value": {"name": "Copy", "params": {"deltaColumn": {"name": "SystemModstamp"}}},
        }
    ]


def test_a_delta_column_on_a_flow_without_copy_is_appended():
    old = flow(schedule=sched(backfill=True))
    new = flow(schedule=sched(backfill=True), deltaColumn={"name": "SystemModstamp"})
    raw = {**LIVE_RAW, "transformations": [LIVE_RAW["transformations"][0]]}
    change, _ = plan_flow(old, new, raw)
    assert change.requests[0].body == [
        {
            "op": "add",
            "path": "/transformations/-",
            "value": {"name": "Copy", "params": {"deltaColumn": {"name": "SystemModstamp"}}},
        }
    ]


def test_name_description_and_disable_patch_then_act():
    old = flow(schedule=sched(backfill=True))
    new = flow(schedule=sched(backfill=True), description="Nightly", enabled=False)
    new = replace(new, spec={**new.spec, "name": "g"})
    change, _ = plan_flow(old, new, LIVE_RAW)
    assert data(change.requests) == [
        {
            "method": "PATCH",
            "path": f"{PATH}/f1",
            "body": [
                {"op": "replace", "path": "/name", "value": "g"},
                {"op": "replace", "path": "/description", "value": "Nightly\n\naepflow: flow.f"},
            ],
            "content_type": "application/json",
            "if_match": '"e5"',
        },
        {"method": "POST", "path": f"{PATH}/f1/action", "params": [["op", "disable"]]},
    ]


def test_enabling_alone_is_only_the_action():
    old = flow(schedule=sched(backfill=True), enabled=False)
    new = flow(schedule=sched(backfill=True))
    change, _ = plan_flow(old, new, LIVE_RAW)
    assert change.changes == (Change("enabled", False, True),)
    assert data(change.requests) == [
        {"method": "POST", "path": f"{PATH}/f1/action", "params": [["op", "enable"]]}
    ]


def test_a_past_start_time_is_dropped_with_a_note_and_other_schedule_edits_kept():
    old = flow(schedule={"startTime": 1_700_000_000, "frequency": "hour", "interval": 1})
    new = flow(schedule={"startTime": 1_900_000_000, "frequency": "hour", "interval": 2})
    raw = {"scheduleParams": {"startTime": "1700000000", "frequency": "hour", "interval": "1"}}
    change, notes = plan_flow(old, new, raw)
    assert notes == (
        "flow.f: schedule start 1900000000 is not applied: the flow already started at "
        "1700000000, and AEP cannot move a past start time.",
    )
    assert change.changes == (Change("schedule.interval", 1, 2),)
    assert change.requests[0].body == [
        {"op": "replace", "path": "/scheduleParams/interval", "value": 2}
    ]


def test_a_past_start_time_alone_is_no_change():
    old = flow(schedule={"startTime": 1_700_000_000, "frequency": "hour", "interval": 1})
    new = flow(schedule={"startTime": 1_750_000_000, "frequency": "hour", "interval": 1})
    change, notes = plan_flow(old, new, {})
    assert (change.action, change.changes, change.requests) == ("noop", (), ())
    assert notes == (
        "flow.f: schedule start 1750000000 is not applied: the flow already started at "
        "1700000000, and AEP cannot move a past start time.",
    )


def test_a_new_source_connection_forces_replacement():
    old = flow(schedule=sched())
    desired, lock, state = pipeline((old, "f1", {**resolved(old, IDS), "sourceConnection": "s0"}))
    fl = change_of(build_plan(desired, lock, state, now=NOW), "flow.f")
    assert fl.action == "replace"
    assert fl.changes == (Change("sourceConnection", "s0", "s1", forces_replacement=True),)
    assert data(fl.delete_requests) == [{"method": "DELETE", "path": f"{PATH}/f1"}]


def test_delete_get_unwrap_created_marked_lookup_find():
    (r, _) = KIND.desired(model(), TENANT)
    assert data(KIND.delete("f1")) == [{"method": "DELETE", "path": f"{PATH}/f1"}]
    assert KIND.get("f1").to_data() == {"method": "GET", "path": f"{PATH}/f1"}
    assert KIND.unwrap({"items": [RAW]}, "f1") == RAW
    assert KIND.created({"id": "f1", "etag": '"e5"'}) == ("f1", None)
    assert KIND.marked(RAW) == "flow.contacts"
    # Both flow specs: CRMToAEP and the REST sources' (help/sources/tutorials/api/filter.md:
    # a comma lists alternatives).
    ids = "14518937-270c-4525-bdec-c2ba7cce3860,6499120c-0b15-42dc-936e-847ea3c24d72"
    query = ListRequest(PATH, "flowservice", (("property", f"flowSpec.id=={ids}"),))
    assert KIND.lookup(r, {}, {}) == query
    twin = {**RAW, "id": "f0", "description": "Hourly"}
    door = FakeDoor(lists={query: [twin, RAW]})
    assert KIND.find(r, {}, {}, door) == LiveObject("f1", "flow", SPEC, etag='"e5"', adopted=True)
    assert KIND.find(r, {}, {}, FakeDoor(lists={query: [twin]})) is None


def test_live_keeps_the_raw_object_for_update():
    obj = KIND.live(RAW)
    assert (obj.id, obj.etag, obj.raw) == ("f1", '"e5"', RAW)
    assert replace(obj, raw={}) == obj  # raw is not part of equality

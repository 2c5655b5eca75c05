"""The planner is pure: these tests feed it data and assert the exact plan."""

from __future__ import annotations

import pickle
from dataclasses import asdict, replace

import pytest

from aepflow.engine.plan import UNKNOWN, Change
from aepflow.engine.planner import build_plan
from aepflow.errors import PlanError
from aepflow.kinds.base import Resource
from tests.engine.helpers import (
    connection,
    dataset,
    live,
    live_of,
    lock_of,
    mapping,
    pipeline,
    resolved,
    schema,
    source,
)
from tests.engine.helpers import (
    flow as flow_res_full,
)

NOW = 1_800_000_000.0


def actions(plan):
    return {c.address: c.action for c in plan.changes}


def test_everything_missing_is_created_in_a_plan_that_counts_it():
    c, s = connection(), source()
    plan = build_plan({c.address: c, s.address: s}, lock_of(), live_of({}), now=NOW)
    assert actions(plan) == {"connection.crm": "create", "sourceConnection.f": "create"}
    assert plan.summary() == "Plan: 2 to add, 0 to change, 0 to destroy."
    src = plan.changes[1]
    assert src.after["baseConnection"] == UNKNOWN
    assert src.reason is None


def test_matching_live_state_is_no_changes():
    c, s = connection(), source()
    lock = lock_of((c, "c1"), (s, "s1"))
    state = live_of(
        {
            c.address: live("c1", resolved(c, {})),
            s.address: live("s1", resolved(s, {c.address: "c1"})),
        }
    )
    plan = build_plan({c.address: c, s.address: s}, lock, state, now=NOW)
    assert actions(plan) == {"connection.crm": "noop", "sourceConnection.f": "noop"}
    assert plan.summary() == "No changes."
    assert not plan.has_changes


def test_hashes_and_the_live_checksum_are_worked_out_when_a_plan_is_written_out():
    """Left for later (a text plan never shows them), they are the same values when read."""
    c, s = connection(), source()
    lock = lock_of((c, "c1"), (s, "s1"))
    state = live_of(
        {
            c.address: live("c1", resolved(c, {})),
            s.address: live("s1", resolved(s, {c.address: "c1"})),
        }
    )
    plan = build_plan({c.address: c, s.address: s}, lock, state, now=NOW)
    data = plan.to_data()
    assert [ch["hash"] for ch in data["resource_changes"]] == [c.hash, s.hash]
    assert data["prior_state"]["live_checksum"] == state.checksum()
    assert plan.changes[0].hash == c.hash and plan.changes[0].hash != s.hash
    assert plan == replace(plan, live_checksum=state.checksum())
    copied = asdict(plan)  # as a library user might: plain values, the hashes worked out
    assert copied["live_checksum"] == state.checksum()
    assert [ch["hash"] for ch in copied["changes"]] == [c.hash, s.hash]
    assert pickle.loads(pickle.dumps(plan)).to_data() == data


def test_a_renamed_connection_is_updated_in_place_field_by_field():
    old = connection()
    new = connection(name="crm", description="CRM")
    lock = lock_of((old, "c1"))
    plan = build_plan(
        {new.address: new}, lock, live_of({old.address: live("c1", resolved(old, {}))}), now=NOW
    )
    (change,) = plan.changes
    assert change.action == "update"
    assert change.changes == (Change("description", "", "CRM"),)
    assert change.reason is None and change.drift is False
    assert plan.summary() == "Plan: 0 to add, 1 to change, 0 to destroy."


def test_a_table_change_replaces_the_source_connection_and_so_the_flow():
    flow = flow_res_full()
    desired, lock, state = pipeline((flow, "f1", resolved(flow, FLOW_IDS)))
    s_new = source(table="Lead")
    desired[s_new.address] = s_new
    plan = build_plan(desired, lock, state, now=NOW)
    assert {a: x for a, x in actions(plan).items() if x != "noop"} == {
        "flow.f": "replace",
        "sourceConnection.f": "replace",
    }
    src = next(ch for ch in plan.changes if ch.address == "sourceConnection.f")
    assert src.changes == (Change("table", "Contact", "Lead", forces_replacement=True),)
    assert [(r.method, r.path) for r in src.delete_requests] == [
        ("DELETE", "/data/foundation/flowservice/sourceConnections/s1")
    ]
    assert src.requests[0].body["baseConnectionId"] == "c1"  # known: resolved in the plan
    assert src.requests[0].body["params"] == {"tableName": "Lead"}
    fl = next(ch for ch in plan.changes if ch.address == "flow.f")
    assert fl.changes == (Change("sourceConnection", "s1", UNKNOWN, forces_replacement=True),)
    # The new source's id comes from this run: the create carries a reference to it.
    assert fl.requests[0].body["sourceConnectionIds"] == [{"$resource": "sourceConnection.f"}]
    assert fl.drift is False
    assert plan.summary() == "Plan: 2 to add, 0 to change, 2 to destroy."


def test_a_change_made_outside_aepflow_is_labelled_drift():
    c = connection()
    lock = lock_of((c, "c1"))
    drifted = dict(resolved(c, {}), name="renamed in the UI")
    plan = build_plan({c.address: c}, lock, live_of({c.address: live("c1", drifted)}), now=NOW)
    (change,) = plan.changes
    assert change.action == "update"
    assert change.drift is True
    assert change.reason == "changed outside aepflow"
    assert change.changes == (Change("name", "renamed in the UI", "crm"),)


def test_a_resource_deleted_outside_aepflow_is_created_again_and_says_so():
    c = connection()
    plan = build_plan({c.address: c}, lock_of((c, "c1")), live_of({c.address: None}), now=NOW)
    (change,) = plan.changes
    assert (change.action, change.reason) == ("create", "deleted outside aepflow")


def test_a_resource_removed_from_the_manifests_is_destroyed_with_the_reason():
    c, s = connection(), source()
    lock = lock_of((c, "c1"), (s, "s1"))
    state = live_of(
        {
            c.address: live("c1", resolved(c, {})),
            s.address: live("s1", resolved(s, {c.address: "c1"})),
        }
    )
    plan = build_plan({c.address: c}, lock, state, now=NOW)
    change = next(ch for ch in plan.changes if ch.address == "sourceConnection.f")
    assert (change.action, change.reason, change.id) == (
        "delete",
        "no longer in the manifests",
        "s1",
    )
    assert plan.summary() == "Plan: 0 to add, 0 to change, 1 to destroy."


def test_pruning_a_protected_dataset_fails_the_plan_unless_data_loss_is_allowed():
    d = dataset()
    lock = lock_of((d, "d1"))
    state = live_of({d.address: live("d1", {"name": "ds"})})
    with pytest.raises(PlanError) as e:
        build_plan({}, lock, state, now=NOW)
    assert str(e.value) == (
        "dataset.ds would be destroyed (no longer in the manifests): deleting a dataset deletes "
        "the data ingested into it; if that is intended, run again with --allow-data-loss or set "
        "`protect: false` on the dataset"
    )
    plan = build_plan({}, lock, state, now=NOW, allow_data_loss=True)
    assert actions(plan) == {"dataset.ds": "delete"}


def test_changing_a_datasets_schema_needs_the_opt_in():
    s1, s2 = schema("a"), schema("b")
    d_old, d_new = dataset(schema="a"), dataset(schema="b")
    lock = lock_of((s1, "S1"), (s2, "S2"), (d_old, "d1"))
    state = live_of(
        {
            s1.address: live("S1", resolved(s1, {})),
            s2.address: live("S2", resolved(s2, {})),
            d_old.address: live("d1", resolved(d_old, {"schema.a": "S1"})),
        }
    )
    desired = {s1.address: s1, s2.address: s2, d_new.address: d_new}
    with pytest.raises(
        PlanError, match=r"^dataset.ds must be replaced \(change of schema\): deleting a dataset"
    ):
        build_plan(desired, lock, state, now=NOW)
    plan = build_plan(desired, lock, state, now=NOW, allow_data_loss=True)
    assert actions(plan)["dataset.ds"] == "replace"
    unprotected = dataset(schema="b", protect=False)
    plan = build_plan({**desired, unprotected.address: unprotected}, lock, state, now=NOW)
    assert actions(plan)["dataset.ds"] == "replace"


def test_removing_a_field_group_from_a_schema_in_use_fails_with_an_explanation():
    pd = "https://ns.adobe.com/xdm/context/profile-person-details"
    s_old, s_new = schema("s", [pd]), schema("s", [])
    d = dataset(schema="s")
    lock = lock_of((s_old, "S1"), (d, "d1"))
    state = live_of(
        {
            s_old.address: live("S1", resolved(s_old, {})),
            d.address: live("d1", resolved(d, {"schema.s": "S1"})),
        }
    )
    with pytest.raises(PlanError) as e:
        build_plan({s_new.address: s_new, d.address: d}, lock, state, now=NOW)
    assert str(e.value).startswith(
        f"schema.s: the change removes the field group(s) {pd}, "
        "but a dataset already uses this schema"
    )


def test_adding_a_field_group_is_an_in_place_update():
    pd = "https://ns.adobe.com/xdm/context/profile-person-details"
    s_old, s_new = schema("s", []), schema("s", [pd])
    plan = build_plan(
        {s_new.address: s_new},
        lock_of((s_old, "S1")),
        live_of({s_old.address: live("S1", resolved(s_old, {}))}),
        now=NOW,
    )
    (change,) = plan.changes
    assert change.action == "update"
    assert change.changes == (Change(f"fieldGroups[{pd}]", None, pd),)
    assert [r.to_data() for r in change.requests] == [
        {
            "method": "PATCH",
            "path": "/data/foundation/schemaregistry/tenant/schemas/S1",
            "body": [
                {"op": "add", "path": "/meta:extends/-", "value": pd},
                {"op": "add", "path": "/allOf/-", "value": {"$ref": pd}},
            ],
            "content_type": "application/json",
        }
    ]


def flow_res(start: int) -> Resource:
    return flow_res_full(schedule={"startTime": start, "frequency": "hour", "interval": 1})


FLOW_IDS = {"sourceConnection.f": "s1", "targetConnection.f": "t1", "mappingSet.f": "m1"}
FLOW_IDS_V0 = {**FLOW_IDS}


def test_a_past_start_time_is_not_sent_again_and_the_plan_notes_why():
    old, new = flow_res(1_700_000_000), flow_res(1_900_000_000)
    desired, lock, state = pipeline((old, "f1", resolved(old, FLOW_IDS)))
    desired[new.address] = new
    plan = build_plan(desired, lock, state, now=NOW)
    assert actions(plan)["flow.f"] == "noop"
    assert plan.notes == (
        "flow.f: schedule start 1900000000 is not applied: the flow already started at "
        "1700000000, and AEP cannot move a past start time.",
    )


def test_a_future_start_time_is_updated():
    old, new = flow_res(1_850_000_000), flow_res(1_900_000_000)
    desired, lock, state = pipeline((old, "f1", resolved(old, FLOW_IDS)))
    desired[new.address] = new
    raw = {"scheduleParams": {"startTime": "1850000000", "frequency": "hour", "interval": "1"}}
    state.objects[new.address] = live("f1", resolved(old, FLOW_IDS), "flow", etag='"e1"', raw=raw)
    plan = build_plan(desired, lock, state, now=NOW)
    (change,) = plan.actionable
    assert change.changes == (Change("schedule.startTime", 1_850_000_000, 1_900_000_000),)
    # The plan holds the one write apply sends: a PATCH of that field, with the etag it read.
    assert [r.to_data() for r in change.requests] == [
        {
            "method": "PATCH",
            "path": "/data/foundation/flowservice/flows/f1",
            "body": [
                {"op": "replace", "path": "/scheduleParams/startTime", "value": 1_900_000_000}
            ],
            "content_type": "application/json",
            "if_match": '"e1"',
        }
    ]


def test_a_rotated_secret_is_a_sensitive_change():
    c = connection()
    lock = lock_of((c, "c1"))
    rotated = type(c)(c.address, c.kind, c.spec, c.location, secrets={"password": "new"})
    plan = build_plan(
        {c.address: rotated}, lock, live_of({c.address: live("c1", resolved(c, {}))}), now=NOW
    )
    (change,) = plan.changes
    assert change.action == "update"
    assert change.changes == (Change("auth.params.password", None, None, sensitive=True),)
    assert "new" not in repr(plan.to_data())


def test_a_new_mapping_version_flows_into_the_flow():
    flow = flow_res_full()
    raw = {"transformations": [{"name": "Copy"}, {"name": "Mapping"}]}
    desired, lock, state = pipeline((flow, "f1", {**resolved(flow, FLOW_IDS), "mappingVersion": 0}))
    state.objects[flow.address] = replace(state.objects[flow.address], raw=raw)
    m_new = mapping(destination="c")
    desired[m_new.address] = m_new
    plan = build_plan(desired, lock, state, now=NOW)
    assert {a: x for a, x in actions(plan).items() if x != "noop"} == {
        "flow.f": "update",
        "mappingSet.f": "update",
    }
    ms = next(c for c in plan.changes if c.address == "mappingSet.f")
    assert ms.changes == (
        Change("mappings[b]", {"sourceType": "ATTRIBUTE", "source": "a", "destination": "b"}, None),
        Change("mappings[c]", None, {"sourceType": "ATTRIBUTE", "source": "a", "destination": "c"}),
    )
    assert [(r.method, r.path) for r in ms.requests] == [
        ("PUT", "/data/foundation/conversion/mappingSets/m1")
    ]
    fl = next(c for c in plan.changes if c.address == "flow.f")
    assert fl.changes == (Change("mappingVersion", 0, UNKNOWN),)
    assert fl.drift is False  # caused by the mapping edit, not by anyone outside
    # The new version is known only once the PUT answered: the request refers to it.
    (patch,) = fl.requests
    assert patch.body == [
        {
            "op": "replace",
            "path": "/transformations/1",
            "value": {
                "name": "Mapping",
                "params": {
                    "mappingId": "m1",
                    "mappingVersion": {"$resource": "mappingSet.f", "field": "version"},
                },
            },
        }
    ]


def test_an_object_found_by_its_marker_is_adopted_not_created():
    c = connection()
    state = live_of({c.address: live("c9", resolved(c, {}), adopted=True)})
    plan = build_plan({c.address: c}, lock_of(), state, now=NOW)
    (change,) = plan.changes
    assert change.action == "adopt"
    assert change.id == "c9"
    # The lock had no secrets hash for it, so the secrets are re-sent.
    assert change.changes == (Change("auth.params.password", None, None, sensitive=True),)
    assert plan.summary() == "Plan: 1 to adopt, 0 to add, 1 to change, 0 to destroy."


def test_destroy_plans_every_locked_resource_for_deletion():
    c, s = connection(), source()
    lock = lock_of((c, "c1"), (s, "s1"))
    state = live_of({c.address: live("c1", {}), s.address: live("s1", {})})
    plan = build_plan({c.address: c, s.address: s}, lock, state, now=NOW, destroy=True)
    assert actions(plan) == {"connection.crm": "delete", "sourceConnection.f": "delete"}
    assert {c.reason for c in plan.changes} == {"destroy requested"}
    assert plan.summary() == "Plan: 0 to add, 0 to change, 2 to destroy."

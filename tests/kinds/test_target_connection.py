"""targetConnection: the Data Lake target of a dataflow."""

from __future__ import annotations

from aepflow.api import ListRequest
from aepflow.engine.plan import Change
from aepflow.errors import SourceLocation
from aepflow.kinds.base import LiveObject, Resource, ref
from aepflow.kinds.target_connection import KIND
from aepflow.model import DataflowDef, ProjectModel
from tests.engine.helpers import dataset, schema
from tests.kinds.helpers import LOC, TENANT, XED_FULL, FakeDoor, change_of, data, plan_world

PATH = "/data/foundation/flowservice/targetConnections"
DATA_LAKE = "c604ff05-7f1a-43c0-8e18-33bf874cb11c"
S1 = "https://ns.adobe.com/acme/schemas/abc"
DS_LOC = SourceLocation("m.yaml", 9, 3)


def model(flow_name="Contacts flow", dataset_name="ds") -> ProjectModel:
    flow = DataflowDef(
        "contacts", LOC, {"dataset": DS_LOC}, flow_name=flow_name, schema="s", dataset=dataset_name
    )
    return ProjectModel(dataflows={"contacts": flow})


def resource(**kw) -> Resource:
    (r,) = KIND.desired(model(**kw), TENANT)
    return r


SPEC = {
    "name": "Contacts flow target",
    "description": "Data Lake target of the dataflow Contacts flow.",
    "dataset": "D1",
    "schema": S1,
}
RAW = {
    "id": "t1",
    "name": "Contacts flow target",
    "description": "Data Lake target of the dataflow Contacts flow.\n\naepflow: targetConnection.contacts",
    "data": {"format": "parquet_xdm", "schema": {"id": S1, "version": XED_FULL}},
    "params": {"dataSetId": "D1"},
    "connectionSpec": {"id": DATA_LAKE, "version": "1.0"},
    "etag": '"e4"',
}


def test_desired_refers_to_dataset_and_schema():
    assert list(KIND.desired(model(), TENANT)) == [
        Resource(
            "targetConnection.contacts",
            "targetConnection",
            {**SPEC, "dataset": ref("dataset.ds"), "schema": ref("schema.s")},
            DS_LOC,
        )
    ]


def test_normalize():
    assert KIND.normalize(RAW) == SPEC
    assert KIND.normalize({"name": "x"}) == {
        "name": "x",
        "description": "",
        "dataset": None,
        "schema": None,
    }


def test_create_targets_the_data_lake():
    r = resource()
    assert data(KIND.create(r, SPEC, TENANT)) == [
        {
            "method": "POST",
            "path": PATH,
            "body": {
                "name": "Contacts flow target",
                "description": "Data Lake target of the dataflow Contacts flow.\n\naepflow: targetConnection.contacts",
                "data": {"format": "parquet_xdm", "schema": {"id": S1, "version": XED_FULL}},
                "params": {"dataSetId": "D1"},
                "connectionSpec": {"id": DATA_LAKE, "version": "1.0"},
            },
            "content_type": "application/json",
        }
    ]


def world(target_old: Resource, target_new: Resource, raw: dict):
    s, d, d2 = schema("s"), dataset("ds", "s"), dataset("ds2", "s")
    return plan_world(
        [s, d, d2, target_new],
        [(s, S1), (d, "D1"), (d2, "D2"), (target_old, "t1")],
        live_over={target_old.address: KIND.live(raw)},
    )


OLD_RAW = {
    **RAW,
    "name": "Old target",
    "description": "Data Lake target of the dataflow Old.\n\naepflow: targetConnection.contacts",
}


def test_a_renamed_flow_patches_the_targets_name_and_description():
    plan = world(resource(flow_name="Old"), resource(), OLD_RAW)
    change = change_of(plan, "targetConnection.contacts")
    assert change.action == "update"
    assert data(change.requests) == [
        {
            "method": "PATCH",
            "path": f"{PATH}/t1",
            "body": [
                {"op": "replace", "path": "/name", "value": "Contacts flow target"},
                {
                    "op": "replace",
                    "path": "/description",
                    "value": "Data Lake target of the dataflow Contacts flow.\n\naepflow: targetConnection.contacts",
                },
            ],
            "content_type": "application/json",
            "if_match": '"e4"',
        }
    ]


def test_another_dataset_forces_replacement():
    old = resource()
    plan = world(old, resource(dataset_name="ds2"), RAW)
    change = change_of(plan, "targetConnection.contacts")
    assert change.action == "replace"
    assert change.changes == (Change("dataset", "D1", "D2", forces_replacement=True),)
    assert data(change.delete_requests) == [{"method": "DELETE", "path": f"{PATH}/t1"}]
    assert change.requests[0].body["params"] == {"dataSetId": "D2"}


def test_lookup_lists_the_data_lake_targets_and_find_matches_the_marker():
    r = resource()
    query = ListRequest(PATH, "flowservice", (("property", f"connectionSpec.id=={DATA_LAKE}"),))
    assert KIND.lookup(r, {}, {}) == query
    other = {**RAW, "id": "t0", "description": "aepflow: targetConnection.leads"}
    door = FakeDoor(lists={query: [other, RAW]})
    assert KIND.find(r, {}, {}, door) == LiveObject(
        "t1", "targetConnection", SPEC, etag='"e4"', adopted=True
    )
    assert KIND.find(r, {}, {}, FakeDoor(lists={query: [other]})) is None


def test_unwrap_created_marked_delete():
    assert KIND.unwrap({"items": [RAW]}, "t1") == RAW
    assert KIND.created({"id": "t1"}) == ("t1", None)
    assert KIND.marked(RAW) == "targetConnection.contacts"
    assert data(KIND.delete("t1")) == [{"method": "DELETE", "path": f"{PATH}/t1"}]

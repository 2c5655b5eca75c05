"""sourceConnection: desired from a dataflow, normalised GET, requests, keyed columns, lookup."""

from __future__ import annotations

from aepflow.api import ListRequest
from aepflow.engine.plan import Change
from aepflow.errors import SourceLocation
from aepflow.kinds import connection
from aepflow.kinds.base import LiveObject, Resource
from aepflow.kinds.source_connection import KIND
from aepflow.model import ColumnDef, ConnectionDef, DataflowDef, ProjectModel
from tests.kinds.helpers import LOC, SF, TENANT, FakeDoor, change_of, data, plan_world

PATH = "/data/foundation/flowservice/sourceConnections"
SRC_LOC = SourceLocation("m.yaml", 7, 3)


def model(columns=("Id", "Amount"), table="Contact", flow_name="Contacts flow") -> ProjectModel:
    cols = tuple(ColumnDef(c, "double") if c == "Amount" else ColumnDef(c) for c in columns)
    flow = DataflowDef(
        "contacts",
        LOC,
        {"source": SRC_LOC},
        flow_name=flow_name,
        connection="crm",
        table=table,
        columns=cols,
        schema="s",
        dataset="d",
    )
    conn = ConnectionDef(
        "crm",
        LOC,
        connector="salesforce",
        connection_spec_id=SF,
        auth_spec_name="Basic Authentication",
        params={"username": "u"},
    )
    return ProjectModel(connections={"crm": conn}, dataflows={"contacts": flow})


def resources(**kw) -> tuple[Resource, Resource]:
    m = model(**kw)
    (conn,) = connection.KIND.desired(m, TENANT)
    (src,) = KIND.desired(m, TENANT)
    return conn, src


SPEC = {
    "name": "Contacts flow source",
    "description": "Source of the dataflow Contacts flow.",
    "baseConnection": "c1",
    "connectionSpec": SF,
    "format": "tabular",
    "table": "Contact",
    "columns": [{"name": "Id", "type": "string"}, {"name": "Amount", "type": "double"}],
}
RAW = {
    "id": "s1",
    "name": "Contacts flow source",
    "description": "Source of the dataflow Contacts flow.\n\naepflow: sourceConnection.contacts",
    "baseConnectionId": "c1",
    "connectionSpec": {"id": SF, "version": "1.0"},
    "data": {"format": "tabular"},
    "params": {
        "tableName": "Contact",
        "columns": [
            {"name": "Id", "type": "string", "xdm": {"type": "string"}},
            {"name": "Amount", "type": "double", "xdm": {"type": "number"}},
        ],
    },
    "etag": '"e3"',
}


def test_desired_refers_to_the_connection_and_lists_the_columns():
    assert list(KIND.desired(model(), TENANT)) == [
        Resource(
            "sourceConnection.contacts",
            "sourceConnection",
            {**SPEC, "baseConnection": {"$resource": "connection.crm"}},
            SRC_LOC,
        )
    ]


def test_normalize_reads_table_columns_and_format():
    assert KIND.normalize(RAW) == SPEC
    untyped = {**RAW, "params": {"tableName": "Contact", "columns": [{"name": "Note"}]}}
    assert KIND.normalize(untyped)["columns"] == [{"name": "Note", "type": "string"}]
    assert KIND.normalize({**RAW, "params": {"tableName": "Contact"}})["columns"] == []


def test_create_sends_table_columns_and_the_base_connection():
    _, r = resources()
    assert data(KIND.create(r, SPEC, TENANT)) == [
        {
            "method": "POST",
            "path": PATH,
            "body": {
                "name": "Contacts flow source",
                "description": "Source of the dataflow Contacts flow.\n\naepflow: sourceConnection.contacts",
                "baseConnectionId": "c1",
                "data": {"format": "tabular"},
                "params": {
                    "tableName": "Contact",
                    "columns": [
                        {
                            "name": "Id",
                            "type": "string",
                            "meta:xdmType": "string",
                            "xdm": {"type": "string"},
                        },
                        {
                            "name": "Amount",
                            "type": "double",
                            "meta:xdmType": "double",
                            "xdm": {"type": "double"},
                        },
                    ],
                },
                "connectionSpec": {"id": SF, "version": "1.0"},
            },
            "content_type": "application/json",
        }
    ]


def test_create_without_columns_reads_all_and_keeps_an_unknown_base_as_a_reference():
    _, r = resources(columns=())
    (request,) = KIND.create(r, r.spec, TENANT)
    assert request.body["params"] == {"tableName": "Contact"}
    assert request.body["baseConnectionId"] == {"$resource": "connection.crm"}


def test_a_renamed_flow_patches_name_and_description():
    conn, old = resources(flow_name="Old")
    _, new = resources()
    plan = plan_world(
        [conn, new],
        [(conn, "c1"), (old, "s1")],
        live_over={
            old.address: KIND.live(
                {
                    **RAW,
                    "name": "Old source",
                    "description": "Source of the dataflow Old.\n\naepflow: sourceConnection.contacts",
                }
            )
        },
    )
    change = change_of(plan, "sourceConnection.contacts")
    assert change.action == "update"
    assert change.changes == (
        Change(
            "description", "Source of the dataflow Old.", "Source of the dataflow Contacts flow."
        ),
        Change("name", "Old source", "Contacts flow source"),
    )
    assert data(change.requests) == [
        {
            "method": "PATCH",
            "path": f"{PATH}/s1",
            "body": [
                {"op": "replace", "path": "/name", "value": "Contacts flow source"},
                {
                    "op": "replace",
                    "path": "/description",
                    "value": "Source of the dataflow Contacts flow.\n\naepflow: sourceConnection.contacts",
                },
            ],
            "content_type": "application/json",
            "if_match": '"e3"',
        }
    ]


TEN = ("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9")


def test_inserting_one_column_into_ten_is_one_keyed_change_and_replaces():
    conn, old = resources(columns=TEN)
    _, new = resources(columns=(*TEN[:5], "category", *TEN[5:]))
    plan = plan_world([conn, new], [(conn, "c1"), (old, "s1")])
    change = change_of(plan, "sourceConnection.contacts")
    assert change.changes == (
        Change(
            "columns[category]",
            None,
            {"name": "category", "type": "string"},
            forces_replacement=True,
        ),
    )
    assert change.action == "replace"
    assert data(change.delete_requests) == [{"method": "DELETE", "path": f"{PATH}/s1"}]
    (create,) = change.requests
    assert [c["name"] for c in create.body["params"]["columns"]] == [*TEN[:5], "category", *TEN[5:]]


def test_reordering_columns_is_no_change():
    conn, old = resources(columns=TEN)
    _, new = resources(columns=tuple(reversed(TEN)))
    plan = plan_world([conn, new], [(conn, "c1"), (old, "s1")])
    assert change_of(plan, "sourceConnection.contacts").action == "noop"


def test_a_table_change_forces_replacement():
    conn, old = resources()
    _, new = resources(table="Lead")
    change = change_of(plan_world([conn, new], [(conn, "c1"), (old, "s1")]), new.address)
    assert change.changes == (Change("table", "Contact", "Lead", forces_replacement=True),)


def test_delete():
    assert data(KIND.delete("s1")) == [{"method": "DELETE", "path": f"{PATH}/s1"}]


def test_lookup_lists_by_base_connection_once_its_id_is_known():
    _, r = resources()
    query = ListRequest(PATH, "flowservice", (("property", "baseConnectionId==c1"),))
    assert KIND.lookup(r, {"connection.crm": "c1"}, {}) == query
    assert KIND.lookup(r, {}, {}) is None


def test_unwrap_created_marked_matches():
    _, r = resources()
    assert KIND.unwrap({"items": [RAW]}, "s1") == RAW
    assert KIND.created({"id": "s1", "etag": '"e3"'}) == ("s1", None)
    assert KIND.marked(RAW) == "sourceConnection.contacts"
    assert KIND.matches(RAW, r, {}) is True
    assert KIND.matches({**RAW, "description": "Source"}, r, {}) is False


def test_find_picks_the_marked_source_among_those_of_the_connection():
    _, r = resources()
    ids = {"connection.crm": "c1"}
    other = {**RAW, "id": "s0", "description": "aepflow: sourceConnection.leads"}
    door = FakeDoor(lists={KIND.lookup(r, ids, {}): [other, RAW]})
    assert KIND.find(r, ids, {}, door) == LiveObject(
        "s1", "sourceConnection", SPEC, etag='"e3"', adopted=True
    )
    assert KIND.find(r, {}, {}, door) is None
    assert len(door.listed) == 1

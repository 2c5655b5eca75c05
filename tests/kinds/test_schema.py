"""schema: desired, normalised GET, requests, and the additive-only rule once data lives on it."""

from __future__ import annotations

import pytest

from aepflow.api import ListRequest, Request
from aepflow.engine.plan import UNKNOWN, Change
from aepflow.errors import PlanError
from aepflow.kinds.base import LiveObject, Resource, ref
from aepflow.kinds.schema import KIND
from aepflow.model import ProjectModel, SchemaDef
from tests.engine.helpers import dataset, res, schema
from tests.kinds.helpers import (
    EVENT,
    LOC,
    PD,
    PROFILE,
    TENANT,
    FakeDoor,
    change_of,
    data,
    plan_world,
)

PATH = "/data/foundation/schemaregistry/tenant/schemas"
S1 = "https://ns.adobe.com/acme/schemas/abc"
Q1 = "https%3A%2F%2Fns.adobe.com%2Facme%2Fschemas%2Fabc"
FG1 = "https://ns.adobe.com/acme/mixins/fg1"
XED_V1 = "application/vnd.adobe.xed+json; version=1"


def test_desired_lists_standard_groups_then_the_custom_one():
    m = ProjectModel(
        schemas={
            "person": SchemaDef(
                "person",
                LOC,
                title="Person",
                description="People",
                class_id=PROFILE,
                field_group_ids=(PD,),
                custom_fields={"crmId": {"type": "string"}},
            ),
            "plain": SchemaDef("plain", LOC, title="Plain", class_id=EVENT),
        }
    )
    assert list(KIND.desired(m, TENANT)) == [
        Resource(
            "schema.person",
            "schema",
            {
                "title": "Person",
                "description": "People",
                "class": PROFILE,
                "fieldGroups": [PD, ref("fieldGroup.person")],
            },
            LOC,
        ),
        Resource(
            "schema.plain",
            "schema",
            {"title": "Plain", "description": "", "class": EVENT, "fieldGroups": []},
            LOC,
        ),
    ]


RAW = {
    "$id": S1,
    "meta:altId": "_acme.schemas.abc",
    "meta:resourceType": "schemas",
    "version": "1.0",
    "title": "Person",
    "description": "People\n\naepflow: schema.person",
    "type": "object",
    "meta:class": PROFILE,
    "meta:extends": [PROFILE, PD, FG1],
    "allOf": [
        {"$ref": PROFILE, "type": "object", "meta:xdmType": "object"},
        {"$ref": PD, "type": "object"},
        {"$ref": FG1, "type": "object"},
        {"properties": {}},
    ],
}
SPEC = {"title": "Person", "description": "People", "class": PROFILE, "fieldGroups": [PD, FG1]}


def test_normalize_reads_class_and_field_groups_from_allof():
    assert KIND.normalize(RAW) == SPEC
    assert KIND.live(RAW) == LiveObject(S1, "schema", SPEC)


def test_create_posts_class_and_groups_in_allof():
    r = res("schema.person", {**SPEC, "fieldGroups": [PD, ref("fieldGroup.person")]})
    assert data(KIND.create(r, r.spec, TENANT)) == [
        {
            "method": "POST",
            "path": PATH,
            "body": {
                "title": "Person",
                "description": "People\n\naepflow: schema.person",
                "type": "object",
                "allOf": [
                    {"$ref": PROFILE},
                    {"$ref": PD},
                    {"$ref": {"$resource": "fieldGroup.person"}},
                ],
            },
            "content_type": "application/json",
        }
    ]


def test_a_title_and_a_new_field_group_patch_title_description_and_appends():
    old = schema("s")
    new = res(
        "schema.s",
        {"title": "Persons", "description": "All", "class": PROFILE, "fieldGroups": [PD]},
    )
    change = change_of(plan_world([new], [(old, S1)]), "schema.s")
    assert change.action == "update"
    assert change.changes == (
        Change("description", "", "All"),
        Change(f"fieldGroups[{PD}]", None, PD),
        Change("title", "s", "Persons"),
    )
    assert data(change.requests) == [
        {
            "method": "PATCH",
            "path": f"{PATH}/{Q1}",
            "body": [
                {"op": "replace", "path": "/title", "value": "Persons"},
                {"op": "replace", "path": "/description", "value": "All\n\naepflow: schema.s"},
                {"op": "add", "path": "/meta:extends/-", "value": PD},
                {"op": "add", "path": "/allOf/-", "value": {"$ref": PD}},
            ],
            "content_type": "application/json",
        }
    ]


def in_use_world(old: Resource, new: Resource):
    d = dataset(schema="s")
    return plan_world([new, d], [(old, S1), (d, "d1")])


ADDITIVE = (
    "but a dataset already uses this schema and AEP only allows additive schema changes once a "
    "dataset exists. Keep the existing field groups and class, or create a new schema (new name) "
    "and point the dataset and dataflows at it."
)


def test_removing_a_field_group_in_use_fails_with_the_exact_message():
    with pytest.raises(PlanError) as e:
        in_use_world(schema("s", [PD]), schema("s", []))
    assert str(e.value) == f"schema.s: the change removes the field group(s) {PD}, {ADDITIVE}"


def test_changing_the_class_in_use_fails_with_the_exact_message():
    with pytest.raises(PlanError) as e:
        in_use_world(schema("s"), schema("s", klass=EVENT))
    assert (
        str(e.value)
        == f"schema.s: the change changes its class from {PROFILE} to {EVENT}, {ADDITIVE}"
    )


def test_removing_a_field_group_not_in_use_replaces_the_schema():
    change = change_of(plan_world([schema("s", [])], [(schema("s", [PD]), S1)]), "schema.s")
    assert change.action == "replace"
    assert change.changes == (Change(f"fieldGroups[{PD}]", PD, None, forces_replacement=True),)
    assert data(change.delete_requests) == [{"method": "DELETE", "path": f"{PATH}/{Q1}"}]
    assert [r["method"] for r in data(change.requests)] == ["POST"]


def test_changing_the_class_not_in_use_replaces_the_schema():
    change = change_of(plan_world([schema("s", klass=EVENT)], [(schema("s"), S1)]), "schema.s")
    assert change.action == "replace"
    assert change.changes == (Change("class", PROFILE, EVENT, forces_replacement=True),)


def test_a_custom_field_group_made_in_this_run_is_no_removal_of_the_old_one():
    fg = res(
        "fieldGroup.s",
        {
            "title": "s fields",
            "description": "",
            "class": PROFILE,
            "fields": {"a": {"type": "string"}},
        },
    )
    old = schema("s", [PD, FG1])
    new = schema("s", [PD, ref("fieldGroup.s")])
    d = dataset(schema="s")
    plan = plan_world([fg, new, d], [(old, S1), (d, "d1")])
    change = change_of(plan, "schema.s")
    assert change.action == "update"
    assert change.changes == (Change(f"fieldGroups[{UNKNOWN}]", None, UNKNOWN),)
    assert change.requests[0].body == [
        {"op": "add", "path": "/meta:extends/-", "value": {"$resource": "fieldGroup.s"}},
        {"op": "add", "path": "/allOf/-", "value": {"$ref": {"$resource": "fieldGroup.s"}}},
    ]


def test_get_lookup_created_delete_find():
    r = res("schema.person", SPEC)
    assert KIND.get(S1) == Request("GET", f"{PATH}/{Q1}", accept=XED_V1)
    assert KIND.get(S1).to_data() == {"method": "GET", "path": f"{PATH}/{Q1}", "accept": XED_V1}
    query = ListRequest(
        PATH,
        "schemaregistry",
        (("orderby", "title"),),
        accept="application/vnd.adobe.xed+json",
    )
    assert KIND.lookup(r, {}, {}) == query
    assert KIND.created({"$id": S1, "title": "Person"}) == (S1, None)
    assert data(KIND.delete(S1)) == [{"method": "DELETE", "path": f"{PATH}/{Q1}"}]
    assert KIND.marked(RAW) == "schema.person"
    assert KIND.unwrap(RAW, S1) == RAW
    twin = {**RAW, "$id": "https://ns.adobe.com/acme/schemas/other", "description": "People"}
    door = FakeDoor(lists={query: [twin, RAW]})
    assert KIND.find(r, {}, {}, door) == LiveObject(S1, "schema", SPEC, adopted=True)
    assert KIND.find(r, {}, {}, FakeDoor(lists={query: [twin]})) is None

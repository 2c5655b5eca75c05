"""dataset: Catalog datasets, their tags, the marker tag and the data-loss guard."""

from __future__ import annotations

import pytest

from aepflow.api import ListRequest, Request
from aepflow.engine.plan import Change
from aepflow.errors import PlanError
from aepflow.kinds.base import LiveObject, Resource, ref
from aepflow.kinds.dataset import KIND
from aepflow.model import DatasetDef, ProjectModel
from tests.engine.helpers import res, schema
from tests.kinds.helpers import LOC, TENANT, XED_FULL, FakeDoor, change_of, data, plan_world

PATH = "/data/foundation/catalog/dataSets"
DID = "5c8c3c555033b814b69f947f"
S1 = "https://ns.adobe.com/acme/schemas/abc"


def test_desired_carries_protect():
    m = ProjectModel(
        datasets={
            "contacts": DatasetDef(
                "contacts",
                LOC,
                dataset_name="CRM Contacts",
                description="All contacts",
                schema="person",
                profile=True,
            ),
            "scratch": DatasetDef(
                "scratch", LOC, dataset_name="Scratch", schema="person", protect=False
            ),
        }
    )
    assert list(KIND.desired(m, TENANT)) == [
        Resource(
            "dataset.contacts",
            "dataset",
            {
                "name": "CRM Contacts",
                "description": "All contacts",
                "schema": ref("schema.person"),
                "profile": True,
                "identity": False,
            },
            LOC,
            protect=True,
            requires=("profile.person",),  # the schema joins the Profile union first
        ),
        Resource(
            "dataset.scratch",
            "dataset",
            {
                "name": "Scratch",
                "description": "",
                "schema": ref("schema.person"),
                "profile": False,
                "identity": False,
            },
            LOC,
            protect=False,
        ),
    ]


BODY = {
    DID: {
        "name": "CRM Contacts",
        "description": "All contacts\n\naepflow: dataset.contacts",
        "schemaRef": {"id": S1, "contentType": XED_FULL},
        "tags": {
            "aepflow": ["dataset.contacts"],
            "unifiedProfile": ["enabled: true"],
            "adobe/pqs/table": ["crm_contacts"],
        },
        "created": 1552694873602,
        "version": "1.0.0",
    }
}
RAW = {**BODY[DID], "id": DID}
SPEC = {
    "name": "CRM Contacts",
    "description": "All contacts",
    "schema": S1,
    "profile": True,
    "identity": False,
}


def test_unwrap_takes_the_object_under_its_id():
    assert KIND.unwrap(BODY, DID) == RAW
    assert KIND.unwrap(BODY, "other") is None
    assert KIND.unwrap(None, DID) is None


def test_normalize_reads_schema_and_profile_identity_tags():
    assert KIND.normalize(RAW) == SPEC
    tags = {"unifiedProfile": ["enabled:false"], "unifiedIdentity": ["enabled:true"]}
    assert KIND.normalize({"name": "x", "tags": tags}) == {
        "name": "x",
        "description": "",
        "schema": None,
        "profile": False,
        "identity": True,
    }


def test_read_and_marked_use_the_catalog_shape_and_the_tag():
    door = FakeDoor(gets={f"{PATH}/{DID}": BODY})
    assert KIND.read(door, DID) == LiveObject(DID, "dataset", SPEC)
    assert door.sent == [(Request("GET", f"{PATH}/{DID}"), True)]
    assert KIND.marked(RAW) == "dataset.contacts"
    assert KIND.marked({**RAW, "tags": {}}) is None


def r_contacts(**over) -> Resource:
    spec = {
        "name": "CRM Contacts",
        "description": "All contacts",
        "schema": ref("schema.s"),
        "profile": True,
        "identity": False,
    }
    spec.update(over)
    return res("dataset.contacts", spec, protect=True)


def test_create_tags_the_address_and_the_enabled_services():
    assert data(KIND.create(r_contacts(), {**SPEC, "identity": True}, TENANT)) == [
        {
            "method": "POST",
            "path": PATH,
            "params": [["requestDataSource", "true"]],
            "body": {
                "name": "CRM Contacts",
                "description": "All contacts\n\naepflow: dataset.contacts",
                "schemaRef": {"id": S1, "contentType": XED_FULL},
                "tags": {
                    "aepflow": ["dataset.contacts"],
                    "unifiedProfile": ["enabled:true"],
                    "unifiedIdentity": ["enabled:true"],
                },
            },
            "content_type": "application/json",
        }
    ]
    assert KIND.created([f"@/dataSets/{DID}"]) == (DID, None)


def test_update_patches_only_the_changed_fields():
    s = schema("s")
    old = r_contacts()
    plan = plan_world(
        [s, r_contacts(description="Every contact", identity=True)], [(s, S1), (old, DID)]
    )
    change = change_of(plan, "dataset.contacts")
    assert change.changes == (
        Change("description", "All contacts", "Every contact"),
        Change("identity", False, True),
    )
    # help/catalog/api/update-object.md: JSON Patch, so the tags Catalog keeps are untouched.
    assert data(change.requests) == [
        {
            "method": "PATCH",
            "path": f"{PATH}/{DID}",
            "body": [
                {
                    "op": "replace",
                    "path": "/description",
                    "value": "Every contact\n\naepflow: dataset.contacts",
                },
                {"op": "add", "path": "/tags/unifiedIdentity", "value": ["enabled:true"]},
            ],
            "content_type": "application/json-patch+json",
        }
    ]
    renamed = plan_world([s, r_contacts(name="Contacts")], [(s, S1), (old, DID)])
    assert change_of(renamed, "dataset.contacts").requests[0].body == [
        {"op": "replace", "path": "/name", "value": "Contacts"}
    ]


def test_a_schema_change_of_a_protected_dataset_fails_the_plan():
    s, s2 = schema("s"), schema("t")
    with pytest.raises(PlanError) as e:
        plan_world(
            [s, s2, r_contacts(schema=ref("schema.t"))], [(s, S1), (s2, "S2"), (r_contacts(), DID)]
        )
    assert str(e.value) == (
        "dataset.contacts must be replaced (change of schema): deleting a dataset deletes the data "
        "ingested into it; if that is intended, run again with --allow-data-loss or set "
        "`protect: false` on the dataset"
    )


def test_delete_lookup_find():
    assert data(KIND.delete(DID)) == [{"method": "DELETE", "path": f"{PATH}/{DID}"}]
    r = r_contacts()
    query = ListRequest(PATH, "catalog", (("tags", "aepflow:*"),))
    assert KIND.lookup(r, {}, {}) == query
    assert KIND.matches(RAW, r, {}) is True
    other = {**RAW, "id": "other", "tags": {}}
    door = FakeDoor(lists={query: [other, RAW]})
    assert KIND.find(r, {}, {}, door) == LiveObject(DID, "dataset", SPEC, adopted=True)
    assert KIND.find(r, {}, {}, FakeDoor(lists={query: [other]})) is None

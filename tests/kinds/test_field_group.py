"""fieldGroup: a schema's custom fields under the tenant namespace."""

from __future__ import annotations

import pytest

from aepflow.engine.plan import Change
from aepflow.errors import PlanError, SourceLocation
from aepflow.kinds.base import LiveObject, Resource, ref
from aepflow.kinds.field_group import KIND
from aepflow.model import ProjectModel, SchemaDef
from tests.engine.helpers import dataset, res, schema
from tests.kinds.helpers import EVENT, LOC, PROFILE, TENANT, FakeDoor, change_of, data, plan_world

PATH = "/data/foundation/schemaregistry/tenant/fieldgroups"
FG1 = "https://ns.adobe.com/acme/mixins/fg1"
Q1 = "https%3A%2F%2Fns.adobe.com%2Facme%2Fmixins%2Ffg1"
CF_LOC = SourceLocation("m.yaml", 12, 5)
FIELDS = {
    "crmId": {"type": "string", "title": "CRM ID"},
    "crmSource": {"type": "string", "description": "copied to _acme.crmId"},
}


def test_desired_only_for_schemas_with_custom_fields_tenant_substituted():
    m = ProjectModel(
        schemas={
            "person": SchemaDef(
                "person",
                LOC,
                {"customFields": CF_LOC},
                title="Person",
                class_id=PROFILE,
                custom_fields={
                    "crmId": {"type": "string", "title": "CRM ID"},
                    "crmSource": {"type": "string", "description": "copied to _${tenant}.crmId"},
                },
            ),
            "plain": SchemaDef("plain", LOC, title="Plain", class_id=PROFILE),
        }
    )
    assert list(KIND.desired(m, TENANT)) == [
        Resource(
            "fieldGroup.person",
            "fieldGroup",
            {
                "title": "Person fields",
                "description": "Custom fields of the schema Person.",
                "class": PROFILE,
                "fields": FIELDS,
            },
            CF_LOC,
        )
    ]


SPEC = {
    "title": "Person fields",
    "description": "Custom fields of the schema Person.",
    "class": PROFILE,
    "fields": FIELDS,
}


def body(
    fields=FIELDS, description="Custom fields of the schema Person.\n\naepflow: fieldGroup.person"
):
    return {
        "title": "Person fields",
        "description": description,
        "type": "object",
        "meta:intendedToExtend": [PROFILE],
        "definitions": {
            "customFields": {"properties": {"_acme": {"type": "object", "properties": fields}}}
        },
        "allOf": [{"$ref": "#/definitions/customFields"}],
    }


RAW = {"$id": FG1, "meta:altId": "_acme.mixins.fg1", "version": "1.0", **body()}


def test_normalize_reads_the_fields_under_the_tenant_namespace():
    assert KIND.normalize(RAW) == SPEC
    assert KIND.live(RAW) == LiveObject(FG1, "fieldGroup", SPEC)


def test_create_posts_the_whole_body():
    r = res("fieldGroup.person", SPEC)
    assert data(KIND.create(r, SPEC, TENANT)) == [
        {"method": "POST", "path": PATH, "body": body(), "content_type": "application/json"}
    ]


def fg(fields, klass=PROFILE) -> Resource:
    return res(
        "fieldGroup.s", {"title": "s fields", "description": "", "class": klass, "fields": fields}
    )


def world(old: Resource, new: Resource, *, in_use: bool):
    s = schema("s", [ref("fieldGroup.s")], old.spec["class"])
    applied = [(old, FG1), (s, "S1")]
    desired = [new, schema("s", [ref("fieldGroup.s")], new.spec["class"])]  # the group's class
    if in_use:
        d = dataset(schema="s")
        applied.append((d, "d1"))
        desired.append(d)
    return change_of(plan_world(desired, applied), "fieldGroup.s")


A = {"crmId": {"type": "string"}}


def test_an_added_field_is_a_put_of_the_whole_body_even_in_use():
    new_fields = {**A, "score": {"type": "integer"}}
    change = world(fg(A), fg(new_fields), in_use=True)
    assert change.changes == (Change("fields.score", None, {"type": "integer"}),)
    assert data(change.requests) == [
        {
            "method": "PUT",
            "path": f"{PATH}/{Q1}",
            "body": {
                "title": "s fields",
                "description": "aepflow: fieldGroup.s",
                "type": "object",
                "meta:intendedToExtend": [PROFILE],
                "definitions": {
                    "customFields": {
                        "properties": {"_acme": {"type": "object", "properties": new_fields}}
                    }
                },
                "allOf": [{"$ref": "#/definitions/customFields"}],
            },
            "content_type": "application/json",
        }
    ]


def test_removing_a_field_in_use_fails_with_the_exact_message():
    with pytest.raises(PlanError) as e:
        world(fg({**A, "old": {"type": "string"}}), fg(A), in_use=True)
    assert str(e.value) == (
        "fieldGroup.s: the change removes or redefines the custom field(s) fields.old, but a "
        "dataset already uses the schema and AEP only allows additive changes: add new fields instead."
    )


def test_retyping_a_field_in_use_fails():
    with pytest.raises(PlanError) as e:
        world(fg(A), fg({"crmId": {"type": "integer"}}), in_use=True)
    assert str(e.value).startswith(
        "fieldGroup.s: the change removes or redefines the custom field(s) fields.crmId.type, "
    )


def test_removing_a_field_not_in_use_is_a_put():
    change = world(fg({**A, "old": {"type": "string"}}), fg(A), in_use=False)
    assert change.action == "update"
    assert change.changes == (Change("fields.old", {"type": "string"}, None),)
    assert [(r.method, r.path) for r in change.requests] == [("PUT", f"{PATH}/{Q1}")]


def test_a_class_change_forces_replacement():
    change = world(fg(A), fg(A, EVENT), in_use=False)
    assert change.action == "replace"
    assert change.changes == (Change("class", PROFILE, EVENT, forces_replacement=True),)
    assert data(change.delete_requests) == [{"method": "DELETE", "path": f"{PATH}/{Q1}"}]


def test_lookup_created_marked_find():
    r = res("fieldGroup.person", SPEC)
    (query,) = [KIND.lookup(r, {}, {})]
    assert (query.path, query.paging, query.params, query.accept) == (
        PATH,
        "schemaregistry",
        (("orderby", "title"),),
        "application/vnd.adobe.xed+json",
    )
    assert KIND.created({"$id": FG1}) == (FG1, None)
    assert KIND.marked(RAW) == "fieldGroup.person"
    door = FakeDoor(lists={query: [{**RAW, "description": "hand made"}, RAW]})
    assert KIND.find(r, {}, {}, door) == LiveObject(FG1, "fieldGroup", SPEC, adopted=True)

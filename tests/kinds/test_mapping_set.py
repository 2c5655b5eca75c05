"""mappingSet: Data Prep mappings keyed by destination, found through the marked flow."""

from __future__ import annotations

from aepflow.api import ListRequest, Request
from aepflow.engine.plan import Change
from aepflow.errors import SourceLocation
from aepflow.kinds.base import LiveObject, Resource, ref
from aepflow.kinds.mapping_set import KIND
from aepflow.model import DataflowDef, MappingDef, ProjectModel
from tests.engine.helpers import res, schema
from tests.kinds.helpers import LOC, TENANT, XED_FULL, FakeDoor, change_of, data, plan_world

PATH = "/data/foundation/conversion/mappingSets"
FLOWS = "/data/foundation/flowservice/flows"
S1 = "https://ns.adobe.com/acme/schemas/abc"
M_LOC = SourceLocation("m.yaml", 30, 3)
MAPPINGS = [
    {"sourceType": "ATTRIBUTE", "source": "Id", "destination": "_acme.crmId"},
    {"sourceType": "EXPRESSION", "source": "lower(email)", "destination": "personalEmail.address"},
    {"sourceType": "STATIC", "source": "salesforce", "destination": "_acme.crmSource"},
]


def test_desired_substitutes_the_tenant_in_destinations():
    flow = DataflowDef(
        "contacts",
        LOC,
        {"mappings": M_LOC},
        flow_name="Contacts flow",
        schema="person",
        mappings=(
            MappingDef("attribute", "Id", "_${tenant}.crmId"),
            MappingDef("expression", "lower(email)", "personalEmail.address"),
            MappingDef("static", "salesforce", "_${tenant}.crmSource"),
        ),
    )
    assert list(KIND.desired(ProjectModel(dataflows={"contacts": flow}), TENANT)) == [
        Resource(
            "mappingSet.contacts",
            "mappingSet",
            {"schema": ref("schema.person"), "mappings": MAPPINGS},
            M_LOC,
        )
    ]


RAW = {
    "id": "m1",
    "version": 2,
    "createdDate": 1558729166000,
    "outputSchema": {"schemaRef": {"id": S1, "contentType": XED_FULL}},
    "mappings": [
        {
            "sourceType": "text/x.schema-path",
            "source": "Id",
            "destination": "_acme.crmId",
            "identity": False,
            "version": 0,
        },
        {
            "sourceType": "text/x.aep-xl",
            "source": "lower(email)",
            "destination": "personalEmail.address",
        },
        {"sourceType": "STATIC", "source": "salesforce", "destination": "_acme.crmSource"},
    ],
}
SPEC = {"schema": S1, "mappings": MAPPINGS}


def test_normalize_maps_source_types_and_reads_the_version():
    assert KIND.normalize(RAW) == SPEC
    assert KIND.version(RAW) == 2
    assert KIND.live(RAW) == LiveObject("m1", "mappingSet", SPEC, version=2)
    legacy = {
        "id": "m0",
        "xdmSchema": S1,
        "mappings": [{"sourceAttribute": "Id", "destinationXdmPath": "_acme.crmId"}],
    }
    assert KIND.normalize(legacy) == {"schema": S1, "mappings": [MAPPINGS[0]]}


def test_create_created_updated_delete_get():
    r = res("mappingSet.contacts", {"schema": ref("schema.s"), "mappings": MAPPINGS})
    assert data(KIND.create(r, SPEC, TENANT)) == [
        {
            "method": "POST",
            "path": PATH,
            "body": {
                "outputSchema": {"schemaRef": {"id": S1, "contentType": XED_FULL}},
                "mappings": MAPPINGS,
            },
            "content_type": "application/json",
        }
    ]
    assert KIND.created({"id": "m1", "version": 0}) == ("m1", 0)
    assert KIND.updated({"id": "m1", "version": 3}) == 3
    assert list(KIND.delete("m1")) == []
    assert KIND.get("m1") == Request("GET", f"{PATH}/m1")


def ms(mappings) -> Resource:
    return res("mappingSet.f", {"schema": ref("schema.s"), "mappings": mappings})


def test_a_changed_source_is_keyed_by_destination_and_puts_a_new_version():
    s = schema("s")
    changed = [dict(MAPPINGS[0], source="AccountId"), *MAPPINGS[1:]]
    plan = plan_world([s, ms(changed)], [(s, S1), (ms(MAPPINGS), "m1")])
    change = change_of(plan, "mappingSet.f")
    assert change.action == "update"
    assert change.changes == (Change("mappings[_acme.crmId].source", "Id", "AccountId"),)
    assert data(change.requests) == [
        {
            "method": "PUT",
            "path": f"{PATH}/m1",
            "body": {
                "outputSchema": {"schemaRef": {"id": S1, "contentType": XED_FULL}},
                "mappings": changed,
            },
            "content_type": "application/json",
        }
    ]


def test_reordered_mappings_are_no_change():
    s = schema("s")
    plan = plan_world([s, ms(list(reversed(MAPPINGS)))], [(s, S1), (ms(MAPPINGS), "m1")])
    assert change_of(plan, "mappingSet.f").action == "noop"


FLOW = res("flow.contacts", {"name": "Contacts flow"})
QUERY = ListRequest(
    FLOWS,
    "flowservice",
    (
        (
            "property",
            "flowSpec.id==14518937-270c-4525-bdec-c2ba7cce3860,6499120c-0b15-42dc-936e-847ea3c24d72",
        ),
    ),
)


def flow_raw(id: str, description: str, mapping_id: str | None) -> dict:
    transformations = [{"name": "Copy", "params": {"deltaColumn": {"name": "LastModifiedDate"}}}]
    if mapping_id:
        transformations.append(
            {"name": "Mapping", "params": {"mappingId": mapping_id, "mappingVersion": 2}}
        )
    return {
        "id": id,
        "name": "Contacts flow",
        "description": description,
        "transformations": transformations,
    }


def test_find_goes_through_the_marked_flow_of_the_same_pipeline():
    r = res("mappingSet.contacts", {"schema": ref("schema.s"), "mappings": MAPPINGS})
    desired = {FLOW.address: FLOW}
    door = FakeDoor(
        gets={f"{PATH}/m1": RAW},
        lists={
            QUERY: [
                flow_raw("f0", "by hand", "m9"),
                flow_raw("f1", "x\n\naepflow: flow.contacts", "m1"),
            ]
        },
    )
    assert KIND.lookup(r, {}, desired) is None
    assert KIND.marked({"description": "aepflow: mappingSet.contacts"}) is None
    assert KIND.find(r, {}, desired, door) == LiveObject(
        "m1", "mappingSet", SPEC, version=2, adopted=True
    )
    assert door.listed == [QUERY]
    assert door.sent == [
        (Request("GET", f"{PATH}/m1"), True)
    ]  # a gone mapping set is None, not an error
    assert KIND.find(r, {}, {}, door) is None
    no_mapping = FakeDoor(lists={QUERY: [flow_raw("f1", "aepflow: flow.contacts", None)]})
    assert KIND.find(r, {}, desired, no_mapping) is None
    assert no_mapping.sent == []

"""descriptor: identity descriptors, found again by schema and field."""

from __future__ import annotations

from aepflow.api import ListRequest, Request
from aepflow.engine.plan import Change
from aepflow.errors import SourceLocation
from aepflow.kinds.base import LiveObject, Resource, ref
from aepflow.kinds.descriptor import KIND
from aepflow.model import IdentityDef, ProjectModel, SchemaDef
from tests.engine.helpers import res, schema
from tests.kinds.helpers import LOC, PROFILE, TENANT, FakeDoor, change_of, data, plan_world

PATH = "/data/foundation/schemaregistry/tenant/descriptors"
XDM = "application/vnd.adobe.xdm+json"
S1 = "https://ns.adobe.com/acme/schemas/abc"
ID_LOC = SourceLocation("m.yaml", 20, 7)


def test_desired_substitutes_the_tenant_in_field_and_address():
    m = ProjectModel(
        schemas={
            "person": SchemaDef(
                "person",
                LOC,
                {"identities.1": ID_LOC},
                class_id=PROFILE,
                identities=(
                    IdentityDef("personalEmail.address", "Email", True),
                    IdentityDef("_${tenant}.crmId", "CRMID"),
                ),
            )
        }
    )
    assert list(KIND.desired(m, TENANT)) == [
        Resource(
            "descriptor.person.personalEmail.address",
            "descriptor",
            {
                "schema": ref("schema.person"),
                "field": "/personalEmail/address",
                "namespace": "Email",
                "primary": True,
            },
            LOC,
        ),
        Resource(
            "descriptor.person.acme.crmId",
            "descriptor",
            {
                "schema": ref("schema.person"),
                "field": "/_acme/crmId",
                "namespace": "CRMID",
                "primary": False,
            },
            ID_LOC,
        ),
    ]


RAW = {
    "@id": "d0b2b5e1",
    "@type": "xdm:descriptorIdentity",
    "xdm:sourceSchema": S1,
    "xdm:sourceVersion": 1,
    "xdm:sourceProperty": "/_acme/crmId",
    "xdm:namespace": "CRMID",
    "xdm:property": "xdm:code",
    "xdm:isPrimary": False,
    "meta:containerId": "sandbox",
}
SPEC = {"schema": S1, "field": "/_acme/crmId", "namespace": "CRMID", "primary": False}


def test_normalize():
    assert KIND.normalize(RAW) == SPEC
    del_primary = {k: v for k, v in RAW.items() if k != "xdm:isPrimary"}
    assert KIND.normalize(del_primary)["primary"] is False
    assert KIND.live(RAW) == LiveObject("d0b2b5e1", "descriptor", SPEC)


def body(namespace="CRMID", primary=False):
    return {
        "@type": "xdm:descriptorIdentity",
        "xdm:sourceSchema": S1,
        "xdm:sourceVersion": 1,
        "xdm:sourceProperty": "/_acme/crmId",
        "xdm:namespace": namespace,
        "xdm:property": "xdm:code",
        "xdm:isPrimary": primary,
    }


def desc(namespace="CRMID", primary=False) -> Resource:
    return res(
        "descriptor.s.acme.crmId",
        {
            "schema": ref("schema.s"),
            "field": "/_acme/crmId",
            "namespace": namespace,
            "primary": primary,
        },
    )


def test_create_posts_the_identity_descriptor():
    assert data(KIND.create(desc(), SPEC, TENANT)) == [
        {"method": "POST", "path": PATH, "body": body(), "content_type": "application/json"}
    ]


def test_a_namespace_or_primary_change_puts_the_whole_descriptor():
    s = schema("s")
    plan = plan_world([s, desc("Email", True)], [(s, S1), (desc(), "d0b2b5e1")])
    change = change_of(plan, "descriptor.s.acme.crmId")
    assert change.action == "update"
    assert change.changes == (Change("namespace", "CRMID", "Email"), Change("primary", False, True))
    assert data(change.requests) == [
        {
            "method": "PUT",
            "path": f"{PATH}/d0b2b5e1",
            "body": body("Email", True),
            "content_type": "application/json",
        }
    ]


def test_get_created_delete():
    assert KIND.get("d0b2b5e1") == Request("GET", f"{PATH}/d0b2b5e1", accept=XDM)
    assert KIND.created(RAW) == ("d0b2b5e1", None)
    assert data(KIND.delete("d0b2b5e1")) == [{"method": "DELETE", "path": f"{PATH}/d0b2b5e1"}]


def test_lookup_needs_the_schema_id_and_matches_by_schema_and_field():
    r = desc()
    query = ListRequest(PATH, "schemaregistry", accept="application/vnd.adobe.xdm-v2+json")
    assert KIND.lookup(r, {}, {}) is None
    assert KIND.lookup(r, {"schema.s": S1}, {}) == query
    assert KIND.marked(RAW) is None
    assert KIND.matches(RAW, r, {"schema.s": S1}) is True
    assert KIND.matches(RAW, r, {"schema.s": "other"}) is False
    assert KIND.matches({**RAW, "xdm:sourceProperty": "/_acme/other"}, r, {"schema.s": S1}) is False
    other = {**RAW, "@id": "x1", "xdm:sourceProperty": "/personalEmail/address"}
    door = FakeDoor(lists={query: [other, RAW]})
    assert KIND.find(r, {"schema.s": S1}, {}, door) == LiveObject(
        "d0b2b5e1", "descriptor", SPEC, adopted=True
    )
    assert KIND.find(r, {}, {}, door) is None
    assert door.listed == [query]

"""Data Prep mapping sets (help/data-prep/api/mapping-set.md)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.emulator.conftest import PREP, START, TENANT, XED_FULL, Api, mapping_body
from tests.emulator.test_schemaregistry import group_body

SETS = f"{PREP}/mappingSets"


def bad(detail: str, status: int = 400) -> dict[str, Any]:
    title = "BadRequestError" if status == 400 else "NotFoundError"
    return {"type": "/placeholder/type/uri", "status": status, "title": title, "detail": detail}


def test_create_answers_200_with_version_0(api: Api) -> None:
    schema = api.schema()
    response = api.post(SETS, mapping_body(schema))
    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    assert body == {
        "id": body["id"],
        "version": 0,
        "createdDate": int(START * 1000),
        "modifiedDate": int(START * 1000),
        "createdBy": "aepflow-emulator@AdobeID",
        "modifiedBy": "aepflow-emulator@AdobeID",
    }


def test_get_the_full_set_with_attribute_mappings_as_schema_paths(api: Api) -> None:
    schema = api.schema()
    set_id = api.mapping(schema)
    full = api.get(f"{SETS}/{set_id}").json()
    assert full["version"] == 0 and full["status"] == "PUBLISHED"
    assert full["outputSchema"] == {"schemaRef": {"id": schema, "contentType": XED_FULL}}
    assert full["xdmSchema"] == schema
    attribute, expression = full["mappings"]
    assert (attribute["sourceType"], attribute["source"], attribute["destination"]) == (
        "text/x.schema-path",
        "FirstName",
        "person.name.firstName",
    )
    assert (attribute["sourceAttribute"], attribute["destinationXdmPath"]) == (
        "FirstName",
        "person.name.firstName",
    )
    assert (expression["sourceType"], expression["source"]) == ("EXPRESSION", "lower(Email)")
    assert re.fullmatch(r"[0-9a-f]{32}", attribute["id"]) and attribute["version"] == 0
    assert api.get(f"{SETS}/{set_id}/mappings").json() == full["mappings"]


def test_put_makes_a_new_version_and_old_ones_stay_readable(api: Api, clock: Any) -> None:
    schema = api.schema()
    set_id = api.mapping(schema)
    v0 = api.get(f"{SETS}/{set_id}").json()
    clock.advance(60)
    body = mapping_body(
        schema, [{"sourceType": "STATIC", "source": "CUSTOMER", "destination": "person.type"}]
    )
    put = api.put(f"{SETS}/{set_id}", body)
    assert put.status_code == 200
    v1 = put.json()
    assert (v1["id"], v1["version"]) == (set_id, 1)
    assert v1["createdDate"] == v0["createdDate"] and v1["modifiedDate"] == int(clock.now * 1000)
    assert {m["id"] for m in v1["mappings"]}.isdisjoint({m["id"] for m in v0["mappings"]})
    assert v1["mappings"][0]["sourceType"] == "STATIC"
    assert api.get(f"{SETS}/{set_id}").json() == v1
    assert api.get(f"{SETS}/{set_id}", params={"version": "0"}).json() == v0
    assert api.get(f"{SETS}/{set_id}", params={"version": "1"}).json() == v1
    missing = api.get(f"{SETS}/{set_id}", params={"version": "2"})
    assert (missing.status_code, missing.json()) == (
        404,
        bad(f"Mapping set {set_id} has no version 2.", 404),
    )


def test_the_legacy_tutorial_body(api: Api) -> None:
    schema = api.schema()
    body = {
        "version": 0,
        "xdmSchema": schema,
        "xdmVersion": "1.0",
        "id": None,
        "mappings": [
            {
                "destinationXdmPath": "person.name.firstName",
                "sourceAttribute": "first_name",
                "identity": False,
                "identityGroup": None,
                "namespaceCode": None,
                "version": 0,
            },
            {
                "destinationXdmPath": "_repo.createDate",
                "sourceAttribute": "CreatedDate",
                "identity": False,
                "identityGroup": None,
                "namespaceCode": None,
                "version": 0,
            },
        ],
    }
    set_id = api.created(api.post(SETS, body))
    mappings = api.get(f"{SETS}/{set_id}").json()["mappings"]
    assert [(m["sourceType"], m["source"], m["destination"]) for m in mappings] == [
        ("text/x.schema-path", "first_name", "person.name.firstName"),
        ("text/x.schema-path", "CreatedDate", "_repo.createDate"),
    ]


@pytest.mark.parametrize(
    ("mappings", "detail"),
    [
        (
            [{"sourceType": "ATTRIBUTE", "source": "x", "destination": "no.such.field"}],
            "mappings[0]: the destination no.such.field is not a field of the output schema {schema}",
        ),
        (
            [{"sourceType": "LOOKUP", "source": "x", "destination": "person.type"}],
            "mappings[0]: sourceType 'LOOKUP' is not one of ATTRIBUTE, EXPRESSION, STATIC",
        ),
        (
            [{"sourceType": "ATTRIBUTE", "source": "", "destination": "person.type"}],
            "mappings[0]: source is required",
        ),
        ([{"sourceType": "ATTRIBUTE", "source": "x"}], "mappings[0]: destination is required"),
        ([], "mappings must be a non-empty list"),
    ],
)
def test_refusals(api: Api, mappings: list[dict[str, Any]], detail: str) -> None:
    schema = api.schema()
    body = {"outputSchema": {"schemaRef": {"id": schema}}, "mappings": mappings}
    response = api.post(SETS, body)
    assert (response.status_code, response.json()) == (400, bad(detail.format(schema=schema)))


def test_an_unknown_output_schema(api: Api) -> None:
    response = api.post(SETS, mapping_body("https://ns.adobe.com/x/schemas/1"))
    assert response.json() == bad(
        "The output schema https://ns.adobe.com/x/schemas/1 is not a schema of this sandbox"
    )


@pytest.mark.parametrize(
    "destination",
    [
        "identityMap.Email[0].id",
        "identityMap.ECID[*].primary",
        "_id",
        f"_{TENANT}.crmId",
        "homeAddress",
        "organizations[0]",
    ],
)
def test_destinations_resolve_through_the_whole_schema(api: Api, destination: str) -> None:
    group = api.created(
        api.post("/data/foundation/schemaregistry/tenant/fieldgroups", group_body("CRM fields"))
    )
    schema = api.schema(
        "Contacts",
        (
            "https://ns.adobe.com/xdm/context/profile-personal-details",
            "https://ns.adobe.com/xdm/context/profile-work-details",
            "https://ns.adobe.com/xdm/context/identitymap",
            group,
        ),
    )
    body = mapping_body(
        schema, [{"sourceType": "ATTRIBUTE", "source": "x", "destination": destination}]
    )
    assert api.post(SETS, body).status_code == 200


def test_list_and_expand_schema(api: Api) -> None:
    schema = api.schema()
    ids = [api.mapping(schema) for _ in range(3)]
    listed = api.get(SETS, params={"start": "0", "limit": "2"}).json()
    assert [s["id"] for s in listed["data"]] == ids[:2]
    assert listed["_page"] == {"count": 3, "limit": 2}
    rest = api.get(SETS, params={"start": "2", "limit": "2"}).json()
    assert [s["id"] for s in rest["data"]] == ids[2:]
    expanded = api.get(f"{SETS}/{ids[0]}", params={"expandSchema": "true"}).json()
    assert "personalEmail" in expanded["outputSchema"]["jsonSchema"]["properties"]


def test_delete(api: Api) -> None:
    set_id = api.mapping(api.schema())
    assert api.delete(f"{SETS}/{set_id}").status_code == 204
    response = api.get(f"{SETS}/{set_id}")
    assert (response.status_code, response.json()) == (
        404,
        bad(f"Mapping set {set_id} was not found.", 404),
    )

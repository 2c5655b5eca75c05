"""Identity descriptors (help/xdm/api/getting-started.md, "Identity descriptor")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.conftest import SCHEMA, TENANT, Api, xdm_error
from tests.emulator.test_schemaregistry import group_body, path

XDM = "application/vnd.adobe.xdm+json"
DESCRIPTORS = f"{SCHEMA}/tenant/descriptors"


def descriptor(schema: str, prop: str = "/personalEmail/address", **extra: Any) -> dict[str, Any]:
    return {
        "@type": "xdm:descriptorIdentity",
        "xdm:sourceSchema": schema,
        "xdm:sourceVersion": 1,
        "xdm:sourceProperty": prop,
        "xdm:namespace": "Email",
        "xdm:property": "xdm:code",
        "xdm:isPrimary": True,
        **extra,
    }


def test_create_get_put_delete(api: Api) -> None:
    schema = api.schema()
    created = api.post(DESCRIPTORS, descriptor(schema))
    assert created.status_code == 201
    body = created.json()
    assert body == {**descriptor(schema), "meta:containerId": "tenant", "@id": body["@id"]}
    assert len(body["@id"]) == 40
    got = api.get(f"{DESCRIPTORS}/{body['@id']}", headers={"Accept": XDM})
    assert got.json() == body
    put = api.put(
        f"{DESCRIPTORS}/{body['@id']}",
        descriptor(schema, "/mobilePhone/number", **{"xdm:namespace": "Phone"}),
    )
    assert (put.status_code, put.json()) == (201, {"@id": body["@id"]})
    assert (
        api.get(f"{DESCRIPTORS}/{body['@id']}", headers={"Accept": XDM}).json()["xdm:namespace"]
        == "Phone"
    )
    assert api.delete(f"{DESCRIPTORS}/{body['@id']}").status_code == 204
    gone = api.get(f"{DESCRIPTORS}/{body['@id']}", headers={"Accept": XDM})
    assert xdm_error(gone)[:2] == (404, "XDM-1010-404")


def test_list_in_each_accept_variant(api: Api) -> None:
    schema = api.schema()
    first = api.created(api.post(DESCRIPTORS, descriptor(schema)))
    second = api.created(
        api.post(DESCRIPTORS, descriptor(schema, "/mobilePhone/number", **{"xdm:isPrimary": False}))
    )
    links = api.get(DESCRIPTORS, headers={"Accept": "application/vnd.adobe.xdm-link+json"}).json()
    assert links == {
        "xdm:descriptorIdentity": [f"/tenant/descriptors/{first}", f"/tenant/descriptors/{second}"]
    }
    ids = api.get(DESCRIPTORS, headers={"Accept": "application/vnd.adobe.xdm-id+json"}).json()
    assert ids == {"xdm:descriptorIdentity": [first, second]}
    full = api.get(DESCRIPTORS, headers={"Accept": XDM}).json()
    assert [d["@id"] for d in full["xdm:descriptorIdentity"]] == [first, second]
    v2 = api.get(DESCRIPTORS, headers={"Accept": "application/vnd.adobe.xdm-v2+json"}).json()
    assert v2["_page"] == {"orderby": "", "count": 2, "next": None}
    assert [d["@id"] for d in v2["results"]] == [first, second]
    assert v2["_links"] == {"next": None}
    filtered = api.get(
        DESCRIPTORS,
        params={"property": "xdm:isPrimary==true"},
        headers={"Accept": "application/vnd.adobe.xdm-id+json"},
    )
    assert filtered.json() == {"xdm:descriptorIdentity": [first]}
    assert xdm_error(api.get(DESCRIPTORS))[:2] == (400, "XDM-1006-400")


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (
            {"xdm:sourceProperty": "/personalEmail/nothing"},
            "xdm:sourceProperty /personalEmail/nothing is not a field of schema {schema}",
        ),
        (
            {"xdm:sourceProperty": "personalEmail/address"},
            "xdm:sourceProperty 'personalEmail/address' must be a path that starts and does not end with /",
        ),
        (
            {"xdm:sourceProperty": "/personalEmail/"},
            "xdm:sourceProperty '/personalEmail/' must be a path that starts and does not end with /",
        ),
        (
            {"xdm:sourceProperty": "/properties/personalEmail/properties/address"},
            "xdm:sourceProperty /properties/personalEmail/properties/address must not contain 'properties' segments",
        ),
        (
            {"xdm:sourceProperty": "/personalEmail"},
            "xdm:sourceProperty /personalEmail is not a field of schema {schema}",
        ),
        (
            {"xdm:sourceSchema": "https://ns.adobe.com/x/schemas/0"},
            "xdm:sourceSchema https://ns.adobe.com/x/schemas/0 is not a schema of this sandbox",
        ),
        ({"xdm:sourceVersion": 2}, "xdm:sourceVersion must be 1, the schema's major version"),
        (
            {"xdm:namespace": ""},
            "xdm:namespace is required: an identity namespace code such as Email",
        ),
        ({"xdm:property": "xdm:name"}, "xdm:property must be xdm:code or xdm:id"),
        (
            {"@type": "xdm:alternateDisplayInfo"},
            "Unsupported descriptor @type 'xdm:alternateDisplayInfo': use xdm:descriptorIdentity",
        ),
    ],
)
def test_refusals(api: Api, change: dict[str, Any], detail: str) -> None:
    schema = api.schema()
    response = api.post(DESCRIPTORS, {**descriptor(schema), **change})
    assert xdm_error(response) == (400, "XDM-1050-400", "Bad Request", detail.format(schema=schema))


def test_one_primary_identity_per_schema(api: Api) -> None:
    schema = api.schema()
    first = api.created(api.post(DESCRIPTORS, descriptor(schema)))
    second = api.post(DESCRIPTORS, descriptor(schema, "/mobilePhone/number"))
    assert xdm_error(second)[3] == f"The schema {schema} already has a primary identity ({first})"
    # The same descriptor may be rewritten with isPrimary kept.
    assert api.put(f"{DESCRIPTORS}/{first}", descriptor(schema)).status_code == 201


def test_a_custom_tenant_field_can_be_the_identity(api: Api) -> None:
    group = api.created(api.post(f"{SCHEMA}/tenant/fieldgroups", group_body("CRM fields")))
    schema = api.schema("Contacts", (group,))
    body = descriptor(schema, f"/_{TENANT}/crmId", **{"xdm:namespace": "CRMID"})
    assert api.post(DESCRIPTORS, body).status_code == 201


def test_deleting_a_schema_deletes_its_descriptors(api: Api) -> None:
    schema = api.schema()
    made = api.created(api.post(DESCRIPTORS, descriptor(schema)))
    assert api.delete(path(schema)).status_code == 204
    assert xdm_error(api.get(f"{DESCRIPTORS}/{made}", headers={"Accept": XDM}))[:2] == (
        404,
        "XDM-1010-404",
    )


def test_a_primary_identity_makes_the_schema_profile_ready(api: Api) -> None:
    schema = api.schema()
    api.post(DESCRIPTORS, descriptor(schema))
    tagged = api.patch(
        path(schema), [{"op": "add", "path": "/meta:immutableTags", "value": ["union"]}]
    )
    assert tagged.status_code == 200

"""Schema Registry: schemas, field groups, Accept rules, titles, versions, stats (help/xdm/api/getting-started.md)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.emulator.conftest import (
    IDENTITY_MAP,
    PERSON,
    PERSONAL,
    PROFILE,
    SCHEMA,
    START,
    TENANT,
    Api,
    schema_body,
    xdm_error,
)

XED_ID = "application/vnd.adobe.xed-id+json"
XED = "application/vnd.adobe.xed+json"
XED_V1 = "application/vnd.adobe.xed+json; version=1"
FULL_V1 = "application/vnd.adobe.xed-full+json; version=1"
EXPERIENCE_EVENT = "https://ns.adobe.com/xdm/context/experienceevent"
WORK = "https://ns.adobe.com/xdm/context/profile-work-details"


def path(resource_id: str, kind: str = "schemas") -> str:
    return f"{SCHEMA}/tenant/{kind}/{quote(resource_id, safe='')}"


def group_body(title: str, fields: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "description": "custom CRM fields",
        "type": "object",
        "meta:intendedToExtend": [PROFILE],
        "definitions": {
            "customFields": {
                "properties": {
                    f"_{TENANT}": {
                        "type": "object",
                        "properties": fields or {"crmId": {"type": "string"}},
                    }
                }
            }
        },
        "allOf": [{"$ref": "#/definitions/customFields"}],
        **extra,
    }


def test_create_answers_the_full_schema(api: Api) -> None:
    response = api.post(f"{SCHEMA}/tenant/schemas", schema_body("Contacts"))
    assert response.status_code == 201
    schema = response.json()
    hex_id = schema["$id"].rsplit("/", 1)[-1]
    assert re.fullmatch(rf"https://ns\.adobe\.com/{TENANT}/schemas/[0-9a-f]{{32}}", schema["$id"])
    assert schema["meta:altId"] == f"_{TENANT}.schemas.{hex_id}"
    assert schema["version"] == "1.0"
    assert schema["meta:resourceType"] == "schemas"
    assert schema["meta:class"] == PROFILE
    assert schema["meta:extends"] == [
        PERSON,
        PERSONAL,
        "https://ns.adobe.com/xdm/common/auditable",
        "https://ns.adobe.com/xdm/data/record",
        PROFILE,
    ]
    assert schema["refs"] == [PERSON, PERSONAL, PROFILE]
    assert schema["allOf"][0] == {"$ref": PROFILE, "type": "object", "meta:xdmType": "object"}
    assert schema["meta:containerId"] == "tenant"
    assert schema["meta:tenantNamespace"] == f"_{TENANT}"
    assert schema["meta:sandboxType"] == "production"
    assert schema["title"] == "Contacts" and schema["description"] == "people from the CRM"
    metadata = schema["meta:registryMetadata"]
    assert metadata["repo:createdDate"] == metadata["repo:lastModifiedDate"] == int(START * 1000)
    assert re.fullmatch(r"[0-9a-f]{64}", metadata["eTag"])


def test_the_seed_body_with_its_registry_fields_is_accepted(api: Api) -> None:
    body = {
        **schema_body("Salesforce target XDM schema"),
        "meta:containerId": "tenant",
        "meta:resourceType": "schemas",
        "meta:xdmType": "object",
        "meta:class": PROFILE,
    }
    assert api.post(f"{SCHEMA}/tenant/schemas/", body).status_code == 201  # trailing slash


def test_titles_are_unique_across_schemas_and_field_groups(api: Api) -> None:
    first = api.schema("Contacts")
    duplicate = api.post(f"{SCHEMA}/tenant/schemas", schema_body("Contacts"))
    assert xdm_error(duplicate) == (
        400,
        "XDM-1521-400",
        "Title not unique",
        f"Object titles must be unique. The title 'Contacts' is already used by {first}.",
    )
    group = api.post(f"{SCHEMA}/tenant/fieldgroups", group_body("Contacts"))
    assert xdm_error(group)[1] == "XDM-1521-400"


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        (
            {"title": "No class", "allOf": [{"$ref": PERSON}]},
            "XDM-1002-400",
            "A schema must reference exactly one class in allOf (e.g. "
            "https://ns.adobe.com/xdm/context/profile)",
        ),
        (
            {"title": "Two", "allOf": [{"$ref": PROFILE}, {"$ref": EXPERIENCE_EVENT}]},
            "XDM-1002-400",
            "A schema must reference exactly one class in allOf (e.g. "
            "https://ns.adobe.com/xdm/context/profile)",
        ),
        (
            {
                "title": "Unknown",
                "allOf": [{"$ref": PROFILE}, {"$ref": "https://ns.adobe.com/xdm/context/nope"}],
            },
            "XDM-1003-400",
            "Unknown reference https://ns.adobe.com/xdm/context/nope in allOf",
        ),
        (
            {"title": "Work on events", "allOf": [{"$ref": EXPERIENCE_EVENT}, {"$ref": WORK}]},
            "XDM-1004-400",
            f"The field group {WORK} is not intended to extend the class {EXPERIENCE_EVENT}",
        ),
        (
            {"allOf": [{"$ref": PROFILE}]},
            "XDM-1001-400",
            "title is required and must be a non-empty string",
        ),
        (
            {"title": "Bad class", "allOf": [{"$ref": PROFILE}], "meta:class": EXPERIENCE_EVENT},
            "XDM-1001-400",
            f"meta:class {EXPERIENCE_EVENT} is not the class in allOf ({PROFILE})",
        ),
    ],
)
def test_schema_refusals(api: Api, body: dict[str, Any], code: str, detail: str) -> None:
    status, got_code, _title, got_detail = xdm_error(api.post(f"{SCHEMA}/tenant/schemas", body))
    assert (status, got_code, got_detail) == (400, code, detail)


@pytest.mark.parametrize(
    ("accept", "code", "detail"),
    [
        (
            XED,
            "XDM-1008-400",
            "version must be supplied in the accept header, e.g. application/vnd.adobe.xed+json; version=1",
        ),
        (
            "application/json",
            "XDM-1006-400",
            "An Accept header such as application/vnd.adobe.xed+json is required; got application/json.",
        ),
        (
            XED_ID + "; version=1",
            "XDM-1007-400",
            "The Accept header xed-id is not supported here; use one of xed, xed-deprecatefield, xed-full, xed-full-desc, xed-full-notext, xed-notext",
        ),
    ],
)
def test_lookup_accept_rules(api: Api, accept: str, code: str, detail: str) -> None:
    schema = api.schema()
    assert xdm_error(api.xed(path(schema), accept)) == (400, code, "Invalid Accept header", detail)


@pytest.mark.parametrize(
    ("accept", "code"),
    [
        (XED_ID + "; version=1", "XDM-1009-400"),
        ("", "XDM-1006-400"),
        (FULL_V1.split(";")[0], "XDM-1007-400"),
    ],
)
def test_list_accept_rules(api: Api, accept: str, code: str) -> None:
    assert xdm_error(api.xed(f"{SCHEMA}/tenant/schemas", accept))[:2] == (400, code)


def test_lookup_by_id_or_alt_id_raw_and_resolved(api: Api) -> None:
    schema = api.post(f"{SCHEMA}/tenant/schemas", schema_body("Contacts")).json()
    raw = api.xed(path(schema["$id"]), XED_V1).json()
    assert raw == schema
    assert api.xed(path(schema["meta:altId"]), XED_V1).json() == schema
    full = api.xed(path(schema["$id"]), FULL_V1).json()
    properties = full["properties"]
    assert properties["personalEmail"]["properties"]["address"] == {
        "type": "string",
        "format": "email",
        "meta:xdmType": "string",
    }
    assert properties["person"]["properties"]["birthYear"] == {
        "type": "integer",
        "meta:xdmType": "short",
    }
    assert properties["_repo"]["properties"]["createDate"] == {
        "type": "string",
        "format": "date-time",
        "meta:xdmType": "date-time",
    }
    # The catalog follows adobe/xdm, where the auditable group now also has _repo.expires.
    assert properties["_repo"]["properties"]["expires"]["meta:xdmType"] == "date-time"
    assert set(properties) >= {"_id", "person", "personalEmail", "homeAddress", "mobilePhone"}
    missing = api.xed(path(f"https://ns.adobe.com/{TENANT}/schemas/{'0' * 32}"), XED_V1)
    assert xdm_error(missing)[:3] == (404, "XDM-1010-404", "Not Found")
    assert xdm_error(api.xed(path(schema["$id"]), XED + "; version=2"))[:2] == (404, "XDM-1010-404")


def test_the_resolved_view_includes_custom_field_groups_and_the_identity_map(api: Api) -> None:
    group = api.created(
        api.post(
            f"{SCHEMA}/tenant/fieldgroups",
            group_body(
                "CRM fields",
                {
                    "crmId": {"type": "string", "title": "CRM id"},
                    "loyalty": {"type": "object", "properties": {"tier": {"type": "string"}}},
                },
            ),
        )
    )
    schema = api.schema("Contacts", (PERSONAL, IDENTITY_MAP, group))
    properties = api.xed(path(schema), FULL_V1).json()["properties"]
    assert properties[f"_{TENANT}"] == {
        "type": "object",
        "properties": {
            "crmId": {"type": "string", "title": "CRM id"},
            "loyalty": {"type": "object", "properties": {"tier": {"type": "string"}}},
        },
    }
    notext = api.xed(path(schema), "application/vnd.adobe.xed-full-notext+json; version=1").json()
    assert notext["properties"][f"_{TENANT}"]["properties"]["crmId"] == {"type": "string"}
    assert properties["identityMap"] == {
        "type": "object",
        "meta:xdmType": "map",
        "additionalProperties": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "meta:xdmType": "string"},
                    "authenticatedState": {"type": "string", "meta:xdmType": "string"},
                    "primary": {"type": "boolean", "meta:xdmType": "boolean"},
                },
            },
        },
    }


def test_patch_adds_a_field_group_and_bumps_the_minor_version(api: Api, clock: Any) -> None:
    schema = api.schema("Contacts", (PERSON,))
    clock.advance(5)
    ops = [
        {"op": "add", "path": "/meta:extends/-", "value": PERSONAL},
        {"op": "add", "path": "/allOf/-", "value": {"$ref": PERSONAL}},
    ]
    patched = api.patch(path(schema), ops)
    assert patched.status_code == 200
    body = patched.json()
    assert body["version"] == "1.1"
    assert PERSONAL in body["meta:extends"] and body["allOf"][-1]["$ref"] == PERSONAL
    assert body["meta:registryMetadata"]["repo:lastModifiedDate"] == int(clock.now * 1000)
    assert body["meta:registryMetadata"]["repo:createdDate"] == int(START * 1000)
    again = api.patch(path(schema), [{"op": "replace", "path": "/title", "value": "People"}])
    assert (again.json()["version"], again.json()["title"]) == ("1.2", "People")
    assert api.xed(path(schema), XED_V1).json() == again.json()


def test_patch_refusals(api: Api) -> None:
    schema = api.schema("Contacts")
    other = api.schema("Other")
    bad_path = api.patch(path(schema), [{"op": "replace", "path": "/nothing", "value": 1}])
    assert xdm_error(bad_path)[1:] == (
        "XDM-1011-400",
        "Bad Request",
        'Missing field "nothing" (/nothing)',
    )
    taken = api.patch(path(other), [{"op": "replace", "path": "/title", "value": "Contacts"}])
    assert xdm_error(taken)[1] == "XDM-1521-400"


def test_put_replaces_the_schema(api: Api) -> None:
    schema = api.schema("Contacts", (PERSON,))
    replaced = api.put(path(schema), schema_body("Contacts v2", (PERSONAL,)))
    assert replaced.status_code == 200
    body = replaced.json()
    assert (body["$id"], body["version"], body["title"]) == (schema, "1.1", "Contacts v2")
    assert body["refs"] == [PERSONAL, PROFILE]


def test_a_schema_in_use_changes_only_additively_and_cannot_be_deleted(api: Api) -> None:
    schema = api.schema("Contacts", (PERSON, PERSONAL))
    dataset = api.dataset(schema)
    shrink = api.put(path(schema), schema_body("Contacts", (PERSON,)))
    assert xdm_error(shrink) == (
        400,
        "XDM-1531-400",
        "Breaking change",
        f"The schema is used by dataset(s) {dataset}: only additive changes are allowed "
        f"(removed or changed: {PERSONAL}).",
    )
    grow = api.patch(
        path(schema), [{"op": "add", "path": "/allOf/-", "value": {"$ref": IDENTITY_MAP}}]
    )
    assert grow.status_code == 200
    refused = api.delete(path(schema))
    assert xdm_error(refused) == (
        400,
        "XDM-1530-400",
        "Resource in use",
        f"The schema {schema} is used by dataset(s) {dataset} and cannot be deleted.",
    )
    api.delete(f"/data/foundation/catalog/dataSets/{dataset}")
    assert api.delete(path(schema)).status_code == 204
    assert xdm_error(api.xed(path(schema), XED_V1))[:2] == (404, "XDM-1010-404")


def test_union_tag_needs_an_identity_and_cannot_be_removed(api: Api) -> None:
    schema = api.schema("Contacts")
    union = [{"op": "add", "path": "/meta:immutableTags", "value": ["union"]}]
    assert xdm_error(api.patch(path(schema), union)) == (
        400,
        "XDM-1528-400",
        "Union descriptor validation error",
        "To participate in a union, a schema must include an identityMap fieldgroup or a "
        "primary identity descriptor.",
    )
    with_map = api.schema("Mapped", (PERSONAL, IDENTITY_MAP))
    tagged = api.patch(path(with_map), union)
    assert tagged.json()["meta:immutableTags"] == ["union"]
    removed = api.patch(path(with_map), [{"op": "remove", "path": "/meta:immutableTags"}])
    assert xdm_error(removed)[1:] == (
        "XDM-1531-400",
        "Bad Request",
        "meta:immutableTags cannot be removed",
    )


def test_list_results_paging_and_filters(api: Api) -> None:
    ids = {title: api.schema(title) for title in ("Bravo", "Alpha", "Charlie")}
    listed = api.xed(f"{SCHEMA}/tenant/schemas/", XED_ID).json()  # trailing slash, as aepp
    assert [r["title"] for r in listed["results"]] == ["Bravo", "Alpha", "Charlie"]
    assert set(listed["results"][0]) == {"$id", "meta:altId", "version", "title"}
    assert listed["_page"] == {"orderby": "", "next": None, "count": 3}
    assert listed["_links"] == {
        "next": None,
        "global_schemas": {
            "href": "https://platform.adobe.io/data/foundation/schemaregistry/global/schemas"
        },
    }
    page = api.get(
        f"{SCHEMA}/tenant/schemas",
        params={"orderby": "title", "limit": "2"},
        headers={"Accept": XED_ID},
    ).json()
    assert [r["title"] for r in page["results"]] == ["Alpha", "Bravo"]
    assert page["_page"] == {"orderby": "title", "next": "Bravo", "count": 2}
    assert page["_links"]["next"] == {
        "href": "/data/foundation/schemaregistry/tenant/schemas?orderby=title&start=Bravo"
    }
    rest = api.get(
        f"{SCHEMA}/tenant/schemas",
        params={"orderby": "title", "limit": "2", "start": "Bravo"},
        headers={"Accept": XED_ID},
    ).json()
    assert [r["title"] for r in rest["results"]] == ["Charlie"] and rest["_page"]["next"] is None
    by_title = api.get(
        f"{SCHEMA}/tenant/schemas", params={"property": "title==Alpha"}, headers={"Accept": XED_ID}
    )
    assert [r["$id"] for r in by_title.json()["results"]] == [ids["Alpha"]]
    regex = api.get(
        f"{SCHEMA}/tenant/schemas", params={"property": "title~^[AB]"}, headers={"Accept": XED_ID}
    )
    assert [r["title"] for r in regex.json()["results"]] == ["Bravo", "Alpha"]
    full = api.get(
        f"{SCHEMA}/tenant/schemas",
        params={"property": "meta:extends==" + PERSON},
        headers={"Accept": XED},
    )
    assert len(full.json()["results"]) == 3 and "allOf" in full.json()["results"][0]
    start_alone = api.get(
        f"{SCHEMA}/tenant/schemas", params={"start": "A"}, headers={"Accept": XED_ID}
    )
    assert xdm_error(start_alone)[1:] == (
        "XDM-1012-400",
        "Bad Request",
        "limit and start are only valid together with orderby",
    )


# -- field groups -------------------------------------------------------------------------------


def test_field_group_create_get_put_delete(api: Api) -> None:
    created = api.post(f"{SCHEMA}/tenant/fieldgroups", group_body("CRM fields"))
    assert created.status_code == 201
    group = created.json()
    hex_id = group["$id"].rsplit("/", 1)[-1]
    assert re.fullmatch(rf"https://ns\.adobe\.com/{TENANT}/mixins/[0-9a-f]{{32}}", group["$id"])
    assert group["meta:altId"] == f"_{TENANT}.mixins.{hex_id}"
    assert (group["meta:resourceType"], group["version"]) == ("mixins", "1.0")
    assert group["meta:intendedToExtend"] == [PROFILE]
    assert api.xed(path(group["$id"], "fieldgroups"), XED_V1).json() == group
    assert api.xed(path(group["$id"], "mixins"), XED_V1).json() == group  # legacy path
    put = api.put(
        path(group["$id"], "fieldgroups"),
        group_body("CRM fields", {"crmId": {"type": "string"}, "tier": {"type": "string"}}),
    )
    assert put.json()["version"] == "1.1"
    listed = api.xed(f"{SCHEMA}/tenant/fieldgroups", XED_ID).json()
    assert [r["title"] for r in listed["results"]] == ["CRM fields"]
    assert "global_mixins" in listed["_links"]
    assert api.delete(path(group["$id"], "fieldgroups")).status_code == 204


def test_custom_fields_must_live_under_the_tenant(api: Api) -> None:
    body = group_body("Loose")
    body["definitions"]["customFields"]["properties"] = {"crmId": {"type": "string"}}
    assert xdm_error(api.post(f"{SCHEMA}/tenant/fieldgroups", body)) == (
        400,
        "XDM-1020-400",
        "Bad Request",
        f"Custom fields must be nested under the tenant namespace _{TENANT}; found 'crmId' in "
        "definition customFields.",
    )
    bad_name = api.post(
        f"{SCHEMA}/tenant/fieldgroups", group_body("Named", {"_hidden": {"type": "string"}})
    )
    assert xdm_error(bad_name)[1:] == (
        "XDM-1022-400",
        "Bad Request",
        f"Invalid field name _{TENANT}._hidden: use letters, digits, '-' and '_', and do not start with '_'.",
    )


def test_a_field_group_in_use_cannot_be_deleted_or_shrunk(api: Api) -> None:
    group = api.created(api.post(f"{SCHEMA}/tenant/fieldgroups", group_body("CRM fields")))
    schema = api.schema("Contacts", (PERSONAL, group))
    assert xdm_error(api.delete(path(group, "fieldgroups"))) == (
        400,
        "XDM-1530-400",
        "Resource in use",
        f"The field group {group} is used by schema(s) {schema} and cannot be deleted.",
    )
    api.dataset(schema)
    shrink = api.put(
        path(group, "fieldgroups"), group_body("CRM fields", {"other": {"type": "string"}})
    )
    assert xdm_error(shrink)[1:3] == ("XDM-1531-400", "Breaking change")


def test_a_field_group_must_suit_the_schema_class(api: Api) -> None:
    group = api.created(api.post(f"{SCHEMA}/tenant/fieldgroups", group_body("CRM fields")))
    body = {"title": "Events", "allOf": [{"$ref": EXPERIENCE_EVENT}, {"$ref": group}]}
    assert xdm_error(api.post(f"{SCHEMA}/tenant/schemas", body))[1] == "XDM-1004-400"


# -- global container and stats -----------------------------------------------------------------


def test_global_classes_and_field_groups(api: Api) -> None:
    classes = api.xed(f"{SCHEMA}/global/classes", XED_ID).json()["results"]
    assert {PROFILE, EXPERIENCE_EVENT} <= {c["$id"] for c in classes}
    profile = api.xed(f"{SCHEMA}/global/classes/{quote(PROFILE, safe='')}", FULL_V1).json()
    assert profile["meta:altId"] == "_xdm.context.profile"
    assert profile["title"] == "XDM Individual Profile"
    assert "_repo" in profile["properties"]
    group = api.xed(
        f"{SCHEMA}/global/fieldgroups/_xdm.context.profile-personal-details", XED_V1
    ).json()
    assert (group["$id"], group["title"]) == (PERSONAL, "Personal Contact Details")


def test_stats_give_the_tenant_and_counts(api: Api) -> None:
    api.schema("Contacts")
    api.post(f"{SCHEMA}/tenant/fieldgroups", group_body("CRM fields"))
    stats = api.get(f"{SCHEMA}/stats").json()
    assert stats["imsOrg"] == "AEPFLOW0EMULATOR000000000@AdobeOrg"
    assert stats["tenantId"] == TENANT
    assert stats["counts"] == {
        "schemas": 1,
        "mixins": 1,
        "datatypes": 0,
        "classes": 0,
        "unions": 0,
        "descriptors": 0,
    }
    assert [r["title"] for r in stats["recentlyCreatedResources"]] == ["Contacts", "CRM fields"]
    assert list(stats["classUsage"]) == [PROFILE]

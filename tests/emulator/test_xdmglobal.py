"""The global container serves every class, field group, data type and behavior of the XDM
catalog (help/xdm/api/classes.md, field-groups.md, data-types.md, behaviors.md), and a schema
composes from any of them."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from aepflow.catalog.xdm import catalog
from tests.emulator.conftest import PROFILE, SCHEMA, Api, xdm_error

XED_ID = "application/vnd.adobe.xed-id+json"
XED = "application/vnd.adobe.xed+json"
XED_V1 = "application/vnd.adobe.xed+json; version=1"
FULL_V1 = "application/vnd.adobe.xed-full+json; version=1"
KINDS = {
    "classes": "class",
    "fieldgroups": "fieldgroup",
    "datatypes": "datatype",
    "behaviors": "behavior",
}
STABLE_GROUPS = sorted(
    r.id
    for r in map(catalog().get, catalog().ids("fieldgroup"))
    if r is not None and r.status == "stable"
)


@pytest.mark.parametrize("segment", sorted(KINDS))
def test_each_global_list_holds_every_resource_of_the_catalog(api: Api, segment: str) -> None:
    listed = api.xed(f"{SCHEMA}/global/{segment}", XED_ID)
    assert listed.status_code == 200
    results = listed.json()["results"]
    assert sorted(r["$id"] for r in results) == sorted(catalog().ids(KINDS[segment]))
    assert set(results[0]) == {"$id", "meta:altId", "version", "title"}
    full = api.xed(f"{SCHEMA}/global/{segment}", XED).json()["results"]
    assert {r["meta:status"] for r in full} <= {"stable", "experimental", "deprecated"}


def test_a_lookup_needs_a_version_and_answers_raw_or_resolved(api: Api) -> None:
    ref = "https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details"
    url = f"{SCHEMA}/global/fieldgroups/{quote(ref, safe='')}"
    assert xdm_error(api.xed(url, XED))[:2] == (400, "XDM-1008-400")
    raw = api.xed(url, XED_V1).json()
    assert (raw["$id"], raw["title"], raw["meta:resourceType"]) == (
        ref,
        "Loyalty Details",
        "mixins",
    )
    assert raw["meta:intendedToExtend"] == [PROFILE]
    assert "properties" not in raw
    full = api.xed(url, FULL_V1).json()
    loyalty = full["properties"]["loyalty"]["properties"]
    assert loyalty["points"] == {"type": "number", "meta:xdmType": "number"}
    assert loyalty["joinDate"]["meta:xdmType"] == "date-time"
    assert loyalty["loyaltyID"] == {
        "type": "array",
        "items": {"type": "string"},
        "meta:xdmType": "array",
    }
    by_alt = api.xed(
        f"{SCHEMA}/global/fieldgroups/_xdm.mixins.profile.profile-loyalty-details", XED_V1
    )
    assert by_alt.json()["$id"] == ref
    dtype = api.xed(
        f"{SCHEMA}/global/datatypes/{quote('https://ns.adobe.com/xdm/context/person-name', safe='')}",
        FULL_V1,
    ).json()
    assert dtype["meta:resourceType"] == "datatypes"
    assert dtype["properties"]["firstName"]["type"] == "string"


def test_a_schema_composes_from_every_stable_standard_field_group(api: Api) -> None:
    composed = 0
    for group in STABLE_GROUPS:
        intended = catalog().get(group).intended_to_extend  # type: ignore[union-attr]
        klass = next((c for c in intended if c in catalog()), PROFILE)
        body = {
            "title": f"With {group}",
            "type": "object",
            "allOf": [{"$ref": klass}, {"$ref": group}],
        }
        created = api.post(f"{SCHEMA}/tenant/schemas", body)
        assert created.status_code == 201, created.text
        schema = created.json()
        assert (schema["meta:class"], group in schema["meta:extends"]) == (klass, True)
        full = api.xed(f"{SCHEMA}/tenant/schemas/{quote(schema['$id'], safe='')}", FULL_V1)
        first = catalog().get(group).fields[0].path  # type: ignore[union-attr]
        assert first.split(".")[0].removesuffix("[]") in full.json()["properties"], group
        composed += 1
    assert composed == 162


def test_a_field_group_of_another_class_is_refused(api: Api) -> None:
    body = {
        "title": "Mismatch",
        "type": "object",
        "allOf": [
            {"$ref": "https://ns.adobe.com/xdm/context/experienceevent"},
            {"$ref": "https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details"},
        ],
    }
    assert xdm_error(api.post(f"{SCHEMA}/tenant/schemas", body))[:2] == (400, "XDM-1004-400")

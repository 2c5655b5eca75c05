"""A standard field group the shipped catalog lacks is read once from the Schema Registry
(help/xdm/api/field-groups.md, "Look up a field group") and used like a shipped one."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from aepflow import xdmfetch
from aepflow.catalog.xdm import Field
from aepflow.errors import SourceLocation
from aepflow.manifest import xdm
from aepflow.model import ProjectModel, SchemaDef
from aepflow.platform import Credentials, PlatformClient

BASE = "https://platform.adobe.io"
IMS = "https://ims-na1.adobelogin.com"
NEW = "https://ns.adobe.com/xdm/mixins/profile/profile-brand-new"
GONE = "https://ns.adobe.com/xdm/mixins/profile/profile-never-was"
PROFILE = "https://ns.adobe.com/xdm/context/profile"
ENCODED = "https%3A%2F%2Fns.adobe.com%2Fxdm%2Fmixins%2Fprofile%2Fprofile-brand-new"
RESOLVED = {
    "$id": NEW,
    "meta:altId": "_xdm.mixins.profile.profile-brand-new",
    "meta:resourceType": "mixins",
    "version": "1.0",
    "title": "Brand New Details",
    "type": "object",
    "meta:intendedToExtend": [PROFILE],
    "properties": {
        "brandNew": {
            "type": "object",
            "meta:xdmType": "object",
            "properties": {
                "level": {"type": "integer", "meta:xdmType": "short", "meta:status": "deprecated"},
                "since": {"type": "string", "format": "date-time", "meta:xdmType": "date-time"},
                "tags": {"type": "array", "items": {"type": "string"}, "meta:xdmType": "array"},
                "visits": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"site": {"type": "string", "format": "uri"}},
                    },
                },
                "scores": {
                    "type": "object",
                    "meta:xdmType": "map",
                    "additionalProperties": {"type": "number"},
                },
            },
        }
    },
}


@pytest.fixture(autouse=True)
def _fresh_run() -> Iterator[None]:
    xdmfetch.forget()
    yield
    xdmfetch.forget()


@pytest.fixture
def client() -> PlatformClient:
    return PlatformClient(
        credentials=Credentials("my-client", "secret", "ORG@AdobeOrg", "openid,AdobeID"),
        sandbox="dev",
        platform_url=BASE,
        ims_url=IMS,
    )


def model(*groups: str) -> ProjectModel:
    m = ProjectModel()
    m.schemas["s"] = SchemaDef(
        "s", SourceLocation("m.yaml", 1, 1), class_id=PROFILE, field_group_ids=groups
    )
    return m


@respx.mock(assert_all_mocked=True, assert_all_called=True)
def test_a_missing_group_is_read_once_with_the_documented_request(
    respx_mock: respx.MockRouter, client: PlatformClient
) -> None:
    respx_mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 86399})
    )
    lookup = respx_mock.get(
        f"{BASE}/data/foundation/schemaregistry/global/fieldgroups/{ENCODED}"
    ).mock(return_value=httpx.Response(200, json=RESOLVED))
    gone = respx_mock.get(url__regex=r".*/global/fieldgroups/.*profile-never-was$").mock(
        return_value=httpx.Response(404, json={"title": "Not Found", "status": 404})
    )
    known = "https://ns.adobe.com/xdm/context/profile-person-details"
    m = model(known, NEW, GONE)
    assert xdmfetch.missing(m) == [(NEW, "fieldgroup"), (GONE, "fieldgroup")]
    assert xdmfetch.learn_missing(client, m, "dev") is True
    request = lookup.calls[0].request
    assert request.method == "GET"
    assert request.url.raw_path.decode() == (
        f"/data/foundation/schemaregistry/global/fieldgroups/{ENCODED}"
    )
    assert request.headers["accept"] == "application/vnd.adobe.xed-full+json; version=1"
    assert request.headers["x-sandbox-name"] == "dev"
    learned = xdm.lookup(NEW)
    assert learned is not None
    assert (learned.kind, learned.title, learned.status, learned.intended_to_extend) == (
        "fieldgroup",
        "Brand New Details",
        "stable",
        (PROFILE,),
    )
    assert learned.fields == (
        Field("brandNew.level", "short", None, deprecated=True),
        Field("brandNew.since", "date-time"),
        Field("brandNew.tags[]", "string"),
        Field("brandNew.visits[].site", "string", "uri"),
        Field("brandNew.scores", "map"),
    )
    assert (xdm.absent_from(GONE), xdm.absent_from(NEW)) == ("dev", None)
    # once per run: neither the learned group nor the 404 is asked for again
    assert xdmfetch.missing(m) == []
    assert xdmfetch.learn_missing(client, m, "dev") is False
    assert (lookup.call_count, gone.call_count) == (1, 1)
    fields = xdm.schema_fields(PROFILE, [known, NEW], {})
    assert fields is not None and xdm.exists("brandNew.visits[0].site", fields)


def test_tenant_ids_and_shipped_groups_are_not_read() -> None:
    m = model(
        "https://ns.adobe.com/xdm/context/profile-person-details",
        "https://ns.adobe.com/acme/mixins/0123abcd",
    )
    assert xdmfetch.missing(m) == []
    assert xdmfetch.lookup(NEW, "class").path == (
        f"/data/foundation/schemaregistry/global/classes/{ENCODED}"
    )

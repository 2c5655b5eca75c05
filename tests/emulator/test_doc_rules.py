"""Rules taken from Adobe's docs (the doc path is on each test): field types, Profile enablement
of schemas and datasets, Catalog PATCH forms and system tags, the immutable auth type of a base
connection, delete-finalizing flows, scheduleParams as strings, paged v2 descriptor lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aepflow.emulator import Emulator, SettingsError
from aepflow.emulator.settings import delete_finalize_from_env
from tests.emulator.conftest import (
    CATALOG,
    FLOW,
    IDENTITY_MAP,
    PERSONAL,
    SCHEMA,
    START,
    TENANT,
    XED_FULL,
    Api,
    Clock,
    World,
    flow_body,
    flow_error,
    schema_body,
    xdm_error,
)
from tests.emulator.test_catalog import PROFILE_FIRST, bad, system_tags
from tests.emulator.test_descriptors import DESCRIPTORS, descriptor
from tests.emulator.test_schemaregistry import group_body, path

DATASETS = f"{CATALOG}/dataSets"
UNION = [{"op": "add", "path": "/meta:immutableTags", "value": ["union"]}]
JSON_PATCH = {"Content-Type": "application/json-patch+json"}


# -- field types (help/xdm/tutorials/custom-fields-api.md) ----------------------------------


def _type_error(field: str, kind: str, hint: str = "") -> tuple[int, str, str, str]:
    return (
        400,
        "XDM-1010-400",
        "Bad Request",
        f'Invalid type "{kind}" for field {field}: the type must be one of string, integer, '
        f"number, boolean, object, array{hint}.",
    )


def _date_hint(kind: str) -> str:
    return f' (a {kind} field is "type": "string" with "format": "{kind}")'


NS = f"_{TENANT}"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"birthDate": {"type": "date"}},
            _type_error(f"{NS}.birthDate", "date", _date_hint("date")),
        ),
        (
            {"lastSeen": {"type": "date-time"}},
            _type_error(f"{NS}.lastSeen", "date-time", _date_hint("date-time")),
        ),
        (
            {"loyalty": {"type": "object", "properties": {"joined": {"type": "date-time"}}}},
            _type_error(f"{NS}.loyalty.joined", "date-time", _date_hint("date-time")),
        ),
        (
            {"visits": {"type": "array", "items": {"type": "date"}}},
            _type_error(f"{NS}.visits[]", "date", _date_hint("date")),
        ),
        (
            {
                "visits": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"count": {"type": "long"}}},
                }
            },
            _type_error(f"{NS}.visits[].count", "long"),
        ),
    ],
)
def test_a_field_type_must_be_a_json_schema_type(
    api: Api, fields: dict[str, Any], error: tuple[int, str, str, str]
) -> None:
    groups = f"{SCHEMA}/tenant/fieldgroups"
    assert xdm_error(api.post(groups, group_body("Bad", fields))) == error
    good = api.created(api.post(groups, group_body("Good")))
    assert xdm_error(api.put(path(good, "fieldgroups"), group_body("Good", fields))) == error
    ops = [
        {
            "op": "add",
            "path": f"/definitions/customFields/properties/{NS}/properties",
            "value": fields,
        }
    ]
    assert xdm_error(api.patch(path(good, "fieldgroups"), ops)) == error


def _schema_with_fields(title: str, fields: dict[str, Any]) -> dict[str, Any]:
    body = schema_body(title)
    body["definitions"] = {
        "own": {"properties": {NS: {"type": "object", "properties": fields}}},
    }
    body["allOf"].append({"$ref": "#/definitions/own"})
    return body


def test_a_schema_field_type_is_checked_on_create_put_and_patch(api: Api) -> None:
    fields = {"lastSeen": {"type": "date-time"}}
    error = _type_error(f"{NS}.lastSeen", "date-time", _date_hint("date-time"))
    schemas = f"{SCHEMA}/tenant/schemas"
    assert xdm_error(api.post(schemas, _schema_with_fields("Bad", fields))) == error
    good = api.created(api.post(schemas, _schema_with_fields("Good", {"x": {"type": "string"}})))
    assert xdm_error(api.put(path(good), _schema_with_fields("Good", fields))) == error
    ops = [
        {
            "op": "add",
            "path": f"/definitions/own/properties/{NS}/properties/y",
            "value": {"type": "date"},
        }
    ]
    assert xdm_error(api.patch(path(good), ops)) == _type_error(
        f"{NS}.y", "date", _date_hint("date")
    )


def test_date_and_date_time_are_strings_with_a_format(api: Api) -> None:
    fields = {
        "birthDate": {"type": "string", "format": "date", "examples": ["2004-10-23"]},
        "lastSeen": {"type": "string", "format": "date-time"},
        "tiers": {"type": "array", "items": {"type": "string"}},
        "points": {"type": "integer", "minimum": -32768, "maximum": 32768},
        "scores": {
            "type": "object",
            "meta:xdmType": "map",
            "additionalProperties": {"type": "integer"},
        },
    }
    response = api.post(f"{SCHEMA}/tenant/fieldgroups", group_body("Dates", fields))
    assert response.status_code == 201, response.text
    props = response.json()["definitions"]["customFields"]["properties"][NS]["properties"]
    assert props["lastSeen"] == {"type": "string", "format": "date-time"}


# -- Profile enablement of a schema (help/xdm/api/schemas.md, troubleshooting-guide.md) -----

UNION_ERROR = (
    400,
    "XDM-1528-400",
    "Union descriptor validation error",
    "To participate in a union, a schema must include an identityMap fieldgroup or a primary "
    "identity descriptor.",
)


def test_a_new_schema_with_the_union_tag_needs_the_identity_map(api: Api) -> None:
    schemas = f"{SCHEMA}/tenant/schemas"
    plain = {**schema_body("Tagged"), "meta:immutableTags": ["union"]}
    assert xdm_error(api.post(schemas, plain)) == UNION_ERROR
    mapped = {**schema_body("Mapped", (PERSONAL, IDENTITY_MAP)), "meta:immutableTags": ["union"]}
    created = api.post(schemas, mapped)
    assert created.status_code == 201
    assert created.json()["meta:immutableTags"] == ["union"]


def test_the_union_patch_needs_a_primary_identity_descriptor(api: Api) -> None:
    schema = api.schema()
    secondary = descriptor(schema, **{"xdm:isPrimary": False})
    assert api.post(DESCRIPTORS, secondary).status_code == 201
    assert xdm_error(api.patch(path(schema), UNION)) == UNION_ERROR
    assert api.post(DESCRIPTORS, descriptor(schema, "/mobilePhone/number")).status_code == 201
    tagged = api.patch(path(schema), UNION)  # plain application/json, as the docs send it
    assert tagged.status_code == 200
    assert tagged.json()["meta:immutableTags"] == ["union"]


# -- Catalog (help/catalog/datasets/enable-for-profile.md, help/catalog/api/update-object.md) -


def test_create_adds_the_system_tags(api: Api) -> None:
    schema = api.schema()
    dataset = api.dataset(schema, "Loyalty Members-2026", tags={"team": ["crm"]})
    tags = api.get(f"{DATASETS}/{dataset}").json()[dataset]["tags"]
    assert tags == {**system_tags("loyalty_members_2026"), "team": ["crm"]}


def _union_schema(api: Api) -> str:
    schema = api.schema("Profiled", (PERSONAL, IDENTITY_MAP))
    assert api.patch(path(schema), UNION).status_code == 200
    return schema


def test_a_profile_dataset_needs_a_profile_schema_on_create(api: Api) -> None:
    plain = api.schema()
    tags = {"unifiedProfile": ["enabled:true"], "unifiedIdentity": ["enabled:true"]}
    body = {"name": "p", "schemaRef": {"id": plain, "contentType": XED_FULL}, "tags": tags}
    refused = api.post(DATASETS, body)
    assert (refused.status_code, refused.json()) == (
        400,
        bad(PROFILE_FIRST.replace("{schema}", plain)),
    )
    profiled = _union_schema(api)
    body["schemaRef"]["id"] = profiled
    assert api.post(DATASETS, body).status_code == 201


def _json_patch(api: Api, dataset: str, ops: Any) -> httpx.Response:
    return api.request("PATCH", f"{DATASETS}/{dataset}", json=ops, headers=JSON_PATCH)


def test_enabling_a_dataset_for_profile_with_json_patch(api: Api) -> None:
    ops = [
        {"op": "add", "path": "/tags/unifiedProfile", "value": ["enabled:true"]},
        {"op": "add", "path": "/tags/unifiedIdentity", "value": ["enabled:true"]},
    ]
    plain = api.schema()
    refused_on = api.dataset(plain, "plain")
    refused = _json_patch(api, refused_on, ops)
    assert (refused.status_code, refused.json()) == (
        400,
        bad(PROFILE_FIRST.replace("{schema}", plain)),
    )
    dataset = api.dataset(_union_schema(api), "profiled", tags={"team": ["crm"]})
    done = _json_patch(api, dataset, ops)
    assert (done.status_code, done.json()) == (200, [f"@/dataSets/{dataset}"])
    assert api.get(f"{DATASETS}/{dataset}").json()[dataset]["tags"] == {
        **system_tags("profiled"),
        "team": ["crm"],
        "unifiedProfile": ["enabled:true"],
        "unifiedIdentity": ["enabled:true"],
    }


def test_a_field_patch_replaces_the_whole_tags_object(api: Api) -> None:
    dataset = api.dataset(_union_schema(api), "profiled", tags={"team": ["crm"]})
    response = api.patch(f"{DATASETS}/{dataset}", {"tags": {"unifiedProfile": ["enabled:true"]}})
    assert (response.status_code, response.json()) == (200, [f"@/dataSets/{dataset}"])
    got = api.get(f"{DATASETS}/{dataset}").json()[dataset]
    assert got["tags"] == {"unifiedProfile": ["enabled:true"]}
    assert got["name"] == "profiled"


def test_the_patch_body_must_match_its_content_type(api: Api) -> None:
    dataset = api.dataset(api.schema())
    ops = [{"op": "add", "path": "/tags/team", "value": ["crm"]}]
    as_json = api.patch(f"{DATASETS}/{dataset}", ops)
    assert (as_json.status_code, as_json.json()) == (
        400,
        bad(
            "A JSON Patch array needs Content-Type application/json-patch+json; with "
            "application/json the body is an object of the fields to update"
        ),
    )
    as_patch = _json_patch(api, dataset, {"name": "renamed"})
    assert (as_patch.status_code, as_patch.json()) == (
        400,
        bad("With Content-Type application/json-patch+json the body must be a JSON Patch array"),
    )


def test_request_data_source_and_unknown_query_parameters(api: Api) -> None:
    schema = api.schema()
    body = {"name": "LoyaltyMembersDataset", "schemaRef": {"id": schema, "contentType": XED_FULL}}
    with_source = api.post(DATASETS, body, params={"requestDataSource": "true"})
    assert with_source.status_code == 201
    other = api.post(DATASETS, {**body, "name": "other"}, params={"whatever": "1"})
    assert other.status_code == 201
    dataset = api.created(other)
    assert "dataSourceId" not in api.get(f"{DATASETS}/{dataset}").json()[dataset]


# -- base connection auth type (help/sources/tutorials/api/create/crm/ms-dynamics.md) -------

OAUTH = {
    "specName": "OAuth2 Client Credential",
    "params": {
        "environmentUrl": "https://acme.my.salesforce.com",
        "clientId": "client",
        "clientSecret": "secret",
        "apiVersion": "60.0",
    },
}
AUTH_FIXED = (
    "An error has occurred while validating patch instructions: auth.specName cannot be changed "
    "from 'Basic Authentication' to '{after}': the authentication type of a base connection is "
    "fixed once it is created; create a new base connection to use another authentication type."
)


@pytest.mark.parametrize(
    ("ops", "after"),
    [
        (
            [{"op": "replace", "path": "/auth/specName", "value": OAUTH["specName"]}],
            OAUTH["specName"],
        ),
        ([{"op": "replace", "path": "/auth", "value": OAUTH}], OAUTH["specName"]),
        ([{"op": "remove", "path": "/auth/specName"}], "None"),
        ([{"op": "remove", "path": "/auth"}], "None"),
    ],
)
def test_the_auth_type_of_a_base_connection_cannot_change(
    api: Api, ops: list[dict[str, Any]], after: str
) -> None:
    conn = api.connection()
    response = api.patch(
        f"{FLOW}/connections/{conn}", ops, headers={"If-Match": api.etag("connections", conn)}
    )
    assert flow_error(response) == (400, "FLOW-1455-400", AUTH_FIXED.replace("{after}", after))


def test_the_auth_params_can_still_change(api: Api) -> None:
    conn = api.connection()
    ops = [{"op": "replace", "path": "/auth/params/password", "value": "n3w-Passw0rd"}]
    response = api.patch(
        f"{FLOW}/connections/{conn}", ops, headers={"If-Match": api.etag("connections", conn)}
    )
    assert response.status_code == 200


# -- delete-finalizing flows (help/sources/errors/flow-service-errors.md) -------------------


def test_the_delete_finalize_knob(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    name = "AEPFLOW_EMULATOR_DELETE_FINALIZE_MS"
    assert delete_finalize_from_env({}) == 0.0
    assert delete_finalize_from_env({name: " 1500 "}) == 1500.0
    with pytest.raises(SettingsError, match=f"{name} must be a number of milliseconds, not 'soon'"):
        delete_finalize_from_env({name: "soon"})
    with pytest.raises(SettingsError, match=rf"{name} cannot be negative \(-1\)"):
        delete_finalize_from_env({name: "-1"})
    monkeypatch.setenv(name, "250")
    assert Emulator(tmp_path / "a").delete_finalize_ms == 250.0
    monkeypatch.setenv(name, "nan")
    with pytest.raises(SettingsError):
        Emulator(tmp_path / "b")


def _world(api: Api) -> World:
    connection = api.connection()
    source = api.source(connection)
    schema = api.schema()
    dataset = api.dataset(schema)
    target = api.target(schema, dataset)
    mapping = api.mapping(schema)
    flow = api.flow(source, target, mapping)
    return World(connection, source, schema, dataset, target, mapping, flow)


@pytest.fixture
def slow_api(state_dir: Path, clock: Clock) -> Iterator[Api]:
    client = Api(Emulator(state_dir, clock=clock, delete_finalize_ms=60_000))
    yield client
    client.http.close()


def _stored_flows(state_dir: Path) -> set[str]:
    from tests.emulator.test_state import _state

    sandbox: Any = _state(state_dir)["sandboxes"]
    return set(sandbox["prod"].get("flows", {}))


def test_a_flow_whose_finalizing_is_over_is_forgotten_by_the_next_create(
    slow_api: Api, clock: Clock, state_dir: Path
) -> None:
    world = _world(slow_api)
    slow_api.delete(f"{FLOW}/flows/{world.flow}")
    clock.advance(61)
    assert slow_api.get(f"{FLOW}/flows/{world.flow}").status_code == 404  # gone to every read
    assert world.flow in _stored_flows(state_dir)  # not forgotten yet
    slow_api.connection("next")
    assert world.flow not in _stored_flows(state_dir)


def test_an_emulator_that_deletes_at_once_leaves_another_runs_finalizing_flows_unread(
    slow_api: Api, clock: Clock, state_dir: Path
) -> None:
    """Housekeeping is left to a run with a delete-finalizing time: one that deletes at once
    does not scan every flow on every create; the flow stays gone to every read."""
    world = _world(slow_api)
    slow_api.delete(f"{FLOW}/flows/{world.flow}")
    clock.advance(61)
    prompt = Api(Emulator(state_dir, clock=clock))
    try:
        prompt.connection("next")
        assert world.flow in _stored_flows(state_dir)
        assert prompt.get(f"{FLOW}/flows/{world.flow}").status_code == 404
        assert prompt.get(f"{FLOW}/flows").json()["items"] == []
    finally:
        prompt.http.close()


def test_a_deleted_flow_is_delete_finalizing_for_a_while(slow_api: Api, clock: Clock) -> None:
    api = slow_api
    world = _world(api)
    flow_path = f"{FLOW}/flows/{world.flow}"
    etag = api.etag("flows", world.flow)
    deleted = api.delete(flow_path)
    assert (deleted.status_code, deleted.content) == (204, b"")

    (flow,) = api.get(flow_path).json()["items"]
    assert flow["state"] == "delete-finalizing"
    assert flow["lastOperation"]["operation"] == "delete"
    listed = api.get(f"{FLOW}/flows").json()["items"]
    assert [(f["id"], f["state"]) for f in listed] == [(world.flow, "delete-finalizing")]

    ops = [{"op": "replace", "path": "/name", "value": "renamed"}]
    patched = api.patch(flow_path, ops, headers={"If-Match": flow["etag"]})
    assert flow_error(patched) == (
        400,
        "FLOW-1457-400",
        "Operation update cannot be applied in state delete-finalizing.",
    )
    assert flow_error(api.patch(flow_path, ops, headers={"If-Match": etag}))[:2] == (
        400,
        "FLOW-1457-400",
    )
    assert flow_error(api.delete(flow_path)) == (
        400,
        "FLOW-1458-400",
        "Operation delete cannot be applied in state delete-finalizing.",
    )
    enable = api.post(f"{flow_path}/action", params={"op": "enable"})
    assert flow_error(enable) == (
        400,
        "FLOW-1457-400",
        "Operation enable cannot be applied in state delete-finalizing.",
    )
    assert flow_error(api.delete(f"{FLOW}/connections/{world.connection}")) == (
        400,
        "FLOW-1418-400",
        f"The base connection with the ID {world.connection} cannot be deleted because the base "
        "connection is being used in one or more flows. Please ensure that corresponding flows "
        "are deleted before deleting a base connection.",
    )
    for collection, conn in (
        ("sourceConnections", world.source),
        ("targetConnections", world.target),
    ):
        assert flow_error(api.delete(f"{FLOW}/{collection}/{conn}")) == (
            400,
            "FLOW-1447-400",
            f"Found active flows containing id {conn}.",
        )

    clock.advance(59.9)
    assert api.get(flow_path).json()["items"][0]["state"] == "delete-finalizing"
    clock.advance(0.1)
    gone = api.get(flow_path)
    assert flow_error(gone) == (
        404,
        "FLOW-1439-404",
        f"The requested flows resource {world.flow} is not found. Verify the resource ID before "
        "trying again.",
    )
    assert api.get(f"{FLOW}/flows").json() == {"items": [], "_links": {}}
    assert api.get(f"{FLOW}/runs", params={"property": f"flowId=={world.flow}"}).json() == {
        "items": [],
        "_links": {},
    }
    assert flow_error(api.delete(flow_path))[:2] == (404, "FLOW-1439-404")
    assert api.delete(f"{FLOW}/sourceConnections/{world.source}").status_code == 204
    assert api.delete(f"{FLOW}/targetConnections/{world.target}").status_code == 204
    assert api.delete(f"{FLOW}/connections/{world.connection}").status_code == 204


def test_without_the_knob_a_deleted_flow_is_gone_at_once(api: Api, world: World) -> None:
    assert api.delete(f"{FLOW}/flows/{world.flow}").status_code == 204
    assert flow_error(api.get(f"{FLOW}/flows/{world.flow}"))[:2] == (404, "FLOW-1439-404")
    assert api.delete(f"{FLOW}/connections/{world.connection}").status_code == 204


# -- scheduleParams as strings (help/sources/tutorials/api/update-dataflows.md) -------------


def test_schedule_params_are_shown_as_strings(api: Api, world: World) -> None:
    schedule = {
        "startTime": int(START) + 3600,
        "frequency": "minute",
        "interval": 15,
        "backfill": True,
    }
    body = flow_body(world.source, world.target, world.mapping, name="typed")
    body["scheduleParams"] = schedule
    flow = api.created(api.post(f"{FLOW}/flows", body))
    shown = {
        "startTime": str(int(START) + 3600),
        "frequency": "minute",
        "interval": "15",
        "backfill": "true",
    }
    assert api.get(f"{FLOW}/flows/{flow}").json()["items"][0]["scheduleParams"] == shown
    listed = api.get(f"{FLOW}/flows", params={"property": "name==typed"}).json()["items"]
    assert [f["scheduleParams"] for f in listed] == [shown]
    ops = [{"op": "replace", "path": "/scheduleParams/backfill", "value": False}]
    patched = api.patch(f"{FLOW}/flows/{flow}", ops, headers={"If-Match": api.etag("flows", flow)})
    assert patched.status_code == 200
    got = api.get(f"{FLOW}/flows/{flow}").json()["items"][0]["scheduleParams"]
    assert got == {**shown, "backfill": "false"}


# -- descriptors, v2 paging (help/xdm/api/descriptors.md) -----------------------------------


def test_v2_descriptor_lists_are_paged(api: Api) -> None:
    schema = api.schema()
    ids = [
        api.created(api.post(DESCRIPTORS, descriptor(schema, prop, **{"xdm:isPrimary": False})))
        for prop in ("/personalEmail/address", "/mobilePhone/number", "/homePhone/number")
    ]
    v2 = "application/vnd.adobe.xdm-v2+json"
    first = api.get(DESCRIPTORS, params={"limit": "2"}, headers={"Accept": v2}).json()
    assert [d["@id"] for d in first["results"]] == ids[:2]
    assert first["_page"] == {"orderby": "", "next": "2", "count": 2}
    assert first["_links"] == {"next": {"href": f"{SCHEMA}/tenant/descriptors?start=2&limit=2"}}
    second = api.get(
        DESCRIPTORS, params={"limit": "2", "start": "2"}, headers={"Accept": v2}
    ).json()
    assert [d["@id"] for d in second["results"]] == ids[2:]
    assert second["_page"] == {"orderby": "", "next": None, "count": 1}
    assert second["_links"] == {"next": None}
    only_ids = api.get(
        DESCRIPTORS, headers={"Accept": "application/vnd.adobe.xdm-v2-id+json"}
    ).json()
    assert only_ids == {
        "results": ids,
        "_page": {"orderby": "", "next": None, "count": 3},
        "_links": {"next": None},
    }
    links = api.get(
        DESCRIPTORS, headers={"Accept": "application/vnd.adobe.xdm-v2-link+json"}
    ).json()
    assert links["results"] == [f"/tenant/descriptors/{i}" for i in ids]
    grouped = api.get(DESCRIPTORS, headers={"Accept": "application/vnd.adobe.xdm-id+json"})
    assert grouped.json() == {"xdm:descriptorIdentity": ids}
    bad_start = api.get(DESCRIPTORS, params={"start": "x"}, headers={"Accept": v2})
    assert xdm_error(bad_start) == (
        400,
        "XDM-1012-400",
        "Bad Request",
        "start 'x' is not a token this list gave",
    )

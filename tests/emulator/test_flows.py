"""Flows: create and validate against CRMToAEP, get, list, PATCH, actions, delete (help/sources/tutorials/api/collect/crm.md)."""

from __future__ import annotations

from typing import Any

import pytest

from aepflow.emulator import specs
from tests.emulator.conftest import (
    CRM_TO_AEP,
    DATA_LAKE,
    FLOW,
    PREP,
    SALESFORCE,
    START,
    Api,
    Clock,
    World,
    flow_body,
    flow_error,
    mapping_body,
)

PROVIDER = "The request could not be processed. Error from flow provider: "


def test_a_created_flow_is_enabled_and_inherits_its_connections(api: Api, world: World) -> None:
    (flow,) = api.get(f"{FLOW}/flows/{world.flow}").json()["items"]
    assert flow["state"] == "enabled"
    assert flow["flowSpec"] == {"id": CRM_TO_AEP, "version": "1.0"}
    assert flow["etag"] == flow["version"]
    assert flow["runs"] == f"/flows/{world.flow}/runs"
    assert flow["inheritedAttributes"] == {
        "sourceConnections": [
            {
                "id": world.source,
                "connectionSpec": {"id": SALESFORCE, "version": "1.0"},
                "baseConnection": {
                    "id": world.connection,
                    "connectionSpec": {"id": SALESFORCE, "version": "1.0"},
                },
            }
        ],
        "targetConnections": [
            {"id": world.target, "connectionSpec": {"id": DATA_LAKE, "version": "1.0"}}
        ],
        "properties": {"isSourceFlow": True},
    }
    assert flow["scheduleParams"] == {
        "startTime": str(int(START) + 3600),
        "frequency": "hour",
        "interval": "1",
    }
    assert flow["lastOperation"] == {
        "started": int(START * 1000),
        "updated": int(START * 1000),
        "percentCompleted": 100.0,
        "status": {"value": "completed", "errors": []},
        "ops": [],
        "operation": "create",
    }
    assert "_emu" not in flow and "lastRunDetails" not in flow


def test_state_is_refused_on_create(api: Api, world: World) -> None:
    body = flow_body(world.source, world.target, world.mapping, state="enabled")
    assert flow_error(api.post(f"{FLOW}/flows", body)) == (
        400,
        "FLOW-1410-400",
        "`State` is not allowed in the create flow request.",
    )


def _with(world: World, change: Any) -> dict[str, Any]:
    body = flow_body(world.source, world.target, world.mapping)
    change(body)
    return body


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            lambda b: b.update(flowSpec={"id": "9753525b-82c7-4dce-8a9b-5ccfce2b9876"}),
            "FLOW-1413-400",
            "The spec ID provided is invalid. Please provide a valid spec ID and try again. "
            "Unknown flowSpec id 9753525b-82c7-4dce-8a9b-5ccfce2b9876.",
        ),
        (
            lambda b: b.update(sourceConnectionIds=["9a603322-19d2-4de9-89c6-c98bd54eb184"]),
            "FLOW-1411-400",
            "Unable to retrieve entityId. Invalid request received with path "
            "'sourceConnections/9a603322-19d2-4de9-89c6-c98bd54eb184'.",
        ),
        (
            lambda b: b.update(targetConnectionIds=[]),
            "FLOW-1100-400",
            PROVIDER + "targetConnectionIds is required: a list of target connection ids",
        ),
        (
            lambda b: b["transformations"][0]["params"].pop("deltaColumn"),
            "FLOW-1100-400",
            PROVIDER + "the Copy transformation does not match the transformationSpec of "
            "CRMToAEP: 'deltaColumn' is a required property",
        ),
        (
            lambda b: b["transformations"][0]["params"]["deltaColumn"].pop("name"),
            "FLOW-1100-400",
            PROVIDER + "the Copy transformation does not match the transformationSpec of "
            "CRMToAEP: deltaColumn: 'name' is a required property",
        ),
        (
            lambda b: b["transformations"].pop(0),
            "FLOW-1100-400",
            PROVIDER + "flowSpec CRMToAEP needs a Copy transformation with params.deltaColumn.name",
        ),
        (
            lambda b: b["transformations"].append({"name": "Filter", "params": {}}),
            "FLOW-1100-400",
            PROVIDER + "the transformation 'Filter' is not defined by flowSpec CRMToAEP (one of "
            "Copy, Mapping)",
        ),
        (
            lambda b: b["transformations"][1]["params"].update(mappingVersion=3),
            "FLOW-1412-400",
            "Invalid Mapping Version in request. Please provide correct mapping version. Mapping "
            "set {mapping} has versions 0 to 0, not 3.",
        ),
        (
            lambda b: b["transformations"][1]["params"].pop("mappingVersion"),
            "FLOW-1412-400",
            "Invalid Mapping Version in request. Please provide correct mapping version. Mapping "
            "set {mapping} has versions 0 to 0, not None.",
        ),
        (
            lambda b: b["transformations"][1]["params"].update(
                mappingId="93ddfa69c4864d978832b1e5ef6ec3b9"
            ),
            "FLOW-1419-400",
            "Error while validating mapping with id 93ddfa69c4864d978832b1e5ef6ec3b9, version 0. "
            "The mapping set does not exist. Please check your mapping.",
        ),
        (
            lambda b: b["scheduleParams"].update(interval="5", frequency="minute"),
            "FLOW-1100-400",
            PROVIDER + "scheduleParams do not match the scheduleSpec of flowSpec CRMToAEP: "
            "interval: 5 is less than the minimum of 15",
        ),
        (
            lambda b: b["scheduleParams"].update(interval="0"),
            "FLOW-1100-400",
            PROVIDER + "scheduleParams do not match the scheduleSpec of flowSpec CRMToAEP: "
            "interval: 0 is less than the minimum of 1",
        ),
        (
            lambda b: b["scheduleParams"].update(frequency="once"),
            "FLOW-1100-400",
            PROVIDER + "scheduleParams do not match the scheduleSpec of flowSpec CRMToAEP: "
            "{'startTime': 1800003600, 'frequency': 'once', 'interval': 1} should not be valid "
            "under {'required': ['interval']}",
        ),
        (
            lambda b: b["scheduleParams"].update(frequency="month"),
            "FLOW-1100-400",
            PROVIDER + "scheduleParams do not match the scheduleSpec of flowSpec CRMToAEP: "
            "frequency: 'month' is not one of ['once', 'minute', 'hour', 'day', 'week']",
        ),
        (
            lambda b: b["scheduleParams"].pop("interval"),
            "FLOW-1100-400",
            PROVIDER + "scheduleParams do not match the scheduleSpec of flowSpec CRMToAEP: "
            "'interval' is a required property",
        ),
        (
            lambda b: b["scheduleParams"].update(startTime="soon"),
            "FLOW-1100-400",
            PROVIDER + "scheduleParams do not match the scheduleSpec of flowSpec CRMToAEP: "
            "startTime: 'soon' is not of type 'integer'",
        ),
        (
            lambda b: b.update(name=""),
            "FLOW-1100-400",
            PROVIDER + "name is required and must be a non-empty string",
        ),
    ],
)
def test_create_validation(api: Api, world: World, change: Any, code: str, message: str) -> None:
    response = api.post(f"{FLOW}/flows", _with(world, change))
    assert flow_error(response) == (400, code, message.replace("{mapping}", world.mapping))


@pytest.mark.parametrize(
    "schedule",
    [
        {"startTime": "1567411548", "frequency": "minute", "interval": "15", "backfill": "true"},
        {"startTime": 1567411548, "frequency": "minute", "interval": 30, "backfill": False},
        {"startTime": "1567411548", "frequency": "once"},
        {"startTime": 1567411548, "frequency": "week", "interval": 1},
        {"startTime": "1567411548", "frequency": "day", "interval": "2"},
    ],
)
def test_schedules_accept_strings_or_numbers(
    api: Api, world: World, schedule: dict[str, Any]
) -> None:
    body = flow_body(world.source, world.target, world.mapping, scheduleParams=schedule)
    assert api.post(f"{FLOW}/flows", body).status_code == 201


@pytest.mark.parametrize("version", [0, "0"])
def test_mapping_version_as_integer_or_string(api: Api, world: World, version: Any) -> None:
    body = flow_body(world.source, world.target, world.mapping)
    body["transformations"][1]["params"]["mappingVersion"] = version
    assert api.post(f"{FLOW}/flows", body).status_code == 201


def test_the_mapping_schema_must_be_the_target_dataset_schema(api: Api, world: World) -> None:
    other = api.schema("Other contacts")
    mapping = api.mapping(other)
    body = flow_body(world.source, world.target, mapping)
    assert flow_error(api.post(f"{FLOW}/flows", body)) == (
        400,
        "FLOW-1425-400",
        f"Error while matching schema in target dataset {world.dataset} with schema in mapping "
        f"{mapping}. Schema with same id and version must be used in both mapping and target "
        "dataset.",
    )


def test_a_source_spec_the_flow_spec_does_not_allow(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = specs.flow_specs()[CRM_TO_AEP]
    narrowed = {
        **crm,
        "sourceConnectionSpecIds": [i for i in crm["sourceConnectionSpecIds"] if i != SALESFORCE],
    }
    monkeypatch.setattr(specs, "flow_specs", lambda: {CRM_TO_AEP: narrowed})
    body = flow_body(world.source, world.target, world.mapping)
    assert flow_error(api.post(f"{FLOW}/flows", body)) == (
        400,
        "FLOW-1413-400",
        "The spec ID provided is invalid. Please provide a valid spec ID and try again. The "
        f"source connection {world.source} has connectionSpec {SALESFORCE}, which flowSpec "
        "CRMToAEP does not allow.",
    )
    swapped = flow_body(world.target, world.target, world.mapping)
    assert flow_error(api.post(f"{FLOW}/flows", swapped))[:2] == (400, "FLOW-1411-400")


# -- PATCH ----------------------------------------------------------------------------------------


def test_patch_schedule_and_name_records_the_last_operation(
    api: Api, world: World, clock: Clock
) -> None:
    etag = api.etag("flows", world.flow)
    clock.advance(30)
    ops = [
        {"op": "replace", "path": "/scheduleParams/frequency", "value": "day"},
        {"op": "replace", "path": "/name", "value": "daily contacts"},
    ]
    response = api.patch(f"{FLOW}/flows/{world.flow}", ops, headers={"If-Match": etag})
    assert response.status_code == 200 and response.json()["etag"] != etag
    (flow,) = api.get(f"{FLOW}/flows/{world.flow}").json()["items"]
    assert flow["scheduleParams"]["frequency"] == "day"
    assert flow["name"] == "daily contacts"
    assert flow["updatedAt"] == int((clock.now) * 1000)
    assert flow["lastOperation"] == {
        "started": int(clock.now * 1000),
        "updated": int(clock.now * 1000),
        "percentCompleted": 100.0,
        "status": {"value": "completed", "errors": []},
        "ops": ops,
        "operation": "update",
    }


def test_patch_a_new_mapping_version(api: Api, world: World) -> None:
    put = api.put(f"{PREP}/mappingSets/{world.mapping}", mapping_body(world.schema))
    assert put.json()["version"] == 1
    ops = [
        {
            "op": "replace",
            "path": "/transformations/1",
            "value": {
                "name": "Mapping",
                "params": {"mappingId": world.mapping, "mappingVersion": 1},
            },
        }
    ]
    etag = api.etag("flows", world.flow)
    assert (
        api.patch(f"{FLOW}/flows/{world.flow}", ops, headers={"If-Match": etag}).status_code == 200
    )
    ops[0]["value"]["params"]["mappingVersion"] = 2  # type: ignore[index]
    stale_version = api.patch(
        f"{FLOW}/flows/{world.flow}", ops, headers={"If-Match": api.etag("flows", world.flow)}
    )
    assert flow_error(stale_version)[:2] == (400, "FLOW-1412-400")


@pytest.mark.parametrize(
    ("ops", "code", "message"),
    [
        (
            [
                {"op": "replace", "path": "/scheduleParams/interval", "value": "10"},
                {"op": "replace", "path": "/scheduleParams/frequency", "value": "minute"},
            ],
            "FLOW-1100-400",
            PROVIDER + "scheduleParams do not match the scheduleSpec of flowSpec CRMToAEP: "
            "interval: 10 is less than the minimum of 15",
        ),
        (
            [{"op": "replace", "path": "/state", "value": "disabled"}],
            "FLOW-1455-400",
            'An error has occurred while validating patch instructions: field "state" cannot be '
            "updated; updatable fields: description, labels, name, options, policy, scheduleParams, "
            "transformations",
        ),
        (
            [{"op": "remove", "path": "/transformations/5"}],
            "FLOW-1455-400",
            'An error has occurred while validating patch instructions: Missing field "5" '
            "(/transformations/5)",
        ),
        (
            [{"op": "copy", "from": "/name", "path": "/description"}],
            "FLOW-1434-400",
            "Unsupported operation 'copy' received. Please use one of the supported operation "
            "types and try again.",
        ),
    ],
)
def test_patch_refusals(
    api: Api, world: World, ops: list[dict[str, Any]], code: str, message: str
) -> None:
    response = api.patch(
        f"{FLOW}/flows/{world.flow}", ops, headers={"If-Match": api.etag("flows", world.flow)}
    )
    assert flow_error(response) == (400, code, message)


def test_add_and_remove_schedule_members(api: Api, world: World) -> None:
    ops = [
        {"op": "add", "path": "/scheduleParams/backfill", "value": "false"},
        {"op": "remove", "path": "/scheduleParams/interval"},
        {"op": "replace", "path": "/scheduleParams/frequency", "value": "once"},
        {"op": "remove", "path": "/scheduleParams/backfill"},
    ]
    etag = api.etag("flows", world.flow)
    assert (
        api.patch(f"{FLOW}/flows/{world.flow}", ops, headers={"If-Match": etag}).status_code == 200
    )
    (flow,) = api.get(f"{FLOW}/flows/{world.flow}").json()["items"]
    assert flow["scheduleParams"] == {"startTime": str(int(START) + 3600), "frequency": "once"}


def test_a_past_start_time_cannot_move(api: Api, world: World, clock: Clock) -> None:
    clock.advance(7200)  # the flow's start time (START + 1 h) has passed
    ops = [{"op": "replace", "path": "/scheduleParams/startTime", "value": str(int(START) + 9000)}]
    response = api.patch(
        f"{FLOW}/flows/{world.flow}", ops, headers={"If-Match": api.etag("flows", world.flow)}
    )
    assert flow_error(response) == (
        400,
        "FLOW-1455-400",
        "An error has occurred while validating patch instructions: scheduleParams.startTime "
        "cannot be changed once the flow's start time has passed",
    )


def test_a_future_start_time_can_move(api: Api, world: World) -> None:
    ops = [{"op": "replace", "path": "/scheduleParams/startTime", "value": int(START) + 9000}]
    response = api.patch(
        f"{FLOW}/flows/{world.flow}", ops, headers={"If-Match": api.etag("flows", world.flow)}
    )
    assert response.status_code == 200


# -- actions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["disable", "DISABLE"])
def test_disable_and_enable(api: Api, world: World, op: str) -> None:
    etag = api.etag("flows", world.flow)
    disabled = api.post(f"{FLOW}/flows/{world.flow}/action", params={"op": op})
    assert disabled.status_code == 200
    assert disabled.json()["id"] == world.flow and disabled.json()["etag"] != etag
    (flow,) = api.get(f"{FLOW}/flows/{world.flow}").json()["items"]
    assert (flow["state"], flow["etag"]) == ("disabled", disabled.json()["etag"])
    assert flow["lastOperation"]["operation"] == "disable"
    again = api.post(f"{FLOW}/flows/{world.flow}/action", params={"op": "disable"})
    assert again.json() == disabled.json()  # already disabled: nothing changes
    enabled = api.post(
        f"{FLOW}/flows/{world.flow}/action",
        params={"op": "enable"},
        headers={"If-Match": disabled.json()["etag"]},
    )
    assert enabled.status_code == 200
    assert api.get(f"{FLOW}/flows/{world.flow}").json()["items"][0]["state"] == "enabled"


def test_action_refusals(api: Api, world: World) -> None:
    unknown = api.post(f"{FLOW}/flows/{world.flow}/action", params={"op": "pause"})
    assert flow_error(unknown) == (
        400,
        "FLOW-1434-400",
        "Unsupported operation 'pause' received. Please use one of the supported operation "
        "types and try again.",
    )
    finalize = api.post(f"{FLOW}/flows/{world.flow}/action", params={"op": "FINALIZE"})
    assert flow_error(finalize) == (
        400,
        "FLOW-1402-400",
        "The action 'finalize' is supported for provider requests only.",
    )
    stale = api.post(
        f"{FLOW}/flows/{world.flow}/action", params={"op": "disable"}, headers={"If-Match": '"x"'}
    )
    assert flow_error(stale)[:2] == (412, "FLOW-1404-412")
    missing = api.post(
        f"{FLOW}/flows/8256cfb4-17e6-432c-a469-6aedafb16cd5/action", params={"op": "enable"}
    )
    assert flow_error(missing)[:2] == (404, "FLOW-1439-404")


def test_delete(api: Api, world: World) -> None:
    response = api.delete(f"{FLOW}/flows/{world.flow}")
    assert (response.status_code, response.content) == (204, b"")
    gone = api.get(f"{FLOW}/flows/{world.flow}")
    assert flow_error(gone) == (
        404,
        "FLOW-1439-404",
        f"The requested flows resource {world.flow} is not found. Verify the resource ID before "
        "trying again.",
    )
    assert gone.json()["report"]["id"] == world.flow
    assert gone.json()["report"]["type"] == "flows"
    assert gone.json()["title"] == "Resource not found"


# -- lists ----------------------------------------------------------------------------------------


def _flows(api: Api, world: World, n: int) -> list[str]:
    ids = [world.flow]
    for i in range(1, n):
        body = flow_body(world.source, world.target, world.mapping, name=f"flow {i:02d}")
        ids.append(api.created(api.post(f"{FLOW}/flows", body)))
    return ids


def test_paging_with_continuation_tokens(api: Api, world: World) -> None:
    ids = _flows(api, world, 5)
    first = api.get(f"{FLOW}/flows", params={"limit": "2"}).json()
    assert [f["id"] for f in first["items"]] == ids[:2]
    href = first["_links"]["next"]["href"]
    assert href.startswith("/flows?continuationToken=") and "&" not in href and href.count("=") == 1
    token = href.split("=", 1)[1]  # how aepp reads it
    second = api.get(f"{FLOW}/flows", params={"limit": "2", "continuationToken": token}).json()
    assert [f["id"] for f in second["items"]] == ids[2:4]
    third = api.get(FLOW + second["_links"]["next"]["href"]).json()  # default page size
    assert [f["id"] for f in third["items"]] == ids[4:]
    assert third["_links"] == {}


def test_count(api: Api, world: World) -> None:
    _flows(api, world, 3)
    assert api.get(f"{FLOW}/flows", params={"count": "true"}).json() == {"count": 3}
    filtered = api.get(f"{FLOW}/flows", params={"count": "true", "property": "name==flow 01"})
    assert filtered.json() == {"count": 1}
    both = api.get(f"{FLOW}/flows", params={"count": "true", "limit": "2"})
    assert flow_error(both) == (
        400,
        "FLOW-1401-400",
        "The limit and count parameters cannot be given together in the same request. Please "
        "provide either only the limit or the count parameter and try again.",
    )


def test_property_filters(api: Api, world: World) -> None:
    ids = _flows(api, world, 3)
    api.post(f"{FLOW}/flows/{ids[1]}/action", params={"op": "disable"})

    def names(*filters: str) -> list[str]:
        response = api.get(f"{FLOW}/flows", params=[("property", f) for f in filters])
        assert response.status_code == 200, response.text
        return [f["name"] for f in response.json()["items"]]

    assert names("name==flow 01") == ["flow 01"]
    assert names('name=="flow 01","flow 02"') == ["flow 01", "flow 02"]
    assert names("name!=flow 01") == ["contacts flow", "flow 02"]
    assert names("state==disabled") == ["flow 01"]
    assert names("state==enabled", f"flowSpec.id=={CRM_TO_AEP}") == ["contacts flow", "flow 02"]
    assert names(f"sourceConnectionIds[]=={world.source}") == [
        "contacts flow",
        "flow 01",
        "flow 02",
    ]
    assert names("sourceConnectionIds[]==nothing") == []
    assert names(f"inheritedAttributes.targetConnections[].connectionSpec.id=={DATA_LAKE}") == [
        "contacts flow",
        "flow 01",
        "flow 02",
    ]
    assert names(f"createdAt>={int(START * 1000)}") == ["contacts flow", "flow 01", "flow 02"]


def test_filters_on_the_other_collections(api: Api, world: World) -> None:
    sources = api.get(
        f"{FLOW}/sourceConnections", params={"property": f"baseConnectionId=={world.connection}"}
    )
    assert [s["id"] for s in sources.json()["items"]] == [world.source]
    targets = api.get(
        f"{FLOW}/targetConnections", params={"property": f"connectionSpec.id=={DATA_LAKE}"}
    )
    assert [t["id"] for t in targets.json()["items"]] == [world.target]
    conns = api.get(f"{FLOW}/connections", params={"property": f"connectionSpec.id=={SALESFORCE}"})
    (conn,) = conns.json()["items"]
    assert conn["auth"]["params"]["password"] == "**********"


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        ({"property": "name~flow"}, "FLOW-1440-400", "Operator '~' not implemented."),
        (
            {"property": "createdAt<=1,2"},
            "FLOW-1443-400",
            "Operator '<=' is not allowed for multiple values.",
        ),
        ({"property": "color==red"}, "FLOW-1449-400", "Invalid field color in filter params."),
        (
            {"property": "sourceConnectionIds==x"},
            "FLOW-1449-400",
            "Invalid field sourceConnectionIds in filter params.",
        ),
        (
            {"property": "name=="},
            "FLOW-1453-400",
            "Invalid query value name== provided in query param.",
        ),
        (
            {"orderby": "*name"},
            "FLOW-1432-400",
            "Sort order specified is not correct, prepend + for ascending order and - for descending order in the fieldName.",
        ),
        (
            {"orderby": "-color"},
            "FLOW-1433-400",
            "Incorrect field= color passed in orderBy, example are +name, -name, name.",
        ),
        (
            {"limit": "zero"},
            "FLOW-1453-400",
            "Invalid query value limit=zero provided in query param.",
        ),
        (
            {"continuationToken": "garbage!"},
            "FLOW-1453-400",
            "Invalid query value continuationToken=garbage! provided in query param.",
        ),
    ],
)
def test_list_refusals(
    api: Api, world: World, params: dict[str, str], code: str, message: str
) -> None:
    assert flow_error(api.get(f"{FLOW}/flows", params=params)) == (400, code, message)


def test_orderby(api: Api, world: World) -> None:
    _flows(api, world, 3)
    by_name = api.get(f"{FLOW}/flows", params={"orderby": "-name"}).json()["items"]
    assert [f["name"] for f in by_name] == ["flow 02", "flow 01", "contacts flow"]
    ascending = api.get(f"{FLOW}/flows", params={"orderby": "+name"}).json()["items"]
    assert [f["name"] for f in ascending] == ["contacts flow", "flow 01", "flow 02"]


def test_duplicate_flow_names_are_allowed(api: Api, world: World) -> None:
    # help/sources/errors/flow-service-errors.md: no duplicate-name error in the Flow Service catalog (UNCONFIRMED).
    body = flow_body(world.source, world.target, world.mapping)
    assert api.post(f"{FLOW}/flows", body).status_code == 201
    assert (
        len(api.get(f"{FLOW}/flows", params={"property": "name==contacts flow"}).json()["items"])
        == 2
    )

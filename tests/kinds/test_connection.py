"""connection: desired spec and secrets, normalised GET, the exact requests, lookup and find."""

from __future__ import annotations

from aepflow.api import ListRequest, Request
from aepflow.engine.plan import Change
from aepflow.kinds.base import LiveObject, Resource
from aepflow.kinds.connection import KIND
from aepflow.model import ConnectionDef, ProjectModel
from tests.kinds.helpers import LOC, SF, TENANT, FakeDoor, change_of, data, plan_world

PATH = "/data/foundation/flowservice/connections"
URL = "https://acme.my.salesforce.com"


def model(**over) -> ProjectModel:
    fields = {
        "connector": "salesforce",
        "connection_spec_id": SF,
        "auth_spec_name": "Basic Authentication",
        "params": {"environmentUrl": URL, "username": "u", "password": "p", "securityToken": "t"},
        "secret_params": frozenset({"password", "securityToken"}),
        "description": "CRM",
    }
    fields.update(over)
    return ProjectModel(connections={"crm": ConnectionDef("crm", LOC, **fields)})


def resource(**over) -> Resource:
    (r,) = KIND.desired(model(**over), TENANT)
    return r


RAW = {
    "id": "c1",
    "name": "crm",
    "description": "CRM\n\naepflow: connection.crm",
    "connectionSpec": {"id": SF, "version": "1.0"},
    "auth": {
        "specName": "Basic Authentication",
        "params": {
            "environmentUrl": URL,
            "username": "u",
            "password": "(encrypted)",
            "securityToken": "(encrypted)",
        },
    },
    "state": "enabled",
    "etag": '"e1"',
}
SPEC = {
    "name": "crm",
    "description": "CRM",
    "connectionSpec": SF,
    "authSpec": "Basic Authentication",
    "params": {"environmentUrl": URL, "username": "u"},
}


def test_desired_keeps_secrets_apart_from_the_spec():
    assert list(KIND.desired(model(), TENANT)) == [
        Resource(
            "connection.crm",
            "connection",
            SPEC,
            LOC,
            secrets={"password": "p", "securityToken": "t"},
        )
    ]
    assert resource().secrets == {"password": "p", "securityToken": "t"}
    assert resource().protect is False


def test_normalize_drops_the_marker_and_the_connectors_secret_params():
    assert KIND.normalize(RAW) == SPEC


def test_normalize_drops_the_secrets_of_the_auth_type_named_by_spec_name():
    raw = {
        **RAW,
        "description": "aepflow: connection.crm",
        "auth": {
            "specName": "OAuth2 Client Credential",
            "params": {
                "environmentUrl": URL,
                "clientId": "id",
                "clientSecret": "x",
                "apiVersion": "60.0",
            },
        },
    }
    assert KIND.normalize(raw) == {
        "name": "crm",
        "description": "",
        "connectionSpec": SF,
        "authSpec": "OAuth2 Client Credential",
        "params": {"environmentUrl": URL, "clientId": "id", "apiVersion": "60.0"},
    }


def test_normalize_of_an_unknown_connector_keeps_every_param():
    raw = {
        "name": "x",
        "connectionSpec": {"id": "other"},
        "auth": {"specName": "Basic Authentication", "params": {"password": "p"}},
    }
    assert KIND.normalize(raw) == {
        "name": "x",
        "description": "",
        "connectionSpec": "other",
        "authSpec": "Basic Authentication",
        "params": {"password": "p"},
    }


def test_live_reads_id_etag_and_the_normalised_spec():
    assert KIND.live(RAW) == LiveObject("c1", "connection", SPEC, etag='"e1"')


def test_create_sends_secrets_only_as_references():
    r = resource()
    requests = data(KIND.create(r, r.spec, TENANT))
    assert requests == [
        {
            "method": "POST",
            "path": PATH,
            "body": {
                "name": "crm",
                "description": "CRM\n\naepflow: connection.crm",
                "auth": {
                    "specName": "Basic Authentication",
                    "params": {
                        "environmentUrl": URL,
                        "username": "u",
                        "password": {"$secret": "password"},
                        "securityToken": {"$secret": "securityToken"},
                    },
                },
                "connectionSpec": {"id": SF, "version": "1.0"},
            },
            "content_type": "application/json",
        }
    ]
    assert "'p'" not in repr(requests) and "'t'" not in repr(requests)


def test_create_without_description_carries_only_the_marker():
    r = resource(description="")
    (request,) = KIND.create(r, r.spec, TENANT)
    assert request.body["description"] == "aepflow: connection.crm"


AUTH_PARAMS = {
    "environmentUrl": URL,
    "username": "v",
    "password": {"$secret": "password"},
    "securityToken": {"$secret": "securityToken"},
}


def test_a_param_change_replaces_the_auth_params_with_secret_references():
    old = resource()
    new = resource(
        params={"environmentUrl": URL, "username": "v", "password": "p", "securityToken": "t"}
    )
    plan = plan_world([new], [(old, "c1")], live_over={old.address: KIND.live(RAW)})
    change = change_of(plan, "connection.crm")
    assert change.action == "update"
    assert change.changes == (Change("params.username", "u", "v"),)
    assert data(change.requests) == [
        {
            "method": "PATCH",
            "path": f"{PATH}/c1",
            "body": [{"op": "replace", "path": "/auth/params", "value": AUTH_PARAMS}],
            "content_type": "application/json",
            "if_match": '"e1"',
        }
    ]


def test_a_rotated_secret_and_a_new_description_patch_both_keeping_the_marker():
    old = resource()
    new = resource(
        description="Sales CRM",
        params={"environmentUrl": URL, "username": "u", "password": "p2", "securityToken": "t"},
    )
    plan = plan_world([new], [(old, "c1")], live_over={old.address: KIND.live(RAW)})
    change = change_of(plan, "connection.crm")
    assert change.changes == (
        Change("description", "CRM", "Sales CRM"),
        Change("auth.params.password", None, None, sensitive=True),
    )
    assert data(change.requests) == [
        {
            "method": "PATCH",
            "path": f"{PATH}/c1",
            "body": [
                {
                    "op": "replace",
                    "path": "/description",
                    "value": "Sales CRM\n\naepflow: connection.crm",
                },
                {
                    "op": "replace",
                    "path": "/auth/params",
                    "value": {**AUTH_PARAMS, "username": "u"},
                },
            ],
            "content_type": "application/json",
            "if_match": '"e1"',
        }
    ]
    assert "p2" not in repr(data(change.requests))


def test_an_auth_type_change_replaces_the_connection():
    """help/sources/tutorials/api/create/crm/ms-dynamics.md: the auth type of an existing
    connection cannot change; a new connection is created in its place."""
    old = resource()
    new = resource(
        auth_spec_name="OAuth2 Client Credential",
        params={"environmentUrl": URL, "clientId": "id", "clientSecret": "s", "apiVersion": "60.0"},
        secret_params=frozenset({"clientSecret"}),
    )
    plan = plan_world([new], [(old, "c1")], live_over={old.address: KIND.live(RAW)})
    change = change_of(plan, "connection.crm")
    assert change.action == "replace"
    assert change.changes[0] == Change(
        "authSpec", "Basic Authentication", "OAuth2 Client Credential", forces_replacement=True
    )
    assert data(change.delete_requests) == [{"method": "DELETE", "path": f"{PATH}/c1"}]
    (create,) = data(change.requests)
    assert create["method"] == "POST"
    assert create["body"]["auth"] == {
        "specName": "OAuth2 Client Credential",
        "params": {
            "environmentUrl": URL,
            "clientId": "id",
            "apiVersion": "60.0",
            "clientSecret": {"$secret": "clientSecret"},
        },
    }


def test_a_name_change_is_a_replace_of_name():
    r = resource()
    requests = KIND.update(r, r.spec, KIND.live(RAW), [Change("name", "old", "crm")], TENANT)
    assert data(requests) == [
        {
            "method": "PATCH",
            "path": f"{PATH}/c1",
            "body": [{"op": "replace", "path": "/name", "value": "crm"}],
            "content_type": "application/json",
            "if_match": '"e1"',
        }
    ]


def test_no_relevant_change_sends_nothing():
    r = resource()
    assert KIND.update(r, r.spec, KIND.live(RAW), [], TENANT) == []


def test_a_connector_change_forces_replacement():
    old = resource()
    new = resource(connection_spec_id="eb13cb25-47ab-407f-ba89-c0125281c563")
    plan = plan_world([new], [(old, "c1")])
    change = change_of(plan, "connection.crm")
    assert change.action == "replace"
    assert change.changes == (
        Change(
            "connectionSpec", SF, "eb13cb25-47ab-407f-ba89-c0125281c563", forces_replacement=True
        ),
    )
    assert data(change.delete_requests) == [{"method": "DELETE", "path": f"{PATH}/c1"}]
    assert [r["method"] for r in data(change.requests)] == ["POST"]


def test_delete_quotes_the_id():
    assert data(KIND.delete("c1")) == [{"method": "DELETE", "path": f"{PATH}/c1"}]
    assert data(KIND.delete("a/b c")) == [{"method": "DELETE", "path": f"{PATH}/a%2Fb%20c"}]


def test_get_unwrap_created_updated_and_marked():
    assert KIND.get("c1") == Request("GET", f"{PATH}/c1")
    assert KIND.unwrap({"items": [RAW]}, "c1") == RAW
    assert KIND.unwrap({"items": []}, "c1") is None
    assert KIND.unwrap(None, "c1") is None
    assert KIND.created({"id": "c1", "etag": '"e1"'}) == ("c1", None)
    assert KIND.updated({"id": "c1", "etag": '"e2"'}) is None
    assert KIND.marked(RAW) == "connection.crm"
    assert KIND.marked({**RAW, "description": "CRM"}) is None
    assert KIND.marked({"name": "crm"}) is None


def test_lookup_lists_by_connection_spec_and_matches_by_marker():
    r = resource()
    # By connection spec, never by name (a name may hold a comma, a filter separator).
    query = ListRequest(
        PATH,
        "flowservice",
        (("property", "connectionSpec.id==cfc0fee1-7dc0-40ef-b73e-d8b134c436f5"),),
    )
    assert KIND.lookup(r, {}, {}) == query
    assert KIND.matches(RAW, r, {}) is True
    assert KIND.matches({**RAW, "description": "aepflow: connection.other"}, r, {}) is False


def test_find_adopts_the_marked_object_only():
    r = resource()
    query = KIND.lookup(r, {}, {})
    stranger = {**RAW, "id": "c0", "description": "made by hand"}
    door = FakeDoor(lists={query: [stranger, RAW]})
    assert KIND.find(r, {}, {}, door) == LiveObject(
        "c1", "connection", SPEC, etag='"e1"', adopted=True
    )
    assert door.listed == [query]
    assert KIND.find(r, {}, {}, FakeDoor(lists={query: [stranger]})) is None


def test_read_gets_by_id_and_a_404_is_none():
    door = FakeDoor(gets={f"{PATH}/c1": {"items": [RAW]}})
    assert KIND.read(door, "c1") == LiveObject("c1", "connection", SPEC, etag='"e1"')
    assert door.sent == [(Request("GET", f"{PATH}/c1"), True)]
    assert KIND.read(FakeDoor(), "gone") is None


JWT = "OAuth2 JWT Token Credential"
JWT_PARAMS = {
    "jwtToken": "j",
    "clientId": "cid",
    "clientSecret": "s",
    "instanceUrl": URL,
}


def test_the_org_id_aep_sets_on_a_jwt_connection_is_no_difference_and_an_update_keeps_it():
    """help/sources/tutorials/api/create/crm/salesforce.md (Experience Platform on AWS): a JWT
    connection gets auth.params.orgId from AEP once enabled."""
    over = {"auth_spec_name": JWT, "secret_params": frozenset({"jwtToken", "clientSecret"})}
    old = resource(params=JWT_PARAMS, **over)
    raw = {
        **RAW,
        "auth": {
            "specName": JWT,
            "params": {**JWT_PARAMS, "jwtToken": "(x)", "clientSecret": "(x)", "orgId": "O1"},
        },
    }
    assert KIND.normalize(raw)["params"] == {"clientId": "cid", "instanceUrl": URL}
    same = plan_world([old], [(old, "c1")], live_over={old.address: KIND.live(raw)})
    assert change_of(same, "connection.crm").action == "noop"
    new = resource(params={**JWT_PARAMS, "clientId": "cid2"}, **over)
    plan = plan_world([new], [(old, "c1")], live_over={old.address: KIND.live(raw)})
    change = change_of(plan, "connection.crm")
    assert change.changes == (Change("params.clientId", "cid", "cid2"),)
    (patch,) = data(change.requests)
    assert patch["body"] == [
        {
            "op": "replace",
            "path": "/auth/params",
            "value": {
                "orgId": "O1",
                "clientId": "cid2",
                "instanceUrl": URL,
                "clientSecret": {"$secret": "clientSecret"},
                "jwtToken": {"$secret": "jwtToken"},
            },
        }
    ]

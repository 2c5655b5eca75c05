"""Catalog datasets (help/catalog/api/getting-started.md)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.emulator.conftest import CATALOG, IDENTITY_MAP, PERSONAL, START, XED_FULL, Api
from tests.emulator.test_schemaregistry import path

DATASETS = f"{CATALOG}/dataSets"


PROFILE_FIRST = (
    "The dataset cannot be enabled for Profile: its schema {schema} must be enabled for Profile "
    'first (add "union" to the schema\'s meta:immutableTags).'
)


def system_tags(table: str) -> dict[str, list[str]]:
    return {"adobe/pqs/table": [table], "adobe/siphon/table/format": ["parquet"]}


def bad(detail: str, status: int = 400) -> dict[str, Any]:
    title = "BadRequestError" if status == 400 else "NotFoundError"
    return {"type": "/placeholder/type/uri", "status": status, "title": title, "detail": detail}


def test_create_answers_201_with_the_ref_and_location(api: Api) -> None:
    schema = api.schema()
    response = api.post(
        DATASETS,
        {"name": "Contacts", "schemaRef": {"id": schema, "contentType": XED_FULL}},
        params={"requestDataSource": "true"},
    )
    assert response.status_code == 201
    (ref,) = response.json()
    assert re.fullmatch(r"@/dataSets/[0-9a-f]{24}", ref)
    dataset_id = ref.rsplit("/", 1)[-1]
    assert response.headers["Location"] == f"{DATASETS}/{dataset_id}"
    got = api.get(f"{DATASETS}/{dataset_id}").json()
    assert list(got) == [dataset_id]
    dataset = got[dataset_id]
    assert dataset["name"] == "Contacts"
    assert dataset["schemaRef"] == {"id": schema, "contentType": XED_FULL}
    assert (dataset["version"], dataset["state"]) == ("1.0.0", "DRAFT")
    assert dataset["created"] == dataset["updated"] == int(START * 1000)
    assert dataset["imsOrg"] == "AEPFLOW0EMULATOR000000000@AdobeOrg"
    assert dataset["files"] == f"@/dataSets/{dataset_id}/views/{dataset['viewId']}/files"
    assert dataset["tags"] == system_tags("contacts")
    assert isinstance(dataset["dataSourceId"], int)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"schemaRef": {"id": "{schema}"}}, "name is required and must be a non-empty string"),
        ({"name": "x"}, "schemaRef.id is required: the $id of the dataset's schema"),
        (
            {"name": "x", "schemaRef": {"id": "https://ns.adobe.com/x/schemas/1"}},
            "schemaRef.id https://ns.adobe.com/x/schemas/1 is not a schema of this sandbox",
        ),
        (
            {"name": "x", "schemaRef": {"id": "{schema}", "contentType": "application/json"}},
            "schemaRef.contentType application/json is not valid; use application/vnd.adobe.xed-full+json;version=1",
        ),
        (
            {"name": "x", "schemaRef": {"id": "{schema}"}, "tags": {"team": "crm"}},
            "tags must map each tag name to a list of strings",
        ),
        (
            {
                "name": "x",
                "schemaRef": {"id": "{schema}"},
                "tags": {"unifiedProfile": ["enabled: true"]},
            },
            PROFILE_FIRST,
        ),
    ],
)
def test_create_refusals(api: Api, body: dict[str, Any], detail: str) -> None:
    schema = api.schema()
    if "schemaRef" in body:
        body["schemaRef"]["id"] = body["schemaRef"]["id"].replace("{schema}", schema)
    response = api.post(DATASETS, body)
    assert (response.status_code, response.json()) == (
        400,
        bad(detail.replace("{schema}", schema)),
    )


def test_the_seed_content_type_is_accepted(api: Api) -> None:
    schema = api.schema()
    notext = "application/vnd.adobe.xed-full-notext+json; version=1"
    body = {"name": "Salesforce target dataset", "schemaRef": {"id": schema, "contentType": notext}}
    assert api.post(DATASETS, body).status_code == 201


def test_profile_enabled_dataset_needs_a_union_schema(api: Api) -> None:
    schema = api.schema("Profiled", (PERSONAL, IDENTITY_MAP))
    api.patch(path(schema), [{"op": "add", "path": "/meta:immutableTags", "value": ["union"]}])
    tags = {"unifiedProfile": ["enabled:true"], "unifiedIdentity": ["enabled:true"]}
    assert (
        api.post(DATASETS, {"name": "p", "schemaRef": {"id": schema}, "tags": tags}).status_code
        == 201
    )


def test_unknown_id(api: Api) -> None:
    response = api.get(f"{DATASETS}/5c8c3c555033b814b69f947f")
    assert (response.status_code, response.json()) == (
        404,
        bad("Dataset 5c8c3c555033b814b69f947f was not found.", 404),
    )


def _datasets(api: Api) -> dict[str, str]:
    schema = api.schema()
    names = ["alpha", "beta", "gamma", "delta", "alpha-2"]
    tags: list[dict[str, list[str]]] = [
        {"team": ["crm"]},
        {"team": ["ops"]},
        {},
        {"team": ["crm"], "aepflow": ["dataset.d"]},
        {},
    ]
    return {n: api.dataset(schema, n, tags=t) for n, t in zip(names, tags, strict=True)}


def test_list_is_id_keyed_with_offset_paging(api: Api) -> None:
    ids = _datasets(api)
    everything = api.get(DATASETS).json()
    assert list(everything) == list(ids.values())
    first = api.get(DATASETS, params={"limit": "2"}).json()
    second = api.get(DATASETS, params={"limit": "2", "start": "2"}).json()
    last = api.get(DATASETS, params={"limit": "2", "start": "4"}).json()
    assert list(first) + list(second) + list(last) == list(ids.values())
    assert len(last) == 1
    for limit in ("0", "101", "many"):
        response = api.get(DATASETS, params={"limit": limit})
        assert (response.status_code, response.json()) == (
            400,
            bad(f"limit must be an integer from 1 to 100, not {limit!r}"),
        )


def test_list_filters_and_projection(api: Api) -> None:
    ids = _datasets(api)

    def names(**params: str) -> list[str]:
        response = api.get(DATASETS, params=params)
        assert response.status_code == 200, response.text
        by_id = {v: k for k, v in ids.items()}
        return [by_id[k] for k in response.json()]

    assert names(name="alpha") == ["alpha"]
    assert names(name="alpha,gamma") == ["alpha", "gamma"]
    assert names(name="!alpha") == ["beta", "gamma", "delta", "alpha-2"]
    assert names(property="name==beta") == ["beta"]
    assert names(property="name==alpha*") == ["alpha", "alpha-2"]
    assert names(property="name!=alpha*") == ["beta", "gamma", "delta"]
    assert names(property="name~^[ab]") == ["alpha", "beta", "alpha-2"]
    assert names(tags="team:crm") == ["alpha", "delta"]
    assert names(tags="team:*") == ["alpha", "beta", "delta"]
    assert names(tags="aepflow:dataset.d") == ["delta"]
    assert names(orderBy="desc:name") == ["gamma", "delta", "beta", "alpha-2", "alpha"]
    projected = api.get(DATASETS, params={"properties": "name,tags", "name": "beta"}).json()
    assert projected == {
        ids["beta"]: {"name": "beta", "tags": {**system_tags("beta"), "team": ["ops"]}}
    }
    nested = api.get(DATASETS, params={"property": "schemaRef.id==x"})
    assert nested.json() == bad(
        "Only top-level properties can be filtered (schemaRef.id is not one)"
    )


def test_patch_with_a_partial_object(api: Api, clock: Any) -> None:
    schema = api.schema()
    dataset = api.dataset(schema, tags={"team": ["crm"]})
    clock.advance(10)
    response = api.patch(f"{DATASETS}/{dataset}", {"name": "renamed", "description": "new"})
    assert (response.status_code, response.json()) == (200, [f"@/dataSets/{dataset}"])
    got = api.get(f"{DATASETS}/{dataset}").json()[dataset]
    assert (got["name"], got["description"], got["tags"]) == (
        "renamed",
        "new",
        {**system_tags("contacts"), "team": ["crm"]},
    )
    assert got["version"] == "1.0.1"
    assert got["updated"] == int(clock.now * 1000) and got["created"] == int(START * 1000)


def test_patch_with_json_patch(api: Api) -> None:
    dataset = api.dataset(api.schema())
    response = api.http.patch(
        f"{DATASETS}/{dataset}",
        content=b'[{"op": "add", "path": "/tags/team", "value": ["crm"]}]',
        headers={**api.headers(), "Content-Type": "application/json-patch+json"},
    )
    assert (response.status_code, response.json()) == (200, [f"@/dataSets/{dataset}"])
    assert api.get(f"{DATASETS}/{dataset}").json()[dataset]["tags"] == {
        **system_tags("contacts"),
        "team": ["crm"],
    }


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"schemaRef": {"id": "other"}}, "schemaRef cannot be changed once the dataset exists"),
        ({"created": 1}, "created is set by Catalog and cannot be changed"),
        ({"name": ""}, "name is required and must be a non-empty string"),
        ({"tags": {"unifiedProfile": ["enabled:true"]}}, PROFILE_FIRST),
    ],
)
def test_patch_refusals(api: Api, change: dict[str, Any], detail: str) -> None:
    schema = api.schema()
    dataset = api.dataset(schema)
    response = api.patch(f"{DATASETS}/{dataset}", change)
    assert (response.status_code, response.json()) == (
        400,
        bad(detail.replace("{schema}", schema)),
    )


def test_put_replaces_the_dataset(api: Api) -> None:
    schema = api.schema()
    dataset = api.dataset(schema, tags={"team": ["crm"]})
    body = {"name": "replaced", "schemaRef": {"id": schema, "contentType": XED_FULL}}
    assert api.put(f"{DATASETS}/{dataset}", body).json() == [f"@/dataSets/{dataset}"]
    got = api.get(f"{DATASETS}/{dataset}").json()[dataset]
    assert (got["name"], got["tags"], got["state"]) == ("replaced", {}, "DRAFT")


def test_delete_answers_200(api: Api) -> None:
    dataset = api.dataset(api.schema())
    deleted = api.delete(f"{DATASETS}/{dataset}")
    assert (deleted.status_code, deleted.json()) == (200, [f"@/dataSets/{dataset}"])
    assert api.get(f"{DATASETS}/{dataset}").status_code == 404
    again = api.delete(f"{DATASETS}/{dataset}")
    assert (again.status_code, again.json()) == (200, [])

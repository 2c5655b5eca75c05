"""The fastjsonschema fast path of manifest validation: same answers, same diagnostics."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aepflow.errors import SourceLocation
from aepflow.manifest import schema
from aepflow.manifest.yamlload import load_file

REPO = Path(__file__).resolve().parents[2]
AT = SourceLocation("m.yaml", 1, 1)

pytest.importorskip("fastjsonschema")


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(schema.FASTPATH_ENV, raising=False)

    cached = (
        schema._schemas,
        schema._prepared,
        schema.validator,
        schema.fast_validator,
    )  # before any monkeypatch

    def clear() -> None:
        for function in cached:
            function.cache_clear()

    clear()
    yield
    clear()


def dataflow(name: str = "salesforce-crm.yaml") -> Any:
    docs, problems = load_file(REPO / "manifests" / name, f"manifests/{name}")
    assert problems == []
    return next(d.body for d in docs if d.body["kind"] == "Dataflow")


def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the jsonschema fallback ran")

    monkeypatch.setattr(schema, "report", fail)
    monkeypatch.setattr(schema, "validator", fail)


def test_every_shipped_schema_compiles_for_the_fast_path() -> None:
    for name in schema._schemas():
        assert schema.fast_validator(name) is not None, name


def test_a_valid_document_passes_through_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    body = dataflow()
    before = copy.deepcopy(body)
    no_fallback(monkeypatch)
    assert schema.validate(body, "dataflow.schema.json", AT) == []
    assert body == before  # no defaults filled in


def test_an_invalid_document_gives_exactly_the_jsonschema_diagnostics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = dataflow()
    body["spec"]["schedule"]["frequency"] = "fortnight"
    body["spec"]["source"]["surprise"] = 1
    del body["spec"]["connection"]
    body["metadata"]["name"] = "Not A Name"
    expected = schema.report(body, "dataflow.schema.json", AT)
    assert len(expected) == 4
    assert schema.is_valid_fast(body, "dataflow.schema.json") is None
    assert schema.validate(body, "dataflow.schema.json", AT) == expected
    monkeypatch.setenv(schema.FASTPATH_ENV, "0")
    schema.fast_validator.cache_clear()
    assert schema.fast_validator("dataflow.schema.json") is None
    assert schema.validate(body, "dataflow.schema.json", AT) == expected


def test_keywords_beside_a_ref_are_applied_as_in_draft_2020_12() -> None:
    body = dataflow()
    body["spec"]["connection"] = "Upper-Case"  # $ref to connection.schema.json#/$defs/name
    assert schema.is_valid_fast(body, "dataflow.schema.json") is None
    assert schema.validate(body, "dataflow.schema.json", AT) != []


def test_a_schema_fastjsonschema_cannot_compile_still_validates_via_jsonschema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    odd = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://aepflow.io/schemas/v1/odd.schema.json",
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "dependentRequired": {"a": ["b"]},
        "unevaluatedProperties": False,
    }
    shipped = dict(schema._schemas())
    monkeypatch.setattr(schema, "_schemas", lambda: {**shipped, "odd.schema.json": odd})
    assert schema.fast_validator("odd.schema.json") is None
    assert schema.validate({"b": 1}, "odd.schema.json", AT) == []
    problems = schema.validate({"a": "x", "c": 1}, "odd.schema.json", AT)
    assert [p.message for p in problems] == [
        "'b' is a dependency of 'a'",
        "Unevaluated properties are not allowed ('c' was unexpected)",
    ]


def test_a_compile_error_falls_back_to_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    import fastjsonschema

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise fastjsonschema.JsonSchemaDefinitionException("unsupported")

    monkeypatch.setattr(fastjsonschema, "compile", broken)
    assert schema.fast_validator("dataflow.schema.json") is None
    body = dataflow()
    assert schema.validate(body, "dataflow.schema.json", AT) == []
    del body["spec"]["mappings"]
    assert [p.message for p in schema.validate(body, "dataflow.schema.json", AT)] == [
        "spec: missing required key 'mappings'"
    ]


def test_without_fastjsonschema_jsonschema_alone_validates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schema, "_fastjsonschema", lambda: None)
    assert schema.fast_validator("dataflow.schema.json") is None
    body = dataflow()
    assert schema.validate(body, "dataflow.schema.json", AT) == []
    body["spec"]["mappings"] = []
    assert schema.validate(body, "dataflow.schema.json", AT) != []


def test_refs_to_unknown_ids_are_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://aepflow.io/schemas/v1/remote.schema.json",
        "$ref": "https://example.invalid/other.schema.json",
    }
    shipped = dict(schema._schemas())
    monkeypatch.setattr(schema, "_schemas", lambda: {**shipped, "remote.schema.json": remote})
    assert schema.fast_validator("remote.schema.json") is None
    assert schema.fast_validator("dataflow.schema.json") is None  # the set as a whole falls back


def test_exactly_one_of_several_keys_is_decided_alike_without_a_raise_per_branch() -> None:
    # A mapping's oneOf of {required: [one key]} branches is compiled as an anyOf whose
    # branches forbid the other keys: the same answer for every shape of item.
    body = dataflow()
    item = body["spec"]["mappings"][0]
    shapes: list[Any] = ["text", 3, None, [item]]
    for source in (None, "a"):
        for expression in (None, "lower(a)"):
            for value in (None, "v"):
                one = {"destination": item["destination"]}
                one |= {"source": source} if source else {}
                one |= {"expression": expression} if expression else {}
                one |= {"value": value} if value else {}
                shapes.append(one)
    for shape in shapes:
        changed = copy.deepcopy(body)
        changed["spec"]["mappings"] = [shape]
        slow = schema.report(changed, "dataflow.schema.json", AT) == []
        fast = schema.is_valid_fast(changed, "dataflow.schema.json") is True
        assert fast == slow, shape
    assert schema._prepare({"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}) == {
        "allOf": [
            {
                "anyOf": [
                    {"type": "object", "required": ["a"], "properties": {"b": False}},
                    {"type": "object", "required": ["b"], "properties": {"a": False}},
                ]
            }
        ]
    }

"""The fields of a stored schema, worked out once per version of it and of its groups."""

from __future__ import annotations

from typing import Any

from aepflow.emulator import xdm

PROFILE = "https://ns.adobe.com/xdm/context/profile"
GROUP = "https://ns.adobe.com/acme/mixins/crm"


def _group(*names: str) -> dict[str, Any]:
    properties = {"_acme": {"type": "object", "properties": {n: {"type": "string"} for n in names}}}
    return {
        "$id": GROUP,
        "allOf": [{"$ref": "#/definitions/crm"}],
        "definitions": {"crm": {"properties": properties}},
    }


def _schema() -> dict[str, Any]:
    return {"$id": "s", "allOf": [{"$ref": PROFILE}, {"$ref": GROUP}]}


def _custom(fields: list[xdm.Field]) -> list[str]:
    return [f.path for f in fields if f.path.startswith("_acme.")]


def test_the_same_stored_objects_give_the_same_fields_without_a_second_walk() -> None:
    schema, groups = _schema(), {GROUP: _group("a")}
    first = xdm.stored_fields(schema, groups)
    assert _custom(first) == ["_acme.a"]
    assert xdm.stored_fields(schema, groups) is first
    assert xdm.stored_fields(schema, groups) == xdm.fields_of(schema, groups)


def test_a_group_replaced_by_a_change_gives_the_new_fields() -> None:
    schema, groups = _schema(), {GROUP: _group("a")}
    assert _custom(xdm.stored_fields(schema, groups)) == ["_acme.a"]
    groups[GROUP] = _group("a", "b")  # as a PUT or PATCH stores it: a new object
    assert _custom(xdm.stored_fields(schema, groups)) == ["_acme.a", "_acme.b"]
    del groups[GROUP]
    assert _custom(xdm.stored_fields(schema, groups)) == []


def test_a_schema_replaced_by_a_change_gives_the_new_fields() -> None:
    groups = {GROUP: _group("a")}
    assert _custom(xdm.stored_fields(_schema(), groups)) == ["_acme.a"]
    alone = {"$id": "s", "allOf": [{"$ref": PROFILE}]}
    assert _custom(xdm.stored_fields(alone, groups)) == []

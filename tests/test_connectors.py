"""A connector is one entry in aepflow/connectors.py; the JSON Schema must say the same."""

from __future__ import annotations

import json
from pathlib import Path

from aepflow.connectors import CONNECTORS

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "connection.schema.json"


def test_the_connection_schema_lists_exactly_the_connectors_and_their_auth_types() -> None:
    spec = json.loads(SCHEMA.read_text())["$defs"]["spec"]
    named, generic = spec["properties"]["connector"]["oneOf"]
    assert named["enum"] == list(CONNECTORS)
    assert generic["required"] == ["spec"]
    all_types = {key for c in CONNECTORS.values() for key in c.auth_types}
    assert set(spec["properties"]["auth"]["properties"]["type"]["enum"]) == all_types
    per_connector = {
        rule["if"]["properties"]["connector"]["const"]: rule["then"]["properties"]["auth"][
            "properties"
        ]["type"]["enum"]
        for rule in spec["allOf"]
        if "connector" in rule["if"]["properties"]
        and "type" in rule["then"]["properties"].get("auth", {}).get("properties", {})
    }
    assert per_connector == {key: list(c.auth_types) for key, c in CONNECTORS.items()}

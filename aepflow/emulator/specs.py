"""AEP's read-only catalog as the emulator serves it, loaded from ``data/*.json``.

- ``connection_specs.json``: the four CRM / customer-success source specs with their authSpecs
  (help/sources/tutorials/api/collect/crm.md; secret params are marked
  ``"format": "password"``) and the Data Lake target.
- ``flow_specs.json``: CRMToAEP as the newest seed prints it (transformationSpecs and the
  scheduleSpec that allows ``once``), plus the runSpec of help/sources/tutorials/api/collect/crm.md.
- ``explore.json``: a small fixed table catalog per connector, for ``/connections/{id}/explore``.

The emulator keeps its own copy of these facts: it stands for the server, so it shares nothing
with the client's tables (``aepflow.connectors``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

CRM_FLOW_SPEC_ID = "14518937-270c-4525-bdec-c2ba7cce3860"
DATA_LAKE_SPEC_ID = "c604ff05-7f1a-43c0-8e18-33bf874cb11c"


def load(name: str) -> Any:
    """A data file of the package, parsed (cached: callers must not mutate it)."""
    return _load(name)


@cache
def _load(name: str) -> Any:
    text = (
        resources.files("aepflow.emulator")
        .joinpath("data")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


@cache
def connection_specs() -> dict[str, dict[str, Any]]:
    return {spec["id"]: spec for spec in load("connection_specs.json")}


@cache
def flow_specs() -> dict[str, dict[str, Any]]:
    return {spec["id"]: spec for spec in load("flow_specs.json")}


def auth_spec(connection_spec: dict[str, Any], spec_name: str) -> dict[str, Any] | None:
    for auth in connection_spec.get("authSpec") or []:
        if auth["name"] == spec_name:
            found: dict[str, Any] = auth
            return found
    return None


def secret_params(connection_spec: dict[str, Any], spec_name: str) -> frozenset[str]:
    """The params an authSpec marks as secrets (``"format": "password"``)."""
    auth = auth_spec(connection_spec, spec_name)
    if auth is None:
        return frozenset()
    properties = auth["spec"].get("properties", {})
    return frozenset(k for k, v in properties.items() if v.get("format") == "password")


def tables(connection_spec_name: str) -> dict[str, list[dict[str, str]]]:
    """The explorable tables of a connector: table name -> columns ({name, type})."""
    catalog = load("explore.json")
    name = catalog["aliases"].get(connection_spec_name, connection_spec_name)
    found: dict[str, list[dict[str, str]]] = catalog["tables"].get(name, {})
    return found

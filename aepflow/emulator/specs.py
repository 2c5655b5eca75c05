"""AEP's read-only catalog as the emulator serves it, loaded from ``data/*.json``.

- ``connection_specs.json``: the CRM and customer-success source specs with their authSpecs, as
  their tutorials under help/sources/tutorials/api/create/ send them (secret params are marked
  ``"format": "password"``), the generic REST source spec the SugarCRM and SAP tutorials name in
  their source connections, Google AdWords as help/sources/tutorials/api/create/crm/adwords.md
  prints it whole (a source aepflow has no entry for), and the Data Lake target.
- ``flow_specs.json``: CRMToAEP as the newest seed prints it (transformationSpecs and the
  scheduleSpec that allows ``once``), plus the runSpec of help/sources/tutorials/api/collect/crm.md;
  the Veeva, Zoho and Oracle Service Cloud specs are added to its sources (their tutorials lead
  to collect/crm.md and collect/customer-success.md; the seed's print predates them:
  UNCONFIRMED). The REST sources' flow spec (customer-success/zendesk.md, "Create a flow"),
  whose tutorials send only a Mapping transformation; its name is UNCONFIRMED.
- ``explore.json``: a small fixed catalog per connector, for ``/connections/{id}/explore``:
  tables (explore/tabular.md), Dynamics views (create/crm/ms-dynamics.md, ``objectType=view``)
  and the REST sources' JSON schemas per ``object_type`` (create/customer-success/zendesk.md,
  ``objectType=rest``; "" is the object of a source that takes no params).

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


REST_SOURCE_SPEC_ID = "63d2b27b-69a5-45c9-a7fe-78148a25de3c"
SINGLE_OBJECT = "json"  # what a flow of a REST source without object types reads


def _name(connection_spec_name: str) -> str:
    aliases: dict[str, str] = load("explore.json")["aliases"]
    return aliases.get(connection_spec_name, connection_spec_name)


def base_tables(connection_spec_name: str) -> dict[str, list[dict[str, str]]]:
    """The explorable tables of a connector: table name -> columns ({name, type})."""
    found: dict[str, list[dict[str, str]]] = load("explore.json")["tables"].get(
        _name(connection_spec_name), {}
    )
    return found


def views(connection_spec_name: str) -> dict[str, list[dict[str, str]]]:
    """The explorable views of a connector (Dynamics): view name -> columns."""
    found: dict[str, list[dict[str, str]]] = load("explore.json")["views"].get(
        _name(connection_spec_name), {}
    )
    return found


def rest_objects(connection_spec_name: str) -> dict[str, dict[str, Any]]:
    """The JSON schema per ``object_type`` of a REST source ("" for no params); {} for a table
    source."""
    found: dict[str, dict[str, Any]] = load("explore.json")["rest"].get(
        _name(connection_spec_name), {}
    )
    return found


def is_rest(connection_spec: dict[str, Any]) -> bool:
    return (connection_spec.get("exploreSpec") or {}).get("type") == "Rest"


def tables(connection_spec_name: str) -> dict[str, Any]:
    """Everything a flow of the connector may read, by what its ``_emu.table`` holds: tables,
    views and REST objects."""
    rest = {k or SINGLE_OBJECT: v for k, v in rest_objects(connection_spec_name).items()}
    return {**base_tables(connection_spec_name), **views(connection_spec_name), **rest}

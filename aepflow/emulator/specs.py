"""AEP's read-only catalog as the emulator serves it: connection specs, the CRMToAEP flow spec,
the standard XDM classes and field groups, and a small table catalog per connector.

The emulator keeps its own copy of these facts (reference/aep-api.md §2-3, xdm-fields.md): it
stands for the server, so it does not share the client's tables.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from typing import Any

PROVIDER_ID = "0ed90a81-07f4-4586-8190-b40eccef1c5a"
CRM_FLOW_SPEC_ID = "14518937-270c-4525-bdec-c2ba7cce3860"
DATA_LAKE_SPEC_ID = "c604ff05-7f1a-43c0-8e18-33bf874cb11c"


def _auth_spec(
    name: str, required: list[str], optional: list[str], secret: set[str]
) -> dict[str, Any]:
    props = {
        p: {"type": "string", **({"format": "password"} if p in secret else {})}
        for p in required + optional
    }
    return {
        "name": name,
        "type": name,
        "spec": {"type": "object", "properties": props, "required": required},
    }


_SF_AUTH = [
    _auth_spec(
        "Basic Authentication",
        ["username", "password", "securityToken"],
        ["environmentUrl", "apiVersion"],
        {"password", "securityToken"},
    ),
    _auth_spec(
        "OAuth2 Client Credential",
        ["environmentUrl", "clientId", "clientSecret", "apiVersion"],
        ["includeDeletedObjects"],
        {"clientSecret"},
    ),
]


def _source_spec(id: str, name: str, auth: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": id,
        "name": name,
        "providerId": PROVIDER_ID,
        "version": "1.0",
        "attributes": {"category": "CRM", "isSource": True},
        "authSpec": auth,
        "sourceSpec": {"attributes": {"uiAttributes": {"isBeta": False}}},
    }


CONNECTION_SPECS: dict[str, dict[str, Any]] = {
    str(s["id"]): s
    for s in (
        _source_spec("cfc0fee1-7dc0-40ef-b73e-d8b134c436f5", "salesforce", _SF_AUTH),
        _source_spec("cb66ab34-8619-49cb-96d1-39b37ede86ea", "salesforce-service-cloud", _SF_AUTH),
        _source_spec(
            "eb13cb25-47ab-407f-ba89-c0125281c563",
            "service-now",
            [
                _auth_spec(
                    "Basic Authentication", ["endpoint", "username", "password"], [], {"password"}
                )
            ],
        ),
        _source_spec(
            "38ad80fe-8b06-4938-94f4-d4ee80266b07",
            "dynamics-online",
            [
                _auth_spec(
                    "Basic Authentication for Dynamics-Online",
                    ["serviceUri", "username", "password"],
                    [],
                    {"password"},
                ),
                _auth_spec(
                    "Service Principal Key Based Authentication",
                    ["serviceUri", "servicePrincipalId", "servicePrincipalKey"],
                    [],
                    {"servicePrincipalKey"},
                ),
            ],
        ),
        {
            "id": DATA_LAKE_SPEC_ID,
            "name": "Data Lake",
            "providerId": "521eee4d-8cbe-4906-bb48-fb6bd4450033",
            "version": "1.0",
            "attributes": {"isDestination": True},
            "authSpec": [],
        },
    )
}


def secret_params(spec_id: str, spec_name: str) -> set[str]:
    for auth in CONNECTION_SPECS.get(spec_id, {}).get("authSpec", []):
        if auth["name"] == spec_name:
            return {
                k for k, v in auth["spec"]["properties"].items() if v.get("format") == "password"
            }
    return set()


# CRMToAEP, as the seeds print it. The scheduleSpec allows "once" (no interval, no backfill);
# otherwise interval >= 15 for minute and >= 1 for the others (the machine-readable spec; the
# tutorial prose says >= 15 for every frequency).
SCHEDULE_SPEC: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "startTime": {"description": "epoch time", "type": "integer"},
        "endTime": {"description": "epoch time", "type": "integer"},
        "interval": {"type": "integer"},
        "frequency": {"type": "string", "enum": ["once", "minute", "hour", "day", "week"]},
        "backfill": {"type": "boolean", "default": True},
    },
    "required": ["startTime", "frequency"],
    "if": {"properties": {"frequency": {"const": "once"}}},
    "then": {"not": {"anyOf": [{"required": ["interval"]}, {"required": ["backfill"]}]}},
    "else": {
        "required": ["interval"],
        "if": {"properties": {"frequency": {"const": "minute"}}},
        "then": {"properties": {"interval": {"minimum": 15}}},
        "else": {"properties": {"interval": {"minimum": 1}}},
    },
}

FLOW_SPECS: dict[str, dict[str, Any]] = {
    CRM_FLOW_SPEC_ID: {
        "id": CRM_FLOW_SPEC_ID,
        "name": "CRMToAEP",
        "providerId": PROVIDER_ID,
        "version": "1.0",
        "attributes": {"isSourceFlow": True, "frequency": "batch", "isDraftModeSupported": True},
        "sourceConnectionSpecIds": [i for i in CONNECTION_SPECS if i != DATA_LAKE_SPEC_ID],
        "targetConnectionSpecIds": [DATA_LAKE_SPEC_ID],
        "optionSpec": {
            "name": "OptionSpec",
            "spec": {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {
                    "errorDiagnosticsEnabled": {"type": "boolean"},
                    "partialIngestionPercent": {"type": "number"},
                },
            },
        },
        "transformationSpecs": [
            {
                "name": "Copy",
                "spec": {
                    "$schema": "http://json-schema.org/draft-07/schema#",
                    "type": "object",
                    "properties": {
                        "deltaColumn": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "dateFormat": {"type": "string"},
                                "timezone": {"type": "string"},
                            },
                            "required": ["name"],
                        }
                    },
                    "required": ["deltaColumn"],
                },
            },
            {
                "name": "Mapping",
                "spec": {
                    "$schema": "http://json-schema.org/draft-07/schema#",
                    "type": "object",
                    "properties": {
                        "mappingId": {"type": "string"},
                        "mappingVersion": {"type": ["string", "integer"]},
                    },
                    "required": ["mappingId", "mappingVersion"],
                },
            },
        ],
        "scheduleSpec": {"name": "PeriodicSchedule", "type": "Periodic", "spec": SCHEDULE_SPEC},
        "runSpec": {
            "name": "ProviderParams",
            "spec": {
                "type": "object",
                "properties": {
                    "startTime": {"type": "integer"},
                    "windowStartTime": {"type": "integer"},
                    "windowEndTime": {"type": "integer"},
                    "deltaColumn": {"type": "object"},
                },
                "required": ["startTime", "windowStartTime", "windowEndTime", "deltaColumn"],
            },
        },
    }
}


def _columns(*names: tuple[str, str]) -> list[dict[str, Any]]:
    out = []
    for name, xdm in names:
        fmt = {"format": "date-time"} if xdm == "date-time" else {}
        out.append(
            {
                "name": name,
                "type": "string" if xdm in ("string", "date-time") else xdm,
                "meta:xdmType": xdm,
                "xdm": {"type": "string" if xdm == "date-time" else xdm, **fmt},
            }
        )
    return out


_SF_TABLES = {
    "Account": _columns(
        ("Id", "string"),
        ("Name", "string"),
        ("Phone", "string"),
        ("Industry", "string"),
        ("CreatedDate", "date-time"),
        ("LastModifiedDate", "date-time"),
    ),
    "Contact": _columns(
        ("Id", "string"),
        ("FirstName", "string"),
        ("LastName", "string"),
        ("Email", "string"),
        ("Phone", "string"),
        ("AccountId", "string"),
        ("CreatedDate", "date-time"),
        ("LastModifiedDate", "date-time"),
        ("first_name", "string"),
        ("last_name", "string"),
        ("email", "string"),
    ),
    "Lead": _columns(
        ("Id", "string"),
        ("FirstName", "string"),
        ("LastName", "string"),
        ("Email", "string"),
        ("Company", "string"),
        ("Status", "string"),
        ("LastModifiedDate", "date-time"),
    ),
}
TABLES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "salesforce": _SF_TABLES,
    "salesforce-service-cloud": _SF_TABLES,
    "service-now": {
        "incident": _columns(
            ("sys_id", "string"),
            ("number", "string"),
            ("short_description", "string"),
            ("priority", "integer"),
            ("state", "integer"),
            ("caller_id", "string"),
            ("opened_at", "date-time"),
            ("sys_updated_on", "date-time"),
        ),
        "sys_user": _columns(
            ("sys_id", "string"),
            ("user_name", "string"),
            ("first_name", "string"),
            ("last_name", "string"),
            ("email", "string"),
            ("phone", "string"),
            ("sys_updated_on", "date-time"),
        ),
    },
    "dynamics-online": {
        "contact": _columns(
            ("contactid", "string"),
            ("firstname", "string"),
            ("lastname", "string"),
            ("emailaddress1", "string"),
            ("telephone1", "string"),
            ("birthdate", "string"),
            ("modifiedon", "date-time"),
        ),
        "account": _columns(
            ("accountid", "string"),
            ("name", "string"),
            ("telephone1", "string"),
            ("modifiedon", "date-time"),
        ),
    },
}

CLASSES = {
    "https://ns.adobe.com/xdm/context/profile": "XDM Individual Profile",
    "https://ns.adobe.com/xdm/context/experienceevent": "XDM ExperienceEvent",
}


@lru_cache(maxsize=1)
def xdm_fields() -> dict[str, list[str]]:
    """Leaf paths (dotted, XED names) of each standard class and field group."""
    out: dict[str, list[str]] = {}
    with (
        resources.files("aepflow.emulator")
        .joinpath("data/xdm-fields.tsv")
        .open(encoding="utf-8") as f
    ):
        for row in csv.DictReader(f, delimiter="\t"):
            out.setdefault(row["group_id"], []).append(row["path"])
    return out

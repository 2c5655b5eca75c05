"""``connector: {spec: ID}``: a connection to a source aepflow has no entry for.

Offline, validate checks the form only: an authSpec name, params, and that no param is both
written in the manifest and a secret by its look (a value from ``${env:...}`` is sensitive, as
for any connector). Which params the spec requires, allows and marks as secrets
(``"format": "password"``) is known only to the platform: the plan reads the connection spec
(``GET /connectionSpecs/{id}``, help/sources/tutorials/api/create/crm/adwords.md "Look up
connection specifications") and checks the params against its authSpec JSON Schema
(``aepflow.engine.sourcecheck``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aepflow.errors import SourceLocation
from aepflow.model import ConnectionDef

Problem = Callable[[SourceLocation, str], None]


def generic_connection(
    name: str,
    at: SourceLocation,
    spec: Any,
    description: str,
    raw_params: Mapping[str, Any],
    locations: Mapping[str, SourceLocation],
    problem: Problem,
) -> ConnectionDef | None:
    connector, auth = spec["connector"], spec["auth"]
    spec_id = str(connector.get("spec", ""))
    spec_name = auth.get("specName")
    if not isinstance(spec_name, str) or not spec_name.strip():
        problem(
            auth.key_at.get("params", at) if hasattr(auth, "key_at") else at,
            "auth.specName is required with connector: {spec: ID}: the authSpec name the "
            "connection spec lists (GET /connectionSpecs/ID)",
        )
        return None
    params = dict(auth["params"])
    return ConnectionDef(
        name=name,
        location=at,
        locations=locations,
        connector="",
        aep_name=str(spec.get("name", "")),
        connection_spec_id=spec_id,
        auth_spec_name=spec_name,
        params=params,
        # Only what comes from the environment is known to be secret offline; the plan adds
        # what the connection spec marks as passwords (and refuses them written out).
        secret_params=frozenset(p for p in params if "${env:" in str(raw_params.get(p, ""))),
        description=description,
    )

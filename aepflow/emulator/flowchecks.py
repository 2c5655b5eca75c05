"""Flow Service validation: bodies checked against the connection and flow specs.

Facts: help/sources/tutorials/api/collect/crm.md.

- base connection: a known connectionSpec (1413), an authSpec of that spec (1415), and auth
  params that match it: every required param, no unknown one, the declared types (1100).
- source connection: an existing base connection (1411) of the same connectionSpec (1413).
- target connection: a target spec (1413), an existing dataset whose schema is ``data.schema.id``
  (1100).
- flow: no ``state`` (1410); a known flowSpec (1413); existing source and target connections
  (1411) of specs the flowSpec allows (1413); transformations that match its
  transformationSpecs (1100), a Mapping whose set and version exist (1419, 1412) and whose
  schema is the target dataset's (1425); scheduleParams that match its scheduleSpec (1100).
  The docs send every scheduleParam and mappingVersion as strings while the spec types them as
  integers and booleans (and mappingVersion as a string): both are accepted.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from typing import Any

import jsonschema

from aepflow.emulator import errors, specs
from aepflow.emulator.records import SECRET_MASK, hash_secret
from aepflow.emulator.state import Tx

_VALIDATORS: dict[int, tuple[Mapping[str, Any], jsonschema.protocols.Validator]] = {}


def _validator(schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    """A validator per spec schema, built once (the specs are loaded once and never change)."""
    found = _VALIDATORS.get(id(schema))
    if found is None or found[0] is not schema:
        cls = jsonschema.validators.validator_for(schema)
        found = _VALIDATORS[id(schema)] = (schema, cls(schema))
    return found[1]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _provider(detail: str) -> errors.ApiError:
    return errors.flow_provider(detail)


def _entity_missing(collection: str, entity_id: Any) -> errors.ApiError:
    return errors.flow(
        "1411-400",
        f"Unable to retrieve entityId. Invalid request received with path "
        f"'{collection}/{entity_id}'.",
    )


def _spec_invalid(detail: str) -> errors.ApiError:
    return errors.flow(
        "1413-400",
        f"The spec ID provided is invalid. Please provide a valid spec ID and try again. {detail}",
    )


def _schema_message(e: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in e.absolute_path)
    return f"{where}: {e.message}" if where else e.message


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        raise errors.flow(
            "1405-400",
            "The request body cannot be null or empty. Please provide a request body and "
            "try again.",
        )
    return body


def require_name(body: Mapping[str, Any]) -> None:
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        raise _provider("name is required and must be a non-empty string")


def connection_spec(body: Mapping[str, Any]) -> dict[str, Any]:
    ref = body.get("connectionSpec")
    spec_id = ref.get("id") if isinstance(ref, dict) else None
    spec = specs.connection_specs().get(str(spec_id))
    if spec is None:
        raise _spec_invalid(f"Unknown connectionSpec id {spec_id}.")
    return spec


# -- base connections ---------------------------------------------------------------------


def check_auth(
    spec: dict[str, Any],
    auth: Any,
    salt: str,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The auth object to store: validated against the authSpec, secrets hashed.

    ``previous``: the stored auth of the connection being patched; a secret sent back as the
    mask a GET shows keeps its stored hash.
    """
    auth_specs = spec.get("authSpec") or []
    if not auth_specs:
        return None
    if not isinstance(auth, dict):
        raise _provider("auth is required: {specName, params}")
    name = auth.get("specName")
    chosen = specs.auth_spec(spec, str(name))
    if chosen is None:
        raise errors.flow(
            "1415-400",
            f"The auth spec '{name}' could not be found for the connection spec ID {spec['id']}.",
        )
    params = auth.get("params")
    if not isinstance(params, dict):
        raise _provider(f"auth.params is required by the auth spec '{name}'")
    secret = specs.secret_params(spec, str(name))
    kept = (previous or {}).get("params") or {}
    same_spec = (previous or {}).get("specName") == name
    schema = chosen["spec"]
    aep_set = AEP_SET_PARAMS.get(str(name), frozenset())
    unknown = sorted(set(params) - set(schema.get("properties", {})) - aep_set)
    if unknown:
        raise _provider(
            f"auth params do not match the auth spec '{name}': unknown param(s) "
            + ", ".join(unknown)
        )
    for key in sorted(secret & set(params)):
        if not isinstance(params[key], str):
            raise _provider(f"auth param {key} of the auth spec '{name}' must be a string")
    # Secrets are checked as placeholders: a validation message never quotes them.
    checked = {k: SECRET_MASK if k in secret else v for k, v in params.items() if k not in aep_set}
    try:
        _validator(schema).validate(checked)
    except jsonschema.ValidationError as e:
        raise _provider(
            f"auth params do not match the auth spec '{name}': {_schema_message(e)}"
        ) from None
    stored = copy.deepcopy(params)
    for key in secret & set(params):
        if params[key] == SECRET_MASK and same_spec and key in kept:
            stored[key] = kept[key]
        else:
            stored[key] = hash_secret(salt, params[key])
    if previous is None:  # a new connection is enabled at once: AEP adds what it sets
        for key in sorted(aep_set - set(stored)):
            digest = hashlib.sha256(f"{salt}:{key}:{sorted(params)}".encode()).hexdigest()
            stored[key] = "00D" + digest[:12].upper()
    return {**auth, "specName": name, "params": stored}


# Params AEP sets itself and a client never has to send: a JWT connection's Salesforce orgId,
# once enabled (help/sources/tutorials/api/create/crm/salesforce.md, Experience Platform on AWS).
AEP_SET_PARAMS = {"OAuth2 JWT Token Credential": frozenset({"orgId"})}


def masked(connection: Mapping[str, Any]) -> dict[str, Any]:
    """A connection as GET shows it: secret params masked.

    Whether AEP masks secrets in GET responses is UNCONFIRMED (its docs show placeholders);
    masking is the safe reading, and the state only holds their hashes anyway.
    """
    out = dict(connection)
    auth = connection.get("auth")
    if isinstance(auth, dict) and isinstance(auth.get("params"), dict):
        spec = specs.connection_specs().get(connection["connectionSpec"]["id"], {})
        secret = specs.secret_params(spec, str(auth.get("specName")))
        params = {k: SECRET_MASK if k in secret else v for k, v in auth["params"].items()}
        out["auth"] = {**auth, "params": params}
    return out


# -- source and target connections ----------------------------------------------------------


def check_source(tx: Tx, sandbox: str, body: Mapping[str, Any]) -> None:
    base_id = body.get("baseConnectionId")
    if not base_id:
        raise _provider("baseConnectionId is required")
    base = tx.get(sandbox, "connections", str(base_id))
    if base is None:
        raise _entity_missing("connections", base_id)
    spec = connection_spec(body)
    base_spec = specs.connection_specs()[base["connectionSpec"]["id"]]
    # The SugarCRM and SAP tutorials name the generic REST source spec in the source
    # connections of their own base connections (create/crm/sugarcrm-accounts-contacts.md).
    generic = spec["id"] == specs.REST_SOURCE_SPEC_ID and specs.is_rest(base_spec)
    if spec["id"] != base_spec["id"] and not generic:
        raise _spec_invalid(
            f"The connectionSpec {spec['id']} is not the one of base connection {base_id} "
            f"({base['connectionSpec']['id']})."
        )
    params = body.get("params")
    if not isinstance(params, dict):
        raise _provider("params is required")
    data_format = _object(body.get("data")).get("format")
    if specs.is_rest(base_spec):
        # create/customer-success/zendesk.md: "the only supported data format is json".
        if data_format != "json":
            raise _provider(
                f"data.format must be json for {base_spec['name']}, not {data_format!r}"
            )
        objects = specs.rest_objects(str(base_spec["name"]))
        wanted = str(params.get("object_type", ""))
        if wanted not in objects:
            known = ", ".join(sorted(k for k in objects if k)) or "none"
            raise _provider(f"params.object_type {wanted!r} is not served (object types: {known})")
        return
    if not (params.get("tableName") or params.get("path")):
        raise _provider("params.tableName is required: the table to read")


def check_target(tx: Tx, sandbox: str, body: Mapping[str, Any]) -> None:
    spec = connection_spec(body)
    if not spec.get("attributes", {}).get("isDestination"):
        raise _spec_invalid(f"The connectionSpec {spec['id']} ({spec['name']}) is not a target.")
    params = _object(body.get("params"))
    dataset_id = params.get("dataSetId")
    if not dataset_id:
        raise _provider("params.dataSetId is required by the Data Lake target")
    dataset = tx.get(sandbox, "dataSets", str(dataset_id))
    if dataset is None:
        raise _provider(f"the dataset {dataset_id} does not exist")
    schema = _object(_object(body.get("data")).get("schema"))
    expected = (dataset.get("schemaRef") or {}).get("id")
    if schema.get("id") != expected:
        raise _provider(
            f"data.schema.id {schema.get('id')} is not the schema of dataset {dataset_id} "
            f"({expected})"
        )


# -- flows ----------------------------------------------------------------------------------


def flow_spec(body: Mapping[str, Any]) -> dict[str, Any]:
    ref = body.get("flowSpec")
    spec_id = ref.get("id") if isinstance(ref, dict) else None
    spec = specs.flow_specs().get(str(spec_id))
    if spec is None:
        raise _spec_invalid(f"Unknown flowSpec id {spec_id}.")
    return spec


def check_connections(
    tx: Tx, sandbox: str, body: Mapping[str, Any], spec: Mapping[str, Any]
) -> dict[str, Any]:
    """Check the flow's source and target connections; returns its inheritedAttributes."""
    inherited: dict[str, Any] = {"sourceConnections": [], "targetConnections": []}
    for key, collection, allowed, kind in (
        ("sourceConnectionIds", "sourceConnections", "sourceConnectionSpecIds", "source"),
        ("targetConnectionIds", "targetConnections", "targetConnectionSpecIds", "target"),
    ):
        ids = body.get(key)
        if not isinstance(ids, list) or not ids:
            raise _provider(f"{key} is required: a list of {kind} connection ids")
        for conn_id in ids:
            conn = tx.get(sandbox, collection, str(conn_id))
            if conn is None:
                raise _entity_missing(collection, conn_id)
            conn_spec = conn["connectionSpec"]
            if conn_spec["id"] not in spec[allowed]:
                raise _spec_invalid(
                    f"The {kind} connection {conn_id} has connectionSpec {conn_spec['id']}, "
                    f"which flowSpec {spec['name']} does not allow."
                )
            entry: dict[str, Any] = {"id": conn_id, "connectionSpec": conn_spec}
            if kind == "source":
                base = tx.get(sandbox, "connections", str(conn.get("baseConnectionId")))
                if base is not None:
                    entry["baseConnection"] = {
                        "id": base["id"],
                        "connectionSpec": base["connectionSpec"],
                    }
            inherited[collection].append(entry)
    inherited["properties"] = {"isSourceFlow": bool(spec.get("attributes", {}).get("isSourceFlow"))}
    return inherited


def check_transformations(
    tx: Tx, sandbox: str, flow: Mapping[str, Any], spec: Mapping[str, Any]
) -> None:
    transformations = flow.get("transformations", [])
    if not isinstance(transformations, list):
        raise _provider("transformations must be a list")
    by_name = {t["name"]: t["spec"] for t in spec.get("transformationSpecs", [])}
    names = []
    for t in transformations:
        name = t.get("name") if isinstance(t, dict) else None
        if name not in by_name:
            raise _provider(
                f"the transformation {name!r} is not defined by flowSpec {spec['name']} "
                f"(one of {', '.join(sorted(by_name))})"
            )
        names.append(name)
        params = t.get("params")
        if not isinstance(params, dict):
            raise _provider(f"the {name} transformation needs params")
        checked = dict(params)
        if name == "Mapping" and isinstance(checked.get("mappingVersion"), int):
            checked["mappingVersion"] = str(checked["mappingVersion"])  # docs send integers
        try:
            _validator(by_name[name]).validate(checked)
        except jsonschema.ValidationError as e:
            raise _provider(
                f"the {name} transformation does not match the transformationSpec of "
                f"{spec['name']}: {_schema_message(e)}"
            ) from None
        if name == "Mapping":
            check_mapping(tx, sandbox, flow, params)
    if "Copy" in by_name and "Copy" not in names:
        # help/sources/tutorials/api/collect/crm.md: deltaColumn is required for CRM and
        # database sources.
        raise _provider(
            f"flowSpec {spec['name']} needs a Copy transformation with params.deltaColumn.name"
        )


def check_mapping(tx: Tx, sandbox: str, flow: Mapping[str, Any], params: Mapping[str, Any]) -> None:
    """The Mapping transformation: mappingId and mappingVersion must name an existing version,
    whose output schema is the schema of every target dataset."""
    mapping_id = params.get("mappingId")
    raw_version = params.get("mappingVersion")
    # The published transformationSpec does not mark them required; Flow Service must still
    # resolve a mapping version, so the emulator refuses a Mapping without one (1412).
    if not mapping_id:
        raise _provider("the Mapping transformation needs params.mappingId")
    try:
        version = int(str(raw_version))
    except ValueError:
        version = -1
    mapping_set = tx.get(sandbox, "mappingSets", str(mapping_id))
    if mapping_set is None:
        raise errors.flow(
            "1419-400",
            f"Error while validating mapping with id {mapping_id}, version {raw_version}. "
            "The mapping set does not exist. Please check your mapping.",
        )
    versions = mapping_set["versions"]
    if not 0 <= version < len(versions):
        raise errors.flow(
            "1412-400",
            f"Invalid Mapping Version in request. Please provide correct mapping version. "
            f"Mapping set {mapping_id} has versions 0 to {len(versions) - 1}, "
            f"not {raw_version!r}.",
        )
    mapping_schema = versions[version]["outputSchema"]["schemaRef"]["id"]
    for target_id in flow.get("targetConnectionIds") or []:
        target = tx.get(sandbox, "targetConnections", str(target_id)) or {}
        dataset_id = (target.get("params") or {}).get("dataSetId")
        dataset = tx.get(sandbox, "dataSets", str(dataset_id)) if dataset_id else None
        if dataset is not None and dataset["schemaRef"]["id"] != mapping_schema:
            raise errors.flow(
                "1425-400",
                f"Error while matching schema in target dataset {dataset_id} with schema in "
                f"mapping {mapping_id}. Schema with same id and version must be used in both "
                "mapping and target dataset.",
            )


def coerce_schedule(params: Mapping[str, Any]) -> dict[str, Any]:
    """scheduleParams with the docs' strings turned into the spec's integers and booleans."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in ("startTime", "endTime", "interval") and isinstance(value, str):
            text = value.strip()
            out[key] = int(text) if text.isascii() and text.lstrip("-").isdigit() else value
        elif key == "backfill" and isinstance(value, str) and value.lower() in ("true", "false"):
            out[key] = value.lower() == "true"
        else:
            out[key] = value
    return out


def check_schedule(flow: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    params = flow.get("scheduleParams")
    if params is None:
        return
    if not isinstance(params, dict):
        raise _provider("scheduleParams must be an object")
    schedule = spec.get("scheduleSpec", {}).get("spec")
    if not schedule:
        return
    try:
        _validator(schedule).validate(coerce_schedule(params))
    except jsonschema.ValidationError as e:
        raise _provider(
            f"scheduleParams do not match the scheduleSpec of flowSpec {spec['name']}: "
            f"{_schema_message(e)}"
        ) from None

"""The JSON Schemas in ``schemas/`` applied to manifests, with every error at its line."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource

from aepflow.errors import Diagnostic, SourceLocation

BASE = "https://aepflow.io/schemas/v1/"


def schema_dir() -> Path:
    """Shipped in the wheel as aepflow/schemas; in a source checkout, the repo's schemas/."""
    packaged = resources.files("aepflow").joinpath("schemas")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent.parent / "schemas"


@lru_cache(maxsize=1)
def _schemas() -> dict[str, dict[str, Any]]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(schema_dir().glob("*.schema.json"))
    }


@lru_cache(maxsize=8)
def validator(name: str) -> Draft202012Validator:
    docs = _schemas()
    registry: Registry[Any] = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in docs.values()
    )
    return Draft202012Validator(docs[name], registry=registry)


def location_of(node: Any, path: list[Any], default: SourceLocation) -> SourceLocation:
    at = getattr(node, "at", default)
    for part in path:
        if isinstance(node, dict) and part in node:
            at = node.value_at.get(part, at) if hasattr(node, "value_at") else at
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            at = node.item_at[part] if hasattr(node, "item_at") else at
            node = node[part]
        else:
            break
    return at


def _message(e: ValidationError) -> tuple[list[Any], str]:
    schema: dict[str, Any] = e.schema if isinstance(e.schema, dict) else {}
    expected: Any = e.validator_value
    path = list(e.absolute_path)
    where = ".".join(str(p) for p in path)
    prefix = f"{where}: " if where else ""
    if e.validator == "enum":
        options = ", ".join(str(o) for o in expected)
        return path, f"{prefix}{e.instance!r} is not one of {options}"
    if e.validator == "required":
        missing = e.message.split("'")[1] if "'" in e.message else e.message
        return path, f"{prefix}missing required key {missing!r}".lstrip()
    if e.validator == "additionalProperties" and isinstance(e.instance, dict):
        allowed = set(schema.get("properties") or {})
        extra = sorted(k for k in e.instance if k not in allowed)
        known = ", ".join(sorted(allowed))
        return [*path, extra[0]] if extra else path, (
            f"{'.'.join(str(p) for p in [*path, extra[0]]) if extra else where}: unknown key"
            f" (allowed here: {known})"
        )
    if e.validator in ("anyOf", "oneOf") and schema.get("description"):
        text = str(schema["description"])
        return path, f"{prefix}expected {text[0].lower()}{text[1:]}"
    if e.validator == "pattern":
        return path, f"{prefix}{e.instance!r} does not match {expected}"
    return path, f"{prefix}{e.message}"


def validate(body: Any, schema: str, at: SourceLocation) -> list[Diagnostic]:
    out = []
    for error in validator(schema).iter_errors(body):
        path, message = _message(error)
        key_path = path
        loc = location_of(body, key_path, at)
        if error.validator == "additionalProperties" and key_path:
            parent = body
            for part in key_path[:-1]:
                parent = parent[part]
            loc = getattr(parent, "key_at", {}).get(key_path[-1], loc)
        out.append(Diagnostic(loc, message))
    return out


def validate_project(body: Any, file: str, at: SourceLocation) -> list[Diagnostic]:
    if not isinstance(body, dict):
        return [Diagnostic(at, "aepflow.yaml must be a mapping (version, environments, ...)")]
    return validate(body, "project.schema.json", at)

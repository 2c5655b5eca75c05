"""The JSON Schemas in ``schemas/`` applied to manifests, with every error at its line."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from importlib import import_module, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

from aepflow.errors import Diagnostic, SourceLocation
from aepflow.manifest.walk import did_you_mean

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

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
    # Imported here: a valid manifest never needs jsonschema when the fast path is on, and
    # importing it is a fifth of a second of every validate.
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    docs = _schemas()
    registry: Registry[Any] = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in docs.values()
    )
    return Draft202012Validator(docs[name], registry=registry)


# -- fast path --------------------------------------------------------------------------------
#
# ``fastjsonschema`` compiles a schema into plain Python once; that accepts a valid document
# many times faster than ``jsonschema``. It only says yes or no here: when it says no (or
# anything goes wrong), ``validate`` asks ``jsonschema`` again for the positioned, friendly
# report, so the messages are exactly the ones ``jsonschema`` gives. The fast validator must
# therefore never accept what ``jsonschema`` rejects; it may reject more (that only costs time).
# fastjsonschema implements drafts 4 to 7: a schema set that uses a 2019-09/2020-12 keyword it
# would silently ignore is not compiled, and ``jsonschema`` alone checks it.

FastValidator = Callable[[Any], Any]

FASTPATH_ENV = "AEPFLOW_SCHEMA_FASTPATH"  # "0": jsonschema only (to compare, or to debug)

# Keywords fastjsonschema does not implement (it would ignore them and accept too much).
_UNSUPPORTED = frozenset(
    {
        "$anchor",
        "$dynamicAnchor",
        "$dynamicRef",
        "$recursiveAnchor",
        "$recursiveRef",
        "$vocabulary",
        "dependentRequired",
        "dependentSchemas",
        "maxContains",
        "minContains",
        "prefixItems",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_DATA = frozenset({"enum", "const", "default", "examples"})


class FastPathUnsupported(Exception):
    """The schema set needs something fastjsonschema cannot do faithfully."""


def _fastjsonschema() -> Any:
    """The fastjsonschema module, or None when it is not installed or switched off."""
    if os.environ.get(FASTPATH_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        return import_module("fastjsonschema")
    except ImportError:
        return None


def _prepare(node: Any, root: bool = True) -> Any:
    """A copy of a schema that fastjsonschema reads as draft 2020-12 means it.

    Draft 7 (and fastjsonschema) ignores the keywords beside a ``$ref``; 2020-12 applies them:
    ``{"$ref": r, ...rest}`` becomes ``{...rest, "allOf": [...allOf, {"$ref": r}]}`` (appended,
    so JSON pointers into an existing allOf still hold). Raises FastPathUnsupported for a keyword
    fastjsonschema would ignore, or an ``$id`` below the root (its ``$ref``s are not checked).
    """
    if isinstance(node, list):
        return [_prepare(v, root=False) for v in node]
    if not isinstance(node, dict):
        return node
    unsupported = _UNSUPPORTED.intersection(node)
    if unsupported:
        raise FastPathUnsupported(f"keyword {sorted(unsupported)[0]!r}")
    if "$id" in node and not (root and isinstance(node["$id"], str)):
        raise FastPathUnsupported("$id below the root of a schema")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DATA:
            out[key] = copy.deepcopy(value)
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: _prepare(v, root=False) for k, v in value.items()}
        else:
            out[key] = _prepare(value, root=False)
    one_of = out.get("oneOf")
    keys = _one_key_each(one_of)
    if keys is not None:
        # "exactly one of these keys": fastjsonschema's oneOf tries every branch and raises
        # (and formats a message) for each one that fails, on valid data too. The same rule
        # as an anyOf whose branches also forbid the other keys passes at the first branch
        # that holds, without an exception. Branches are objects only: for any other value
        # every oneOf branch holds, so the oneOf fails, and so must this.
        if not isinstance(out.get("allOf", []), list):
            raise FastPathUnsupported("allOf is not a list")
        del out["oneOf"]
        branches = [
            {
                "type": "object",
                "required": [key],
                "properties": {other: False for other in keys if other != key},
            }
            for key in keys
        ]
        out["allOf"] = [*out.get("allOf", []), {"anyOf": branches}]
    ref = out.get("$ref")
    if "$ref" in out and not isinstance(ref, str):
        raise FastPathUnsupported("$ref is not a string")
    if ref is not None and len(out) > 1:
        if "$id" in out:
            raise FastPathUnsupported("$ref beside $id")
        all_of = out.get("allOf", [])
        if not isinstance(all_of, list):
            raise FastPathUnsupported("allOf is not a list")
        del out["$ref"]
        out["allOf"] = [*all_of, {"$ref": ref}]
    return out


def _one_key_each(one_of: Any) -> list[str] | None:
    """The keys of a ``oneOf`` whose branches are each ``{"required": [one key]}`` (distinct
    keys), else None."""
    if not isinstance(one_of, list) or len(one_of) < 2:
        return None
    keys: list[str] = []
    for branch in one_of:
        if not isinstance(branch, dict) or set(branch) != {"required"}:
            return None
        required = branch["required"]
        if not (isinstance(required, list) and len(required) == 1):
            return None
        if not isinstance(required[0], str) or required[0] in keys:
            return None
        keys.append(required[0])
    return keys


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for v in node:
            yield from _refs(v)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in _DATA:
                yield from _refs(value)


def _uri(ref: str) -> str:
    return urldefrag(ref)[0].rstrip("#")


class _LocalHandlers(Mapping[str, Callable[[str], Any]]):
    """fastjsonschema's remote-ref handlers: every scheme answers from the loaded schemas.

    ``scheme in handlers`` is always true, so fastjsonschema never opens a URL itself; an ``$id``
    that is not loaded raises KeyError and the schema falls back to jsonschema.
    """

    def __init__(self, by_id: Mapping[str, Any]) -> None:
        self._by_id = by_id

    def _load(self, uri: str) -> Any:
        return copy.deepcopy(self._by_id[_uri(uri)])

    def __getitem__(self, scheme: str) -> Callable[[str], Any]:
        return self._load

    def __contains__(self, scheme: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(("http", "https", "file", ""))

    def __len__(self) -> int:
        return 4


@lru_cache(maxsize=1)
def _prepared() -> dict[str, Any]:
    """Every loaded schema, by ``$id``, ready for fastjsonschema (see ``_prepare``)."""
    docs = _schemas()
    by_id = {_uri(str(doc.get("$id", ""))): _prepare(doc) for doc in docs.values()}
    for doc in docs.values():
        for ref in _refs(doc):
            target = _uri(urljoin(str(doc.get("$id", "")), ref))
            if target and target not in by_id:
                raise FastPathUnsupported(f"$ref {ref!r} is not to a loaded schema")
    return by_id


@lru_cache(maxsize=8)
def fast_validator(name: str) -> FastValidator | None:
    """The schema compiled with fastjsonschema, or None: then only jsonschema checks it."""
    fjs = _fastjsonschema()
    if fjs is None:
        return None
    try:
        docs = _schemas()
        by_id = _prepared()
        root = copy.deepcopy(by_id[_uri(str(docs[name].get("$id", "")))])
        compiled: FastValidator = fjs.compile(
            root,
            handlers=_LocalHandlers(by_id),
            use_default=False,  # never fill in defaults: the manifest must stay as written
            use_formats=False,  # jsonschema does not assert "format" either (no FormatChecker)
        )
    except Exception:  # unsupported keyword, unresolvable $ref, a fastjsonschema limitation
        return None
    return compiled


def is_valid_fast(body: Any, name: str) -> bool | None:
    """True when the fast validator accepts ``body``; None when it rejects it or is unavailable."""
    fast = fast_validator(name)
    if fast is None:
        return None
    try:
        fast(body)
    except Exception:  # JsonSchemaValueException, or anything odd: jsonschema decides
        return None
    return True


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


def _listed(value: object) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _message(e: ValidationError) -> tuple[list[Any], str]:
    schema: dict[str, Any] = e.schema if isinstance(e.schema, dict) else {}
    expected: Any = e.validator_value
    path = list(e.absolute_path)
    where = ".".join(str(p) for p in path)
    prefix = f"{where}: " if where else ""
    if e.validator == "enum":
        options = ", ".join(str(o) for o in expected)
        hint = did_you_mean(e.instance, expected)
        return path, f"{prefix}{e.instance!r} is not one of {options}{hint}"
    if e.validator == "required":
        missing = e.message.split("'")[1] if "'" in e.message else e.message
        return path, f"{prefix}missing required key {missing!r}".lstrip()
    if e.validator == "additionalProperties" and isinstance(e.instance, dict):
        allowed = set(schema.get("properties") or {})
        extra = sorted(k for k in e.instance if k not in allowed)
        known = ", ".join(sorted(allowed))
        hint = did_you_mean(extra[0], allowed) if extra else ""
        return [*path, extra[0]] if extra else path, (
            f"{'.'.join(str(p) for p in [*path, extra[0]]) if extra else where}: unknown key"
            f" (allowed here: {known}){hint}"
        )
    if e.validator in ("anyOf", "oneOf") and schema.get("description"):
        text = str(schema["description"]).rstrip(".")
        values: list[Any] = [
            v for sub in e.context if sub.validator == "enum" for v in _listed(sub.validator_value)
        ]
        hint = did_you_mean(e.instance, values)
        return path, f"{prefix}expected {text[0].lower()}{text[1:]}{hint}"
    if e.validator == "pattern":
        text = str(schema.get("description") or "")
        if text:  # the rule in words, as the editor shows it, rather than the regex
            return path, f"{prefix}{e.instance!r} is not allowed here: {text[0].lower()}{text[1:]}"
        return path, f"{prefix}{e.instance!r} does not match {expected}"
    return path, f"{prefix}{e.message}"


def _narrowed(error: ValidationError) -> Iterator[ValidationError]:
    """An anyOf/oneOf error as the errors of the one branch whose type fits the value, when
    only one does: an inline spec with a typo gets the typo's message (and its did-you-mean),
    not "expected a name or an inline spec"."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
        fitting = [
            subs
            for subs in branches.values()
            if not any(s.validator == "type" and not s.relative_path for s in subs)
        ]
        if len(fitting) == 1:
            for sub in fitting[0]:
                yield from _narrowed(sub)
            return
    yield error


def validate(body: Any, schema: str, at: SourceLocation) -> list[Diagnostic]:
    if is_valid_fast(body, schema):
        return []
    return report(body, schema, at)


def _misspelt(error: ValidationError, errors: list[ValidationError]) -> bool:
    """A missing required key that an unknown key beside it is a typo of: one problem, not two."""
    if error.validator != "required" or not isinstance(error.instance, dict):
        return False
    instance: dict[str, Any] = error.instance
    missing = [k for k in _listed(error.validator_value) if k not in instance]
    for other in errors:
        if other.validator != "additionalProperties" or other.instance is not error.instance:
            continue
        schema = other.schema if isinstance(other.schema, dict) else {}
        allowed = schema.get("properties") or {}
        extra = [k for k in instance if k not in allowed]
        if any(did_you_mean(x, missing) for x in extra):
            return True
    return False


def report(body: Any, schema: str, at: SourceLocation) -> list[Diagnostic]:
    """Every jsonschema error of ``body``, each at its line (the slow, exact path)."""
    out = []
    errors = [e for found in validator(schema).iter_errors(body) for e in _narrowed(found)]
    for error in errors:
        if _misspelt(error, errors):
            continue  # the unknown key beside it says "did you mean" this one
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

"""Objects, arrays, logical operators, aggregation, type conversions, JSON and special
operations (help/data-prep/functions.md)."""

from __future__ import annotations

import json
import uuid as uuidlib
from decimal import Decimal, InvalidOperation
from typing import Any

from aepflow.dataprep.registry import Context, EvaluationError, Function, fn, integer, text


def _items(a: list[Any]) -> list[Any]:
    """The reference passes arrays both ways: ``coalesce(a, b)`` and ``coalesce([a, b])``."""
    return a[0] if len(a) == 1 and isinstance(a[0], list) else a


@fn("size_of(INPUT)", 1, 1)
def size_of(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return 0
    if isinstance(a[0], (list, dict, str)):
        return len(a[0])
    raise EvaluationError(f"size_of needs an array, object or string, not {text(a[0])!r}")


@fn("is_empty(INPUT)", 1, 1)
def is_empty(ctx: Context, a: list[Any]) -> Any:
    return a[0] is None or (isinstance(a[0], (list, dict, str)) and len(a[0]) == 0)


@fn("to_object(INPUT)", 1, None)
def to_object(ctx: Context, a: list[Any]) -> Any:
    items = _items(a)
    if len(items) % 2:
        raise EvaluationError("to_object needs key/value pairs: an even number of arguments")
    return {text(items[i]): items[i + 1] for i in range(0, len(items), 2)}


@fn("str_to_object(STRING, VALUE_DELIMITER, FIELD_DELIMITER)", 1, 3)
def str_to_object(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return None
    value_sep = text(a[1]) if len(a) > 1 and a[1] else ":"
    field_sep = text(a[2]) if len(a) > 2 and a[2] else ","
    out: dict[str, Any] = {}
    for pair in text(a[0]).split(field_sep):
        key, _, value = pair.partition(value_sep)
        out[key.strip()] = value.strip()
    return out


def _has(row: Any, path: str) -> bool:
    node = row
    if isinstance(node, dict) and path in node:
        return True
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


@fn("contains_key(INPUT)", 1, 1, "is_set")
def contains_key(ctx: Context, a: list[Any]) -> Any:
    return a[0] is not None and _has(dict(ctx.row), text(a[0]))


@fn("nullify()", 0, 0)
def nullify(ctx: Context, a: list[Any]) -> Any:
    return None


@fn("get_keys(OBJECT)", 1, 1)
def get_keys(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return None
    if not isinstance(a[0], dict):
        raise EvaluationError(f"get_keys needs an object, not {text(a[0])!r}")
    return list(a[0])


@fn("get_values(STRING, KEY, VALUE_DELIMITER, FIELD_DELIMITER)", 3, 4)
def get_values(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return None
    pairs = str_to_object.impl(ctx, [a[0], a[2], a[3] if len(a) > 3 else None])  # type: ignore[misc]
    return pairs.get(text(a[1]))


@fn("coalesce(INPUT)", 1, None)
def coalesce(ctx: Context, a: list[Any]) -> Any:
    return next((v for v in _items(a) if v is not None), None)


@fn("first(INPUT)", 1, None)
def first(ctx: Context, a: list[Any]) -> Any:
    items = _items(a)
    return items[0] if items else None


@fn("last(INPUT)", 1, None)
def last(ctx: Context, a: list[Any]) -> Any:
    items = _items(a)
    return items[-1] if items else None


@fn("add_to_array(ARRAY, VALUES)", 1, None)
def add_to_array(ctx: Context, a: list[Any]) -> Any:
    base = a[0] if isinstance(a[0], list) else ([] if a[0] is None else [a[0]])
    return [*base, *a[1:]]


@fn("join_arrays(ARRAY, VALUES)", 1, None)
def join_arrays(ctx: Context, a: list[Any]) -> Any:
    out: list[Any] = []
    for item in a:
        out.extend(item if isinstance(item, list) else ([] if item is None else [item]))
    return out


@fn("to_array(INCLUDE_NULLS, VALUES)", 2, None)
def to_array(ctx: Context, a: list[Any]) -> Any:
    if not isinstance(a[0], bool):
        raise EvaluationError("to_array: INCLUDE_NULLS must be true or false")
    return [v for v in a[1:] if a[0] or v is not None]


@fn("decode(KEY, OPTIONS)", 3, None)
def decode(ctx: Context, a: list[Any]) -> Any:
    key, options = a[0], a[1:]
    for i in range(0, len(options) - 1, 2):
        if options[i] == key or (key is not None and text(options[i]) == text(key)):
            return options[i + 1]
    return options[-1] if len(options) % 2 else None


@fn("iif(EXPRESSION, TRUE_VALUE, FALSE_VALUE)", 3, 3)
def iif(ctx: Context, a: list[Any]) -> Any:
    if a[0] is not None and not isinstance(a[0], bool):
        raise EvaluationError(f"iif needs a true/false EXPRESSION, not {text(a[0])!r}")
    return a[1] if a[0] else a[2]


def _ordered(a: list[Any], name: str) -> list[Any]:
    items = [v for v in _items(a) if v is not None]
    kinds = {
        "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__
        for v in items
    }
    if len(kinds) > 1:
        raise EvaluationError(f"{name} needs values of one type to compare")
    return items


@fn("min(OPTIONS)", 1, None)
def min_(ctx: Context, a: list[Any]) -> Any:
    items = _ordered(a, "min")
    return min(items) if items else None


@fn("max(OPTIONS)", 1, None)
def max_(ctx: Context, a: list[Any]) -> Any:
    items = _ordered(a, "max")
    return max(items) if items else None


def _decimal(value: Any, what: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(text(value).strip())
    except InvalidOperation:
        raise EvaluationError(f"{what}: {text(value)!r} is not a number") from None


@fn("to_bigint(STRING)", 1, 1)
def to_bigint(ctx: Context, a: list[Any]) -> Any:
    number = _decimal(a[0], "to_bigint")
    return None if number is None else int(number)


@fn("to_decimal(STRING)", 1, 1)
def to_decimal(ctx: Context, a: list[Any]) -> Any:
    number = _decimal(a[0], "to_decimal")
    return None if number is None else float(number)


@fn("to_float(STRING)", 1, 1)
def to_float(ctx: Context, a: list[Any]) -> Any:
    number = _decimal(a[0], "to_float")
    return None if number is None else float(number)


@fn("to_integer(STRING)", 1, 1)
def to_integer(ctx: Context, a: list[Any]) -> Any:
    number = _decimal(a[0], "to_integer")
    if number is None:
        return None
    if number != number.to_integral_value():
        raise EvaluationError(f"to_integer: {text(a[0])!r} is not a whole number")
    return integer(int(number), "to_integer")


@fn("json_to_object(STRING)", 1, 1)
def json_to_object(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None or isinstance(a[0], (dict, list)):
        return a[0]
    try:
        return json.loads(text(a[0]))
    except json.JSONDecodeError as e:
        raise EvaluationError(f"json_to_object: not JSON ({e.msg} at character {e.pos})") from None


@fn("uuid()", 0, 0, "guid")
def uuid(ctx: Context, a: list[Any]) -> Any:
    return str(uuidlib.uuid4())


UNSUPPORTED = [
    Function("arrays_to_object", "arrays_to_object(INPUT)", 1, None),
    *(
        Function(name, f"{name}(USER_AGENT)", 1, 1)
        for name in (
            "ua_os_name",
            "ua_os_version_major",
            "ua_os_version",
            "ua_os_name_version",
            "ua_agent_version",
            "ua_agent_version_major",
            "ua_agent_name",
            "ua_device_class",
        )
    ),
]

FUNCTIONS = [
    size_of,
    is_empty,
    to_object,
    str_to_object,
    contains_key,
    nullify,
    get_keys,
    get_values,
    coalesce,
    first,
    last,
    add_to_array,
    join_arrays,
    to_array,
    decode,
    iif,
    min_,
    max_,
    to_bigint,
    to_decimal,
    to_float,
    to_integer,
    json_to_object,
    uuid,
    *UNSUPPORTED,
]

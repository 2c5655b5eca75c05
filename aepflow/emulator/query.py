"""``property=`` filter expressions, shared by Flow Service, Schema Registry and Catalog.

An expression is ``field<op>value[,value...]`` with op ``==``, ``!=``, ``<``, ``<=``, ``>``,
``>=`` or ``~`` (regex), or a bare ``field`` (exists) / ``!field`` (does not exist). Values may
be double-quoted (``name=="CRMToAEP"``). A comma lists alternatives (OR) for ``==`` and ``!=``.
Fields are dotted paths; ``[]`` marks an array (``sourceConnectionIds[]==<id>``,
``inheritedAttributes.targetConnections[].connectionSpec.id==<id>``). Each service decides which
fields and operators it accepts and how it reports a bad expression (:class:`QueryError`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_EXPR = re.compile(r"^\s*(?P<field>[^=!<>~]+?)\s*(?P<op>==|!=|<=|>=|<|>|~)(?P<value>.*)$")
_FIELD = re.compile(r"^[A-Za-z_@$][\w:@$.\[\]-]*$")


class QueryError(Exception):
    """A filter the service cannot run. kind: syntax, regex, multiple, field, wildcard."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # ==, !=, <, <=, >, >=, ~, exists, missing
    values: tuple[str, ...] = ()

    def matches(self, obj: Any) -> bool:
        actual = [a for a in values_at(obj, self.field) if a is not None]
        if self.op == "exists":
            return bool(actual)
        if self.op == "missing":
            return not actual
        if self.op == "==":
            return any(_equal(a, v) for a in actual for v in self.values)
        if self.op == "!=":
            return not any(_equal(a, v) for a in actual for v in self.values)
        if self.op == "~":
            pattern = _regex(self.values[0])
            return any(pattern.search(_text(a)) for a in actual)
        return any(_compare(a, self.op, self.values[0]) for a in actual)


def parse(expr: str) -> Condition:
    text = expr.strip()
    found = _EXPR.match(text)
    if found is None:
        negated = text.startswith("!")
        field = text[1:] if negated else text
        if not field or not _FIELD.match(field):
            raise QueryError("syntax", f"Invalid query value {expr} provided in query param.")
        return Condition(field, "missing" if negated else "exists")
    field, op, raw = found["field"].strip(), found["op"], found["value"]
    if not _FIELD.match(field):
        raise QueryError("syntax", f"Invalid query value {expr} provided in query param.")
    values = tuple(_unquote(v) for v in raw.split(",")) if op in ("==", "!=") else (_unquote(raw),)
    if any(v == "" for v in values):
        raise QueryError("syntax", f"Invalid query value {expr} provided in query param.")
    if op not in ("==", "!=", "~") and "," in raw:
        raise QueryError("multiple", f"Operator '{op}' is not allowed for multiple values.")
    if op == "~":
        _regex(values[0])
    return Condition(field, op, values)


def base_field(field: str) -> str:
    """The field without array markers: ``sourceConnectionIds[]`` -> ``sourceConnectionIds``."""
    return field.replace("[]", "")


def values_at(obj: Any, field: str) -> list[Any]:
    """Every value at a dotted path; ``[]`` steps into each element of an array.

    Without ``[]``, an array at the end of the path yields its elements (Schema Registry and
    Catalog match list-valued properties such as ``meta:intendedToExtend`` by membership).
    """
    return list(_walk(obj, field.split(".")))


def _walk(node: Any, parts: list[str]) -> Iterator[Any]:
    if not parts:
        if isinstance(node, list):
            yield from node
        else:
            yield node
        return
    head, rest = parts[0], parts[1:]
    key, array = (head[:-2], True) if head.endswith("[]") else (head, False)
    if not isinstance(node, dict) or key not in node:
        return
    value = node[key]
    if array:
        for item in value if isinstance(value, list) else []:
            yield from _walk(item, rest)
    else:
        yield from _walk(value, rest)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _equal(actual: Any, wanted: str) -> bool:
    return _text(actual) == wanted


def _compare(actual: Any, op: str, wanted: str) -> bool:
    left: Any
    right: Any
    try:
        left, right = float(_text(actual)), float(wanted)
    except ValueError:
        left, right = _text(actual), wanted
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error:
        raise QueryError("syntax", f"Invalid regular expression {pattern!r}.") from None

"""A source row through a mapping set: the XDM record a flow would write, and its errors.

The mapping kinds of help/data-prep/api/mapping-set.md: ``attribute`` (a source field),
``expression`` (a calculated field, evaluated here) and ``static`` (a constant). Each value is
then made to fit its target field the way help/data-prep/data-handling.md describes: a number
or boolean written to a string field becomes its text, a numeric string written to a number
field becomes the number; what cannot fit (``abc`` for an integer, ``not-an-email`` for an
``email`` string) is an error of that field, and a record with an error is not written.
Null values are left out of the record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from aepflow.dataprep import convert, dates
from aepflow.dataprep.evaluate import evaluate, lookup
from aepflow.dataprep.parser import ExpressionError
from aepflow.dataprep.registry import EvaluationError, text

INTEGER_TYPES = ("integer", "long", "int", "short", "byte")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Rule:
    """One mapping: ``kind`` is ``attribute``, ``expression`` or ``static``."""

    kind: str
    source: str
    destination: str


@dataclass(frozen=True)
class Target:
    """The target field's JSON type (``string``, ``integer``, ...) and format, if any."""

    type: str
    format: str | None = None


@dataclass(frozen=True)
class FieldError:
    destination: str
    message: str


@dataclass(frozen=True)
class Record:
    values: tuple[tuple[str, Any], ...]  # (destination, value) in mapping order, nulls left out
    errors: tuple[FieldError, ...]

    def nested(self) -> dict[str, Any]:
        """The record as XDM nests it: ``person.name.firstName`` -> person/name/firstName, and an
        index writes an array item: ``loyalty.loyaltyID[0]`` -> ``{"loyalty": {"loyaltyID":
        [...]}}``, ``identityMap.Email[0].id`` -> ``{"identityMap": {"Email": [{"id": ...}]}}``
        (the index form of a destination that validate accepts for an array or a map)."""
        out: dict[str, Any] = {}
        for path, value in self.values:
            steps = destination_steps(path)
            node: dict[Any, Any] = out
            for step, after in pairwise(steps):
                child = node.setdefault(step, _Items() if isinstance(after, int) else {})
                if not isinstance(child, dict) or isinstance(child, _Items) != isinstance(
                    after, int
                ):
                    break  # the path runs through a value written by another mapping
                node = child
            else:
                node[steps[-1]] = value
        return {k: _arrays(v) for k, v in out.items()}


class _Items(dict[int, Any]):
    """An array under construction: index -> item, made a list (in index order) at the end."""


_STEP = re.compile(r"\[(\d*)\]")


def destination_steps(path: str) -> list[str | int]:
    """``identityMap.Email[0].id`` -> ``["identityMap", "Email", 0, "id"]`` (``[]`` is 0)."""
    steps: list[str | int] = []
    for part in path.split("."):
        name = _STEP.split(part, maxsplit=1)[0]
        steps.append(name)
        steps.extend(int(i or 0) for i in _STEP.findall(part))
    return steps


def _arrays(node: Any) -> Any:
    if isinstance(node, _Items):
        return [_arrays(node[i]) for i in sorted(node)]
    if isinstance(node, dict):
        return {k: _arrays(v) for k, v in node.items()}
    return node


TargetOf = Callable[[str], Target | None]


def apply(
    rules: Sequence[Rule], row: Mapping[str, Any], target_of: TargetOf, now: datetime
) -> Record:
    values: list[tuple[str, Any]] = []
    errors: list[FieldError] = []
    for rule in rules:
        try:
            if rule.kind == "attribute":
                value = lookup(row, rule.source)
            elif rule.kind == "expression":
                value = evaluate(rule.source, row, now)
            else:
                value = rule.source
            if value is None:
                continue
            target = target_of(rule.destination)
            values.append((rule.destination, conform(value, target) if target else plain(value)))
        except ExpressionError as e:
            errors.append(
                FieldError(rule.destination, f"the expression does not parse: {e.message}")
            )
        except EvaluationError as e:
            errors.append(FieldError(rule.destination, str(e)))
    return Record(tuple(values), tuple(errors))


def plain(value: Any) -> Any:
    """A value as JSON writes it (dates as ISO 8601)."""
    if isinstance(value, datetime):
        return dates.iso(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _shown(value: Any) -> str:
    if isinstance(value, (list, dict)):
        shown = json.dumps(plain(value), ensure_ascii=False)
    else:
        shown = value if isinstance(value, str) else text(plain(value))
    return repr(shown if len(shown) <= 60 else shown[:57] + "...")


def conform(value: Any, target: Target) -> Any:
    """``value`` as the target field holds it; :class:`EvaluationError` when it cannot."""
    kind, fmt = target.type, target.format
    if kind == "string":
        if isinstance(value, (list, dict)):
            raise EvaluationError(f"{_shown(value)} is not a string")
        if fmt == "date-time":
            return dates.iso(_datetime(value))
        if fmt == "date":
            return _date(value)
        out = text(value)
        if fmt == "email" and not EMAIL.fullmatch(out):
            raise EvaluationError(f"{_shown(out)} is not an email address")
        return out
    if kind in INTEGER_TYPES:
        whole = convert.to_integer(value)
        if whole is None:
            raise EvaluationError(f"{_shown(value)} is not an integer")
        bounds = convert.integer_range(kind)
        if bounds is not None and not bounds[0] <= whole <= bounds[1]:
            raise EvaluationError(
                f"{whole} is out of range for {_a(kind)} ({bounds[0]} to {bounds[1]})"
            )
        return whole
    if kind == "number":
        number = convert.to_number(value)
        if number is None:
            raise EvaluationError(f"{_shown(value)} is not a number")
        return number
    if kind == "boolean":
        truth = convert.to_boolean(value)
        if truth is None:
            raise EvaluationError(f"{_shown(value)} is not a boolean ({_BOOLEAN_WORDS})")
        return truth
    if kind == "array":
        if isinstance(value, list):
            return plain(value)
        raise EvaluationError(f"{_shown(value)} is not an array")
    if kind == "object":
        if isinstance(value, dict):
            return plain(value)
        raise EvaluationError(f"{_shown(value)} is not an object")
    return plain(value)


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


_BOOLEAN_WORDS = (
    "Data Prep reads y, yes, on, true and n, no, off, false, all lower or all upper case"
)


def _datetime(value: Any) -> datetime:
    found = convert.to_datetime(value)
    if found is None:
        raise EvaluationError(f"{_shown(value)} is not a date-time (ISO 8601 or a Data Prep date)")
    return found


def _date(value: Any) -> str:
    found = convert.to_datetime(value)
    if found is None:
        raise EvaluationError(f"{_shown(value)} is not a date (yyyy-MM-dd or a Data Prep date)")
    return found.date().isoformat()

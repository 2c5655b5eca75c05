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
from datetime import date as date_type
from datetime import datetime
from typing import Any

from aepflow.dataprep import dates
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
        """The record as XDM nests it: ``person.name.firstName`` -> person/name/firstName."""
        out: dict[str, Any] = {}
        for path, value in self.values:
            node = out
            parts = path.split(".")
            for part in parts[:-1]:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    break
                node = child
            else:
                node[parts[-1]] = value
        return out


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
        if isinstance(value, bool):
            raise EvaluationError(f"{_shown(value)} is not an integer")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return int(value)
        raise EvaluationError(f"{_shown(value)} is not an integer")
    if kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                return int(number) if number.is_integer() and "." not in value else number
        raise EvaluationError(f"{_shown(value)} is not a number")
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise EvaluationError(f"{_shown(value)} is not true or false")
    if kind == "array":
        if isinstance(value, list):
            return plain(value)
        raise EvaluationError(f"{_shown(value)} is not an array")
    if kind == "object":
        if isinstance(value, dict):
            return plain(value)
        raise EvaluationError(f"{_shown(value)} is not an object")
    return plain(value)


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return dates.parse_iso(value)
        except dates.DateError:
            pass
    raise EvaluationError(f"{_shown(value)} is not a date-time (ISO 8601)")


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, str):
        try:
            return date_type.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise EvaluationError(f"{_shown(value)} is not a date (yyyy-MM-dd)")

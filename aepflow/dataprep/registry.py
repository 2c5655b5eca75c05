"""The shape of a Data Prep function: its name, signature, arity and implementation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aepflow.dataprep.dates import iso


class EvaluationError(Exception):
    """A value a function cannot work with (a row error in AEP's words: the record fails)."""


@dataclass(frozen=True)
class Context:
    """What an expression sees besides its arguments: the source row and the clock."""

    row: Mapping[str, Any]
    now: datetime


Impl = Callable[[Context, list[Any]], Any]


@dataclass(frozen=True)
class Function:
    name: str
    signature: str  # as the reference writes it: ``substr(INPUT, START_INDEX, LENGTH)``
    min_args: int
    max_args: int | None  # None: any number
    impl: Impl | None = None  # None: documented, not supported by preview
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def arity_text(self) -> str:
        def n(k: int) -> str:
            return f"{k} argument{'s' if k != 1 else ''}"

        if self.max_args is None:
            return f"at least {n(self.min_args)}"
        if self.min_args == self.max_args:
            return n(self.min_args)
        return f"{self.min_args} to {n(self.max_args)}"


def fn(
    signature: str, min_args: int, max_args: int | None, *aliases: str
) -> Callable[[Impl], Function]:
    """Declare a function from its documented signature; ``name`` is the signature's head."""

    def wrap(impl: Impl) -> Function:
        return Function(signature.split("(", 1)[0], signature, min_args, max_args, impl, aliases)

    return wrap


def text(value: Any) -> str:
    """A value as Data Prep turns it into a string (``true``, ``1.5``, ISO dates)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


def integer(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise EvaluationError(f"{what} must be a number, not {text(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        raise EvaluationError(f"{what} must be a whole number, not {value!r}") from None


def index(functions: list[Function]) -> Mapping[str, Function]:
    out: dict[str, Function] = {}
    for f in functions:
        for name in (f.name, *f.aliases):
            out[name] = f
    return out

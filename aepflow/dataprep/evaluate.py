"""Check an expression offline, or evaluate it on one source row.

Both walk the tree of :mod:`aepflow.dataprep.parser` with the one function table of
:data:`FUNCTIONS`, so what validate accepts is what preview and the emulator run.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from difflib import get_close_matches
from functools import lru_cache
from typing import Any

from aepflow.dataprep import convert, datefuncs, strings, structures
from aepflow.dataprep.parser import (
    ArrayLit,
    Binary,
    Call,
    ExpressionError,
    Field,
    Literal,
    Method,
    Node,
    ObjectLit,
    Unary,
    parse,
)
from aepflow.dataprep.registry import Context, EvaluationError, Function, index, text

# Trees are immutable: an expression met again (the same mapping in many flows, or in every
# row of a preview) is parsed once.
parse_cached = lru_cache(maxsize=4096)(parse)

FUNCTIONS: Mapping[str, Function] = index(
    [*strings.FUNCTIONS, *datefuncs.FUNCTIONS, *structures.FUNCTIONS]
)
METHODS: Mapping[str, Function] = strings.METHODS


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in an expression, at ``offset`` (0-based) into its text."""

    offset: int
    message: str


class UnsupportedFunction(EvaluationError):
    """A documented Data Prep function that preview does not evaluate."""


def _unknown(name: str, table: Mapping[str, Function]) -> str:
    near = get_close_matches(name, list(table), n=1, cutoff=0.6)
    if not near:
        lowered = {k.lower(): k for k in table}
        near = [lowered[name.lower()]] if name.lower() in lowered else []
    hint = f": did you mean {near[0]!r}?" if near else ""
    return f"unknown Data Prep function {name!r}{hint}"


def _arity(f: Function, got: int) -> str | None:
    if got < f.min_args or (f.max_args is not None and got > f.max_args):
        return f"{f.name} takes {f.arity_text()} ({f.signature}), got {got}"
    return None


def check(expression: str, columns: Collection[str] | None = None) -> list[Problem]:
    """Every problem of ``expression``: syntax (the first one only), function names, arity,
    and field references against ``columns`` (None: not checked)."""
    try:
        tree = parse_cached(expression)
    except ExpressionError as e:
        return [Problem(e.offset, e.message)]
    out: list[Problem] = []
    known = sorted(columns) if columns is not None else None

    def walk(node: Node) -> None:
        if isinstance(node, Call):
            f = FUNCTIONS.get(node.name)
            if f is None:
                out.append(Problem(node.start, _unknown(node.name, FUNCTIONS)))
            elif (message := _arity(f, len(node.args))) is not None:
                out.append(Problem(node.start, message))
            for arg in node.args:
                walk(arg)
        elif isinstance(node, Method):
            m = METHODS.get(node.name)
            if m is None:
                out.append(
                    Problem(node.start, _unknown(node.name, METHODS).replace("function", "method"))
                )
            elif len(node.args) != 1:
                out.append(
                    Problem(
                        node.start,
                        f"{node.name} takes 1 argument "
                        f"(STRING1.{node.name}(STRING2)), got {len(node.args)}",
                    )
                )
            walk(node.target)
            for arg in node.args:
                walk(arg)
        elif isinstance(node, Field):
            if known is not None and not _declared(node.path, known):
                near = get_close_matches(node.path, known, n=1)
                hint = f": did you mean {near[0]!r}?" if near else ""
                listed = ", ".join(known) if known else "none"
                out.append(
                    Problem(
                        node.start,
                        f"column {node.path!r} is not among the declared columns ({listed}){hint}",
                    )
                )
        elif isinstance(node, Unary):
            walk(node.operand)
        elif isinstance(node, Binary):
            walk(node.left)
            walk(node.right)
        elif isinstance(node, ArrayLit):
            for item in node.items:
                walk(item)
        elif isinstance(node, ObjectLit):
            for _, value in node.items:
                walk(value)

    walk(tree)
    return sorted(out)


def _declared(path: str, columns: Collection[str]) -> bool:
    """``a.b.c`` refers to column ``a.b.c``, or to a field inside column ``a`` or ``a.b``."""
    parts = path.split(".")
    return any(".".join(parts[:i]) in columns for i in range(len(parts), 0, -1))


def lookup(row: Mapping[str, Any], path: str) -> Any:
    """A row's value at ``path``: the column of that exact name, else a nested field."""
    if path in row:
        return row[path]
    node: Any = row
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def evaluate(expression: str | Node, row: Mapping[str, Any], now: datetime) -> Any:
    """The value of ``expression`` on ``row``. Raises :class:`ExpressionError` (syntax),
    :class:`UnsupportedFunction` or :class:`EvaluationError` (the record would fail)."""
    tree = parse_cached(expression) if isinstance(expression, str) else expression
    return _eval(tree, Context(row, now))


def _eval(node: Node, ctx: Context) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Field):
        return lookup(ctx.row, node.path)
    if isinstance(node, Call):
        f = FUNCTIONS.get(node.name)
        if f is None:
            raise EvaluationError(_unknown(node.name, FUNCTIONS))
        if (message := _arity(f, len(node.args))) is not None:
            raise EvaluationError(message)
        if f.impl is None:
            raise UnsupportedFunction(
                f"Data Prep function {node.name!r} is not supported by preview"
            )
        return f.impl(ctx, [_eval(a, ctx) for a in node.args])
    if isinstance(node, Method):
        m = METHODS.get(node.name)
        if m is None or m.impl is None or len(node.args) != 1:
            raise EvaluationError(f"{node.name} is not a string method of Data Prep")
        return m.impl(ctx, [_eval(node.target, ctx), _eval(node.args[0], ctx)])
    if isinstance(node, ArrayLit):
        return [_eval(i, ctx) for i in node.items]
    if isinstance(node, ObjectLit):
        return {k: _eval(v, ctx) for k, v in node.items}
    if isinstance(node, Unary):
        value = _eval(node.operand, ctx)
        if node.op == "!":
            return not _truth(value)
        return -_number(value)
    if isinstance(node, Binary):
        return _binary(node, ctx)
    raise EvaluationError(f"cannot evaluate {type(node).__name__}")  # pragma: no cover


def _truth(value: Any) -> bool:
    if value is None:
        return False
    truth = convert.to_boolean(value)
    if truth is None:
        raise EvaluationError(f"{text(value)!r} is not true or false")
    return truth


def _number(value: Any) -> int | float:
    number = convert.to_number(value)
    if number is None:
        raise EvaluationError(f"{text(value)!r} is not a number")
    return number


def _binary(node: Binary, ctx: Context) -> Any:
    op = node.op
    if op == "&&":
        return _truth(_eval(node.left, ctx)) and _truth(_eval(node.right, ctx))
    if op == "||":
        return _truth(_eval(node.left, ctx)) or _truth(_eval(node.right, ctx))
    left, right = _eval(node.left, ctx), _eval(node.right, ctx)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "+" and (isinstance(left, str) or isinstance(right, str)):
        return text(left if left is not None else "") + text(right if right is not None else "")
    if left is None or right is None:
        return None
    if op in ("<", ">", "<=", ">="):
        a: Any = left if isinstance(left, str) and isinstance(right, str) else _number(left)
        b: Any = right if isinstance(left, str) and isinstance(right, str) else _number(right)
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    x, y = _number(left), _number(right)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if y == 0:
        raise EvaluationError("division by zero")
    if op == "/":
        return x / y
    return x % y

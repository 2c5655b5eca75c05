"""Data Prep expressions to a small syntax tree, every node with its offset in the text.

The grammar is the one of help/data-prep/functions.md: field names (``email``, ``name.first``,
``${First Name}`` for any other name), string literals in double or single quotes, numbers,
``true`` / ``false`` / ``null``, function calls ``f(a, b)``, the string methods
``"a".equals(b)`` and ``a.equalsIgnoreCase(b)``, array literals ``[1, 2]`` and object literals
``{"k": v}``, and the operators of its reserved words (``and or not eq ne lt gt le ge div mod``)
with their symbols (``&& || ! == != < > <= >= / %``) plus ``+ - *``.

:func:`parse` raises :class:`ExpressionError` (message and 0-based offset) at the first syntax
error: an unclosed quote or parenthesis, a stray character, a missing argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RESERVED = frozenset(
    [
        "new",
        "mod",
        "or",
        "break",
        "var",
        "lt",
        "for",
        "false",
        "while",
        "eq",
        "gt",
        "div",
        "not",
        "null",
        "continue",
        "else",
        "and",
        "ne",
        "true",
        "le",
        "if",
        "ge",
        "return",
    ]
)
WORD_OPS = {
    "or": "||",
    "and": "&&",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}
SYMBOLS = ("&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "+", "-", "*", "/", "%")
PUNCT = "()[]{},.:"
METHODS = {"equals": False, "equalsIgnoreCase": True}  # name -> ignores case


class ExpressionError(Exception):
    """A syntax error at ``offset`` (0-based, into the expression text)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Node:
    start: int
    end: int


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class Field(Node):
    path: str  # dotted, as written (``${...}`` unwrapped)


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Method(Node):
    target: Node
    name: str
    args: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class ArrayLit(Node):
    items: tuple[Node, ...] = ()


@dataclass(frozen=True)
class ObjectLit(Node):
    items: tuple[tuple[str, Node], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Token:
    kind: str  # "str", "num", "ident", "field", "op", "punct", "end"
    text: str
    value: Any
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "\"'":
            j, chars = i + 1, []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                    chars.append({"n": "\n", "t": "\t"}.get(text[j], text[j]))
                else:
                    chars.append(text[j])
                j += 1
            if j >= n:
                raise ExpressionError(
                    f"unbalanced quote: the string opened with {ch} is never closed", i
                )
            out.append(Token("str", text[i : j + 1], "".join(chars), i, j + 1))
            i = j + 1
        elif ch == "$" and text.startswith("${", i):
            j = text.find("}", i)
            if j < 0:
                raise ExpressionError("unbalanced brace: ${ is never closed with }", i)
            out.append(Token("field", text[i : j + 1], text[i + 2 : j], i, j + 1))
            i = j + 1
        elif ch.isdigit():
            j = i
            while j < n and text[j].isdigit():
                j += 1
            if j + 1 < n and text[j] == "." and text[j + 1].isdigit():
                j += 1
                while j < n and text[j].isdigit():
                    j += 1
                value: Any = float(text[i:j])
            else:
                value = int(text[i:j])
            out.append(Token("num", text[i:j], value, i, j))
            i = j
        elif ch.isalpha() or ch in "_$":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            out.append(Token("ident", text[i:j], text[i:j], i, j))
            i = j
        else:
            op = next((s for s in SYMBOLS if text.startswith(s, i)), None)
            if op is not None:
                out.append(Token("op", op, op, i, i + len(op)))
                i += len(op)
            elif ch in PUNCT:
                out.append(Token("punct", ch, ch, i, i + 1))
                i += 1
            else:
                raise ExpressionError(f"unexpected character {ch!r}", i)
    out.append(Token("end", "", None, n, n))
    return out


BINARY_LEVELS = (("||",), ("&&",), ("==", "!=", "<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def op_of(self, tok: Token) -> str | None:
        if tok.kind == "op":
            return tok.text
        if tok.kind == "ident" and tok.text in WORD_OPS:
            # ``not`` is unary only; a word operator followed by ``(`` is a call.
            if self.tokens[self.pos + 1].text == "(":
                return None
            return WORD_OPS[tok.text]
        return None

    def expect(self, text: str, opener: Token | None = None) -> Token:
        tok = self.tok
        if tok.text == text and tok.kind == "punct":
            return self.next()
        if opener is not None and tok.kind == "end":
            raise ExpressionError(
                f"unbalanced parenthesis: {opener.text} is never closed with {text}",
                opener.start,
            )
        found = f"{tok.text!r}" if tok.kind != "end" else "the end of the expression"
        raise ExpressionError(f"expected {text!r}, found {found}", tok.start)

    def expression(self, level: int = 0) -> Node:
        if level == len(BINARY_LEVELS):
            return self.unary()
        left = self.expression(level + 1)
        while (op := self.op_of(self.tok)) in BINARY_LEVELS[level]:
            self.next()
            right = self.expression(level + 1)
            left = Binary(left.start, right.end, str(op), left, right)
        return left

    def unary(self) -> Node:
        tok = self.tok
        op = self.op_of(tok)
        if op in ("!", "-"):
            self.next()
            operand = self.unary()
            return Unary(tok.start, operand.end, str(op), operand)
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        while self.tok.text == "." and self.tok.kind == "punct":
            dot = self.next()
            name = self.tok
            if name.kind != "ident":
                raise ExpressionError("expected a field or method name after '.'", dot.start)
            self.next()
            if self.tok.text == "(" and self.tok.kind == "punct":
                args, end = self.arguments(self.next(), ")")
                node = Method(node.start, end, node, name.text, args)
            elif isinstance(node, Field):
                node = Field(node.start, name.end, f"{node.path}.{name.text}")
            else:
                raise ExpressionError(
                    f"{name.text!r} is not a method: write {name.text}(...)", name.start
                )
        return node

    def arguments(self, opener: Token, close: str) -> tuple[tuple[Node, ...], int]:
        args: list[Node] = []
        if self.tok.text == close and self.tok.kind == "punct":
            return (), self.next().end
        while True:
            if self.tok.kind == "end":
                self.expect(close, opener)
            args.append(self.expression())
            if self.tok.text == "," and self.tok.kind == "punct":
                self.next()
                continue
            return tuple(args), self.expect(close, opener).end

    def primary(self) -> Node:
        tok = self.next()
        if tok.kind == "str" or tok.kind == "num":
            return Literal(tok.start, tok.end, tok.value)
        if tok.kind == "field":
            return Field(tok.start, tok.end, str(tok.value))
        if tok.kind == "ident":
            if tok.text in ("true", "false", "null"):
                return Literal(tok.start, tok.end, {"true": True, "false": False}.get(tok.text))
            if self.tok.text == "(" and self.tok.kind == "punct":
                args, end = self.arguments(self.next(), ")")
                return Call(tok.start, end, tok.text, args)
            if tok.text in RESERVED:
                raise ExpressionError(
                    f"{tok.text!r} is a reserved word: write a field of that name as "
                    f"${{{tok.text}}}",
                    tok.start,
                )
            return Field(tok.start, tok.end, tok.text)
        if tok.kind == "punct" and tok.text == "(":
            inner = self.expression()
            close = self.expect(")", tok)
            return _span(inner, tok.start, close.end)
        if tok.kind == "punct" and tok.text == "[":
            items, end = self.arguments(tok, "]")
            return ArrayLit(tok.start, end, items)
        if tok.kind == "punct" and tok.text == "{":
            return self.object_literal(tok)
        if tok.kind == "end":
            raise ExpressionError("the expression ends where a value is expected", tok.start)
        if tok.kind == "punct" and tok.text in ")]}":
            raise ExpressionError(f"unbalanced parenthesis: {tok.text} closes nothing", tok.start)
        raise ExpressionError(f"unexpected {tok.text!r} where a value is expected", tok.start)

    def object_literal(self, opener: Token) -> Node:
        items: list[tuple[str, Node]] = []
        while not (self.tok.text == "}" and self.tok.kind == "punct"):
            key = self.next()
            if key.kind not in ("str", "ident"):
                if key.kind == "end":
                    self.pos -= 1
                    self.expect("}", opener)
                raise ExpressionError("expected a key in quotes", key.start)
            self.expect(":")
            items.append((str(key.value), self.expression()))
            if self.tok.text == "," and self.tok.kind == "punct":
                self.next()
            elif not (self.tok.text == "}" and self.tok.kind == "punct"):
                self.expect("}", opener)
        return ObjectLit(opener.start, self.next().end, tuple(items))


def _span(node: Node, start: int, end: int) -> Node:
    """``node`` with its parentheses included in its span."""
    values = {k: getattr(node, k) for k in node.__dataclass_fields__}
    values.update(start=start, end=end)
    return type(node)(**values)


def parse(text: str) -> Node:
    """The syntax tree of ``text``; :class:`ExpressionError` at the first syntax error."""
    parser = _Parser(text)
    node = parser.expression()
    tok = parser.tok
    if tok.kind != "end":
        if tok.text in ")]}":
            raise ExpressionError(f"unbalanced parenthesis: {tok.text} closes nothing", tok.start)
        raise ExpressionError(f"unexpected {tok.text!r} after a complete expression", tok.start)
    return node

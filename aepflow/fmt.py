"""``aepflow fmt``: every manifest in one canonical layout, comments kept.

The canonical layout:

- keys in the order the JSON Schemas in ``schemas/`` declare them, per manifest kind and at
  every depth (``apiVersion``, ``kind``, ``metadata``, ``spec``; then each ``spec`` as its
  kind's schema lists it); keys a schema does not know follow, in the order written;
- block mappings indented by 2 spaces, block sequences by 2 with the dash inside
  (``  - item``), as aepflow's own examples;
- documents separated by ``---``; one newline at the end of the file; a leading ``---``
  dropped, unless a comment is above or on it (a header, an editor's modeline): then the
  comments and that ``---`` stay on top; a comment on a ``---`` line stays on that line;
- what YAML lets an author choose and does not change the meaning is kept as written: flow
  collections (``{name: crm}``), quotes, comments (each stays with the key it was written
  above or beside, also when keys move), blank lines, long lines (never wrapped).

The YAML is read and written by ruamel.yaml, a library that round-trips comments. A file is
read first by aepflow's own loader, so bad YAML (or an anchor, or a duplicate key) is the
same positioned error as in ``validate``; and a file is written only when its new text reads
back to the same data: fmt never writes a file that fails to parse or means something else.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.tokens import CommentToken

from aepflow.errors import Diagnostic, SourceLocation
from aepflow.manifest.files import display
from aepflow.manifest.schema import schema_dir
from aepflow.manifest.yamlload import load_file

KIND_SCHEMAS = {
    "Connection": "connection.schema.json",
    "Schema": "schema.schema.json",
    "Dataset": "dataset.schema.json",
    "Dataflow": "dataflow.schema.json",
}
PROJECT_FILE = "aepflow.yaml"


@dataclass(frozen=True)
class Formatted:
    path: Path
    display: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


# -- the key order, from the JSON Schemas ------------------------------------------------------


@cache
def _schema_file(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schema_dir() / name).read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class _Node:
    """A schema node and the file it is in (to resolve its ``$ref``)."""

    file: str
    body: Any


def _resolve(node: _Node, depth: int = 0) -> list[_Node]:
    """The node and every node it stands for (``$ref``, ``allOf``/``anyOf``/``oneOf``,
    ``then``/``else``), flattened."""
    if not isinstance(node.body, dict) or depth > 20:
        return []
    out = [node]
    ref = node.body.get("$ref")
    if isinstance(ref, str):
        file, _, pointer = ref.partition("#")
        file = file or node.file
        target: Any = _schema_file(file)
        for part in [p for p in pointer.split("/") if p]:
            target = target.get(part) if isinstance(target, dict) else None
        out += _resolve(_Node(file, target), depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.body.get(key) or ():
            out += _resolve(_Node(node.file, sub), depth + 1)
    for key in ("then", "else"):
        if key in node.body:
            out += _resolve(_Node(node.file, node.body[key]), depth + 1)
    return out


def _order(nodes: list[_Node]) -> list[str]:
    seen: dict[str, None] = {}
    for n in nodes:
        for key in n.body.get("properties") or {}:
            seen.setdefault(key, None)
    return list(seen)


def _child(nodes: list[_Node], key: str | None) -> list[_Node]:
    """The schema of a mapping's value at ``key``, or of a sequence's items (``None``)."""
    out: list[_Node] = []
    for n in nodes:
        if key is None:
            sub = n.body.get("items")
        else:
            sub = (n.body.get("properties") or {}).get(key)
            if sub is None:
                sub = n.body.get("additionalProperties")
        if isinstance(sub, dict):
            out += _resolve(_Node(n.file, sub))
    return out


# -- comments that move with their key ---------------------------------------------------------


def _tail(node: Any, key: Any) -> tuple[dict[Any, Any], Any, int]:
    """Where the comment lines after ``node[key]`` are kept: on the deepest last entry of a
    block collection, else beside the entry itself (ruamel's layout)."""
    value = node[key]
    if isinstance(value, (CommentedMap, CommentedSeq)) and len(value) and not _flow(value):
        last = list(value.keys())[-1] if isinstance(value, CommentedMap) else len(value) - 1
        return _tail(value, last)
    return node.ca.items, key, 2 if isinstance(node, CommentedMap) else 0


def _flow(value: CommentedMap | CommentedSeq) -> bool:
    return bool(value.fa.flow_style())


def _take_after(node: Any, key: Any) -> str:
    """Remove and return the full-line comments after the entry (its own end-of-line
    comment stays)."""
    items, k, slot = _tail(node, key)
    entry = items.get(k)
    token = entry[slot] if entry is not None and len(entry) > slot else None
    if token is None or entry is None:
        return ""
    value = str(token.value)
    cut = value.find("\n") + 1 if "\n" in value else len(value)
    own, after = value[:cut], value[cut:]
    if own.strip():
        token.value = own
    else:
        entry[slot] = None
    return after


def _put_after(node: Any, key: Any, text: str) -> None:
    if not text:
        return
    items, k, slot = _tail(node, key)
    entry = items.setdefault(k, [None, None, None, None])
    while len(entry) <= slot:
        entry.append(None)
    token = entry[slot]
    if token is None:
        entry[slot] = CommentToken("\n" + text, CommentMark(0), None)
    else:
        token.value = str(token.value) + text


def _put_before(node: CommentedMap, key: Any, text: str) -> None:
    """Comment lines above the first key of a block mapping."""
    stripped = text.lstrip(" ")
    column = len(text) - len(stripped)
    entry = node.ca.items.setdefault(key, [None, None, None, None])
    tokens = entry[1] or []
    tokens.append(CommentToken(stripped, CommentMark(column), None))
    entry[1] = tokens


def _take_leading(node: CommentedMap, parent: CommentedMap, key: Any) -> str:
    """Remove and return the comment lines between ``key:`` and the first key of its block
    mapping ``node`` (ruamel keeps them on both)."""
    text = ""
    entry = parent.ca.items.get(key)
    for holder, index in ((node.ca.comment, 1), (entry, 3)):
        if holder is not None and len(holder) > index and holder[index]:
            if not text:
                text = "".join(" " * t.column + str(t.value) for t in holder[index])
            holder[index] = None
    return text


def _reorder(
    node: CommentedMap, order: list[str], parent: Any = None, parent_key: Any = None
) -> None:
    keys = list(node.keys())
    rank = {k: i for i, k in enumerate(order)}
    new = sorted(keys, key=lambda k: (rank.get(str(k), len(order)), keys.index(k)))
    if new == keys:
        return
    after = {k: _take_after(node, k) for k in keys}
    # The lines written above a key travel with it. Above a document's first key they stay
    # on top (a file's header); above a nested block's first key they move with it.
    before = {k: after[keys[i - 1]] if i else "" for i, k in enumerate(keys)}
    if isinstance(parent, CommentedMap) and not _flow(node):
        before[keys[0]] = _take_leading(node, parent, parent_key)
    trailing = after[keys[-1]]
    values = [(k, node[k], node.ca.items.pop(k, None)) for k in keys]
    for k in keys:
        del node[k]
    by_key = {k: (v, c) for k, v, c in values}
    for k in new:
        v, c = by_key[k]
        node[k] = v
        if c is not None:
            node.ca.items[k] = c
    if before[new[0]]:
        _put_before(node, new[0], before[new[0]])
    for i, k in enumerate(new):
        _put_after(node, k, before[new[i + 1]] if i + 1 < len(new) else trailing)


def _canonical(value: Any, schema: list[_Node], parent: Any = None, key: Any = None) -> None:
    """Children first, so that the comments after a nested block are found where they end."""
    if isinstance(value, CommentedMap):
        for k in list(value.keys()):
            _canonical(value[k], _child(schema, str(k)), value, k)
        _reorder(value, _order(schema), parent, key)
    elif isinstance(value, CommentedSeq):
        items = _child(schema, None)
        for item in value:
            _canonical(item, items)


# -- files -------------------------------------------------------------------------------------


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096  # never wrap: a wrapped line is a change nobody asked for
    return y


def _schema_of(document: Any, path: Path) -> list[_Node]:
    if path.name == PROJECT_FILE:
        return _resolve(_Node("project.schema.json", _schema_file("project.schema.json")))
    kind = document.get("kind") if isinstance(document, CommentedMap) else None
    name = KIND_SCHEMAS.get(kind) if isinstance(kind, str) else None
    return [] if name is None else _resolve(_Node(name, _schema_file(name)))


def format_text(text: str, path: Path) -> str:
    """The canonical layout of a file's text (which aepflow's loader read without error)."""
    head, body, marks = _document_starts(text)
    y = _yaml()
    documents = list(y.load_all(body))
    for document in documents:
        _canonical(document, _schema_of(document, path))
    out = io.StringIO()
    y.dump_all(documents, out)
    return head + _marked(_indent_comments(out.getvalue().rstrip("\n") + "\n"), marks)


_START = re.compile(r"---(?=[ \t]|$)")


def _document_starts(text: str) -> tuple[str, str, dict[int, str]]:
    """The comments ruamel would lose at document starts, set aside: the header above a
    leading ``---`` (an ownership note, the ``yaml-language-server`` modeline) with that
    ``---`` line, and the comment on each later ``---`` line, by its number. A leading
    ``---`` with no comment above or on it is dropped (the canonical layout)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
        i += 1
    head = ""
    if i < len(lines) and _START.match(lines[i]) and _comment(lines[i]) is not None:
        above = [line.strip() for line in lines[:i]]
        while above and not above[0]:
            above.pop(0)
        while above and not above[-1]:
            above.pop()
        own = _comment(lines[i])
        if above or own:
            head = "".join(f"{line}\n" for line in above) + (f"--- {own}" if own else "---")
            head += "\n"
        lines = lines[i + 1 :]
    marks: dict[int, str] = {}
    count = 0
    for j, line in enumerate(lines):
        if _START.match(line):
            own = _comment(line)
            if own:
                marks[count] = own
                lines[j] = "---"
            count += 1
    return head, "\n".join(lines), marks


def _comment(marker: str) -> str | None:
    """The comment on a ``---`` line ("" for none), or None when a value follows it."""
    rest = marker[3:].strip()
    return rest if not rest or rest.startswith("#") else None


def _marked(text: str, marks: dict[int, str]) -> str:
    """Each comment set aside from a ``---`` line back on the same separator."""
    if not marks:
        return text
    lines = text.split("\n")
    count = 0
    for j, line in enumerate(lines):
        if _START.match(line):
            if line == "---" and count in marks:
                lines[j] = f"--- {marks[count]}"
            count += 1
    return "\n".join(lines)


def dump(documents: list[dict[str, Any]], path: Path, header: str = "") -> str:
    """New manifests (``import``) as text in the canonical layout: exactly what ``fmt``
    would make of them, so ``fmt --check`` passes on a file aepflow wrote itself."""
    body = "---\n".join(
        yaml.safe_dump(d, sort_keys=False, allow_unicode=True, width=4096) for d in documents
    )
    return format_text(header + body, path)


def _indent_comments(text: str) -> str:
    """Each comment on a line of its own at the indentation of the line it is above (the
    key it documents), wherever ruamel kept its old column; never inside a scalar that
    spans lines (a ``#`` there is content)."""
    inside: set[int] = set()
    for token in yaml.scan(text):
        if isinstance(token, yaml.ScalarToken) and token.end_mark.line > token.start_mark.line:
            inside.update(range(token.start_mark.line + 1, token.end_mark.line + 1))
    lines = text.split("\n")
    indent = 0  # of the next line that is not a comment: filled from the end
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        stripped = line.lstrip(" ")
        if i in inside or not stripped:
            continue
        if stripped.startswith("#"):
            lines[i] = " " * indent + stripped
        else:
            indent = 0 if stripped.startswith(("---", "...")) else len(line) - len(stripped)
    return "\n".join(lines)


def _same_data(a: str, b: str) -> bool:
    try:
        return list(yaml.safe_load_all(a)) == list(yaml.safe_load_all(b))
    except yaml.YAMLError:
        return False


def format_file(path: Path) -> tuple[Formatted | None, list[Diagnostic]]:
    """The file's canonical text, or the positioned problem that stops fmt from touching it."""
    shown = display(path)
    _, problems = load_file(path, shown)
    if problems:
        return None, problems
    old = path.read_bytes().decode("utf-8")
    try:
        new = format_text(old.replace("\r\n", "\n"), path)
    except yaml.YAMLError:
        return None, [
            Diagnostic(
                SourceLocation(shown),
                "fmt cannot lay this file out without changing what it means; it is left as "
                "is (please report it)",
            )
        ]
    except RuamelError as e:
        mark = getattr(e, "problem_mark", None)
        where = SourceLocation(shown, mark.line + 1, mark.column + 1) if mark else None
        message = f"YAML that fmt cannot lay out: {getattr(e, 'problem', None) or e}"
        return None, [Diagnostic(where or SourceLocation(shown), message)]
    if "\r\n" in old:
        new = new.replace("\n", "\r\n")
    lost = _lost_comment(old, new)
    if lost is not None:  # fmt keeps every comment, or leaves the file alone
        line, comment = lost
        return None, [
            Diagnostic(
                SourceLocation(shown, line, 1),
                f"fmt cannot keep the comment {comment!r} where it stands (after a %YAML "
                "directive or a '...' document end, or inside [ ] or { } over several lines); "
                "the file is left as is: move the comment next to a key",
            )
        ]
    normal = new.replace("\r\n", "\n")
    if (
        _problems(new, path, shown)
        or not _same_data(old, new)
        or format_text(normal, path) != normal
    ):
        return None, [
            Diagnostic(
                SourceLocation(shown),
                "fmt cannot lay this file out without changing what it means; it is left as "
                "is (please report it)",
            )
        ]
    return Formatted(path, shown, old, new), []


_COMMENT = re.compile(r"(?:^|\s)(#.*)$")


def _lost_comment(old: str, new: str) -> tuple[int, str] | None:
    """The first comment of ``old`` that ``new`` no longer holds (line, text), or None."""
    for number, line in enumerate(old.splitlines(), 1):
        found = _COMMENT.search(line)
        if found is not None and found.group(1).strip() not in new:
            return number, found.group(1).strip()
    return None


def _problems(text: str, path: Path, shown: str) -> list[Diagnostic]:
    """What aepflow's loader says of ``text`` (read through a temporary file)."""
    fd, tmp = tempfile.mkstemp(prefix="aepflow-fmt-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
        return load_file(Path(tmp), shown)[1]
    finally:
        os.unlink(tmp)


def write(formatted: Formatted) -> None:
    """Replace the file at once, keeping its permissions. A symbolic link is written
    through: its target is replaced, and the link stays a link (a manifest shared between
    projects stays shared)."""
    path = formatted.path.resolve()
    fd, tmp = tempfile.mkstemp(prefix=".aepflow-fmt-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(formatted.new.encode("utf-8"))
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def iter_formatted(files: list[Path]) -> Iterator[tuple[Formatted | None, list[Diagnostic]]]:
    for path in files:
        yield format_file(path)

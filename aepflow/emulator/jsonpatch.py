"""JSON Patch (RFC 6902) on a copy of a document; each service maps a PatchError to its error."""

from __future__ import annotations

import copy
from typing import Any

OPS = ("add", "remove", "replace", "move", "copy", "test")


class PatchError(Exception):
    """An operation that cannot apply. ``unsupported``: the op itself is not known."""

    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.unsupported = unsupported


def parse_ops(body: Any) -> list[dict[str, Any]]:
    """Validate the shape of a patch: a non-empty list of {"op", "path", ...} objects."""
    if not isinstance(body, list) or not body:
        raise PatchError("the body must be a non-empty JSON Patch array")
    ops = []
    for item in body:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise PatchError("every JSON Patch operation needs an op and a path")
        name = str(item.get("op", "")).lower()
        if name not in OPS:
            raise PatchError(f"Unsupported operation '{item.get('op')}' received", unsupported=True)
        if name in ("add", "replace", "test") and "value" not in item:
            raise PatchError(f"the {name} operation on {item['path']} needs a value")
        if name in ("move", "copy") and not isinstance(item.get("from"), str):
            raise PatchError(f"the {name} operation on {item['path']} needs a from")
        ops.append({**item, "op": name})
    return ops


def pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"the path {path!r} is not a JSON pointer")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def apply(document: Any, ops: list[dict[str, Any]]) -> Any:
    """The patched copy of ``document`` (``ops`` from :func:`parse_ops`)."""
    doc = copy.deepcopy(document)
    for op in ops:
        doc = _apply_one(doc, op)
    return doc


def get(document: Any, path: str) -> Any:
    node = document
    for part in pointer(path):
        node = _child(node, part, path)
    return node


def _child(node: Any, part: str, path: str) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    raise PatchError(f'Missing field "{part}" ({path})')


def _apply_one(doc: Any, op: dict[str, Any]) -> Any:
    name, path = op["op"], op["path"]
    if name == "test":
        if get(doc, path) != op["value"]:
            raise PatchError(f"test failed: {path} does not hold the expected value")
        return doc
    if name in ("move", "copy"):
        value = get(doc, op["from"])
        if name == "move":
            if path.startswith(op["from"] + "/"):
                raise PatchError(f"cannot move {op['from']} into itself")
            doc = _remove(doc, op["from"])
        return _add(doc, path, copy.deepcopy(value))
    if name == "remove":
        return _remove(doc, path)
    if name == "replace":
        get(doc, path)  # must exist
        if not pointer(path):
            return copy.deepcopy(op["value"])
        doc = _remove(doc, path)
        return _add(doc, path, copy.deepcopy(op["value"]))
    return _add(doc, path, copy.deepcopy(op["value"]))


def _parent(doc: Any, path: str) -> tuple[Any, str]:
    parts = pointer(path)
    if not parts:
        raise PatchError("the whole document cannot be the target of this operation")
    node = doc
    for part in parts[:-1]:
        node = _child(node, part, path)
    return node, parts[-1]


def _add(doc: Any, path: str, value: Any) -> Any:
    if not pointer(path):
        return value
    node, last = _parent(doc, path)
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list):
        if last == "-":
            node.append(value)
        elif last.isascii() and last.isdigit() and int(last) <= len(node):
            node.insert(int(last), value)
        else:
            raise PatchError(f"index {last} is out of range ({path})")
    else:
        raise PatchError(f'Missing field "{last}" ({path})')
    return doc


def _remove(doc: Any, path: str) -> Any:
    node, last = _parent(doc, path)
    if isinstance(node, dict) and last in node:
        del node[last]
    elif isinstance(node, list) and last.isascii() and last.isdigit() and int(last) < len(node):
        node.pop(int(last))
    else:
        raise PatchError(f'Missing field "{last}" ({path})')
    return doc

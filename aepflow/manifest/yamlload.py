"""YAML with positions: every mapping and list remembers where each key and item is.

A SafeLoader subclass builds ``Node`` dicts and lists that carry 1-based line/column per key
(and per value), rejects duplicate keys and any anchor or alias, on any node (an alias bomb is
refused before it can expand), and turns every YAML problem into one Diagnostic in aepflow's
own words, at the line a user must change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aepflow.errors import Diagnostic, SourceLocation
from aepflow.manifest.yamlsyntax import ANCHORS, syntax_error
from aepflow.manifest.yamlsyntax import loc as _loc

MAX_BYTES = 5 * 1024 * 1024
# aepflow's own nesting limit, far below any YAML parser's (libyaml stops at 1,000 levels, the
# pure-Python parser at the interpreter's recursion limit): a manifest nests about ten deep, and
# the limit's message must not depend on which parser or release is installed.
MAX_DEPTH = 64


class LocDict(dict[str, Any]):
    """A mapping that knows where its keys (``key_at``) and values (``value_at``) are."""

    key_at: dict[str, SourceLocation]
    value_at: dict[str, SourceLocation]
    at: SourceLocation


class LocList(list[Any]):
    item_at: list[SourceLocation]
    at: SourceLocation


@dataclass(frozen=True)
class Document:
    file: str
    index: int  # 0-based position in its file
    body: Any
    at: SourceLocation
    # Some value holds a ``${...}`` that resolving could change or report (anything but
    # ``_${tenant}``, which stays as written until apply): False lets the builder skip its
    # walks over the document for variables.
    refs: bool = True


def has_refs(text: str) -> bool:
    """``text`` holds a ``${...}`` other than ``${tenant}``, or a ``$${`` escape."""
    return "${" in text.replace("${tenant}", "") or "$${" in text


class _Problem(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


def _too_deep(where: SourceLocation) -> Diagnostic:
    return Diagnostic(
        where,
        f"the YAML nests more than {MAX_DEPTH} levels deep, too deep for a manifest: flatten it",
    )


# libyaml's parser when PyYAML has it (several times faster), else the pure-Python one.
_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Timestamps stay strings: the schedule parser reads them itself.
_RESOLVERS = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_TAGS: dict[tuple[Any, Any, Any], str] = {}
_TAGS_MAX = 100_000


class _Loader(_BASE):  # type: ignore[misc]
    """One loader class for every file (the file's name is the instance's)."""

    yaml_implicit_resolvers = _RESOLVERS

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.file = file
        self.seen_nodes: set[Any] = set()
        self.depth = 0
        self.refs = False  # see Document.refs

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # A node's tag depends on its kind, text and quoting alone (no path resolvers are
        # registered): the same few thousand keys and values recur across manifests.
        key = (kind, value, implicit)
        tag = _TAGS.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_TAGS) >= _TAGS_MAX:
                _TAGS.clear()
            _TAGS[key] = tag
        return tag

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # An alias is the same node met twice: refused, so an alias bomb cannot expand.
        seen = self.seen_nodes
        if node in seen:  # nodes compare by identity; kept alive by the set
            raise _Problem(Diagnostic(_loc(self.file, node.start_mark), ANCHORS))
        seen.add(node)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    raise _Problem(_too_deep(_loc(self.file, node.start_mark)))
                return super().construct_object(node, deep)
            finally:
                self.depth -= 1
        return super().construct_object(node, deep)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        result = LocDict()
        result.key_at, result.value_at = {}, {}
        result.at = _loc(self.file, node.start_mark)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                first = result.key_at[key]
                raise _Problem(
                    Diagnostic(
                        _loc(self.file, key_node.start_mark),
                        f"duplicate key {key!r} (first defined at line {first.line})",
                    )
                )
            result.key_at[key] = _loc(self.file, key_node.start_mark)
            result.value_at[key] = _loc(self.file, value_node.start_mark)
            result[key] = self.construct_object(value_node, deep=True)
        return result

    def construct_sequence(self, node: Any, deep: bool = False) -> Any:
        result = LocList(self.construct_object(child, deep=True) for child in node.value)
        result.item_at = [_loc(self.file, child.start_mark) for child in node.value]
        result.at = _loc(self.file, node.start_mark)
        return result


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)

_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
# Scalars whose constructor returns its value at once (no generator, no nested node).
_SCALARS = {
    tag: _Loader.yaml_constructors[tag]
    for tag in (
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
    )
}
_new = object.__new__


def _position(file: str, mark: Any) -> SourceLocation:
    """``_loc`` without the frozen dataclass's ``__init__`` (a manifest of a thousand
    pipelines has most of a million positions): the same fields, equal and hashed alike."""
    at = _new(SourceLocation)
    fields = at.__dict__
    fields["file"] = file
    fields["line"] = mark.line + 1
    fields["col"] = mark.column + 1
    return at


def _construct(loader: _Loader, node: Any, depth: int) -> Any:
    """What ``loader.construct_document`` builds, in one direct walk: the plain mappings,
    lists and scalars a manifest holds go straight to values; any other node (a tag, a
    merge key, a set) goes through the loader, which builds it or refuses it in the same
    words. The same checks, in the same order: an alias, then the nesting depth."""
    seen = loader.seen_nodes
    if node in seen:
        raise _Problem(Diagnostic(_loc(loader.file, node.start_mark), ANCHORS))
    cls, tag = node.__class__, node.tag
    if cls is yaml.ScalarNode:
        if tag == _STR:
            seen.add(node)
            text = node.value
            if "${" in text and not loader.refs:
                loader.refs = has_refs(text)
            return text
        scalar = _SCALARS.get(tag)
        if scalar is not None:
            seen.add(node)
            return scalar(loader, node)
    elif (cls is yaml.MappingNode and tag == _MAP) or (cls is yaml.SequenceNode and tag == _SEQ):
        seen.add(node)
        depth += 1
        file = loader.file
        if depth > MAX_DEPTH:
            raise _Problem(_too_deep(_loc(file, node.start_mark)))
        if cls is yaml.SequenceNode:
            items = LocList(_construct(loader, child, depth) for child in node.value)
            items.item_at = [_position(file, child.start_mark) for child in node.value]
            items.at = _position(file, node.start_mark)
            return items
        result = LocDict()
        key_at: dict[str, SourceLocation] = {}
        value_at: dict[str, SourceLocation] = {}
        result.key_at, result.value_at = key_at, value_at
        result.at = _position(file, node.start_mark)
        for key_node, value_node in node.value:
            key = _construct(loader, key_node, depth)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                first = key_at[key]
                raise _Problem(
                    Diagnostic(
                        _loc(file, key_node.start_mark),
                        f"duplicate key {key!r} (first defined at line {first.line})",
                    )
                )
            key_at[key] = _position(file, key_node.start_mark)
            value_at[key] = _position(file, value_node.start_mark)
            result[key] = _construct(loader, value_node, depth)
        return result
    loader.depth = depth
    loader.refs = True  # built by the loader: not looked into, so assume the worst
    return loader.construct_object(node, deep=True)


def _document(loader: _Loader, node: Any) -> Any:
    """``construct_document`` by the direct walk, with the loader's own clean-up."""
    data = _construct(loader, node, 0)
    while loader.state_generators:  # what a node built by the loader left to finish
        generators, loader.state_generators = loader.state_generators, []
        for generator in generators:
            for _ in generator:
                pass
    loader.constructed_objects = {}
    loader.recursive_objects = {}
    loader.deep_construct = False
    return data


def load_file(path: Path, display: str) -> tuple[list[Document], list[Diagnostic]]:
    """The documents of one file, or the one problem that stops it from being read."""
    raw, problems = read_file(path, display)
    return ([], problems) if raw is None else load_bytes(raw, display)


def read_file(path: Path, display: str) -> tuple[bytes | None, list[Diagnostic]]:
    """The bytes of one file, or the one problem that stops it from being read."""
    start = SourceLocation(display, 1, 1)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, [
                Diagnostic(
                    start,
                    f"file is too large ({size:,} bytes; the limit is {MAX_BYTES:,}): "
                    "split it into several manifests",
                )
            ]
        return path.read_bytes(), []
    except OSError as e:
        return None, [Diagnostic(start, f"cannot read the file: {e.strerror}")]


def load_bytes(raw: bytes, display: str) -> tuple[list[Document], list[Diagnostic]]:
    """The documents of one file's bytes, or the one problem that stops them from being read."""
    start = SourceLocation(display, 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        return [], [
            Diagnostic(
                SourceLocation(display, line, col),
                f"the file is not valid UTF-8 (byte 0x{raw[e.start]:02x}): save it as UTF-8",
            )
        ]
    if not text.strip():
        return [], [
            Diagnostic(
                start,
                "the file is empty: add a manifest (apiVersion, kind, metadata, spec) "
                "or delete the file",
            )
        ]
    if "&" in text:  # an anchor on any node, even one no alias uses (a URL's '&' is no anchor)
        anchored = _first_anchor(text, display)
        if anchored is not None:
            return [], [Diagnostic(anchored, ANCHORS)]
    docs: list[Document] = []
    try:
        loader = _Loader(text, display)
        try:
            index = 0
            while loader.check_node():
                node = loader.get_node()
                at = _loc(display, node.start_mark) if node is not None else start
                loader.refs = False
                body = _document(loader, node) if node is not None else None
                if body is not None:
                    docs.append(Document(display, index, body, at, loader.refs))
                index += 1
        finally:
            loader.dispose()
    except _Problem as p:
        return [], [p.diagnostic]
    except yaml.MarkedYAMLError as e:
        deep = _first_too_deep(text, display)
        if deep is not None:  # the parser's own nesting limit, whatever its wording
            return [], [_too_deep(deep)]
        return [], [syntax_error(text, display, e)]
    except yaml.YAMLError as e:
        return [], [Diagnostic(start, f"YAML error: {e}")]
    except RecursionError:
        return [], [_too_deep(_first_too_deep(text, display) or start)]
    if not docs:
        return [], [
            Diagnostic(start, "the file holds no documents: add a manifest or delete the file")
        ]
    return docs, []


def _first_too_deep(text: str, display: str) -> SourceLocation | None:
    """Where the first collection deeper than MAX_DEPTH starts, read from the event stream of
    the pure-Python parser (which keeps its own stack, so depth cannot stop it); None when the
    text nests no deeper than the limit before its first syntax error. Runs only on the error
    path, so valid manifests never pay for it."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return _loc(display, event.start_mark)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def _first_anchor(text: str, display: str) -> SourceLocation | None:
    """Where the first anchor (``&name``) is, from the parser's events; None when there is
    none, or when the text does not parse (the loader then reports why)."""
    try:
        for event in yaml.parse(text, Loader=_BASE):
            if getattr(event, "anchor", None) is not None and not isinstance(
                event, yaml.AliasEvent
            ):
                return _loc(display, event.start_mark)
    except yaml.YAMLError:
        return None
    return None

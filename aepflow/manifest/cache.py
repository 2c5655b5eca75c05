"""A cache of parsed manifests under ``.aepflow/cache``: a file's YAML is parsed once per content.

What the loader (``yamlload.load_bytes``) builds from a file depends on the file's bytes, the name
it is shown by (every position carries it), aepflow's loader code, PyYAML and the interpreter.
Each entry is keyed on a sha256 of the first two; the file's header names the rest (aepflow's
version, this format's number, a digest of the loader's source, PyYAML's version and parser, the
interpreter), and a header that differs in anything makes the whole file ignored. So an entry is
never served for other bytes, another name or another loader, and nothing is unpickled that this
very code did not write (the header also holds a sha256 of the entries, so a torn or altered file
is ignored, not read).

Only a file that loads without a problem is stored: a file with a problem is parsed again, and
reported in the very same words. The cache is a speed-up only: a missing, corrupt, unreadable or
unwritable cache is silently ignored (validate works in a read-only folder), and writing it
replaces the file atomically (another process reads the old file or the new one, never a mix).
``AEPFLOW_MANIFEST_CACHE=off`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import marshal
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from aepflow import __version__
from aepflow.errors import SourceLocation
from aepflow.manifest import yamlload, yamlsyntax
from aepflow.manifest.yamlload import Document, LocDict, LocList

FORMAT = 2  # bump when what an entry holds, or how, changes
MAGIC = b"aepflow manifest cache\n"
SWITCH = "AEPFLOW_MANIFEST_CACHE"  # "off": neither read nor written


# Each object is stored as a call to one of these four (pickle's own way of rebuilding an
# object costs about a third more here), and the reader refuses any other name.
_new = object.__new__


def _at(file: str, line: int, col: int) -> SourceLocation:
    at = _new(SourceLocation)
    fields = at.__dict__
    fields["file"], fields["line"], fields["col"] = file, line, col
    return at


def _map(items: dict[str, Any], key_at: Any, value_at: Any, at: SourceLocation) -> LocDict:
    node = LocDict(items)
    node.key_at, node.value_at, node.at = key_at, value_at, at
    return node


def _seq(items: list[Any], item_at: list[SourceLocation], at: SourceLocation) -> LocList:
    node = LocList(items)
    node.item_at, node.at = item_at, at
    return node


def _doc(file: str, index: int, body: Any, at: SourceLocation, refs: bool) -> Document:
    doc = _new(Document)
    fields = doc.__dict__
    fields["file"], fields["index"], fields["body"], fields["at"] = file, index, body, at
    fields["refs"] = refs
    return doc


MAKERS = {f.__name__: f for f in (_at, _map, _seq, _doc)}


class Writer(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is SourceLocation:
            return _at, (obj.file, obj.line, obj.col)
        if kind is LocDict:
            return _map, (dict(obj), obj.key_at, obj.value_at, obj.at)
        if kind is LocList:
            return _seq, (list(obj), obj.item_at, obj.at)
        if kind is Document:
            return _doc, (obj.file, obj.index, obj.body, obj.at, obj.refs)
        return NotImplemented


class _Reader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name in MAKERS:
            return MAKERS[name]
        raise pickle.UnpicklingError(f"{module}.{name} is not a manifest cache object")


def dumps(docs: list[Document]) -> bytes:
    out = io.BytesIO()
    Writer(out, protocol=pickle.HIGHEST_PROTOCOL).dump(docs)
    return out.getvalue()


def loads(blob: bytes) -> Any:
    return _Reader(io.BytesIO(blob)).load()


def location(root: Path) -> Path:
    return root / ".aepflow" / "cache" / "manifests"


def _code_digest() -> str:
    """A digest of the source of everything that shapes a cached entry: the loader, the
    position and document classes, and this module (aepflow's version alone does not change
    between two builds of the same release)."""
    from aepflow import errors

    digest = hashlib.sha256()
    for module in (yamlload, yamlsyntax, errors, sys.modules[__name__]):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


_stamp: bytes | None = None


def stamp() -> bytes:
    """The header's first part: what an entry's meaning depends on, besides its key."""
    global _stamp
    if _stamp is None:
        parser = getattr(yamlload._BASE, "__name__", "?")
        fields = (
            __version__,
            str(FORMAT),
            _code_digest(),
            f"PyYAML {yaml.__version__} {parser}",
            sys.version.replace("\n", " "),
        )
        _stamp = MAGIC + "".join(f"{field}\n" for field in fields).encode()
    return _stamp


def key(display: str, raw: bytes) -> bytes:
    digest = hashlib.sha256(display.encode("utf-8", "surrogateescape"))
    digest.update(b"\0")
    digest.update(raw)
    return digest.digest()


class ManifestCache:
    """The entries read from the cache file, the ones used this run, and the new ones."""

    def __init__(self, path: Path | None, entries: dict[bytes, bytes]) -> None:
        self.path = path
        self.entries = entries
        self.used: dict[bytes, bytes] = {}
        self.added = False

    @classmethod
    def open(cls, root: Path) -> ManifestCache:
        if os.environ.get(SWITCH, "").strip().lower() == "off":
            return cls(None, {})
        try:
            path = location(root)
            head = stamp()
        except Exception:  # no loader source to stamp the cache by: no cache
            return cls(None, {})
        try:
            data = path.read_bytes()
        except Exception:  # no cache yet, or unreadable
            return cls(path, {})
        entries: dict[bytes, bytes] = {}
        if data.startswith(head) and len(data) >= len(head) + 32:
            check, payload = data[len(head) : len(head) + 32], data[len(head) + 32 :]
            if hashlib.sha256(payload).digest() == check:
                with contextlib.suppress(Exception):
                    loaded = marshal.loads(payload)
                    if type(loaded) is dict:
                        entries = loaded
        return cls(path, entries)

    def get(self, display: str, raw: bytes) -> list[Document] | None:
        """The documents stored for exactly these bytes shown by this name, or None."""
        k = key(display, raw)
        blob = self.entries.get(k)
        if type(blob) is not bytes:
            return None
        try:
            docs: Any = loads(blob)
        except Exception:
            return None
        if type(docs) is not list or not docs or any(type(d) is not Document for d in docs):
            return None
        self.used[k] = blob
        return docs

    def put(self, display: str, raw: bytes, docs: list[Document]) -> None:
        """Store what the loader built from these bytes (before anything else touches it)."""
        if self.path is None:
            return
        try:
            self.used[key(display, raw)] = dumps(docs)
        except Exception:
            return
        self.added = True

    def save(self, *, prune: bool) -> None:
        """Write the cache when it changed: the entries used or added this run, plus (unless
        ``prune``, for a run that read only some of the manifests) the others. Any error is
        ignored: the cache only saves time."""
        if self.path is None:
            return
        kept = self.used if prune else {**self.entries, **self.used}
        if not self.added and kept.keys() == self.entries.keys():
            return
        with contextlib.suppress(Exception):
            payload = marshal.dumps(kept)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".manifests-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(stamp() + hashlib.sha256(payload).digest() + payload)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise

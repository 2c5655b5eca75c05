"""The emulator's state: one JSON document, ``<state_dir>/state.json``, shared by processes.

The document lives in memory and is re-read only when the file changed (inode, mtime_ns and
size; writers also compare the revision the last writer recorded in ``.lock``), so reads cost
no parsing. Changes go through a
transaction (:meth:`Store.write`): the handler stages them on a :class:`Tx`, they are applied
only if the handler succeeds, and they are on disk before the caller answers.

Writes are atomic: the new document goes to a temp file in the same folder, is fsynced and
renamed over ``state.json``, so a process killed at any instant leaves the old or the new
state, never a torn one. ``flock`` on ``<state_dir>/.lock`` makes each read-modify-write
exclusive across processes; a re-entrant mutex does the same across threads.

Group commit: while one thread writes the file, transactions of other threads apply to the
in-memory document and are written together by the next write, so concurrent requests do not
pay one full-document write each. The process keeps the ``flock`` until every applied change is
on disk, so no other process can read or overwrite a state that lacks them.

Layout::

    {"rev": "<hex>", "format": 1, "createdAt": <ms>, "salt": "<hex>",
     "tokens": {"<sha256 of token>": {"clientId": .., "expiresAt": <s>}},
     "sandboxes": {"prod": {"flows": {"<id>": {..}}, "dataSets": {..}, ..}},
     "stats": {"GET /data/foundation/flowservice/flows/{id}": 12, ..}}
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

FORMAT = 1
STATE_FILE = "state.json"
LOCK_FILE = ".lock"
_EMPTY: Mapping[str, Any] = {}


class StateError(Exception):
    """The state file cannot be used (not JSON, another format, not writable).

    ``str(e)`` is a user-facing sentence; the CLI shows it as it shows aepflow's own errors."""


class Tx:
    """One request's view of the state: reads go to the document, writes are staged.

    Staged writes are not visible through the read methods of the same transaction.
    """

    def __init__(self, doc: dict[str, Any], *, writable: bool) -> None:
        self.doc = doc
        self.writable = writable
        self.ops: list[tuple[str, tuple[str, ...], Any]] = []

    # -- reading ----------------------------------------------------------------------------

    def collection(self, sandbox: str, name: str) -> Mapping[str, Any]:
        found: Mapping[str, Any] = (
            self.doc.get("sandboxes", _EMPTY).get(sandbox, _EMPTY).get(name, _EMPTY)
        )
        return found

    def get(self, sandbox: str, name: str, key: str) -> Any:
        return self.collection(sandbox, name).get(key)

    def sandboxes(self) -> list[str]:
        return list(self.doc.get("sandboxes", _EMPTY))

    @property
    def salt(self) -> str:
        return str(self.doc["salt"])

    # -- staging ----------------------------------------------------------------------------

    def put(self, sandbox: str, name: str, key: str, value: Any) -> None:
        self.set(("sandboxes", sandbox, name, key), value)

    def delete(self, sandbox: str, name: str, key: str) -> None:
        self.unset(("sandboxes", sandbox, name, key))

    def set(self, path: tuple[str, ...], value: Any) -> None:
        self._stage("set", path, value)

    def unset(self, path: tuple[str, ...]) -> None:
        self._stage("unset", path, None)

    def _stage(self, op: str, path: tuple[str, ...], value: Any) -> None:
        if not self.writable:
            raise RuntimeError("a read transaction cannot change the state")
        self.ops.append((op, path, value))

    def apply(self) -> list[tuple[str, ...]]:
        """Apply the staged writes to the document; returns the paths they touched."""
        for op, path, value in self.ops:
            node = self.doc
            for key in path[:-1]:
                node = node.setdefault(key, {})
            if op == "set":
                node[path[-1]] = value
            else:
                node.pop(path[-1], None)
        return [path for _, path, _ in self.ops]


class Store:
    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory)
        self.path = self.directory / STATE_FILE
        self._lock_path = self.directory / LOCK_FILE
        self._clock = clock
        self._mutex = threading.RLock()  # the in-memory document and the fields below
        self._flusher = threading.Lock()  # one thread writes the file at a time
        self._doc = self._empty()
        self._seen: tuple[int, int, int, str] | None = None  # file the document came from
        self._lock_fd: int | None = None  # the open .lock file
        self._locked = False  # this process holds the flock
        self._applied = 0  # transactions applied in memory
        self._durable = 0  # ... of which on disk
        self._lost = 0  # ... whose write failed (they were rolled back)
        self._pending: Counter[str] = Counter()  # request counts not yet in the document
        self._fragments = _Fragments()
        self._stats_mutex = threading.Lock()

    # -- transactions -----------------------------------------------------------------------

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        with self._mutex:
            self._refresh(strict=False)
            yield Tx(self._doc, writable=False)

    @contextlib.contextmanager
    def write(self) -> Iterator[Tx]:
        """Stage changes on the yielded Tx; they are applied and on disk when this returns.

        An exception in the block discards them and propagates.
        """
        with self._mutex:
            self._lock()
            tx = Tx(self._doc, writable=True)
            try:
                yield tx
            except BaseException:
                self._unlock_if_clean()
                raise
            if not tx.ops:
                self._unlock_if_clean()
                return
            self._fragments.forget(tx.apply())
            self._applied += 1
            ticket = self._applied
        self._persist(ticket)

    def count(self, key: str, n: int = 1) -> int:
        """Add to a request counter; returns the number of counts not yet in the document."""
        with self._stats_mutex:
            self._pending[key] += n
            return sum(self._pending.values())

    def flush_counts(self) -> None:
        """Put the pending request counts in the state file now."""
        with self._stats_mutex:
            if not self._pending:
                return
        with self.write() as tx:
            tx.set(("statsFlushedAt",), int(self._clock() * 1000))

    def counts(self) -> tuple[int, dict[str, int]]:
        """(state creation time in ms, request counts by endpoint, pending ones included)."""
        with self.read() as tx:
            created = int(tx.doc.get("createdAt", 0))
            counts = Counter(tx.doc.get("stats", {}))
        with self._stats_mutex:
            counts.update(self._pending)
        return created, dict(counts)

    def reset(self) -> None:
        """Forget everything: the next request sees an empty platform."""
        with self._flusher, self._mutex:
            self._lock()
            try:
                self.path.unlink(missing_ok=True)
                for stale in self.directory.glob(".state.*.tmp"):
                    stale.unlink(missing_ok=True)
                self._doc = self._empty()
                self._seen = None
                self._durable = self._applied
                with self._stats_mutex:
                    self._pending.clear()
            finally:
                self._unlock_if_clean()

    # -- the file ---------------------------------------------------------------------------

    def _empty(self) -> dict[str, Any]:
        return {
            "rev": "",
            "format": FORMAT,
            "createdAt": int(self._clock() * 1000),
            "salt": secrets.token_hex(16),
            "tokens": {},
            "sandboxes": {},
            "stats": {},
        }

    def _lock(self) -> None:
        """Hold the flock (if this process does not already) and catch up with the file."""
        if self._locked:
            return
        if self._lock_fd is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._locked = True
        try:
            self._refresh(strict=True)
        except BaseException:
            self._unlock_if_clean()
            raise

    def _unlock_if_clean(self) -> None:
        """Release the flock once every applied change is on disk (call with the mutex)."""
        if self._locked and self._lock_fd is not None and self._durable >= self._applied:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            self._locked = False

    def _refresh(self, *, strict: bool) -> None:
        """Re-read the file if another process changed it (call with the mutex).

        The file's inode, mtime and size tell a change; ``strict`` (writers, under the flock)
        also compares the revision recorded in ``.lock``, which no reuse of an inode can fake.
        """
        if self._durable < self._applied:
            return  # unwritten changes: this process holds the flock, the file cannot move
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self._seen is not None:  # reset by another process
                self._doc, self._seen = self._empty(), None
            return
        if self._unchanged(st, strict=strict):
            return
        self._load()

    def _unchanged(self, st: os.stat_result, *, strict: bool) -> bool:
        seen = self._seen
        if seen is None or seen[:3] != (st.st_ino, st.st_mtime_ns, st.st_size):
            return False
        return not strict or self._lock_rev() == seen[3]

    def _lock_rev(self) -> str:
        """The revision the last writer recorded in ``.lock`` (read under the flock)."""
        assert self._lock_fd is not None
        return os.pread(self._lock_fd, 64, 0).decode("ascii", "replace").strip()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                st = os.fstat(f.fileno())
                raw = f.read()
        except FileNotFoundError:
            self._doc, self._seen = self._empty(), None
            return
        try:
            doc = json.loads(raw)
        except ValueError:
            raise StateError(
                f"the emulator state {self.path} is not valid JSON; "
                "`aepflow emulator reset` starts over"
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise StateError(
                f"the emulator state {self.path} has an unknown format; "
                "`aepflow emulator reset` starts over"
            )
        self._doc = doc
        self._fragments.clear()
        self._seen = (st.st_ino, st.st_mtime_ns, st.st_size, str(doc.get("rev", "")))

    def _persist(self, ticket: int) -> None:
        """Make sure transaction ``ticket`` is on disk (group commit)."""
        with self._flusher:
            with self._mutex:
                if ticket <= self._lost:
                    raise StateError(f"the emulator could not write its state to {self.path}")
                if ticket <= self._durable:
                    return
                upto = self._applied
                self._merge_counts()
                rev = secrets.token_hex(8)
                self._doc["rev"] = rev
                payload = self._fragments.document(self._doc)  # pieces of the file
            try:
                # The revision goes to .lock first: a writer killed before the rename only
                # makes the others re-read a file that did not change.
                assert self._lock_fd is not None
                os.pwrite(self._lock_fd, rev.encode(), 0)
                identity = self._replace(payload)
            except OSError as e:
                with self._mutex:
                    # Every change not on disk is dropped: back to what the file holds.
                    self._lost = self._durable = self._applied
                    self._seen = None
                    self._load()
                    self._unlock_if_clean()
                raise StateError(f"cannot write the emulator state {self.path}: {e}") from None
            with self._mutex:
                self._seen = (*identity, rev)
                self._durable = upto
                self._unlock_if_clean()

    def _merge_counts(self) -> None:
        with self._stats_mutex:
            pending, self._pending = self._pending, Counter()
        if pending:
            stats = self._doc.setdefault("stats", {})
            for key, n in pending.items():
                stats[key] = stats.get(key, 0) + n

    def _replace(self, payload: list[bytes]) -> tuple[int, int, int]:
        """Write ``payload`` to a temp file, fsync it and rename it over the state file.

        Few system calls on purpose: each one lets other threads take the interpreter, and
        the state's writer holds up every request that waits for it.
        """
        tmp = self.directory / f".state.{os.getpid()}.{id(self):x}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(fd, payload)
            os.fsync(fd)
            st = os.fstat(fd)  # the inode and mtime the rename keeps
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        os.close(fd)
        try:
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return st.st_ino, st.st_mtime_ns, st.st_size


class _Fragments:
    """Serialised pieces of ``sandboxes``, kept between writes.

    Writing the state re-encodes only what changed since the last write: objects are never
    changed in place (a transaction replaces them), so the JSON of an object, and of a
    collection none of whose objects changed, stays valid until a transaction touches it.
    This keeps a write of a large state in the milliseconds.
    """

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str], str] = {}  # '"<id>":{...}'
        self._collections: dict[tuple[str, str], bytes] = {}  # b'{"<id>":{...},...}'

    def clear(self) -> None:
        self._items.clear()
        self._collections.clear()

    def forget(self, paths: list[tuple[str, ...]]) -> None:
        for path in paths:
            if path[0] != "sandboxes":
                continue
            if len(path) >= 4:
                self._items.pop((path[1], path[2], path[3]), None)
                self._collections.pop((path[1], path[2]), None)
            else:
                self.clear()

    def document(self, doc: Mapping[str, Any]) -> list[bytes]:
        """``json.dumps(doc)``, compact, with ``rev`` first, as pieces from cached fragments.

        The pieces are written as they are (``os.writev``): a large state is never copied
        into one string.
        """
        parts = [b'{"rev":', _dumps(doc.get("rev", "")).encode()]
        for key, value in doc.items():
            if key == "rev":
                continue
            parts.append(f",{_dumps(key)}:".encode())
            if key != "sandboxes":
                parts.append(_dumps(value).encode())
                continue
            parts.append(b"{")
            for i, (sandbox, collections) in enumerate(value.items()):
                parts.append(f"{',' if i else ''}{_dumps(sandbox)}:{{".encode())
                for j, (name, objects) in enumerate(collections.items()):
                    parts.append(f"{',' if j else ''}{_dumps(name)}:".encode())
                    parts.append(self._collection(sandbox, name, objects))
                parts.append(b"}")
            parts.append(b"}")
        parts.append(b"}")
        return parts

    def _collection(self, sandbox: str, name: str, objects: Mapping[str, Any]) -> bytes:
        cached = self._collections.get((sandbox, name))
        if cached is None:
            items = []
            for key, obj in objects.items():
                item = self._items.get((sandbox, name, key))
                if item is None:
                    item = self._items[(sandbox, name, key)] = f"{_dumps(key)}:{_dumps(obj)}"
                items.append(item)
            cached = self._collections[(sandbox, name)] = ("{" + ",".join(items) + "}").encode()
        return cached


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """Write every piece, in as few system calls as ``writev`` allows."""
    views = [memoryview(p) for p in pieces if p]
    while views:
        written = os.writev(fd, views[:512])
        while written and views:
            if written >= len(views[0]):
                written -= len(views.pop(0))
            else:
                views[0] = views[0][written:]
                written = 0


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))

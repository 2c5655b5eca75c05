"""The emulator's state: a JSON snapshot plus an append-only journal, shared by processes.

``<state_dir>/state.json`` holds the whole document as of one revision; ``state.journal``
holds the changes made since, one line per commit. The document lives in memory and a process
catches up only when the files changed (inode, mtime_ns and size; writers also compare the
revision the last writer recorded in ``.lock``), by reading the journal lines it has not seen,
so reads cost no parsing. Changes go through a transaction (:meth:`Store.write`): the handler
stages them on a :class:`Tx`, they are applied only if the handler succeeds, and they are on
disk (the journal line written and fsynced) before the caller answers.

A commit costs what it changed, not the size of the state: a line of its set/unset operations
is appended to the journal. When the journal outgrows both ``COMPACT_MIN_BYTES`` and
``COMPACT_RATIO`` times the snapshot (most of it then is overwritten), the next commit writes a
new snapshot instead (a temp file, fsynced and renamed over ``state.json``) and starts a new
journal whose first line names the snapshot's revision; a journal that names another revision
is ignored, so a process killed between the two renames leaves a whole state. A process
killed while appending leaves at most a line cut short at the end of the journal: readers
stop before it and the next writer truncates it. Nothing is ever torn.

``flock`` on ``<state_dir>/.lock`` makes each read-modify-write exclusive across processes; a
re-entrant mutex does the same across threads. Group commit: while one thread writes the
journal, transactions of other threads apply to the in-memory document and are written
together by the next write, so concurrent requests share one fsync. The process keeps the
``flock`` until every applied change is on disk, so no other process can read or overwrite a
state that lacks them.

Layout of the document (``state.json``, the journal's operations apply to it)::

    {"rev": "<hex>", "format": 1, "createdAt": <ms>, "salt": "<hex>",
     "tokens": {"<sha256 of token>": {"clientId": .., "expiresAt": <s>}},
     "sandboxes": {"prod": {"flows": {"<id>": {..}}, "dataSets": {..}, ..}},
     "stats": {"GET /data/foundation/flowservice/flows/{id}": 12, ..}}

Journal::

    {"base": "<rev of the snapshot>"}
    {"rev": "<hex>", "ops": [["set", ["sandboxes", "prod", "flows", "<id>"], {..}], ..]}
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
from typing import Any, NamedTuple

from aepflow.emulator.statefiles import dumps as _dumps
from aepflow.emulator.statefiles import identity as _identity
from aepflow.emulator.statefiles import replace_file
from aepflow.emulator.statefiles import write_all as _write_all

FORMAT = 1
STATE_FILE = "state.json"
JOURNAL_FILE = "state.journal"
# A journal is replayed about as fast as a snapshot of its size is read, so folding it costs an
# encoding of the whole document and saves only what later lines overwrote. A first apply of
# 1,000 pipelines journals 26 MB: folding at every doubling encoded 31 MB more, under the mutex.
# So a commit folds only a very large journal; a process folds a smaller one once, when it is
# done (``compact``), and the next process reads a snapshot, not lines overwritten many times.
COMPACT_MIN_BYTES = 64 << 20  # a commit never folds a smaller journal into the snapshot
COMPACT_RATIO = 2  # nor one under this many times the snapshot's size
FOLD_MIN_BYTES = 1 << 20  # ``compact`` folds a journal over this and over the snapshot's size
LOCK_FILE = ".lock"
_EMPTY: Mapping[str, Any] = {}
Op = tuple[str, tuple[str, ...], Any]


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
        self.ops: list[Op] = []

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

    def apply(self) -> None:
        """Apply the staged writes to the document."""
        _apply(self.doc, self.ops)


def _apply(doc: dict[str, Any], ops: list[Op] | list[list[Any]]) -> None:
    for op, path, value in ops:
        node = doc
        for key in path[:-1]:
            node = node.setdefault(key, {})
        if op == "set":
            node[path[-1]] = value
        else:
            node.pop(path[-1], None)


class Store:
    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory)
        self.path = self.directory / STATE_FILE
        self.journal = self.directory / JOURNAL_FILE
        self._lock_path = self.directory / LOCK_FILE
        self._clock = clock
        self._mutex = threading.RLock()  # the in-memory document and the fields below
        self._flusher = threading.Lock()  # one thread writes the files at a time
        self._doc = self._empty()
        self._seen: _Seen | None = None  # the files the document came from
        self._lock_fd: int | None = None  # the open .lock file
        self._locked = False  # this process holds the flock
        self._applied = 0  # transactions applied in memory
        self._durable = 0  # ... of which on disk
        self._lost = 0  # ... whose write failed (they were rolled back)
        self._queue: list[Op] = []  # operations applied in memory, not yet on disk
        self._pending: Counter[str] = Counter()  # request counts not yet in the document
        self._stats_mutex = threading.Lock()
        self._fold = False  # the next commit writes a snapshot (``compact``)
        self._tmp = self.directory / f".state.{os.getpid()}.{id(self):x}.tmp"

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
            tx.apply()
            self._queue.extend(tx.ops)
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

    def compact(self) -> None:
        """Fold the journal into a new snapshot if it outgrew the snapshot (and 1 MB): what a
        process does once, when it is done with the state."""
        with self._mutex:
            seen = self._seen
            if seen is None or seen.journal is None:
                return
            if seen.offset <= max(FOLD_MIN_BYTES, seen.snapshot[2]):
                return
            self._fold = True
        with self.write() as tx:
            tx.set(("foldedAt",), int(self._clock() * 1000))

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
                self.journal.unlink(missing_ok=True)
                self.path.unlink(missing_ok=True)
                for stale in self.directory.glob(".state.*.tmp"):
                    stale.unlink(missing_ok=True)
                self._doc = self._empty()
                self._seen = None
                self._queue = []
                self._durable = self._applied
                with self._stats_mutex:
                    self._pending.clear()
            finally:
                self._unlock_if_clean()

    # -- the files --------------------------------------------------------------------------

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
        """Hold the flock (if this process does not already) and catch up with the files."""
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
        """Catch up with the files if another process changed them (call with the mutex).

        The files' inode, mtime and size tell a change; ``strict`` (writers, under the flock)
        also compares the revision recorded in ``.lock``, which no reuse of an inode can fake.
        """
        if self._durable < self._applied:
            return  # unwritten changes: this process holds the flock, the files cannot move
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self._seen is not None:  # reset by another process
                self._doc, self._seen = self._empty(), None
            return
        seen = self._seen
        snapshot = (st.st_ino, st.st_mtime_ns, st.st_size)
        if seen is not None and seen.snapshot == snapshot:
            journal = _identity(self.journal)
            if journal == seen.journal and (not strict or self._lock_rev() == seen.rev):
                return
        self._load()

    def _lock_rev(self) -> str:
        """The revision the last writer recorded in ``.lock`` (read under the flock)."""
        assert self._lock_fd is not None
        return os.pread(self._lock_fd, 64, 0).decode("ascii", "replace").strip()

    def _load(self) -> None:
        """Catch up with the files: the journal's new lines, or everything when the snapshot
        or the journal's inode changed (or the journal shrank: a failed write was cut off)."""
        seen = self._seen
        if seen is not None and seen.journal is not None:
            try:
                st = os.stat(self.path)
                journal = os.stat(self.journal)
            except FileNotFoundError:
                pass
            else:
                if (
                    (st.st_ino, st.st_mtime_ns, st.st_size) == seen.snapshot
                    and journal.st_ino == seen.journal[0]
                    and journal.st_size >= seen.offset
                ):
                    self._seen = self._replay(seen)
                    return
        try:
            with open(self.path, "rb") as f:
                st = os.fstat(f.fileno())
                raw = f.read()
        except FileNotFoundError:
            self._doc, self._seen = self._empty(), None
            return
        self._doc = self._parse_snapshot(raw)
        rev = str(self._doc.get("rev", ""))
        self._seen = self._replay(_Seen((st.st_ino, st.st_mtime_ns, st.st_size), None, 0, rev))

    def _parse_snapshot(self, raw: bytes) -> dict[str, Any]:
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
        return doc

    def _replay(self, seen: _Seen) -> _Seen:
        """Apply the journal's whole lines after ``seen.offset`` (from its start when
        ``seen.journal`` is None: its first line must name the snapshot's revision).

        The result's ``journal`` is None when there is no usable journal: the next commit
        then writes a snapshot and a new journal.
        """
        try:
            with open(self.journal, "rb") as f:
                st = os.fstat(f.fileno())
                f.seek(seen.offset)
                raw = f.read()
        except FileNotFoundError:
            return _Seen(seen.snapshot, None, 0, seen.rev)
        rev, end, fresh = seen.rev, seen.offset, seen.journal is None
        lines = raw.split(b"\n")
        for number, line in enumerate(lines[:-1]):  # the last piece has no newline: cut short
            try:
                record = json.loads(line)
                if fresh and number == 0:
                    if record.get("base") != seen.rev:  # a journal of an older snapshot
                        return _Seen(seen.snapshot, None, 0, seen.rev)
                    end += len(line) + 1
                    continue
                ops, new_rev = record["ops"], str(record["rev"])
            except (ValueError, KeyError, TypeError, AttributeError):
                if number == len(lines) - 2:
                    break  # the last line, cut short by a crash: its commit never finished
                raise StateError(
                    f"the emulator journal {self.journal} is corrupt; "
                    "`aepflow emulator reset` starts over"
                ) from None
            _apply(self._doc, ops)
            rev = self._doc["rev"] = new_rev
            end += len(line) + 1
        if fresh and end == 0:  # not even the first line
            return _Seen(seen.snapshot, None, 0, seen.rev)
        return _Seen(seen.snapshot, (st.st_ino, st.st_size), end, rev)

    def _persist(self, ticket: int) -> None:
        """Make sure transaction ``ticket`` is on disk (group commit)."""
        with self._flusher:
            with self._mutex:
                if ticket <= self._lost:
                    raise StateError(f"the emulator could not write its state to {self.path}")
                if ticket <= self._durable:
                    return
                upto = self._applied
                ops, self._queue = self._queue, []
                ops.extend(self._merge_counts())
                rev = secrets.token_hex(8)
                self._doc["rev"] = rev
                seen = self._seen
                compact = (
                    seen is None
                    or seen.journal is None
                    or self._fold
                    or seen.offset > max(COMPACT_MIN_BYTES, COMPACT_RATIO * seen.snapshot[2])
                )
                self._fold = False
                # A snapshot is encoded under the mutex: other threads change the document.
                payload = _dumps(self._doc).encode() if compact else None
            try:
                # The revision goes to .lock first: a writer killed before the files change
                # only makes the others re-read files that did not change.
                assert self._lock_fd is not None
                os.pwrite(self._lock_fd, rev.encode().ljust(16), 0)
                if payload is not None:
                    fresh = self._snapshot(payload, rev)
                else:
                    assert seen is not None
                    fresh = self._append(seen, ops, rev)
            except OSError as e:
                with self._mutex:
                    # Every change not on disk is dropped: back to what the files hold.
                    self._lost = self._durable = self._applied
                    self._queue = []
                    self._seen = None
                    self._load()
                    self._unlock_if_clean()
                raise StateError(f"cannot write the emulator state {self.path}: {e}") from None
            with self._mutex:
                self._seen = fresh
                self._durable = upto
                self._unlock_if_clean()

    def _merge_counts(self) -> list[Op]:
        with self._stats_mutex:
            pending, self._pending = self._pending, Counter()
        ops: list[Op] = []
        if pending:
            stats = self._doc.setdefault("stats", {})
            for key, n in pending.items():
                stats[key] = stats.get(key, 0) + n
                ops.append(("set", ("stats", key), stats[key]))
        return ops

    def _append(self, seen: _Seen, ops: list[Op], rev: str) -> _Seen:
        """Append one line to the journal and fsync it; a failure cuts the journal back."""
        line = (_dumps({"rev": rev, "ops": ops}) + "\n").encode()
        fd = os.open(self.journal, os.O_WRONLY)
        try:
            try:
                _write_all(fd, [line], seen.offset)
                if os.fstat(fd).st_size > seen.offset + len(line):
                    os.ftruncate(fd, seen.offset + len(line))  # a line cut short by a crash
                os.fsync(fd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, seen.offset)
                raise
            st = os.fstat(fd)
        finally:
            os.close(fd)
        end = seen.offset + len(line)
        return _Seen(seen.snapshot, (st.st_ino, st.st_size), end, rev)

    def _snapshot(self, payload: bytes, rev: str) -> _Seen:
        """The whole document to ``state.json``, then a new journal based on it."""
        snapshot = replace_file(self.path, payload, tmp=self._tmp)
        header = (_dumps({"base": rev}) + "\n").encode()
        journal = replace_file(self.journal, header, tmp=self._tmp)
        return _Seen(snapshot, (journal[0], journal[2]), len(header), rev)


class _Seen(NamedTuple):
    """The files the in-memory document reflects."""

    snapshot: tuple[int, int, int]  # state.json: inode, mtime_ns, size
    journal: tuple[int, int] | None  # state.journal: inode, size
    offset: int  # end of the last whole journal line applied
    rev: str  # the revision of the document

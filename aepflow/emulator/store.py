"""The emulator's persistent state: a snapshot plus an append-only journal, shared by processes.

Every change is one JSON line appended to ``journal.jsonl`` under an exclusive ``flock``; a
reader replays the lines it has not seen yet. A process killed mid-write leaves at most a
partial last line, which is ignored, so the state is never corrupt or half-applied. When the
journal grows, it is folded into ``snapshot.json`` (written to a temp file, fsynced, renamed).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COMPACT_AFTER = 4 * 1024 * 1024  # bytes of journal


class Store:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.journal = self.dir / "journal.jsonl"
        self.snapshot = self.dir / "snapshot.json"
        self._lockfile = self.dir / ".lock"
        self._mutex = threading.RLock()
        self.data: dict[str, Any] = {}
        self._identity: tuple[int, int] | None = None  # (inode, snapshot mtime) of what we read
        self._offset = 0

    # -- locking and catching up ----------------------------------------------------------

    @contextlib.contextmanager
    def locked(self, exclusive: bool) -> Iterator[dict[str, Any]]:
        """Hold the state (threads and processes) and bring it up to date."""
        with self._mutex:
            fd = os.open(self._lockfile, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
                self._catch_up()
                yield self.data
            finally:
                os.close(fd)

    def _catch_up(self) -> None:
        try:
            st = self.journal.stat()
            journal_id = (st.st_ino, self._snapshot_mtime())
        except FileNotFoundError:
            journal_id = (0, self._snapshot_mtime())
        if journal_id != self._identity:
            self.data = self._read_snapshot()
            self._offset = 0
            self._identity = journal_id
        if not self.journal.exists():
            return
        with open(self.journal, "rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1  # a partial last line (a killed writer) is not applied
        for line in chunk[:end].splitlines():
            if line.strip():
                _apply(self.data, json.loads(line))
        self._offset += end

    def _snapshot_mtime(self) -> int:
        try:
            return self.snapshot.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def _read_snapshot(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.snapshot.read_text(encoding="utf-8"))
            return data
        except FileNotFoundError:
            return {}

    # -- writing (only inside locked(exclusive=True)) -------------------------------------

    def write(self, *changes: dict[str, Any]) -> None:
        """Record changes: {"set": [path...], "value": v} or {"del": [path...]}."""
        if not changes:
            return
        payload = b"".join(json.dumps(c, separators=(",", ":")).encode() + b"\n" for c in changes)
        for c in changes:
            _apply(self.data, c)
        fd = os.open(self.journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, payload)
        finally:
            os.close(fd)
        self._offset += len(payload)
        if self._offset > COMPACT_AFTER:
            self._compact()

    def _compact(self) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".snapshot.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.data, f, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.snapshot)
        # A crash here replays the whole journal over the new snapshot: every change is a
        # plain set/delete of a value, so replaying it again gives the same state.
        self.journal.unlink(missing_ok=True)
        self._offset = 0
        self._identity = (0, self._snapshot_mtime())

    def reset(self) -> None:
        with self.locked(exclusive=True):
            self.journal.unlink(missing_ok=True)
            self.snapshot.unlink(missing_ok=True)
            self.data = {}
            self._offset = 0
            self._identity = (0, 0)


def _apply(data: dict[str, Any], change: dict[str, Any]) -> None:
    if "set" in change:
        *parents, last = change["set"]
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = change["value"]
    elif "del" in change:
        *parents, last = change["del"]
        node = data
        for key in parents:
            node = node.get(key, {})
        node.pop(last, None)
    elif "inc" in change:
        *parents, last = change["inc"]
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = node.get(last, 0) + change["by"]

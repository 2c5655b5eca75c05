"""The lock file: which platform object each resource address is, and what was applied to it.

One JSON file per environment, keys sorted and one resource per block, so two pull requests
that touch different pipelines change different lines. Secrets appear only inside a salted,
slow hash (PBKDF2) so a rotated secret is detected without the secret being stored.

During an apply every step appends one line to a journal beside the lock (``<lock>.journal``,
fsynced), so recording a step costs what the step changed, not the whole file. The journal
is folded into the sorted lock when the apply ends, and by the next apply after a crash;
every read replays it, so nothing recorded is ever lost.

    {
      "format_version": 1,
      "environment": "prod",
      "sandbox": "prod",
      "lineage": "5d0c…",          # random, set when the lock is created
      "serial": 12,                 # +1 on every write
      "secret_salt": "9f1e…",
      "resources": {
        "flow.sfdc-contacts": {
          "id": "ae0a9777-…",
          "kind": "flow",
          "hash": "sha256:…",       # of the spec that was applied (no secrets)
          "depends_on": ["mappingSet.sfdc-contacts", …]
        },
        "mappingSet.sfdc-contacts": {"id": "e7c8…", "version": 2, …},
        "connection.salesforce-crm": {"secrets_hash": "pbkdf2-sha256:…", …}
      }
    }
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from aepflow.engine.plan import Lock, LockEntry
from aepflow.errors import LockfileError, LockWriteError
from aepflow.kinds import KINDS

FORMAT_VERSION = 1

__all__ = ["Lock", "LockEntry", "LockWriter", "load", "save", "text", "to_json"]


def to_json(lock: Lock) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "environment": lock.environment,
        "sandbox": lock.sandbox,
        "lineage": lock.lineage,
        "serial": lock.serial,
        "secret_salt": lock.secret_salt,
        "resources": {a: e.to_json() for a, e in sorted(lock.resources.items())},
    }


def text(lock: Lock) -> str:
    return json.dumps(to_json(lock), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def shown(path: Path) -> str:
    """A path relative to the current folder when inside it, as messages show it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load(path: Path, environment: str, sandbox: str) -> Lock:
    """Read the lock at ``path`` (a missing file is an empty lock) with its journal replayed.

    The lock must belong to ``environment`` and ``sandbox``: a lock of another environment
    would make every resource look deleted and be created again.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        lock = Lock(environment=environment, sandbox=sandbox)
    except OSError as e:
        raise LockfileError(f"cannot read the lock file {shown(path)}: {e.strerror}") from None
    else:
        lock = _parse(text, path, environment, sandbox)
    _replay(lock, journal_path(path))
    return lock


def _parse(text: str, path: Path, environment: str, sandbox: str) -> Lock:
    markers = [
        n
        for n, line in enumerate(text.splitlines(), 1)
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>"))
    ]
    if any(text.splitlines()[n - 1].startswith(("<<<<<<<", ">>>>>>>")) for n in markers):
        lines = ", ".join(str(n) for n in markers[:9]) + (", ..." if len(markers) > 9 else "")
        raise LockfileError(
            f"{shown(path)}:{markers[0]}: the lock file has unresolved merge-conflict markers "
            f"(lines {lines}); resolve the conflict keeping every resource entry of both "
            "sides, then run plan"
        )
    try:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise LockfileError(
                f"{shown(path)}:{e.lineno}:{e.colno}: the lock file is not valid JSON "
                f"({e.msg}); restore it from git (it is never written partially by aepflow)"
            ) from None
        if not isinstance(data, dict):
            raise TypeError("the top level is not an object")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise LockfileError(
                f"{shown(path)}: lock file format_version {version!r} is not supported by this "
                f"aepflow (expected {FORMAT_VERSION}); upgrade aepflow"
            )
        if data.get("environment") != environment or data.get("sandbox") != sandbox:
            raise LockfileError(
                f"{shown(path)}: this lock belongs to environment {data.get('environment')!r} "
                f"(sandbox {data.get('sandbox')!r}), not to environment {environment!r} "
                f"(sandbox {sandbox!r}); nothing was read or changed. Check lockFile in "
                "aepflow.yaml and the -e option"
            )
        salt = str(data["secret_salt"])
        bytes.fromhex(salt)
        resources = {a: LockEntry.from_json(e) for a, e in data["resources"].items()}
        unknown = sorted(a for a, e in resources.items() if e.kind not in KINDS)
        if unknown:
            raise LockfileError(
                f"{shown(path)}: unknown resource kind in {', '.join(unknown)} (known: "
                f"{', '.join(KINDS)}); was the lock edited by hand or written by a newer aepflow?"
            )
        return Lock(
            environment=environment,
            sandbox=sandbox,
            lineage=str(data["lineage"]),
            serial=int(data["serial"]),
            secret_salt=salt,
            resources=resources,
        )
    except LockfileError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise LockfileError(
            f"{shown(path)}: the lock file is corrupt ({e.__class__.__name__}: {e}); restore it "
            "from git (it is never written partially by aepflow)"
        ) from None


def _replay(lock: Lock, journal: Path) -> bool:
    """Apply the journal's records to ``lock``; True when there was one."""
    try:
        lines = journal.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return False
    except OSError as e:
        raise LockfileError(
            f"cannot read the lock journal {shown(journal)}: {e.strerror}"
        ) from None
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
            if record["op"] == "put":
                lock.resources[record["address"]] = LockEntry.from_json(record["entry"])
            else:
                lock.resources.pop(record["address"], None)
            lock.serial = max(lock.serial, int(record["serial"]))
        except (ValueError, KeyError, TypeError):
            if number == len(lines):
                break  # a record cut short by a crash: its step never finished
            raise LockfileError(
                f"{shown(journal)}:{number}: the lock journal is corrupt; restore the lock from "
                "git and run plan (adoption finds what aepflow created since)"
            ) from None
    return True


class LockWriter:
    """Thread-safe holder of the lock during an apply; every change is journalled at once.

    Group commit: each change's line is written to the journal under a mutex, then made
    durable by one ``fsync`` that covers every line written by then, so steps finishing
    together on several threads share one flush to disk instead of queueing for one each.
    A change is in the lock in memory only once its line is on disk.

    Call ``close`` when the apply ends: it folds the journal into the sorted lock file.
    """

    def __init__(self, lock: Lock, path: Path) -> None:
        self.lock = lock
        self.path = path
        self.journal = journal_path(path)
        self._mutex = threading.Lock()  # the lock in memory, the journal file, the counters
        self._syncing = threading.Lock()  # one fsync at a time
        self._file: Any = None
        self._written = 0  # journal lines written (to the operating system)
        self._synced = 0  # ... of which known to be on disk
        if self.journal.exists():  # left by a crash: fold it before writing anew
            self.close()

    def put(self, address: str, entry: LockEntry) -> None:
        self._change(address, entry)

    def update(self, address: str, **changes: Any) -> None:
        with self._mutex:
            entry = replace(self.lock.resources[address], **changes)
        self._change(address, entry)

    def remove(self, address: str) -> None:
        with self._mutex:
            if address not in self.lock.resources:
                return
        self._change(address, None)

    def _change(self, address: str, entry: LockEntry | None) -> None:
        """Journal first: the lock in memory (folded into the file at the end) holds only
        what the journal recorded, so a failed write leaves nothing half-recorded."""
        if entry is None:
            self._append({"op": "remove", "address": address})
        else:
            self._append({"op": "put", "address": address, "entry": entry.to_json()})
        with self._mutex:
            if entry is None:
                self.lock.resources.pop(address, None)
            else:
                self.lock.resources[address] = entry

    def _append(self, record: dict[str, Any]) -> None:
        """Write one journal line and return once it is on disk."""
        with self._mutex:
            record["serial"] = self.lock.serial + 1
            try:
                if self._file is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    if not self.path.exists():
                        # A new lock's lineage and salt must outlive a crash before the fold:
                        # the journal alone would be replayed onto a fresh random one each read.
                        save(self.lock, self.path)
                    self._file = open(self.journal, "a", encoding="utf-8")  # noqa: SIM115
                self._file.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
                self._file.flush()
            except OSError as e:
                raise LockWriteError(self.journal, e.strerror or str(e)) from None
            self.lock.serial += 1
            self._written += 1
            ticket = self._written
        self._sync(ticket)

    def _sync(self, ticket: int) -> None:
        """fsync the journal unless another thread's fsync already covered line ``ticket``."""
        with self._syncing:
            if self._synced >= ticket:
                return
            with self._mutex:
                upto, fd = self._written, self._file.fileno()
            try:
                os.fsync(fd)
            except OSError as e:
                raise LockWriteError(self.journal, e.strerror or str(e)) from None
            self._synced = upto

    def close(self) -> None:
        """Fold the journal into the sorted lock file and remove it."""
        with self._mutex:
            if self._file is not None:
                self._file.close()
                self._file = None
            if not self.journal.exists():
                return
            try:
                save(self.lock, self.path)
                self.journal.unlink()
            except OSError as e:
                raise LockWriteError(self.path, e.strerror or str(e)) from None


def save(lock: Lock, path: Path) -> None:
    """Atomic write: a reader (or a crash) sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text(lock))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

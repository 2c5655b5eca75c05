"""The lock file: which platform object each resource address is, and what was applied to it.

One JSON file per environment, keys sorted and one resource per block, so two pull requests
that touch different pipelines change different lines. Secrets appear only inside a salted,
slow hash (PBKDF2) so a rotated secret is detected without the secret being stored.

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
from aepflow.errors import LockfileError

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


def load(path: Path, environment: str, sandbox: str) -> Lock:
    """Read the lock at ``path``; a missing file is an empty lock."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock(environment=environment, sandbox=sandbox)
    except OSError as e:
        raise LockfileError(f"cannot read the lock file {path}: {e.strerror}") from None
    try:
        data = json.loads(text)
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise LockfileError(
                f"{path}: lock file format_version {version!r} is not supported by this aepflow "
                f"(expected {FORMAT_VERSION}); upgrade aepflow"
            )
        if data.get("sandbox") != sandbox:
            raise LockfileError(
                f"{path}: this lock belongs to sandbox {data.get('sandbox')!r}, but environment "
                f"{environment!r} targets sandbox {sandbox!r}; check lockFile in aepflow.yaml"
            )
        return Lock(
            environment=environment,
            sandbox=sandbox,
            lineage=str(data["lineage"]),
            serial=int(data["serial"]),
            secret_salt=str(data["secret_salt"]),
            resources={a: LockEntry.from_json(e) for a, e in data["resources"].items()},
        )
    except LockfileError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise LockfileError(
            f"{path}: the lock file is corrupt ({e.__class__.__name__}: {e}); restore it from git "
            "(it is never written partially by aepflow)"
        ) from None


class LockWriter:
    """Thread-safe holder of the lock during an apply; every change is saved at once."""

    def __init__(self, lock: Lock, path: Path) -> None:
        self.lock = lock
        self.path = path
        self._mutex = threading.Lock()

    def put(self, address: str, entry: LockEntry) -> None:
        with self._mutex:
            self.lock.resources[address] = entry
            self._save()

    def update(self, address: str, **changes: Any) -> None:
        with self._mutex:
            self.lock.resources[address] = replace(self.lock.resources[address], **changes)
            self._save()

    def remove(self, address: str) -> None:
        with self._mutex:
            if self.lock.resources.pop(address, None) is not None:
                self._save()

    def _save(self) -> None:
        self.lock.serial += 1
        save(self.lock, self.path)


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

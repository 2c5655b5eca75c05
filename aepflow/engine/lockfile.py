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

import hashlib
import json
import os
import secrets as _secrets
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aepflow.engine.resources import canonical
from aepflow.errors import LockfileError

FORMAT_VERSION = 1
_PBKDF2_ROUNDS = 20_000


@dataclass(frozen=True)
class LockEntry:
    id: str
    kind: str
    hash: str | None = None  # None: imported, never applied by aepflow
    depends_on: tuple[str, ...] = ()
    version: int | None = None  # mapping sets: the version the flow uses
    secrets_hash: str | None = None
    protect: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind}
        if self.hash is not None:
            out["hash"] = self.hash
        if self.depends_on:
            out["depends_on"] = list(self.depends_on)
        if self.version is not None:
            out["version"] = self.version
        if self.secrets_hash is not None:
            out["secrets_hash"] = self.secrets_hash
        if self.protect:
            out["protect"] = True
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LockEntry:
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            hash=data.get("hash"),
            depends_on=tuple(data.get("depends_on", ())),
            version=data.get("version"),
            secrets_hash=data.get("secrets_hash"),
            protect=bool(data.get("protect", False)),
        )


@dataclass
class Lock:
    environment: str
    sandbox: str
    lineage: str = field(default_factory=lambda: _secrets.token_hex(16))
    serial: int = 0
    secret_salt: str = field(default_factory=lambda: _secrets.token_hex(16))
    resources: dict[str, LockEntry] = field(default_factory=dict)

    def secrets_hash(self, values: dict[str, str]) -> str | None:
        if not values:
            return None
        digest = hashlib.pbkdf2_hmac(
            "sha256", canonical(values).encode(), bytes.fromhex(self.secret_salt), _PBKDF2_ROUNDS
        )
        return f"pbkdf2-sha256:{_PBKDF2_ROUNDS}:{digest.hex()}"

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "environment": self.environment,
            "sandbox": self.sandbox,
            "lineage": self.lineage,
            "serial": self.serial,
            "secret_salt": self.secret_salt,
            "resources": {a: e.to_json() for a, e in sorted(self.resources.items())},
        }

    def text(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def checksum(self) -> str:
        """What a saved plan pins: the lock's content, not its serial or file layout."""
        return hashlib.sha256(
            canonical({a: e.to_json() for a, e in self.resources.items()}).encode()
        ).hexdigest()


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
            f.write(lock.text())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

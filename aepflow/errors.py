"""Every error aepflow raises on purpose derives from :class:`AepflowError`.

The CLI turns an ``AepflowError`` into one readable ``Error: ...`` line and exit code 1;
anything else is a bug and is shown with a traceback only under ``--debug``.

Tree::

    AepflowError
    ├── UsageError            bad command-line input, missing project file, unknown environment
    ├── ManifestError         invalid manifests; carries every Diagnostic found
    ├── VariableError         an ${env:X} / ${var.x} that a plan or apply needs is unset
    ├── CredentialsError      a required AEP_* environment variable is missing
    ├── LockfileError         unreadable, corrupt or incompatible lock file; apply lock held
    ├── PlanError             the plan cannot be made (unsafe schema change, protected dataset, ...)
    ├── StalePlanError        a saved plan no longer matches the lock or the live state
    ├── ChangedSincePlanError an object changed between the plan and its apply (a 412)
    ├── FileSystemError       a file or folder cannot be read or written (disk full, read-only)
    └── PlatformError         an AEP request failed (raised by the Platform client)

Each class has a stable ``error_code`` (docs/errors.md) that ``--json`` output carries.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from dataclasses import dataclass, field


class AepflowError(Exception):
    """Root of the errors aepflow reports to users. ``str(e)`` is the user-facing message.

    ``error_code`` is the stable machine-readable name shown by ``--json`` (docs/errors.md)."""

    error_code = "error"


class UsageError(AepflowError):
    error_code = "usage"


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A position in a manifest: 1-based line and column, as editors show them."""

    file: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in the manifests, anchored at the key or value at fault."""

    location: SourceLocation
    message: str
    code: str = field(default="", compare=False)  # a warning's kind (docs/warnings.md)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ManifestError(AepflowError):
    error_code = "manifest_invalid"

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        n = len(self.diagnostics)
        lines = [str(d) for d in self.diagnostics]
        lines.append(f"{n} problem{'s' if n != 1 else ''} found.")
        super().__init__("\n".join(lines))


class VariableError(AepflowError):
    error_code = "variable_unset"


class CredentialsError(AepflowError):
    error_code = "credentials_missing"


class LockfileError(AepflowError):
    error_code = "lock_invalid"


def _shown(path: object) -> str:
    """A path relative to the current folder when inside it."""
    text = str(path)
    cwd = os.getcwd() + os.sep
    return text[len(cwd) :] if text.startswith(cwd) else text


class LockWriteError(LockfileError):
    """The lock (or its journal) could not be written: what was done is not all recorded."""

    error_code = "lock_write_failed"

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write the lock file {_shown(path)}: {reason}")


class NotRecordedError(LockWriteError):
    """An object was created or adopted, and the lock could not record it."""

    error_code = "not_recorded"

    def __init__(self, address: str, id: str, cause: LockWriteError) -> None:
        self.address = address
        self.id = id
        LockWriteError.__init__(self, cause.path, cause.reason)


class PlanError(AepflowError):
    error_code = "plan_refused"


class StalePlanError(AepflowError):
    error_code = "plan_stale"


class ChangedSincePlanError(AepflowError):
    error_code = "changed_since_plan"


class PlatformError(AepflowError):
    """An AEP request failed. Carries what a user needs to search the AEP docs or open a ticket."""

    error_code = "platform_error"

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        code: str | None,
        message: str,
        request_id: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        super().__init__(str(self))

    def __str__(self) -> str:
        status = f"{self.status} " if self.status is not None else ""
        code = f"{self.code} " if self.code else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.method} {self.path} failed: {status}{code}{self.message}{rid}".rstrip()


class NotFound(PlatformError):
    error_code = "not_found"


class PreconditionFailed(PlatformError):
    error_code = "precondition_failed"


class AuthenticationError(PlatformError):
    error_code = "authentication_failed"


class RateLimited(PlatformError):
    error_code = "rate_limited"


class ServerError(PlatformError):
    error_code = "server_error"


class OutcomeUnknown(PlatformError):
    """A create was sent and no answer came back: the object may or may not exist."""

    error_code = "outcome_unknown"


class TransportError(PlatformError):
    error_code = "unreachable"


class FileSystemError(AepflowError):
    """A file or folder aepflow needs cannot be read or written (a full disk, a read-only
    folder, missing permissions): one sentence that names the path and what to do."""

    error_code = "filesystem"


_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free some space and run the command again",
    errno.EDQUOT: "the disk quota is used up: free some space and run the command again",
    errno.EROFS: "the file system is read-only: run aepflow from a writable copy of the project",
    errno.EACCES: "permission denied: make the folder writable for this user (or run from a "
    "writable copy of the project)",
    errno.EPERM: "operation not permitted: make the folder writable for this user",
}


def os_error(e: OSError) -> FileSystemError:
    """An OSError as one line: the path, the reason and the fix; nothing from the environment."""
    hint = _OS_HINTS.get(e.errno or 0) or (e.strerror or type(e).__name__)
    verb = "write" if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) else "access"
    if e.filename:
        return FileSystemError(f"cannot {verb} {_shown(e.filename)}: {hint}")
    return FileSystemError(f"cannot {verb} a file: {hint}")

"""The apply lock: one apply (or destroy, or import) per project and environment at a time.

An exclusive ``flock`` on ``.aepflow/locks/<env>.apply-lock`` holds it; the file records the
holder (pid, host, start time) so the second apply can say who has it. The kernel releases
the lock when its process dies, however it dies, so a lock left by a dead process is taken
over and the takeover is reported.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aepflow.errors import LockfileError


def _holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def describe(holder: dict[str, Any]) -> str:
    started = holder.get("started_at")
    when = (
        datetime.fromtimestamp(float(started), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        if isinstance(started, (int, float))
        else "an unknown time"
    )
    return f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')}, started {when}"


@contextlib.contextmanager
def apply_lock(
    path: Path,
    environment: str,
    *,
    timeout: float = 0.0,
    on_takeover: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the apply lock for ``environment`` while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = clock() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if _same_file(fd, path):
                    break
                # force-unlock removed the file this lock was taken on: take the new one.
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                continue
            except BlockingIOError:
                if clock() >= deadline:
                    holder = _holder(path)
                    waited = f" after waiting {timeout:g}s" if timeout else ""
                    raise LockfileError(
                        f'another aepflow apply holds the lock for environment "{environment}"'
                        f"{waited}: {describe(holder)}. Wait for it to finish (or pass "
                        "--lock-timeout to wait), then run again."
                    ) from None
                sleep(min(0.2, max(deadline - clock(), 0.01)))
        previous = _holder(path)
        pid = previous.get("pid")
        same_host = previous.get("host") == socket.gethostname()
        if (
            isinstance(pid, int)
            and pid != os.getpid()
            and same_host
            and not _alive(pid)
            and on_takeover
        ):
            on_takeover(f"took over the apply lock left by {describe(previous)}, no longer running")
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def current_holder(path: Path) -> dict[str, Any] | None:
    """Who holds the apply lock now (pid, host, start), or None when nobody does."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def still_running(holder: dict[str, Any]) -> bool | None:
    """Whether the holder's process is alive: None when it runs on another host."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
        return None
    return _alive(pid)


def force_unlock(path: Path) -> None:
    """Release the apply lock whoever holds it (``aepflow force-unlock``): the lock file is
    removed, so the next apply locks a new one; the holder, if it still runs, is not told."""
    path.unlink(missing_ok=True)

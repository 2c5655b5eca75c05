"""File helpers of the emulator's state: atomic replacement, positioned writes, identity."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def replace_file(path: Path, payload: bytes, *, tmp: Path) -> tuple[int, int, int]:
    """Write ``payload`` to ``tmp``, fsync it and rename it over ``path``: a reader (or a
    crash) sees the old file or the new one, never half. Returns the new file's inode,
    mtime_ns and size."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, [payload], 0)
        os.fsync(fd)
        st = os.fstat(fd)  # the inode and mtime the rename keeps
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return st.st_ino, st.st_mtime_ns, st.st_size


def identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size


def write_all(fd: int, pieces: list[bytes], offset: int) -> None:
    """Write every piece at ``offset``, in as few system calls as ``pwritev`` allows."""
    views = [memoryview(p) for p in pieces if p]
    while views:
        written = os.pwritev(fd, views[:512], offset)
        offset += written
        while written and views:
            if written >= len(views[0]):
                written -= len(views.pop(0))
            else:
                views[0] = views[0][written:]
                written = 0


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))

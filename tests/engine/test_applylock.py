from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from aepflow.engine.applylock import apply_lock
from aepflow.errors import LockfileError


def test_a_second_apply_fails_at_once_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "prod.apply-lock"
    with apply_lock(path, "prod"), pytest.raises(LockfileError) as e, apply_lock(path, "prod"):
        pass
    message = str(e.value)
    assert message.startswith(
        f'another aepflow apply holds the lock for environment "prod": pid {os.getpid()} '
        f"on host {socket.gethostname()}, started "
    )
    assert message.endswith(
        "Wait for it to finish (or pass --lock-timeout to wait), then run again."
    )
    with apply_lock(path, "prod"):  # released after the first one ended
        pass


def test_lock_timeout_waits_for_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "prod.apply-lock"
    holding = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with apply_lock(path, "prod"):
            holding.set()
            release.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    assert holding.wait(5)
    clock = iter(range(1000))
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            release.set()
            t.join()

    with apply_lock(path, "prod", timeout=60, clock=lambda: float(next(clock)), sleep=fake_sleep):
        pass
    assert len(sleeps) == 3


def test_a_lock_left_by_a_dead_process_is_taken_over_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "prod.apply-lock"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    path.write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "started_at": 0}))
    notes: list[str] = []
    with apply_lock(path, "prod", on_takeover=notes.append):
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert notes == [
        f"took over the apply lock left by pid {pid} on host {socket.gethostname()}, "
        "started 1970-01-01 00:00:00 UTC, no longer running"
    ]

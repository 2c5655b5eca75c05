"""`aepflow force-unlock`: names the holder, asks, and releases the apply lock."""

from __future__ import annotations

import os
import socket

import pytest

from aepflow.engine.applylock import apply_lock, current_holder
from aepflow.errors import LockfileError
from tests.e2e.conftest import Project, apply_ok


def test_force_unlock_names_the_holder_asks_and_releases(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project.root / ".aepflow" / "locks" / "local.apply-lock"
    free = project.run("force-unlock")
    assert (free.exit_code, free.output) == (
        0,
        'The apply lock of environment "local" is not held: nothing to unlock.\n',
    )
    with apply_lock(path, "local"):
        held = f"pid {os.getpid()} on host {socket.gethostname()}, started "
        no_tty = project.run("force-unlock")
        assert no_tty.exit_code == 1
        assert no_tty.output.startswith(f'The apply lock of environment "local" is held by {held}')
        assert "That process is still running" in no_tty.output
        assert no_tty.output.endswith(
            "Error: force-unlock needs confirmation and there is no terminal to ask: pass --force\n"
        )
        monkeypatch.setattr("aepflow.cli.cmd_unlock._interactive", lambda: True)
        cancelled = project.run("force-unlock", input="no\n")
        assert cancelled.exit_code == 1 and cancelled.output.endswith("Unlock cancelled.\n")
        assert current_holder(path) is not None
        released = project.run("force-unlock", "-e", "local", input="yes\n")
        assert released.exit_code == 0, released.output
        assert released.output.endswith('Released the apply lock of environment "local".\n')
        assert current_holder(path) is None
        # The next apply takes the lock at once, though the stuck holder never let go.
        apply_ok(project)
        with apply_lock(path, "local"), pytest.raises(LockfileError), apply_lock(path, "local"):
            pass
    with apply_lock(path, "local"):
        assert project.run("force-unlock", "--force").exit_code == 0
        assert current_holder(path) is None

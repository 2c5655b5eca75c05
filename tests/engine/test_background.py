"""Work beside a command: results in order, at most N at once, and never joined at exit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from aepflow.background import all_at_once, in_background


def test_results_come_back_in_order_at_most_n_at_once() -> None:
    running, most = 0, 0
    mutex = threading.Lock()

    def work(n: int) -> int:
        nonlocal running, most
        with mutex:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with mutex:
            running -= 1
        return n * n

    assert all_at_once([lambda n=n: work(n) for n in range(7)], 3) == [n * n for n in range(7)]
    assert most == 3


def test_the_first_failure_in_order_is_raised() -> None:
    def fail(message: str) -> int:
        raise ValueError(message)

    with pytest.raises(ValueError, match="second"):
        all_at_once([lambda: 1, lambda: fail("second"), lambda: fail("third")], 3)
    with pytest.raises(KeyError):
        in_background(lambda: {}["missing"]).result()


def test_a_command_that_stops_is_not_held_back_by_work_in_flight() -> None:
    script = (
        "import time\n"
        "from aepflow.background import all_at_once, in_background\n"
        "in_background(lambda: time.sleep(30))\n"
        "raise SystemExit(3)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=20)
    assert done.returncode == 3
    assert time.monotonic() - started < 10

"""Apply progress: a live one-line display on a terminal, plain lines otherwise, JSON lines
for machines."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from typing import TextIO

VERBS = {"apply": "applying", "delete": "destroying"}


def describe(step: str) -> tuple[str, str]:
    verb, address = step.split(":", 1)
    return VERBS.get(verb, verb), address


class LineReporter:
    """One line per finished step: what CI logs want."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.total = 0
        self.done = 0
        self._mutex = threading.Lock()

    def begin(self, total: int) -> None:
        self.total = total

    def started(self, step: str) -> None:
        pass

    def finished(self, step: str, elapsed: float) -> None:
        verb, address = describe(step)
        with self._mutex:
            self.done += 1
            done = "destroyed" if verb == "destroying" else "done"
            self.stream.write(f"[{self.done}/{self.total}] {address}: {done} ({elapsed:.1f}s)\n")
            self.stream.flush()

    def failed(self, step: str, error: BaseException) -> None:
        verb, address = describe(step)
        with self._mutex:
            self.stream.write(f"[{self.done}/{self.total}] {address}: FAILED {verb}: {error}\n")
            self.stream.flush()

    def end(self) -> None:
        pass


class LiveReporter(LineReporter):
    """On a terminal: finished steps scroll, the running ones stay on one status line."""

    def __init__(self, stream: TextIO | None = None, width: int | None = None) -> None:
        super().__init__(stream)
        self.running: dict[str, float] = {}
        self.width = width  # None: the terminal's, read at each redraw (it may be resized)

    def _columns(self) -> int:
        """The status line's room: one less than the terminal is wide, so it never wraps."""
        columns = self.width or shutil.get_terminal_size(fallback=(80, 24)).columns
        return max(20, columns - 1)

    def started(self, step: str) -> None:
        with self._mutex:
            self.running[step] = time.monotonic()
            self._status()

    def finished(self, step: str, elapsed: float) -> None:
        with self._mutex:
            self.running.pop(step, None)
            self._clear()
        super().finished(step, elapsed)
        with self._mutex:
            self._status()

    def failed(self, step: str, error: BaseException) -> None:
        with self._mutex:
            self.running.pop(step, None)
            self._clear()
        super().failed(step, error)

    def end(self) -> None:
        with self._mutex:
            self._clear()

    def _clear(self) -> None:
        self.stream.write("\r\033[K")

    def _status(self) -> None:
        now = time.monotonic()
        parts = [
            f"{describe(s)[0]} {describe(s)[1]} {now - t0:.0f}s"
            for s, t0 in sorted(self.running.items(), key=lambda kv: kv[1])[:3]
        ]
        more = len(self.running) - len(parts)
        line = (
            f"[{self.done}/{self.total}] "
            + ", ".join(parts)
            + (f" +{more} more" if more > 0 else "")
        )
        self._clear()
        self.stream.write(line[: self._columns()])
        self.stream.flush()


class JsonReporter:
    """One JSON object per line and per event, for machines: start, done, failed, end."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._mutex = threading.Lock()

    def emit(self, event: dict[str, object]) -> None:
        with self._mutex:
            self.stream.write(json.dumps(event, sort_keys=True) + "\n")
            self.stream.flush()

    def begin(self, total: int) -> None:
        self.emit({"event": "begin", "steps": total})

    def started(self, step: str) -> None:
        verb, address = step.split(":", 1)
        self.emit({"event": "start", "step": verb, "address": address})

    def finished(self, step: str, elapsed: float) -> None:
        verb, address = step.split(":", 1)
        self.emit({"event": "done", "step": verb, "address": address, "seconds": round(elapsed, 3)})

    def failed(self, step: str, error: BaseException) -> None:
        verb, address = step.split(":", 1)
        self.emit(
            {
                "event": "failed",
                "step": verb,
                "address": address,
                "error": str(error),
                "code": getattr(error, "error_code", "error"),  # docs/errors.md
            }
        )

    def end(self) -> None:
        pass

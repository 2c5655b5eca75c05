"""The secrets a run must never show, and the one function that hides them.

One ``Redactor`` per run serves every place a platform answer can reach the user or a file:
the client's error messages (the platform's error text may echo a rejected value) and the
``--log-http`` lines. It holds the client secret, every bearer token the client obtained and
every value the manifests read from ``${env:...}``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping

REDACTED = "(redacted)"
MIN_SECRET = 4  # shorter values would redact ordinary text


class Redactor:
    """A thread-safe set of secret values; ``redact`` replaces each one wherever it appears."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._mutex = threading.Lock()
        for s in secrets:
            self.add(s)

    def add(self, value: str | None) -> None:
        if value and len(value) >= MIN_SECRET:
            with self._mutex:
                self._secrets.add(value)

    def redact(self, text: str) -> str:
        with self._mutex:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for s in secrets:
            if s in text:
                text = text.replace(s, REDACTED)
        return text


class ReadEnviron(Mapping[str, str]):
    """An environment that remembers every value read through it: the ``${env:...}`` values
    of the run, which no platform error message may show."""

    def __init__(self, base: Mapping[str, str]) -> None:
        self.base = base
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        value = self.base[key]
        self.read.add(value)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self.base

    def __iter__(self) -> Iterator[str]:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)

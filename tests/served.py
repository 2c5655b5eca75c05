"""The emulator served on a loopback port for a test, as ``aepflow emulator serve`` runs it, and
a project aimed at it the way a real sandbox is reached (credentials and URLs from the
environment). One helper for every test that goes over the network path."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from aepflow.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORG_ID, serve


@contextmanager
def serving(state_dir: Path) -> Iterator[str]:
    """The served emulator's base URL while the block runs; stopped and joined after it."""
    urls: list[str] = []
    ready, stop = threading.Event(), threading.Event()

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    thread = threading.Thread(
        target=serve,
        kwargs={
            "host": "127.0.0.1",
            "port": 0,
            "state_dir": state_dir,
            "ready": on_ready,
            "stop": stop,
        },
        daemon=True,
    )
    thread.start()
    assert ready.wait(10)
    try:
        yield urls[0]
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def aim_at(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    *,
    org_id: str = DEFAULT_ORG_ID,
    scopes: str = "openid,AdobeID",
    **extra: str,
) -> None:
    """Credentials and URLs of a real environment, pointing at the served emulator."""
    for name, value in {
        "AEP_CLIENT_ID": DEFAULT_CLIENT_ID,
        "AEP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "AEP_ORG_ID": org_id,
        "AEP_SCOPES": scopes,
        "AEPFLOW_PLATFORM_URL": url,
        "AEPFLOW_IMS_URL": url,
        **extra,
    }.items():
        monkeypatch.setenv(name, value)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served import serving


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The emulator served on a loopback port (its base URL)."""
    with serving(tmp_path / "served") as url:
        yield url

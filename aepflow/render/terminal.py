"""Whether output may be coloured: the terminal and the conventions users set."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO


def color_wanted(
    stream: TextIO, no_color: bool = False, environ: Mapping[str, str] | None = None
) -> bool:
    """Colour only on a terminal, and never with --no-color, a non-empty NO_COLOR
    (no-color.org: an empty NO_COLOR does not count) or TERM=dumb (a terminal that
    cannot show escape codes)."""
    env = os.environ if environ is None else environ
    if no_color or env.get("NO_COLOR", "") != "" or env.get("TERM", "") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())

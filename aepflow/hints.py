"""The aepflow commands that messages suggest, with the ``-e`` the user gave.

A hint without it would act on the default environment: after ``aepflow plan -e prod``, the
suggested ``aepflow state mv A B`` would move an address in another lock. Pure: the
environment is passed in as data by the command line (``None`` when no ``-e`` was given).
"""

from __future__ import annotations


def command(name: str, *args: str, environment: str | None = None) -> str:
    """``aepflow NAME [-e ENV] ARGS...``: ``-e`` right after the (sub)command's name."""
    words = ["aepflow", name] + (["-e", environment] if environment else []) + list(args)
    return " ".join(words)

"""One request as the handlers see it (:class:`Call`) and what they answer (:class:`Reply`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from aepflow.emulator.errors import ApiError
from aepflow.emulator.settings import Identity


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-able; None: no body
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    method: str
    path: str  # raw (still percent-encoded) path, query and one trailing slash removed
    query: list[tuple[str, str]]
    headers: httpx.Headers
    content: bytes
    now: float  # the emulator clock when the request arrived, in seconds
    identity: Identity
    request_id: str
    params: dict[str, str] = field(default_factory=dict)  # path parameters, decoded
    sandbox: str = ""  # set by the gateway
    delete_finalize_s: float = 0.0  # how long a deleted flow stays delete-finalizing

    @property
    def now_ms(self) -> int:
        return int(self.now * 1000)

    def arg(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return default

    def args(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def json(self, error: Callable[[str], ApiError]) -> Any:
        """The JSON body, or ``error(detail)`` raised when there is none or it is not JSON."""
        if not self.content.strip():
            raise error("The request body cannot be null or empty.")
        try:
            return json.loads(self.content)
        except ValueError:
            raise error("The request body is not valid JSON.") from None

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.content.decode("utf-8", "replace"), keep_blank_values=True))

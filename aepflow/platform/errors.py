"""Typed errors for AEP requests: one readable line each, never a raw body or a credential."""

from __future__ import annotations

from typing import Any

from aepflow.errors import AepflowError


class PlatformError(AepflowError):
    """An AEP request failed. Carries what a user needs to search the AEP docs or open a ticket."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        code: str | None,
        message: str,
        request_id: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        super().__init__(str(self))

    def __str__(self) -> str:
        status = f"{self.status} " if self.status is not None else ""
        code = f"{self.code} " if self.code else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.method} {self.path} failed: {status}{code}{self.message}{rid}".rstrip()


class NotFound(PlatformError):
    pass


class PreconditionFailed(PlatformError):
    pass


class AuthenticationError(PlatformError):
    pass


class RateLimited(PlatformError):
    pass


class ServerError(PlatformError):
    pass


class OutcomeUnknown(PlatformError):
    """A create was sent and no answer came back: the object may or may not exist."""


class TransportError(PlatformError):
    pass


def parse_error_body(body: Any) -> tuple[str | None, str]:
    """(AEP error code, human message) from any of the documented error shapes (reference §1)."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if not isinstance(body, dict):
        return None, ""
    if "error_code" in body:  # gateway / IMS gateway
        return str(body["error_code"]), str(body.get("message", ""))
    if "error" in body and "error_description" in body:  # IMS
        return str(body["error"]), str(body["error_description"])
    code = None
    type_ = body.get("type")
    if isinstance(type_, str) and "/errors/" in type_:
        code = type_.rsplit("/", 1)[-1]
    elif body.get("code"):
        code = str(body["code"])
    report: dict[str, Any] = body["report"] if isinstance(body.get("report"), dict) else {}
    message = (
        report.get("detailed-message")
        or body.get("detail")
        or body.get("errorMessage")
        or body.get("message")
        or body.get("title")
        or ""
    )
    return code, str(message)

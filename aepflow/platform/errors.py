"""Reading AEP's error bodies: one readable line each, never a raw body or a credential.

The error classes live in ``aepflow.errors`` so the engine can catch them without importing
the client.
"""

from __future__ import annotations

from typing import Any

__all__ = ["parse_error_body"]


def parse_error_body(body: Any) -> tuple[str | None, str]:
    """(AEP error code, human message) from any of the documented error shapes.

    Shapes: help/landing/troubleshooting.md and each API's error section.
    """
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

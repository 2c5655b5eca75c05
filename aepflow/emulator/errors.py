"""The documented AEP error shapes (reference/aep-api.md §1), as the emulator returns them."""

from __future__ import annotations

import uuid
from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}
        super().__init__(f"{status}")


def gateway(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> ApiError:
    return ApiError(status, {"error_code": code, "message": message}, headers)


def flow(
    code: str, title: str, message: str, *, id: str | None = None, type: str | None = None
) -> ApiError:
    """Flow Service: ``code`` like "1439-404" -> type .../FLOW-1439-404, status 404."""
    status = int(code.rsplit("-", 1)[1])
    report: dict[str, Any] = {"detailed-message": message, "request-id": uuid.uuid4().hex}
    if id is not None:
        report["id"] = id
    if type is not None:
        report["type"] = type
    return ApiError(
        status,
        {
            "type": f"https://ns.adobe.com/aep/errors/FLOW-{code}",
            "title": title,
            "status": status,
            "report": report,
            "errorMessage": message,
        },
    )


def not_found(kind: str, id: str) -> ApiError:
    return flow(
        "1439-404",
        "Resource not found",
        f"The requested {kind} resource {id} is not found. Check the id and try again.",
        id=id,
        type=kind,
    )


def xdm(code: str, title: str, detail: str) -> ApiError:
    status = int(code.rsplit("-", 1)[1])
    return ApiError(
        status,
        {
            "type": f"http://ns.adobe.com/aep/errors/XDM-{code}",
            "title": title,
            "status": status,
            "report": {
                "registryRequestId": uuid.uuid4().hex,
                "detailed-message": detail,
                "sub-errors": [],
            },
            "detail": detail,
        },
    )


def generic(status: int, title: str, detail: str) -> ApiError:
    """The older placeholder shape used by Catalog and Data Prep."""
    return ApiError(
        status,
        {"type": "/placeholder/type/uri", "status": status, "title": title, "detail": detail},
    )

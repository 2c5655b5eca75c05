"""AEP's error bodies, one builder per documented shape (help/landing/troubleshooting.md).

Several shapes coexist on the platform and the emulator answers with the one each service uses:

- gateway and auth (``gateway``): ``{"error_code": "401013", "message": "Oauth token is..."}``
- IMS token endpoint (``ims``): ``{"error": "invalid_client", "error_description": "..."}``
- Flow Service (``flow``): ``{"type": ".../FLOW-1439-404", "title", "status", "report": {...}}``
  with the codes, titles and wording of the Flow Service error catalog
  (docs: help/sources/errors/flow-service-errors.md)
- Schema Registry (``xdm``): ``{"type": ".../XDM-1521-400", "title", "status", "report", "detail"}``
- Catalog and Data Prep (``placeholder``): ``{"type": "/placeholder/type/uri", "status", "title",
  "detail"}``; their own newer shapes are not documented (UNCONFIRMED), this is the one AEP's
  troubleshooting guide shows for them.

A handler raises an :class:`ApiError`; the emulator turns it into the response.
"""

from __future__ import annotations

import time
import uuid
from typing import Any


class ApiError(Exception):
    """An error response: HTTP status, JSON body and extra headers."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


# -- gateway (docs: help/landing/troubleshooting.md, "request header errors") ---------------


def gateway(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> ApiError:
    return ApiError(status, {"error_code": code, "message": message}, headers)


def token_missing() -> ApiError:
    return gateway(403, "403010", "Oauth token is missing.")


def token_invalid() -> ApiError:
    return gateway(401, "401013", "Oauth token is not valid")


def api_key_missing() -> ApiError:
    return gateway(403, "403000", "Api Key is required")


def api_key_invalid() -> ApiError:
    return gateway(403, "403003", "Api Key is invalid")


def org_missing() -> ApiError:
    return gateway(400, "400003", "Missing header")


def profile_invalid() -> ApiError:
    # The troubleshooting guide's answer when the token's integration is not entitled to the
    # org in x-gw-ims-org-id; that a wrong org id gets exactly this is UNCONFIRMED.
    return gateway(403, "403025", "Profile is not valid")


def too_many_requests(retry_after_s: int) -> ApiError:
    # The Adobe I/O gateway's 429 (help/landing/troubleshooting.md: documented for other APIs
    # behind the same
    # gateway; UNCONFIRMED for AEP), with the Retry-After the data-lifecycle guide describes.
    return gateway(429, "429050", "Too many requests", {"Retry-After": str(retry_after_s)})


# -- IMS ----------------------------------------------------------------------------------


def ims(status: int, error: str, description: str) -> ApiError:
    # OAuth 2.0 error body (RFC 6749 §5.2) as IMS returns it; IMS's exact wording and the
    # status of each case are UNCONFIRMED.
    return ApiError(status, {"error": error, "error_description": description})


# -- Flow Service -------------------------------------------------------------------------

FLOW_TITLES = {
    "1100": "Invalid request",
    "1101": "Resource not found",
    "1102": "Internal Error",
    "1403": "Header is missing",
    "1404": "Version not matching",
    "1439": "Resource not found",
    "2100": "Sandbox not found",
    "2105": "Header is missing",
}
"""Titles of the Flow Service error catalog; every other 14xx code is "Invalid request".

Where the catalog has no entry for a check the emulator makes, it uses:

- ``1100-400`` ("Error from flow provider: ...") for a body the provider rejects: auth params
  that do not match the connection spec's authSpec, a transformation that does not match the
  flow spec's transformationSpec, scheduleParams that do not match its scheduleSpec, a target
  connection whose dataset is missing or has another schema. UNCONFIRMED: AEP's code for these.
- ``1411-400`` for a referenced connection that does not exist (the catalog's "Unable to retrieve
  entityId" entry) and ``1413-400`` for a spec id that is unknown or not allowed by the flow spec.
"""


def flow(
    code: str,
    message: str,
    *,
    resource_id: str | None = None,
    resource_type: str | None = None,
    request_id: str | None = None,
) -> ApiError:
    """A Flow Service error; ``code`` "1439-404" gives type ``.../FLOW-1439-404``, status 404."""
    number, status_text = code.split("-")
    status = int(status_text)
    report: dict[str, Any] = {
        "detailed-message": message,
        "request-id": request_id or uuid.uuid4().hex,
    }
    if resource_id is not None:
        report["id"] = resource_id
    if resource_type is not None:
        report["type"] = resource_type
    body = {
        "type": f"https://ns.adobe.com/aep/errors/FLOW-{code}",
        "title": FLOW_TITLES.get(number, "Invalid request"),
        "status": status,
        "report": report,
        "errorMessage": message,
    }
    return ApiError(status, body)


def flow_not_found(kind: str, resource_id: str) -> ApiError:
    return flow(
        "1439-404",
        f"The requested {kind} resource {resource_id} is not found. "
        "Verify the resource ID before trying again.",
        resource_id=resource_id,
        resource_type=kind,
    )


def flow_provider(detail: str) -> ApiError:
    return flow(
        "1100-400", f"The request could not be processed. Error from flow provider: {detail}"
    )


def flow_patch(detail: str) -> ApiError:
    return flow("1455-400", f"An error has occurred while validating patch instructions: {detail}")


def flow_bad_query(detail: str) -> ApiError:
    return flow("1453-400", detail)


# -- Schema Registry ----------------------------------------------------------------------
# Documented: XDM-1521-400 (title not unique), XDM-1528-400 (union without identity),
# XDM-1020..1024-400 (custom fields outside the tenant namespace) and XDM-1006..1009-400 for
# Accept headers (which number goes with which Accept problem is UNCONFIRMED). The other XDM
# codes the emulator uses are its own choice (UNCONFIRMED); the status and shape are AEP's.

XDM_BAD_BODY = "1001-400"
XDM_BAD_CLASS = "1002-400"
XDM_BAD_REFERENCE = "1003-400"
XDM_INCOMPATIBLE_GROUP = "1004-400"
XDM_ACCEPT_MISSING = "1006-400"
XDM_ACCEPT_UNSUPPORTED = "1007-400"
XDM_VERSION_REQUIRED = "1008-400"
XDM_VERSION_NOT_ALLOWED = "1009-400"
XDM_NOT_FOUND = "1010-404"
# A field whose "type" is not a JSON Schema type. UNCONFIRMED: the troubleshooting guide
# (help/xdm/troubleshooting-guide.md) documents the envelope but no code for this case.
XDM_BAD_FIELD_TYPE = "1010-400"
XDM_BAD_PATCH = "1011-400"
XDM_BAD_QUERY = "1012-400"
XDM_NOT_IN_TENANT_NAMESPACE = "1020-400"
XDM_BAD_FIELD_NAME = "1022-400"
XDM_BAD_DESCRIPTOR = "1050-400"
XDM_TITLE_NOT_UNIQUE = "1521-400"
XDM_UNION_NEEDS_IDENTITY = "1528-400"
XDM_IN_USE = "1530-400"
XDM_BREAKING_CHANGE = "1531-400"


def xdm(code: str, title: str, detail: str, *, request_id: str | None = None) -> ApiError:
    status = int(code.split("-")[1])
    body = {
        "type": f"http://ns.adobe.com/aep/errors/XDM-{code}",
        "title": title,
        "status": status,
        "report": {
            "registryRequestId": request_id or str(uuid.uuid4()),
            "timestamp": time.strftime("%m-%d-%Y %H:%M:%S", time.gmtime()),
            "detailed-message": detail,
            "sub-errors": [],
        },
        "detail": detail,
    }
    return ApiError(status, body)


# -- Catalog, Data Prep and anything without a service ------------------------------------


def placeholder(status: int, title: str, detail: str) -> ApiError:
    return ApiError(
        status,
        {"type": "/placeholder/type/uri", "status": status, "title": title, "detail": detail},
    )


def bad_request(detail: str) -> ApiError:
    return placeholder(400, "BadRequestError", detail)


def not_found(detail: str) -> ApiError:
    return placeholder(404, "NotFoundError", detail)


def content_type_required() -> ApiError:
    # help/landing/troubleshooting.md, shape 2: the answer to a body without a usable
    # Content-Type.
    return bad_request("A valid content-type must be specified")


def internal_error() -> ApiError:
    return placeholder(
        500, "InternalServerError", "An internal error has occurred. Please try again."
    )

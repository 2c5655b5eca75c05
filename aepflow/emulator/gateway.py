"""The gateway checks every platform call passes first, in AEP's order.

Facts: help/landing/api-authentication.md, help/landing/troubleshooting.md.

Authorization missing -> 403010; unknown or expired token -> 401013; x-api-key missing ->
403000; x-api-key not the client the token was issued to -> 403003; x-gw-ims-org-id missing ->
400003; another org -> 403025. Then the sandbox: Flow Service (2105-400), Schema Registry and
Catalog need x-sandbox-name; Data Prep falls back to ``prod``. A sandbox the
emulator does not know (``prod``, ``dev`` and any present in the state) is refused.
"""

from __future__ import annotations

from aepflow.emulator import errors
from aepflow.emulator.context import Call
from aepflow.emulator.ims import token_hash
from aepflow.emulator.settings import BUILTIN_SANDBOXES
from aepflow.emulator.state import Tx


def authenticate(call: Call, tx: Tx, service: str) -> None:
    """Raise the gateway's error for the first failed check; else set ``call.sandbox``."""
    authorization = call.headers.get("authorization", "").strip()
    if not authorization:
        raise errors.token_missing()
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    record = tx.doc.get("tokens", {}).get(token_hash(token)) if token else None
    if scheme.lower() != "bearer" or record is None or record["expiresAt"] <= call.now:
        raise errors.token_invalid()
    api_key = call.headers.get("x-api-key", "").strip()
    if not api_key:
        raise errors.api_key_missing()
    if api_key != record["clientId"]:
        raise errors.api_key_invalid()
    org = call.headers.get("x-gw-ims-org-id", "").strip()
    if not org:
        raise errors.org_missing()
    if org != call.identity.org_id:
        raise errors.profile_invalid()
    sandbox = call.headers.get("x-sandbox-name", "").strip()
    if not sandbox:
        if service == "flow":
            raise errors.flow(
                "2105-400",
                "The header x-sandbox-name is missing in the request. "
                "Please add the header in the request and try again.",
                request_id=call.request_id,
            )
        message = (
            "The header x-sandbox-name is missing in the request. "
            "Please add the header in the request and try again."
        )
        # Schema Registry and Catalog objects live in a sandbox too: no silent default (the
        # codes are UNCONFIRMED; each service's own error shape).
        if service == "schema" and not call.path.endswith("/stats"):  # stats: org-wide
            raise errors.xdm(errors.XDM_BAD_BODY, "Header is missing", message)
        if service == "catalog":
            raise errors.bad_request(message)
        sandbox = "prod"
    if sandbox not in BUILTIN_SANDBOXES and sandbox not in tx.sandboxes():
        raise unknown_sandbox(service, sandbox, call.request_id)
    call.sandbox = sandbox


def unknown_sandbox(service: str, sandbox: str, request_id: str) -> errors.ApiError:
    message = (
        f"The sandbox with the name '{sandbox}' could not be found. "
        "Please ensure that the sandbox name is correct and try again."
    )
    if service == "flow":  # Flow Service error catalog, 2100-404
        return errors.flow("2100-404", message, request_id=request_id)
    # The other services' answer is UNCONFIRMED: the same 404, in each service's own shape.
    if service == "schema":
        return errors.xdm(errors.XDM_NOT_FOUND, "Sandbox not found", message)
    return errors.placeholder(404, "NotFoundError", message)

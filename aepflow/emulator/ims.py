"""IMS: ``POST /ims/token/v3``, the OAuth server-to-server token.

Facts: help/landing/api-authentication.md.

Tokens are opaque random strings. The state keeps only their SHA-256 with the client they were
issued to and their expiry on the emulator clock; the gateway checks them on every call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aepflow.emulator import errors
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.router import Router
from aepflow.emulator.settings import IMS_TOKEN, TOKEN_LIFETIME_S
from aepflow.emulator.state import Tx


def register(router: Router) -> None:
    router.add("POST", IMS_TOKEN, issue_token, service="ims", authenticated=False)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def issue_token(call: Call, tx: Tx) -> Reply:
    if "application/x-www-form-urlencoded" not in call.headers.get("content-type", ""):
        raise errors.ims(
            400,
            "invalid_request",
            "the request must be a form (Content-Type: application/x-www-form-urlencoded)",
        )
    form = call.form()
    if form.get("grant_type") != "client_credentials":
        raise errors.ims(400, "unsupported_grant_type", "grant_type must be client_credentials")
    identity = call.identity
    if not form.get("client_id"):
        raise errors.ims(400, "invalid_request", "missing client_id parameter")
    # Compared as UTF-8 bytes: compare_digest refuses str with non-ASCII characters, and any
    # text a client sends must get IMS's answer, not a dropped connection.
    if not _same(form["client_id"], identity.client_id):
        raise errors.ims(400, "invalid_client", "invalid client_id parameter")
    if not _same(form.get("client_secret", ""), identity.client_secret):
        raise errors.ims(401, "invalid_client", "invalid client_secret parameter")
    if not form.get("scope", "").strip():
        raise errors.ims(400, "invalid_scope", "missing scope parameter")
    token = secrets.token_urlsafe(48)
    tokens = tx.doc.get("tokens", {})
    for old, record in tokens.items():
        if record["expiresAt"] <= call.now:
            tx.unset(("tokens", old))
    tx.set(
        ("tokens", token_hash(token)),
        {"clientId": identity.client_id, "expiresAt": call.now + TOKEN_LIFETIME_S},
    )
    return Reply(
        200, {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME_S}
    )

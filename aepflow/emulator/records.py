"""Ids, etags and the audit fields AEP puts on every object.

Facts: the Flow Service, Schema Registry, Catalog and Data Prep API guides (IDs and formats).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import uuid
from typing import Any

from aepflow.emulator.context import Call

SECRET_MASK = "**********"  # what a GET shows for a secret auth param


def new_uuid() -> str:
    """Flow Service ids: UUIDs."""
    return str(uuid.uuid4())


# Ids need to be unique, not secret: a generator seeded once from the system, not a system
# call per id (a mapping set of 52 mappings takes 53 ids).
_IDS = random.Random(secrets.randbits(128))


def new_hex(nbytes: int) -> str:
    """Catalog ids are 24 hex digits (12 bytes); mapping sets and schemas 32 (16 bytes)."""
    return f"{_IDS.getrandbits(nbytes * 8):0{nbytes * 2}x}"


def new_etag(now: float) -> str:
    """A quoted etag shaped like AEP's (``"1400dd53-0000-0200-0000-5f3f23450000"``: the last
    group is the epoch seconds in hex); the random head makes every update's etag new."""
    return f'"{secrets.token_hex(4)}-0000-0200-0000-{int(now):08x}0000"'


def sandbox_id(org_id: str, sandbox: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aepflow-emulator:{org_id}:{sandbox}"))


def flow_stamp(obj: dict[str, Any], call: Call, *, created: bool) -> dict[str, Any]:
    """Set the audit fields of a Flow Service object and rotate its etag (== version)."""
    who = call.identity
    if created:
        obj["createdAt"] = call.now_ms
        obj["createdBy"] = who.user
        obj["createdClient"] = who.client_id
    obj["updatedAt"] = call.now_ms
    obj["updatedBy"] = who.user
    obj["updatedClient"] = who.client_id
    obj["sandboxId"] = sandbox_id(who.org_id, call.sandbox)
    obj["sandboxName"] = call.sandbox
    obj["imsOrgId"] = who.org_id
    etag = new_etag(call.now)
    obj["version"] = etag
    obj["etag"] = etag
    return obj


def hash_secret(salt: str, value: Any) -> str:
    """How a secret auth param is stored: a salted SHA-256, never the value."""
    digest = hmac.new(salt.encode(), str(value).encode(), hashlib.sha256).hexdigest()
    return f"sha256:{digest}"

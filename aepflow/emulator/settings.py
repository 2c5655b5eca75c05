"""Names and defaults shared by every part of the emulator, and the environment knobs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


class SettingsError(ValueError):
    """A knob (environment variable) the emulator cannot use; the message says which and why."""


DEFAULT_ORG_ID = "AEPFLOW0EMULATOR000000000@AdobeOrg"
DEFAULT_CLIENT_ID = "aepflow-emulator"
DEFAULT_CLIENT_SECRET = "aepflow-emulator-secret"
DEFAULT_TENANT_ID = "aepflowlocal"
# The host is irrelevant: the emulator routes by path only.
EMBEDDED_BASE_URL = "https://platform.aepflow-emulator.invalid"
EMBEDDED_IMS_URL = "https://ims.aepflow-emulator.invalid"

IMS_TOKEN = "/ims/token/v3"
FLOW_SERVICE = "/data/foundation/flowservice"
SCHEMA_REGISTRY = "/data/foundation/schemaregistry"
CATALOG = "/data/foundation/catalog"
DATA_PREP = "/data/foundation/conversion"

BUILTIN_SANDBOXES = ("prod", "dev")
# help/landing/api-authentication.md: expires_in, in seconds for /ims/token/v3
TOKEN_LIFETIME_S = 86399

ENV_LATENCY = "AEPFLOW_EMULATOR_LATENCY_MS"
ENV_FAULTS = "AEPFLOW_EMULATOR_FAULTS"
ENV_SEED = "AEPFLOW_EMULATOR_SEED"
ENV_DELETE_FINALIZE = "AEPFLOW_EMULATOR_DELETE_FINALIZE_MS"


@dataclass(frozen=True)
class Identity:
    """Who the emulator is: the org it serves and the one OAuth client it accepts."""

    org_id: str = DEFAULT_ORG_ID
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = field(default=DEFAULT_CLIENT_SECRET, repr=False)
    tenant_id: str = DEFAULT_TENANT_ID

    @property
    def user(self) -> str:
        """The technical account the emulator reports as createdBy / updatedBy."""
        return f"{self.client_id}@AdobeID"


def _milliseconds(name: str, environ: Mapping[str, str] | None) -> float:
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of milliseconds, not {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SettingsError(f"{name} must be a finite number of milliseconds, not {raw!r}")
    if value < 0:
        raise SettingsError(f"{name} cannot be negative ({raw})")
    return value


def latency_from_env(environ: Mapping[str, str] | None = None) -> float:
    """Milliseconds added to every request (0 when unset)."""
    return _milliseconds(ENV_LATENCY, environ)


def delete_finalize_from_env(environ: Mapping[str, str] | None = None) -> float:
    """Milliseconds a deleted flow stays in ``delete-finalizing`` (0 when unset: gone at once).

    help/sources/errors/flow-service-errors.md documents the state (1456/1457/1458-400) but not
    how long it lasts; the emulator makes it a knob.
    """
    return _milliseconds(ENV_DELETE_FINALIZE, environ)


def faults_from_env(environ: Mapping[str, str] | None = None) -> str:
    return (os.environ if environ is None else environ).get(ENV_FAULTS, "")


def seed_from_env(environ: Mapping[str, str] | None = None) -> int | None:
    raw = (os.environ if environ is None else environ).get(ENV_SEED, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{ENV_SEED} must be an integer, not {raw!r}") from None

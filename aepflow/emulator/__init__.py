"""The embedded AEP emulator: an HTTP-level fake of the AEP endpoints aepflow uses.

It answers ``httpx.Request``s with ``httpx.Response``s, routed by path, so the real client runs
unchanged against it: in-process behind ``httpx.MockTransport`` (the embedded default) or as a
server on loopback (``aepflow emulator serve``). It never imports aepflow's client side.

Layout: ``core`` (the Emulator), ``router``, ``gateway`` and ``ims`` (authentication),
``flowservice`` / ``flowchecks`` / ``runs``, ``schemaregistry`` / ``xdm``, ``catalog``,
``dataprep``, ``errors`` (AEP's error shapes), ``state`` (persistence), ``faults``, ``server``
and ``data/*.json`` (AEP's read-only catalog: specs, XDM field lists, explorable tables).

Knobs (environment variables, a contract): ``AEPFLOW_EMULATOR_LATENCY_MS`` (added to every
request, outside any lock), ``AEPFLOW_EMULATOR_FAULTS`` (e.g. ``429=0.1,500=0.05,lost=0.02``;
``lost`` performs the request, then drops the answer), ``AEPFLOW_EMULATOR_SEED``,
``AEPFLOW_EMULATOR_DELETE_FINALIZE_MS`` (how long a deleted flow stays ``delete-finalizing``;
0, the default, deletes at once).
"""

from __future__ import annotations

from aepflow.emulator.core import Emulator
from aepflow.emulator.faults import LostResponse
from aepflow.emulator.server import serve
from aepflow.emulator.settings import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORG_ID,
    DEFAULT_TENANT_ID,
    EMBEDDED_BASE_URL,
    EMBEDDED_IMS_URL,
    SettingsError,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_ORG_ID",
    "DEFAULT_TENANT_ID",
    "EMBEDDED_BASE_URL",
    "EMBEDDED_IMS_URL",
    "Emulator",
    "LostResponse",
    "SettingsError",
    "serve",
]

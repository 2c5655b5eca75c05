"""Injected faults (``AEPFLOW_EMULATOR_FAULTS``), drawn reproducibly (``AEPFLOW_EMULATOR_SEED``).

``429=0.1,500=0.05,lost=0.02`` answers 10% of platform requests with a 429 (``Retry-After``
in seconds, the gateway's body), 5% with a 500, and processes 2% normally but drops their
answer, like a timeout after the platform acted. At most one fault per request: one uniform
draw is compared with the cumulative rates. IMS token requests never get a fault, so a fault
always lands on a request the client can see and retry as it would on AEP.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from aepflow.emulator.settings import ENV_FAULTS, SettingsError

KINDS = ("429", "500", "lost")
RETRY_AFTER_S = 1


class LostResponse(Exception):
    """The ``lost`` fault: the request was processed and its answer never leaves."""


@dataclass(frozen=True)
class FaultPlan:
    rates: tuple[tuple[str, float], ...] = ()

    @classmethod
    def parse(cls, spec: str | None) -> FaultPlan:
        rates: dict[str, float] = {}
        for part in (spec or "").split(","):
            if not part.strip():
                continue
            kind, sep, raw = (s.strip() for s in part.partition("="))
            if kind not in KINDS or not sep:
                raise SettingsError(
                    f"{ENV_FAULTS}: {part.strip()!r} is not a fault; "
                    "write kind=rate with kind 429, 500 or lost (e.g. 429=0.1,lost=0.02)"
                )
            try:
                rate = float(raw)
            except ValueError:
                raise SettingsError(f"{ENV_FAULTS}: the rate of {kind} must be a number") from None
            if not 0 <= rate <= 1:
                raise SettingsError(f"{ENV_FAULTS}: the rate of {kind} must be between 0 and 1")
            rates[kind] = rate
        if sum(rates.values()) > 1:
            raise SettingsError(f"{ENV_FAULTS}: the rates add up to more than 1")
        return cls(tuple((k, rates[k]) for k in KINDS if rates.get(k)))


class Faults:
    """Draws the fault (or None) for each platform request; thread-safe."""

    def __init__(self, plan: FaultPlan, seed: int | None = None) -> None:
        self.plan = plan
        self._rng = random.Random(seed)
        self._mutex = threading.Lock()

    def draw(self) -> str | None:
        if not self.plan.rates:
            return None
        with self._mutex:
            x = self._rng.random()
        for kind, rate in self.plan.rates:
            if x < rate:
                return kind
            x -= rate
        return None

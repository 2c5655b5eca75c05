"""Knobs: injected faults, their seed, and latency that does not serialise requests."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from aepflow.emulator import Emulator, SettingsError
from aepflow.emulator.faults import FaultPlan, Faults
from tests.emulator.conftest import CATALOG, FLOW, Api, connection_body, flow_error


def test_429_carries_retry_after_and_the_gateway_body(tmp_path: Path) -> None:
    emulator = Emulator(tmp_path / "s", faults="429=1")
    api = Api(emulator)  # IMS is never faulted
    response = api.post(f"{FLOW}/connections", connection_body())
    assert (response.status_code, response.headers["Retry-After"], response.json()) == (
        429,
        "1",
        {"error_code": "429050", "message": "Too many requests"},
    )
    emulator.faults = Faults(FaultPlan())
    assert api.get(f"{FLOW}/connections").json()["items"] == []  # nothing was created


def test_500_in_each_service_shape(tmp_path: Path) -> None:
    api = Api(Emulator(tmp_path / "s", faults="500=1"))
    flow = api.get(f"{FLOW}/connections")
    assert flow_error(flow) == (
        500,
        "FLOW-1102-500",
        "An internal error has occurred. Please try again. If the problem persists, please "
        "contact customer support.",
    )
    assert flow.json()["title"] == "Internal Error"
    catalog = api.get(f"{CATALOG}/dataSets")
    assert (catalog.status_code, catalog.json()) == (
        500,
        {
            "type": "/placeholder/type/uri",
            "status": 500,
            "title": "InternalServerError",
            "detail": "An internal error has occurred. Please try again.",
        },
    )


def test_lost_performs_the_write_then_times_out(tmp_path: Path) -> None:
    emulator = Emulator(tmp_path / "s", faults="lost=1")
    api = Api(emulator)
    with pytest.raises(httpx.ReadTimeout, match="dropped its answer"):
        api.post(f"{FLOW}/connections", connection_body())
    emulator.faults = Faults(FaultPlan())
    assert [c["name"] for c in api.get(f"{FLOW}/connections").json()["items"]] == ["crm"]


def _statuses(tmp_path: Path, name: str, seed: int) -> list[int]:
    api = Api(Emulator(tmp_path / name, faults="429=0.3,500=0.2", seed=seed))
    return [api.get(f"{FLOW}/connections").status_code for _ in range(40)]


def test_draws_are_reproducible_with_a_seed(tmp_path: Path) -> None:
    first = _statuses(tmp_path, "a", 7)
    assert first == _statuses(tmp_path, "b", 7)
    assert first != _statuses(tmp_path, "c", 8)
    assert set(first) == {200, 429, 500}


def test_the_environment_sets_the_knobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEPFLOW_EMULATOR_FAULTS", "429=1")
    monkeypatch.setenv("AEPFLOW_EMULATOR_SEED", "3")
    monkeypatch.setenv("AEPFLOW_EMULATOR_LATENCY_MS", "25")
    slept: list[float] = []
    emulator = Emulator(tmp_path / "s", sleep=slept.append)
    assert emulator.latency_ms == 25
    api = Api(emulator)
    assert api.get(f"{FLOW}/connections").status_code == 429
    assert slept == [0.025, 0.025]  # the token request and the call
    explicit = Emulator(tmp_path / "t", faults="", latency_ms=0, sleep=slept.append)
    assert Api(explicit).get(f"{FLOW}/connections").status_code == 200
    assert len(slept) == 2


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "timeout=0.1",
            "AEPFLOW_EMULATOR_FAULTS: 'timeout=0.1' is not a fault; write kind=rate with kind 429, 500 or lost (e.g. 429=0.1,lost=0.02)",
        ),
        (
            "429",
            "AEPFLOW_EMULATOR_FAULTS: '429' is not a fault; write kind=rate with kind 429, 500 or lost (e.g. 429=0.1,lost=0.02)",
        ),
        ("500=often", "AEPFLOW_EMULATOR_FAULTS: the rate of 500 must be a number"),
        ("lost=2", "AEPFLOW_EMULATOR_FAULTS: the rate of lost must be between 0 and 1"),
        ("429=0.6,500=0.6", "AEPFLOW_EMULATOR_FAULTS: the rates add up to more than 1"),
    ],
)
def test_bad_fault_specs(tmp_path: Path, spec: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Emulator(tmp_path / "s", faults=spec)
    assert str(caught.value) == message


def test_bad_latency_and_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEPFLOW_EMULATOR_LATENCY_MS", "slow")
    with pytest.raises(
        SettingsError,
        match="AEPFLOW_EMULATOR_LATENCY_MS must be a number of milliseconds, not 'slow'",
    ):
        Emulator(tmp_path / "s")
    monkeypatch.delenv("AEPFLOW_EMULATOR_LATENCY_MS")
    monkeypatch.setenv("AEPFLOW_EMULATOR_SEED", "x")
    with pytest.raises(SettingsError, match="AEPFLOW_EMULATOR_SEED must be an integer, not 'x'"):
        Emulator(tmp_path / "s")


def test_latency_sleeps_outside_every_lock(tmp_path: Path) -> None:
    # Every request's sleep waits until all 16 requests are sleeping at once: if a sleep ran
    # under a lock, the barrier could never fill and would break after its timeout.
    barrier = threading.Barrier(16, timeout=20)
    armed = threading.Event()

    def sleep(seconds: float) -> None:
        assert seconds == 0.05
        if armed.is_set():
            barrier.wait()

    emulator = Emulator(tmp_path / "s", latency_ms=50, sleep=sleep)
    api = Api(emulator)
    conn = api.connection()
    armed.set()
    results: list[int] = []

    def call(i: int) -> None:
        if i % 2:
            results.append(api.get(f"{FLOW}/connections/{conn}").status_code)
        else:
            results.append(api.post(f"{FLOW}/connections", connection_body(f"c{i}")).status_code)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not barrier.broken
    assert sorted(results) == [200] * 8 + [201] * 8

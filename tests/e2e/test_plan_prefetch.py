"""A plan's list reads, started while the manifests load: the same plan, the same requests,
the same errors in the same order."""

from __future__ import annotations

from typing import Any

import pytest

from aepflow.api import ListRequest, Request
from aepflow.engine.live import Prefetch
from aepflow.engine.plan import Lock, LockEntry
from aepflow.errors import ManifestError
from aepflow.kinds import KINDS
from aepflow.workspace import make_plan, open_workspace
from tests.e2e.conftest import Project
from tests.served import aim_at


@pytest.fixture
def staging(project: Project, served: str, monkeypatch: pytest.MonkeyPatch) -> Project:
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: staging\n"
        "environments:\n  staging: {type: aep, sandbox: dev}\n"
    )
    aim_at(monkeypatch, served, SF_USERNAME="u", SF_PASSWORD="p", SF_TOKEN="t")
    return project


def plan_of(prefetch: bool) -> tuple[Any, int, int]:
    """(the plan, requests sent, list reads started early)."""
    ws = open_workspace(None, (), prefetch=prefetch)
    try:
        early = len(ws.prefetch.reads) if ws.prefetch is not None else 0
        plan = make_plan(ws)
        assert ws.prefetch is None  # taken by the plan, never by a later one
        return plan.changes, ws.client.request_count, early
    finally:
        ws.close()


def test_a_prefetched_plan_is_the_same_plan_with_the_same_requests(staging: Project) -> None:
    assert staging.run("apply", "--auto-approve").exit_code == 0
    staging.edit("flow.yaml", "E2E", "E2E renamed")  # a plan with changes, not only a no-op
    plain, plain_requests, none = plan_of(False)
    early, early_requests, started = plan_of(True)
    assert none == 0
    assert started > 0  # the lock's datasets, flows, schemas...: read while loading
    assert early == plain
    assert any(c.action != "noop" for c in early)
    assert early_requests == plain_requests
    assert staging.run("plan", "--detailed-exitcode").exit_code == 2


def test_invalid_manifests_stop_a_prefetched_plan_with_the_same_error(staging: Project) -> None:
    assert staging.run("apply", "--auto-approve").exit_code == 0
    staging.edit("flow.yaml", "frequency: hour", "frequency: fortnight")
    errors = []
    for prefetch in (False, True):
        with pytest.raises(ManifestError) as caught:
            open_workspace(None, (), prefetch=prefetch)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "fortnight" in errors[0]


class Door:
    def __init__(self) -> None:
        self.listed: list[ListRequest] = []

    def send(self, request: Request, *, allow_404: bool = False) -> Any:
        raise AssertionError("no single reads")

    def list(self, query: ListRequest) -> list[dict[str, Any]]:
        self.listed.append(query)
        return []


def test_only_lists_that_do_not_depend_on_the_manifests_are_started_early() -> None:
    kinds = {"flow": 3, "connection": 3}  # a connection's list filters on the manifests' specs
    lock = Lock("staging", "dev")
    for kind, n in kinds.items():
        for i in range(n):
            lock.resources[f"{kind}.x{i}"] = LockEntry(id=f"{kind}-{i}", kind=kind)
    door = Door()
    prefetch = Prefetch(door, lock)
    assert set(prefetch.reads) == {"flow"}
    query, future = prefetch.reads["flow"]
    assert query == KINDS["flow"].list_all([])
    assert future.result(timeout=5) == []
    other = ListRequest("/elsewhere", "flowservice")
    assert prefetch.take("flow", other) is None  # another query: the plan reads it itself
    assert prefetch.take("flow", query) is None  # and an early read is offered once

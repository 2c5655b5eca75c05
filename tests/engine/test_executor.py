"""The executor sends exactly what the plan holds; it reads only to resolve a 412 or a lost answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from aepflow.api import ListRequest, Request
from aepflow.engine.executor import Executor
from aepflow.engine.lockfile import LockWriter
from aepflow.engine.planner import build_plan
from aepflow.errors import ChangedSincePlanError, OutcomeUnknown, PreconditionFailed
from tests.engine.helpers import connection, live, live_of, lock_of, resolved, source

NOW = 1_800_000_000.0
CONN = "/data/foundation/flowservice/connections"


class FakeDoor:
    """Answers from a script; records every request it was sent."""

    def __init__(self, answers: list[Any], lists: dict[str, list[dict[str, Any]]] | None = None):
        self.answers = answers
        self.lists = lists or {}
        self.sent: list[tuple[str, str, Any, str | None]] = []

    def send(self, request: Request, *, allow_404: bool = False) -> Any:
        self.sent.append((request.method, request.path, request.body, request.if_match))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def list(self, query: ListRequest) -> list[dict[str, Any]]:
        self.sent.append(("LIST", query.path, list(query.params), None))
        return self.lists.get(query.path, [])


def run(
    door: FakeDoor,
    writer: LockWriter,
    desired: dict[str, Any],
    plan: Any,
    environment: str | None = None,
) -> Any:
    try:
        return Executor(door, writer, desired, environment=environment).apply(plan)
    finally:
        writer.close()


def _rename_plan(tmp_path: Path) -> tuple[Any, Any, Any]:
    old = connection()
    new = connection(name="crm", description="CRM")
    lock = lock_of((old, "c1"))
    raw = {"id": "c1", "name": "crm", "etag": '"e1"'}
    state = live_of({old.address: live("c1", resolved(old, {}), etag='"e1"', raw=raw)})
    plan = build_plan({new.address: new}, lock, state, now=NOW)
    writer = LockWriter(lock, tmp_path / "lock.json")
    return plan, writer, new


def _get(name: str, description: str, etag: str) -> dict[str, Any]:
    return {
        "items": [
            {
                "id": "c1",
                "name": name,
                "description": f"{description}\n\naepflow: connection.crm".lstrip(),
                "etag": etag,
                "connectionSpec": {"id": "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5"},
                "auth": {"specName": "Basic Authentication", "params": {"username": "u"}},
            }
        ]
    }


def test_an_update_sends_the_planned_patch_with_the_planned_etag_and_nothing_else(
    tmp_path: Path,
) -> None:
    plan, writer, new = _rename_plan(tmp_path)
    door = FakeDoor([{"id": "c1", "etag": '"e2"'}])
    result = run(door, writer, {new.address: new}, plan)
    assert result.ok
    ops = [{"op": "replace", "path": "/description", "value": "CRM\n\naepflow: connection.crm"}]
    assert door.sent == [("PATCH", f"{CONN}/c1", ops, '"e1"')]
    assert writer.lock.resources["connection.crm"].hash == new.hash


def test_a_412_whose_fields_are_as_planned_is_sent_again_with_the_fresh_etag(
    tmp_path: Path,
) -> None:
    plan, writer, new = _rename_plan(tmp_path)
    door = FakeDoor([PreconditionFailed("PATCH", "p", 412, None, "x"), _get("crm", "", '"e5"'), {}])
    assert run(door, writer, {new.address: new}, plan).ok
    assert [(m, p, etag) for m, p, _, etag in door.sent] == [
        ("PATCH", f"{CONN}/c1", '"e1"'),
        ("GET", f"{CONN}/c1", None),
        ("PATCH", f"{CONN}/c1", '"e5"'),
    ]


def test_a_412_whose_change_already_holds_writes_nothing_more(tmp_path: Path) -> None:
    plan, writer, new = _rename_plan(tmp_path)
    door = FakeDoor([PreconditionFailed("PATCH", "p", 412, None, "x"), _get("crm", "CRM", '"e5"')])
    assert run(door, writer, {new.address: new}, plan).ok
    assert [m for m, *_ in door.sent] == ["PATCH", "GET"]


def test_a_412_after_someone_else_changed_the_field_stops_with_changed_since_the_plan(
    tmp_path: Path,
) -> None:
    plan, writer, new = _rename_plan(tmp_path)
    door = FakeDoor(
        [PreconditionFailed("PATCH", "p", 412, None, "x"), _get("crm", "edited in the UI", '"e5"')]
    )
    result = run(door, writer, {new.address: new}, plan, environment="prod")
    (error,) = result.errors.values()
    assert isinstance(error, ChangedSincePlanError)
    assert str(error) == (
        "connection.crm: changed since the plan (description differ from what the plan read); "
        "nothing was written. Run `aepflow plan -e prod` again and review the new plan"
    )
    assert [m for m, *_ in door.sent] == ["PATCH", "GET"]
    assert writer.lock.resources["connection.crm"].hash != new.hash  # not recorded as applied


def test_a_create_whose_answer_was_lost_is_found_by_its_marker_not_sent_twice(
    tmp_path: Path,
) -> None:
    c = connection()
    lock = lock_of()
    plan = build_plan({c.address: c}, lock, live_of({}), now=NOW)
    found = _get("crm", "", '"e1"')["items"][0]
    door = FakeDoor([OutcomeUnknown("POST", CONN, None, None, "lost")], lists={CONN: [found]})
    writer = LockWriter(lock, tmp_path / "lock.json")
    assert run(door, writer, {c.address: c}, plan).ok
    assert [(m, p) for m, p, *_ in door.sent] == [("POST", CONN), ("LIST", CONN)]
    assert writer.lock.resources["connection.crm"].id == "c1"


def test_secrets_are_filled_only_when_sent(tmp_path: Path) -> None:
    c = replace(connection(), secrets={"password": "pw-7d1e-secret"})
    plan = build_plan({c.address: c}, lock_of(), live_of({}), now=NOW)
    (create,) = plan.changes[0].requests
    assert create.body["auth"]["params"] == {"username": "u", "password": {"$secret": "password"}}
    door = FakeDoor([{"id": "c7"}])
    writer = LockWriter(lock_of(), tmp_path / "lock.json")
    assert run(door, writer, {c.address: c}, plan).ok
    assert door.sent[0][2]["auth"]["params"] == {"username": "u", "password": "pw-7d1e-secret"}
    assert "pw-7d1e-secret" not in (tmp_path / "lock.json").read_text()
    assert "pw-7d1e-secret" not in repr(plan.to_data())


def test_a_reference_without_an_id_is_an_error_not_a_guess(tmp_path: Path) -> None:
    s = source()
    plan = build_plan({s.address: s}, lock_of(), live_of({}), now=NOW)
    door = FakeDoor([])
    result = run(door, LockWriter(lock_of(), tmp_path / "l.json"), {s.address: s}, plan)
    (error,) = result.errors.values()
    assert str(error) == "sourceConnection.f: connection.crm has no id yet"
    assert door.sent == []


def test_a_412_on_a_secret_rotation_sends_it_again_never_assumes_it_holds(
    tmp_path: Path,
) -> None:
    """A secret is never read back: after a 412 it is re-sent with the fresh etag."""
    old = connection()
    new = replace(connection(), secrets={"password": "rotated"})
    lock = lock_of((old, "c1"))
    raw = {"id": "c1", "name": "crm", "etag": '"e1"'}
    state = live_of({old.address: live("c1", resolved(old, {}), etag='"e1"', raw=raw)})
    plan = build_plan({new.address: new}, lock, state, now=NOW)
    writer = LockWriter(lock, tmp_path / "lock.json")
    door = FakeDoor([PreconditionFailed("PATCH", "p", 412, None, "x"), _get("crm", "", '"e5"'), {}])
    assert run(door, writer, {new.address: new}, plan).ok
    assert [(m, etag) for m, _, _, etag in door.sent] == [
        ("PATCH", '"e1"'),
        ("GET", None),
        ("PATCH", '"e5"'),
    ]
    assert door.sent[2][2][0]["value"]["password"] == "rotated"


def test_a_step_that_sent_no_secret_keeps_the_recorded_secret_hashes(tmp_path: Path) -> None:
    """A secret changed after the review is not recorded as applied when it was not sent."""
    plan, writer, new = _rename_plan(tmp_path)
    recorded = writer.lock.resources["connection.crm"].secret_hashes
    rotated = replace(new, secrets={"password": "rotated-after-review"})
    assert run(FakeDoor([{}]), writer, {new.address: rotated}, plan).ok
    assert writer.lock.resources["connection.crm"].secret_hashes == recorded

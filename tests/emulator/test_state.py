"""Persistence: a JSON snapshot and a journal of later changes, never torn, shared by threads
and processes; stats and reset."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from aepflow.emulator import EMBEDDED_BASE_URL, Emulator
from aepflow.emulator.state import StateError, Store
from tests.emulator.conftest import FLOW, Api, Clock, connection_body

ROOT = Path(__file__).resolve().parents[2]


def _state(state_dir: Path) -> dict[str, object]:
    """The document as the files hold it: the snapshot with the journal's lines applied."""
    snapshot: dict[str, Any] = json.loads((state_dir / "state.json").read_text())
    lines = (state_dir / "state.journal").read_text().split("\n")
    assert json.loads(lines[0]) == {"base": snapshot["rev"]}
    for line in lines[1:-1]:
        record = json.loads(line)
        for op, path, value in record["ops"]:
            node = snapshot
            for key in path[:-1]:
                node = node.setdefault(key, {})
            if op == "set":
                node[path[-1]] = value
            else:
                node.pop(path[-1], None)
        snapshot["rev"] = record["rev"]
    assert lines[-1] == ""  # every line whole
    return snapshot


def test_the_state_is_a_snapshot_and_a_journal(api: Api, state_dir: Path) -> None:
    conn = api.connection()
    doc = _state(state_dir)
    assert list(doc)[:2] == ["rev", "format"]
    assert set(doc) >= {"rev", "format", "createdAt", "salt", "tokens", "sandboxes", "stats"}
    assert list(doc["sandboxes"]["prod"]["connections"]) == [conn]  # type: ignore[index]
    assert sorted(p.name for p in state_dir.iterdir()) == [".lock", "state.journal", "state.json"]


def test_a_commit_appends_to_the_journal_and_leaves_the_snapshot(api: Api, state_dir: Path) -> None:
    api.connection("first")
    before = os.stat(state_dir / "state.json")
    journal = (state_dir / "state.journal").read_bytes()
    second = api.connection("second")
    after = os.stat(state_dir / "state.json")
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    grown = (state_dir / "state.journal").read_bytes()
    assert grown.startswith(journal)
    (line,) = grown[len(journal) :].decode().splitlines()
    record = json.loads(line)
    paths = [tuple(path) for op, path, _ in record["ops"] if op == "set"]
    assert paths[0] == ("sandboxes", "prod", "connections", second)
    assert {p[0] for p in paths[1:]} <= {"stats"}  # request counts ride along
    assert record["rev"] == _state(state_dir)["rev"] == (state_dir / ".lock").read_text().strip()


def test_a_journal_larger_than_the_snapshot_is_folded_into_it(
    api: Api, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aepflow.emulator.state.COMPACT_MIN_BYTES", 0)
    names = [f"c{i}" for i in range(12)]
    for name in names:
        api.connection(name)
    snapshot = json.loads((state_dir / "state.json").read_text())
    assert len(snapshot["sandboxes"]["prod"]["connections"]) > 1  # folded at least once
    assert {
        c["name"] for c in _state(state_dir)["sandboxes"]["prod"]["connections"].values()
    } == set(names)  # type: ignore[index]
    assert sorted(p.name for p in state_dir.iterdir()) == [".lock", "state.journal", "state.json"]
    other = Api(Emulator(state_dir))
    assert len(other.get(f"{FLOW}/connections", params={"limit": "100"}).json()["items"]) == 12


def test_a_journal_that_outgrew_the_snapshot_is_folded_when_the_process_is_done(
    api: Api, emulator: Emulator, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commits only append (a large first apply encodes no snapshot on the way); the flush
    when the process is done folds the journal, so the next process reads a snapshot."""
    monkeypatch.setattr("aepflow.emulator.state.FOLD_MIN_BYTES", 0)
    for i in range(12):
        api.connection(f"c{i}")
    snapshot = json.loads((state_dir / "state.json").read_text())
    assert snapshot["sandboxes"].get("prod", {}).get("connections", {}) == {}  # appended only
    journal = (state_dir / "state.journal").stat().st_size
    assert journal > (state_dir / "state.json").stat().st_size
    emulator.flush()
    snapshot = json.loads((state_dir / "state.json").read_text())
    assert len(snapshot["sandboxes"]["prod"]["connections"]) == 12
    assert (state_dir / "state.journal").read_text().count("\n") == 1  # only its header line
    emulator.flush()  # nothing more to fold: the files stay as they are
    assert len((state_dir / "state.journal").read_text().splitlines()) == 1
    other = Api(Emulator(state_dir))
    assert len(other.get(f"{FLOW}/connections", params={"limit": "100"}).json()["items"]) == 12


def test_a_line_cut_short_is_ignored_then_overwritten(api: Api, state_dir: Path) -> None:
    api.connection("whole")
    with open(state_dir / "state.journal", "ab") as f:
        f.write(b'{"rev":"cut","ops":[["set",["sandboxes","prod","connections","x"],{"na')
    other = Api(Emulator(state_dir))
    assert [c["name"] for c in other.get(f"{FLOW}/connections").json()["items"]] == ["whole"]
    other.connection("after")
    assert b'"cut"' not in (state_dir / "state.journal").read_bytes()
    names = {c["name"] for c in _state(state_dir)["sandboxes"]["prod"]["connections"].values()}  # type: ignore[index]
    assert names == {"whole", "after"}


def test_a_journal_of_an_older_snapshot_is_ignored(
    api: Api, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed between writing a new snapshot and starting its journal."""
    api.connection("first")
    old_journal = (state_dir / "state.journal").read_bytes()
    old_snapshot = (state_dir / "state.json").read_bytes()
    monkeypatch.setattr("aepflow.emulator.state.COMPACT_MIN_BYTES", 0)
    api.connection("second")  # the journal outgrew the snapshot: folded
    monkeypatch.undo()
    assert (state_dir / "state.json").read_bytes() != old_snapshot
    (state_dir / "state.journal").write_bytes(
        old_journal + b'{"rev":"old","ops":[["unset",["sandboxes","prod","connections"],null]]}\n'
    )
    other = Api(Emulator(state_dir))
    names = {c["name"] for c in other.get(f"{FLOW}/connections").json()["items"]}
    assert names == {"first", "second"}
    other.connection("third")  # and the next commit starts a journal of its own
    assert json.loads((state_dir / "state.journal").read_text().splitlines()[0]) == {
        "base": json.loads((state_dir / "state.json").read_text())["rev"]
    }
    names = {c["name"] for c in _state(state_dir)["sandboxes"]["prod"]["connections"].values()}  # type: ignore[index]
    assert names == {"first", "second", "third"}


def test_a_corrupt_journal_line_is_reported(api: Api, state_dir: Path) -> None:
    api.connection("first")
    with open(state_dir / "state.journal", "ab") as f:
        f.write(b"not json\n{}\n")
    with pytest.raises(StateError) as caught:
        Api(Emulator(state_dir))
    assert str(caught.value) == (
        f"the emulator journal {state_dir / 'state.journal'} is corrupt; "
        "`aepflow emulator reset` starts over"
    )


def test_separate_instances_see_one_platform(state_dir: Path, clock: Clock) -> None:
    first, second = Api(Emulator(state_dir, clock=clock)), Api(Emulator(state_dir, clock=clock))
    conn = first.connection()
    assert second.get(f"{FLOW}/connections/{conn}").status_code == 200
    second.delete(f"{FLOW}/connections/{conn}")
    assert first.get(f"{FLOW}/connections/{conn}").status_code == 404


def test_reads_neither_rewrite_nor_reparse_the_file(
    api: Api, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = api.connection()
    before = os.stat(state_dir / "state.json")
    loads: list[int] = []
    original = Store._load

    def counting(self: Store) -> None:
        if self is api.emulator.store:
            loads.append(1)
        original(self)

    monkeypatch.setattr(Store, "_load", counting)
    for _ in range(50):
        assert api.get(f"{FLOW}/connections/{conn}").status_code == 200
    after = os.stat(state_dir / "state.json")
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
    assert loads == []
    other = Api(Emulator(state_dir))
    other.connection("changed elsewhere")
    assert len(api.get(f"{FLOW}/connections").json()["items"]) == 2
    assert loads == [1]  # re-read once, because the file changed


def test_concurrent_threads_lose_no_write(api: Api, state_dir: Path) -> None:
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            for i in range(10):
                response = api.post(f"{FLOW}/connections", connection_body(f"c{n}-{i}"))
                assert response.status_code == 201
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = {
        c["name"] for c in api.get(f"{FLOW}/connections", params={"limit": "100"}).json()["items"]
    }
    assert names == {f"c{n}-{i}" for n in range(8) for i in range(10)}
    assert len(_state(state_dir)["sandboxes"]["prod"]["connections"]) == 80  # type: ignore[index]


_WRITER = """
import sys
from pathlib import Path
import httpx
sys.path.insert(0, {root!r})
from aepflow.emulator import Emulator, EMBEDDED_BASE_URL
from tests.emulator.conftest import Api, connection_body
api = Api(Emulator(Path({state!r})))
for i in range({count}):
    assert api.post("/data/foundation/flowservice/connections", connection_body(f"{tag}-{{i}}")).status_code == 201
    if i == 2:
        print("writing", flush=True)
"""


def _writer(state_dir: Path, tag: str, count: int) -> subprocess.Popen[str]:
    code = _WRITER.format(root=str(ROOT), state=str(state_dir), count=count, tag=tag)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_concurrent_processes_lose_no_write(api: Api, state_dir: Path) -> None:
    writers = [_writer(state_dir, tag, 15) for tag in ("a", "b", "c")]
    for i in range(15):
        api.post(f"{FLOW}/connections", connection_body(f"main-{i}"))
    for w in writers:
        w.communicate(timeout=60)
        assert w.returncode == 0
    items = api.get(f"{FLOW}/connections", params={"limit": "100"}).json()["items"]
    assert {c["name"] for c in items} == {
        f"{t}-{i}" for t in ("a", "b", "c", "main") for i in range(15)
    }


def test_a_process_killed_while_writing_leaves_a_whole_state(api: Api, state_dir: Path) -> None:
    api.connection("before")
    writer = _writer(state_dir, "killed", 10_000)
    assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
    writer.send_signal(signal.SIGKILL)
    writer.communicate()
    doc = _state(state_dir)  # parses: never torn
    names = {c["name"] for c in doc["sandboxes"]["prod"]["connections"].values()}  # type: ignore[index]
    assert "before" in names and len(names) >= 4
    assert api.post(f"{FLOW}/connections", connection_body("after")).status_code == 201


def test_a_failed_write_changes_nothing(
    api: Api, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = api.connection("kept")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(
        StateError, match=r"cannot write the emulator state .*No space left on device"
    ):
        api.post(f"{FLOW}/connections", connection_body("lost"))
    monkeypatch.undo()
    assert [c["name"] for c in api.get(f"{FLOW}/connections").json()["items"]] == ["kept"]
    assert list(_state(state_dir)["sandboxes"]["prod"]["connections"]) == [kept]  # type: ignore[index]
    assert not list(state_dir.glob(".state.*.tmp"))


def test_a_corrupt_state_is_reported(state_dir: Path) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / "state.json").write_text("{not json")
    http = httpx.Client(transport=Emulator(state_dir).transport(), base_url=EMBEDDED_BASE_URL)
    with pytest.raises(StateError) as caught:
        http.post(
            "/ims/token/v3",
            data={
                "grant_type": "client_credentials",
                "client_id": "aepflow-emulator",
                "client_secret": "aepflow-emulator-secret",
                "scope": "openid",
            },
        )
    assert str(caught.value) == (
        f"the emulator state {state_dir / 'state.json'} is not valid JSON; "
        "`aepflow emulator reset` starts over"
    )


def test_stats_count_templates_and_survive_instances(emulator: Emulator, state_dir: Path) -> None:
    api = Api(emulator)
    conn = api.connection()
    api.get(f"{FLOW}/connections/{conn}")
    api.get(f"{FLOW}/connections/{conn}")
    api.get(f"{FLOW}/connections", params={"property": "name==secret-looking-value"})
    api.get("/data/foundation/nowhere")
    emulator.flush()
    stats = Emulator(state_dir).stats()
    assert stats == {
        "since": stats["since"],
        "requests": 6,
        "by_endpoint": {
            "GET (unknown)": 1,
            "GET /data/foundation/flowservice/connections": 1,
            "GET /data/foundation/flowservice/connections/{id}": 2,
            "POST /data/foundation/flowservice/connections": 1,
            "POST /ims/token/v3": 1,
        },
    }
    text = (state_dir / "state.json").read_text()
    assert "secret-looking-value" not in json.dumps(stats) and "s3cret-Passw0rd" not in text


def test_counts_not_yet_flushed_are_reported(emulator: Emulator) -> None:
    api = Api(emulator)
    api.get(f"{FLOW}/connections")
    assert emulator.stats()["by_endpoint"]["GET /data/foundation/flowservice/connections"] == 1


def test_closing_the_transport_flushes_the_counts(state_dir: Path) -> None:
    emulator = Emulator(state_dir)
    api = Api(emulator)
    api.get(f"{FLOW}/connections")
    api.http.close()
    assert Emulator(state_dir).stats()["requests"] == 2


def test_reset_forgets_everything(emulator: Emulator, state_dir: Path) -> None:
    api = Api(emulator)
    conn = api.connection()
    other = Emulator(state_dir)
    other.reset()
    assert not (state_dir / "state.json").exists()
    response = api.get(f"{FLOW}/connections/{conn}")
    assert response.json() == {"error_code": "401013", "message": "Oauth token is not valid"}
    assert Emulator(state_dir).stats()["requests"] == 0
    fresh = Api(emulator)
    assert fresh.get(f"{FLOW}/connections").json()["items"] == []

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aepflow.engine import lockfile
from aepflow.engine.lockfile import Lock, LockEntry, LockWriter
from aepflow.errors import LockfileError


def test_a_missing_lock_file_is_an_empty_lock(tmp_path: Path) -> None:
    lock = lockfile.load(tmp_path / "none.json", "local", "prod")
    assert lock.resources == {} and lock.serial == 0 and len(lock.lineage) == 32


def test_the_lock_is_sorted_one_block_per_resource_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "prod.lock.json"
    lock = Lock("prod", "prod", lineage="ab" * 16, secret_salt="00" * 16)
    writer = LockWriter(lock, path)
    writer.put("flow.b", LockEntry("f-1", "flow", "sha256:1", ("mappingSet.b",)))
    writer.put(
        "connection.a", LockEntry("c-1", "connection", "sha256:2", secrets_hash="pbkdf2-sha256:x")
    )
    # While the apply runs, each step is one journal line: the file itself is written only
    # once, before the first line, to keep a new lock's lineage and salt.
    assert json.loads(path.read_text())["resources"] == {}
    journal = path.parent / "prod.lock.json.journal"
    assert [json.loads(line)["address"] for line in journal.read_text().splitlines()] == [
        "flow.b",
        "connection.a",
    ]
    # A reader (a plan during the apply, or after a crash) sees every step.
    assert lockfile.load(path, "prod", "prod").resources == lock.resources
    writer.close()
    text = path.read_text()
    assert text.index('"connection.a"') < text.index('"flow.b"')
    assert json.loads(text)["serial"] == 2
    again = lockfile.load(path, "prod", "prod")
    assert again.resources == lock.resources
    assert again.lineage == lock.lineage
    assert lockfile.text(again) == text
    assert sorted(p.name for p in path.parent.iterdir()) == ["prod.lock.json"]  # no journal left


def test_a_journal_left_by_a_crash_is_replayed_and_folded_by_the_next_writer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "prod.lock.json"
    lock = Lock("prod", "prod", lineage="ab" * 16, secret_salt="00" * 16)
    lockfile.save(lock, path)
    writer = LockWriter(lock, path)
    writer.put("flow.b", LockEntry("f-1", "flow"))
    writer.put("flow.c", LockEntry("f-2", "flow"))
    writer._file.close()  # the process dies here: no close(), and a record cut short
    with open(path.parent / "prod.lock.json.journal", "a") as f:
        f.write('{"op": "put", "addr')
    recovered = lockfile.load(path, "prod", "prod")
    assert sorted(recovered.resources) == ["flow.b", "flow.c"]
    assert recovered.serial == 2
    LockWriter(recovered, path).close()
    assert sorted(json.loads(path.read_text())["resources"]) == ["flow.b", "flow.c"]
    assert not (path.parent / "prod.lock.json.journal").exists()


def test_a_lock_that_cannot_be_written_is_an_error_naming_the_path(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    writer = LockWriter(Lock("prod", "prod"), blocked / "prod.lock.json")
    with pytest.raises(LockfileError) as e:
        writer.put("flow.b", LockEntry("f-1", "flow"))
    assert str(e.value).startswith(f"cannot write the lock file {blocked}/prod.lock.json")


def test_secrets_are_stored_only_as_a_salted_hash_that_detects_rotation() -> None:
    a = Lock("prod", "prod", secret_salt="00" * 16)
    b = Lock("prod", "prod", secret_salt="11" * 16)
    h = a.secrets_hash({"password": "hunter2"})
    assert h is not None and "hunter2" not in h and h.startswith("pbkdf2-sha256:20000:")
    assert h == a.secrets_hash({"password": "hunter2"})
    assert h != a.secrets_hash({"password": "hunter3"})
    assert h != b.secrets_hash({"password": "hunter2"})
    assert a.secrets_hash({}) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", ":1:2: the lock file is not valid JSON ("),
        ('{"format_version": 9}', "lock file format_version 9 is not supported"),
        (
            '{"format_version": 1, "environment": "prod", "sandbox": "dev"}',
            "this lock belongs to environment 'prod' (sandbox 'dev'), not to environment 'prod' "
            "(sandbox 'prod'); nothing was read or changed",
        ),
        (
            '{"format_version": 1, "environment": "local", "sandbox": "prod"}',
            "this lock belongs to environment 'local' (sandbox 'prod'), not to environment 'prod' "
            "(sandbox 'prod'); nothing was read or changed. Check lockFile in aepflow.yaml and "
            "the -e option",
        ),
        (
            '{\n<<<<<<< HEAD\n"serial": 3,\n=======\n"serial": 4,\n>>>>>>> main\n}',
            ":2: the lock file has unresolved merge-conflict markers (lines 2, 4, 6); resolve",
        ),
        (
            '{"format_version": 1, "environment": "prod", "sandbox": "prod", "lineage": "l", '
            '"serial": 1, "secret_salt": "zz", "resources": {}}',
            "the lock file is corrupt (ValueError",
        ),
        (
            '{"format_version": 1, "environment": "prod", "sandbox": "prod", "lineage": "l", '
            '"serial": 1, "secret_salt": "00", "resources": {"x.y": {"id": "1", "kind": "x"}}}',
            "unknown resource kind in x.y",
        ),
        ("[]", "the lock file is corrupt (TypeError: the top level is not an object)"),
    ],
)
def test_a_bad_lock_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "prod.lock.json"
    path.write_text(content)
    with pytest.raises(LockfileError) as e:
        lockfile.load(path, "prod", "prod")
    assert message in str(e.value)
    assert str(e.value).startswith(str(path))

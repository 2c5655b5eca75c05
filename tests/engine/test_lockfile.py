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
    text = path.read_text()
    assert text.index('"connection.a"') < text.index('"flow.b"')
    assert json.loads(text)["serial"] == 2
    again = lockfile.load(path, "prod", "prod")
    assert again.resources == lock.resources
    assert again.lineage == lock.lineage
    assert lockfile.text(again) == text
    assert sorted(p.name for p in path.parent.iterdir()) == ["prod.lock.json"]  # no temp files left


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
        ("{not json", "the lock file is corrupt"),
        ('{"format_version": 9}', "lock file format_version 9 is not supported"),
        (
            '{"format_version": 1, "sandbox": "dev"}',
            "this lock belongs to sandbox 'dev', but environment 'prod' targets sandbox 'prod'",
        ),
    ],
)
def test_a_bad_lock_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "prod.lock.json"
    path.write_text(content)
    with pytest.raises(LockfileError) as e:
        lockfile.load(path, "prod", "prod")
    assert message in str(e.value)
    assert str(e.value).startswith(str(path))

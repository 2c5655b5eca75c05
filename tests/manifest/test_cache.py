"""The parsed-manifest cache under .aepflow/cache: a file's YAML is parsed once per content and
name, never served for other bytes, another loader or a damaged cache, and never needed."""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from aepflow.manifest import buildcache, cache
from aepflow.manifest.yamlload import load_bytes
from tests.manifest.helpers import copy_example, count_parses, validate


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy_example(tmp_path, monkeypatch)
    monkeypatch.delenv(cache.SWITCH, raising=False)
    # The whole build's cache would answer before this one is asked (test_build_cache.py).
    monkeypatch.setattr(buildcache, "enabled", lambda: False)
    return tmp_path


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return count_parses(monkeypatch)


def files(project: Path) -> list[str]:
    return sorted(str(p.relative_to(project)) for p in (project / "manifests").rglob("*.yaml"))


def test_a_second_validate_parses_nothing_and_says_the_same(
    project: Path, parsed: list[str]
) -> None:
    first = validate()
    assert first[0] == 0
    assert sorted(parsed) == files(project)
    assert cache.location(project).read_bytes().startswith(cache.stamp())
    parsed.clear()
    assert validate() == first
    assert parsed == []


def test_a_changed_file_is_parsed_again_and_its_new_content_counts(
    project: Path, parsed: list[str]
) -> None:
    assert validate()[0] == 0
    path = project / "manifests" / "salesforce-crm.yaml"
    text = path.read_text()
    path.write_text(text.replace("kind: Dataflow", "kind: Dataflw", 1))
    parsed.clear()
    code, out = validate()
    assert parsed == ["manifests/salesforce-crm.yaml"]
    assert code == 1
    assert "manifests/salesforce-crm.yaml:" in out and "Dataflw" in out
    # Back to the old bytes: the old entry was dropped with the old file, so parsed once more.
    path.write_text(text)
    parsed.clear()
    assert validate()[0] == 0
    assert parsed == ["manifests/salesforce-crm.yaml"]


def test_problems_and_positions_are_the_same_cold_and_warm(
    project: Path, parsed: list[str]
) -> None:
    crm = project / "manifests" / "salesforce-crm.yaml"
    crm.write_text(crm.read_text().replace("kind: Dataflow", "kind: Dataflw", 1))
    users = project / "manifests" / "servicenow-users.yaml"
    users.write_text(users.read_text() + "\nbroken: [unclosed\n")
    cold = validate()
    assert cold[0] == 1
    assert "manifests/salesforce-crm.yaml:" in cold[1]
    assert "manifests/servicenow-users.yaml:" in cold[1]
    parsed.clear()
    assert validate() == cold
    # The file with a YAML problem is never stored: it is parsed again, in the same words.
    assert parsed == ["manifests/servicenow-users.yaml"]


def test_a_cache_of_another_version_is_ignored_and_replaced(
    project: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = validate()
    where = cache.location(project)
    data = where.read_bytes()
    old = cache.stamp()
    other = old.replace(b"\n" + str(cache.FORMAT).encode() + b"\n", b"\n999\n", 1)
    assert other != old
    where.write_bytes(other + data[len(old) :])
    parsed.clear()
    assert validate() == first
    assert sorted(parsed) == files(project)
    assert where.read_bytes().startswith(old)


def test_a_cache_written_by_another_aepflow_release_is_ignored(
    project: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = validate()
    monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    monkeypatch.setattr(cache, "_stamp", None)
    parsed.clear()
    assert validate() == first
    assert sorted(parsed) == files(project)
    assert b"\n0.0.0-other\n" in cache.location(project).read_bytes()[:200]


def test_no_loader_source_to_stamp_by_means_no_cache(
    project: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable() -> str:
        raise OSError("no source")

    monkeypatch.setattr(cache, "_code_digest", unreadable)
    monkeypatch.setattr(cache, "_stamp", None)
    assert validate()[0] == 0
    assert not (project / ".aepflow").exists()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data[:-10] + b"x" * 10,  # altered
        lambda data: b"",
        lambda data: b"\x80\x05garbage",
    ],
    ids=["cut", "altered", "empty", "garbage"],
)
def test_a_damaged_cache_is_ignored(project: Path, parsed: list[str], damage: Any) -> None:
    first = validate()
    where = cache.location(project)
    where.write_bytes(damage(where.read_bytes()))
    parsed.clear()
    assert validate() == first
    assert sorted(parsed) == files(project)
    parsed.clear()
    assert validate() == first
    assert parsed == []  # rewritten whole


def test_an_entry_naming_anything_but_the_cache_objects_is_never_loaded(
    project: Path, parsed: list[str]
) -> None:
    first = validate()
    where = cache.location(project)
    head = cache.stamp()
    entries = marshal.loads(where.read_bytes()[len(head) + 32 :])
    # A well-formed cache whose entries would call os.getcwd when unpickled.
    evil = {k: pickle.dumps(os.getcwd) for k in entries}
    payload = marshal.dumps(evil)
    where.write_bytes(head + hashlib.sha256(payload).digest() + payload)
    parsed.clear()
    assert validate() == first
    assert sorted(parsed) == files(project)


def test_an_unwritable_or_unreadable_cache_still_validates(
    project: Path, parsed: list[str]
) -> None:
    (project / ".aepflow").write_text("not a folder")  # nothing can be made under it
    first = validate()
    assert first[0] == 0
    assert (project / ".aepflow").read_text() == "not a folder"
    (project / ".aepflow").unlink()
    cache.location(project).mkdir(parents=True)  # the cache file's name is a folder
    parsed.clear()
    assert validate() == first
    assert sorted(parsed) == files(project)
    assert cache.location(project).is_dir()


def test_a_read_only_project_validates(project: Path, parsed: list[str]) -> None:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    project.chmod(0o555)
    try:
        assert validate()[0] == 0
        assert not (project / ".aepflow").exists()
    finally:
        project.chmod(0o755)


def test_an_entry_is_served_only_for_the_same_bytes_and_name(tmp_path: Path) -> None:
    raw = b"kind: Dataflow\nspec: {a: 1}\n"
    docs, problems = load_bytes(raw, "a.yaml")
    assert problems == []
    stored = cache.ManifestCache.open(tmp_path)
    stored.put("a.yaml", raw, docs)
    stored.save(prune=True)
    again = cache.ManifestCache.open(tmp_path)
    assert again.get("a.yaml", raw + b"\n") is None
    assert again.get("b.yaml", raw) is None
    hit = again.get("a.yaml", raw)
    assert hit == docs
    assert hit is not None
    body, first = hit[0].body, docs[0].body
    assert (body.key_at, body.value_at, body.at) == (first.key_at, first.value_at, first.at)
    assert (body["spec"].value_at, body["spec"].at) == (first["spec"].value_at, first["spec"].at)
    assert type(body["spec"]) is type(first["spec"])


def test_the_switch_turns_it_off(
    project: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.SWITCH, "off")
    assert validate()[0] == 0
    assert not (project / ".aepflow").exists()


def test_validating_some_files_keeps_the_others_entries(project: Path, parsed: list[str]) -> None:
    first = validate()
    validate("manifests/salesforce-crm.yaml")
    parsed.clear()
    assert validate() == first
    assert parsed == []

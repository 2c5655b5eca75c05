"""The build cache under .aepflow/cache/build: the whole offline build of the manifests, served
only for the very same inputs and code, never holding a value read from the environment."""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from aepflow import manifest
from aepflow.catalog import xdm as catalog_module
from aepflow.errors import VariableError
from aepflow.manifest import buildcache, cache, xdm
from aepflow.project import load_project
from tests.manifest.helpers import copy_example, count_parses, validate

SECRET = "s3cr3t-value-from-the-environment"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy_example(tmp_path, monkeypatch)
    monkeypatch.delenv(cache.SWITCH, raising=False)
    return tmp_path


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the YAML loader parsed (a build from the cache parses nothing)."""
    monkeypatch.setattr(manifest, "ManifestCache", _NoFileCache)  # count every build
    return count_parses(monkeypatch)


class _NoFileCache(cache.ManifestCache):
    @classmethod
    def open(cls, root: Path) -> cache.ManifestCache:
        return cls(None, {})


def environ() -> dict[str, str]:
    return {n: SECRET for n, _ in manifest.required_env(load_project())}


def test_a_second_validate_builds_nothing_and_says_the_same(
    project: Path, parsed: list[str]
) -> None:
    first = validate()
    assert first[0] == 0
    assert len(parsed) == 4
    assert buildcache.location(project).is_file()
    parsed.clear()
    assert validate() == first
    assert parsed == []


def test_plan_and_apply_bind_the_environment_s_values_to_the_cached_build(
    project: Path, parsed: list[str]
) -> None:
    assert validate()[0] == 0
    parsed.clear()
    p = load_project()
    model = manifest.load_model(p, p.environment(None), secrets=True, environ=environ())
    assert parsed == []
    assert model.connections["salesforce-crm"].params["clientSecret"] == SECRET
    for path in (project / ".aepflow").rglob("*"):
        assert not path.is_file() or SECRET.encode() not in path.read_bytes(), path


def test_binding_resolves_as_written_escapes_and_text_around_included(
    project: Path,
) -> None:
    crm = project / "manifests" / "salesforce-crm.yaml"
    text = crm.read_text()
    assert "clientId: ${env:SALESFORCE_CLIENT_ID}" in text
    crm.write_text(
        text.replace(
            "clientId: ${env:SALESFORCE_CLIENT_ID}",
            'clientId: "id-${env:SALESFORCE_CLIENT_ID}-$${env:SALESFORCE_CLIENT_ID}-${var.namePrefix}"',
        )
    )
    p = load_project()
    values = environ()
    for _ in range(2):  # built, then from the cache
        model = manifest.load_model(p, p.environment(None), secrets=True, environ=values)
        assert model.connections["salesforce-crm"].params["clientId"] == (
            f"id-{SECRET}-${{env:SALESFORCE_CLIENT_ID}}-"
        )
    unbound = manifest.load_model(p, p.environment(None))
    assert unbound.connections["salesforce-crm"].params["clientId"] == (
        "id-${env:SALESFORCE_CLIENT_ID}-${env:SALESFORCE_CLIENT_ID}-"
    )


def test_a_variable_the_environment_lacks_is_named_at_its_line_cached_or_not(
    project: Path,
) -> None:
    p = load_project()
    values = environ()
    del values["SALESFORCE_CLIENT_SECRET"]
    messages = []
    for _ in range(2):
        with pytest.raises(VariableError) as e:
            manifest.load_model(p, p.environment(None), secrets=True, environ=values)
        messages.append(str(e.value))
    assert (
        messages
        == [
            "manifests/salesforce-crm.yaml:15:21: environment variable SALESFORCE_CLIENT_SECRET is "
            "not set (used by connection 'salesforce-crm')"
        ]
        * 2
    )


@pytest.mark.parametrize(
    "change",
    ["file", "variable", "environment", "package", "format"],
)
def test_any_other_input_is_a_miss(
    project: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    first = validate()
    parsed.clear()
    if change == "file":
        crm = project / "manifests" / "salesforce-crm.yaml"
        crm.write_text(crm.read_text() + "\n")
    elif change == "variable":
        config = project / "aepflow.yaml"
        config.write_text(config.read_text().replace('namePrefix: ""', 'namePrefix: "x-"'))
    elif change == "environment":
        first = validate("--env", "prod")
        parsed.clear()
        assert validate() == validate("--env", "local")
    elif change == "package":
        monkeypatch.setattr(buildcache, "_stamp", hashlib.sha256(b"other code").digest())
    else:
        monkeypatch.setattr(buildcache, "FORMAT", buildcache.FORMAT + 1)
        monkeypatch.setattr(buildcache, "_stamp", None)
    again = validate()
    assert again[0] == 0
    assert parsed != []
    if change in ("package", "format"):
        assert again == first


def test_a_build_with_a_problem_is_not_stored(project: Path, parsed: list[str]) -> None:
    crm = project / "manifests" / "salesforce-crm.yaml"
    crm.write_text(crm.read_text().replace("kind: Dataflow", "kind: Dataflw", 1))
    cold = validate()
    assert cold[0] == 1
    assert not buildcache.location(project).exists()
    parsed.clear()
    assert validate() == cold
    assert len(parsed) == 4


def test_what_was_learned_from_a_sandbox_is_never_stored_nor_read(
    project: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert validate()[0] == 0
    where = buildcache.location(project)
    stored = where.read_bytes()
    xdm.learn_absent("https://ns.adobe.com/xdm/mixins/nothing-here", "prod")
    try:
        parsed.clear()
        assert validate()[0] == 0
        assert len(parsed) == 4
        assert where.read_bytes() == stored
    finally:
        xdm.forget()
    text = Path(catalog_module.__file__).with_name(catalog_module.FILE).read_text(encoding="utf-8")
    older = catalog_module.Catalog(text)  # the same knowledge, but not the shipped object
    monkeypatch.setattr(xdm, "catalog", lambda: older)
    parsed.clear()
    validate()
    assert len(parsed) == 4
    assert where.read_bytes() == stored


@pytest.mark.parametrize("damage", ["torn", "flipped", "empty", "foreign"])
def test_a_damaged_or_foreign_cache_is_ignored_and_replaced(
    project: Path, parsed: list[str], damage: str
) -> None:
    first = validate()
    where = buildcache.location(project)
    data = where.read_bytes()
    head = len(buildcache.MAGIC) + 64
    if damage == "torn":
        where.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        where.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    elif damage == "empty":
        where.write_bytes(b"")
    else:  # a well-formed entry for these very inputs that names os.system: never unpickled
        payload = pickle.dumps(_Evil())
        where.write_bytes(
            data[: len(buildcache.MAGIC) + 32] + hashlib.sha256(payload).digest() + payload
        )
        assert len(data) > head
    parsed.clear()
    assert validate() == first
    assert len(parsed) == 4
    assert where.read_bytes()[:head] == data[:head]
    assert not (project / "pwned").exists()


class _Evil:
    def __reduce__(self) -> Any:
        return (os.system, ("echo this must never run > pwned",))


def test_off_reads_and_writes_no_build(
    project: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.SWITCH, "off")
    first = validate()
    assert not buildcache.location(project).exists()
    parsed.clear()
    assert validate() == first
    assert len(parsed) == 4


def test_every_position_comes_back_from_the_cache_as_built(project: Path) -> None:
    p = load_project()
    cold = manifest.load_model(p, p.environment(None))
    manifest._last = None
    warm = manifest.load_model(p, p.environment(None))
    assert warm is not cold
    for kind in ("connections", "schemas", "datasets", "dataflows"):
        built, cached = getattr(cold, kind), getattr(warm, kind)
        assert built.keys() == cached.keys()
        for name in built:
            assert dict(cached[name].locations) == dict(built[name].locations)
            assert len(cached[name].locations) > 0


def test_positions_of_several_files_or_odd_paths_are_stored_as_they_are() -> None:
    from aepflow.errors import SourceLocation
    from aepflow.model import Positions

    for table in (
        {"a": SourceLocation("f.yaml", 1, 2), "b.c": SourceLocation("f.yaml", 3, 4)},
        {"a": SourceLocation("f.yaml", 1, 2), "b": SourceLocation("g.yaml", 3, 4)},
        {"a\0b": SourceLocation("f.yaml", 1, 2)},
        {},
    ):
        again = buildcache.loads(
            buildcache.dumps(buildcache.Built(model=_model_with(Positions(table))))
        )
        assert again is not None
        assert dict(again.model.schemas["s"].locations) == table


def _model_with(positions: Any) -> Any:
    from aepflow.errors import SourceLocation
    from aepflow.model import ProjectModel, SchemaDef

    schema = SchemaDef("s", SourceLocation("f.yaml", 1, 1), positions)
    return ProjectModel(schemas={"s": schema})


def test_a_packed_position_is_found_without_unpacking_the_rest() -> None:
    from aepflow.errors import SourceLocation
    from aepflow.model import Positions

    table = {f"mappings.{i}.source": SourceLocation("f.yaml", i + 1, 7) for i in range(50)}
    table["mappings"] = SourceLocation("f.yaml", 1, 3)
    again = buildcache.loads(
        buildcache.dumps(buildcache.Built(model=_model_with(Positions(table))))
    )
    assert again is not None
    packed = again.model.schemas["s"].locations
    assert packed["mappings.10.source"] == SourceLocation("f.yaml", 11, 7)
    assert packed["mappings"] == SourceLocation("f.yaml", 1, 3)
    assert "mappings.1" not in packed and "appings.1.source" not in packed
    assert "mappings.49.source" in packed
    assert again.model.schemas["s"].at("mappings.3.source.x") == SourceLocation("f.yaml", 4, 7)
    assert packed._table is None  # nothing else was unpacked
    with pytest.raises(KeyError):
        packed["nowhere"]
    assert dict(packed) == table

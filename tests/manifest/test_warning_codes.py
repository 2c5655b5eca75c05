"""Every kind of validate warning carries its own stable code, set where the warning is made
(`validate --json` reports it; docs/warnings.md lists them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aepflow.manifest import summary
from aepflow.project import load_project
from tests.manifest.test_standard_field_groups import CONNECTION, PROJECT, pipeline

DOCS = Path(__file__).resolve().parents[2] / "docs" / "warnings.md"
BASIC = CONNECTION.replace("type: oauth2-client-credentials", "type: basic").replace(
    "      clientId: ${env:SF_CLIENT_ID}\n"
    "      clientSecret: ${env:SF_CLIENT_SECRET}\n"
    '      apiVersion: "60.0"\n',
    "      username: ${env:SF_USERNAME}\n"
    "      password: ${env:SF_PASSWORD}\n"
    "      securityToken: ${env:SF_TOKEN}\n",
)


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def codes(tmp_path: Path, text: str, connection: str = CONNECTION) -> list[tuple[str, str]]:
    """(code, message start) of every warning (its first 40 characters), with no error."""
    (tmp_path / "aepflow.yaml").write_text(PROJECT)
    (tmp_path / "manifests").mkdir(exist_ok=True)
    (tmp_path / "manifests" / "m.yaml").write_text(connection + text)
    problems, warnings, _, _ = summary(load_project(tmp_path))
    assert problems == []
    return [(w.code, w.message[:40]) for w in warnings]


def test_each_kind_of_warning_has_its_own_code(tmp_path: Path) -> None:
    unknown = "https://ns.adobe.com/xdm/mixins/profile/profile-newer-than-the-catalog"
    assert codes(tmp_path, pipeline(1, "profile", "profile-consent", None)) == [
        ("deprecated", "warning: standard field group 'profile-c")
    ]
    aircraft = pipeline(2, "aircraft", "identitymap", None)
    assert codes(tmp_path, aircraft) == [
        ("experimental", "warning: XDM class 'aircraft' is experim")
    ]
    assert codes(tmp_path, pipeline(3, "profile", unknown, None)) == [
        ("unchecked-field-group", f"warning: standard field group '{unknown}"[:40])
    ]
    newer_class = "https://ns.adobe.com/xdm/classes/newer-than-the-catalog"
    assert codes(tmp_path, pipeline(4, newer_class, "identitymap", None)) == [
        ("unchecked-class", f"warning: XDM class '{newer_class}"[:40])
    ]
    deprecated_leaf = pipeline(
        5,
        "experienceevent",
        "experienceevent-consumer",
        "placeContext.POIinteraction.POIDetail.name",
    )
    assert codes(tmp_path, deprecated_leaf) == [
        ("deprecated-field", "warning: field 'placeContext.POIinteract")
    ]
    assert codes(tmp_path, pipeline(6, "profile", "identitymap", None), BASIC) == [
        ("deprecated-auth", "warning: basic authentication to Salesfo")
    ]


def test_every_code_is_documented() -> None:
    """The codes the source sets are the ones docs/warnings.md lists, no more, no fewer."""
    root = Path(__file__).resolve().parents[2] / "aepflow"
    source = "\n".join(p.read_text() for p in root.rglob("*.py"))
    set_in_source = {
        "deprecated",
        "experimental",
        *re.findall(r'"((?:unchecked|deprecated|workflow)-[a-z-]+)"', source),
    }
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", DOCS.read_text(), re.M))
    assert documented == set_in_source

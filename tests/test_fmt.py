"""`aepflow fmt`: the canonical layout, comments kept, idempotent, never a broken file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from aepflow.cli import cli
from aepflow.fmt import format_text
from aepflow.scaffold import EXAMPLE, PROJECT

ROOT = Path(__file__).resolve().parent.parent

MESSY = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
kind: Dataflow   # the kind
apiVersion: aepflow.io/v1
# about metadata
metadata: {name: messy}
spec:
    # the schedule, hourly
    schedule: {frequency: hour, interval: 1, start: "2030-01-01T00:00:00Z"}
    mappings:
        # the id
        - {destination: "_${tenant}.servicenowId", source: sys_id}
        - destination: person.name.firstName   # first
          source: first_name
    source:
        columns: [sys_id, first_name]  # cols
        # about table
        table: sys_user   # t
    # about connection
    connection: servicenow
    schema: {title: Messy, class: profile}
    zUnknown: kept last
# end
---
spec: {name: X}
metadata: {name: other}
kind: Dataset
apiVersion: aepflow.io/v1
"""

CANONICAL = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
apiVersion: aepflow.io/v1
kind: Dataflow   # the kind
# about metadata
metadata: {name: messy}
spec:
  # about connection
  connection: servicenow
  source:
    # about table
    table: sys_user       # t
    columns: [sys_id, first_name]      # cols
  schema: {title: Messy, class: profile}
  mappings:
    # the id
    - {source: sys_id, destination: "_${tenant}.servicenowId"}
    - source: first_name
      destination: person.name.firstName       # first
  # the schedule, hourly
  schedule: {frequency: hour, interval: 1, start: "2030-01-01T00:00:00Z"}
  zUnknown: kept last
# end
---
apiVersion: aepflow.io/v1
kind: Dataset
metadata: {name: other}
spec: {name: X}
"""


def test_the_canonical_layout_orders_keys_by_schema_and_keeps_every_comment() -> None:
    out = format_text(MESSY, Path("messy.yaml"))
    assert out == CANONICAL
    assert list(yaml.safe_load_all(out)) == list(yaml.safe_load_all(MESSY))
    assert format_text(out, Path("messy.yaml")) == out


def test_every_shipped_manifest_is_already_canonical_and_formatting_is_idempotent() -> None:
    texts = {p.name: p.read_text() for p in sorted((ROOT / "manifests").glob("*.yaml"))}
    texts["init example"] = EXAMPLE
    for name, text in texts.items():
        assert format_text(text, Path("x.yaml")) == text, name
    assert format_text(PROJECT, Path("aepflow.yaml")) == PROJECT


def test_a_hash_inside_a_block_scalar_is_content_not_a_comment() -> None:
    text = (
        "apiVersion: aepflow.io/v1\nkind: Dataset\nspec:\n  description: |\n"
        "      # not a comment\n        indented more\n  name: N\nmetadata: {name: d}\n"
    )
    out = format_text(text, Path("d.yaml"))
    assert "    # not a comment\n      indented more\n" in out
    assert list(yaml.safe_load_all(out)) == list(yaml.safe_load_all(text))
    assert out.index("metadata") < out.index("spec")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["fmt", *args])
    return result.exit_code, result.stdout, result.stderr


def test_fmt_writes_lists_checks_and_never_touches_a_broken_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "aepflow.yaml").write_text(PROJECT)
    m = tmp_path / "manifests"
    m.mkdir()
    (m / "messy.yaml").write_text(MESSY)
    (m / "crlf.yaml").write_bytes(MESSY.replace("\n", "\r\n").encode())
    (m / "good.yaml").write_text(EXAMPLE)
    os.chmod(m / "messy.yaml", 0o640)
    assert _run("--check") == (
        1,
        "manifests/crlf.yaml\nmanifests/messy.yaml\n",
        "2 files not in the canonical layout: run `aepflow fmt`.\n",
    )
    assert (m / "messy.yaml").read_text() == MESSY  # --check writes nothing
    assert _run() == (0, "manifests/crlf.yaml\nmanifests/messy.yaml\n", "")
    assert (m / "messy.yaml").read_text() == CANONICAL
    assert (m / "messy.yaml").stat().st_mode & 0o777 == 0o640
    assert (m / "crlf.yaml").read_bytes() == CANONICAL.replace("\n", "\r\n").encode()
    assert (m / "good.yaml").read_text() == EXAMPLE
    assert _run("--check") == (0, "", "")
    assert _run() == (0, "", "")

    broken = "apiVersion: aepflow.io/v1\nkind: Dataset\nspec: {name: [unclosed\n"
    (m / "broken.yaml").write_text(broken)
    (m / "tab.yaml").write_text("apiVersion: aepflow.io/v1\nspec:\n\tname: x\n")
    (m / "messy2.yaml").write_text(MESSY)
    code, out, err = _run()
    assert (code, out) == (1, "manifests/messy2.yaml\n")  # the good ones are still formatted
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0] == "manifests/broken.yaml:3:14: this [ is never closed: add ']'"
    assert lines[1].startswith("manifests/tab.yaml:3:1: ")
    assert (m / "broken.yaml").read_text() == broken
    assert not [p for p in m.iterdir() if p.name.startswith(".aepflow")]
    only = _run("manifests/broken.yaml", "--check")
    assert only[0] == 1 and only[1] == ""
    missing = _run("nope.yaml")
    assert missing == (1, "", "nope.yaml:1:1: no such file or directory\n")

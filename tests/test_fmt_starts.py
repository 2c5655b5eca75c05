"""`aepflow fmt` keeps the comments at document starts (a header above a leading ``---``,
the comment on a ``---`` line), and writes a symbolic link's target, keeping the link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from aepflow.cli import cli
from aepflow.scaffold import PROJECT

DATASET = (
    "kind: Dataset\napiVersion: aepflow.io/v1\nmetadata: {name: d1}\nspec: {name: D1, schema: s1}\n"
)
CANONICAL = (
    "apiVersion: aepflow.io/v1\nkind: Dataset\nmetadata: {name: d1}\nspec: {name: D1, schema: s1}\n"
)
SECOND = DATASET.replace("d1", "d2").replace("D1", "D2")
SECOND_CANONICAL = CANONICAL.replace("d1", "d2").replace("D1", "D2")

CASES = {
    "ownership header": (
        "# Owner: team-crm (do not edit without review)\n---\n" + DATASET,
        "# Owner: team-crm (do not edit without review)\n---\n" + CANONICAL,
    ),
    "modeline": (
        "# yaml-language-server: $schema=../schemas/manifest.schema.json\n---\n" + DATASET,
        "# yaml-language-server: $schema=../schemas/manifest.schema.json\n---\n" + CANONICAL,
    ),
    "header of paragraphs, blank lines around": (
        "\n# Owner: team-crm\n\n# Reviewed by: data-eng\n\n---\n# the dataset\n" + DATASET,
        "# Owner: team-crm\n\n# Reviewed by: data-eng\n---\n# the dataset\n" + CANONICAL,
    ),
    "comments on the --- lines": (
        "--- # first doc\n" + DATASET + "--- # second doc\n# above second\n" + SECOND,
        "--- # first doc\n" + CANONICAL + "--- # second doc\n# above second\n" + SECOND_CANONICAL,
    ),
    "header, and a comment on a later ---": (
        "# header\n--- # one\n" + DATASET + "---\n" + SECOND + "---   # three\n" + DATASET,
        "# header\n--- # one\n"
        + CANONICAL
        + "---\n"
        + SECOND_CANONICAL
        + "--- # three\n"
        + CANONICAL,
    ),
    "a bare leading --- is still dropped": ("\n---\n" + DATASET, CANONICAL),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "p"
    (root / "manifests").mkdir(parents=True)
    (root / "aepflow.yaml").write_text(PROJECT)
    monkeypatch.chdir(root)
    return root


def _fmt(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["fmt", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("case", sorted(CASES))
def test_comments_at_document_starts_are_kept(project: Path, case: str) -> None:
    written, canonical = CASES[case]
    path = project / "manifests" / "m.yaml"
    path.write_text(written)
    assert _fmt() == (0, "manifests/m.yaml\n", "")
    assert path.read_text() == canonical
    assert _fmt("--check") == (0, "", "")


def test_a_canonical_file_with_a_header_passes_check_untouched(project: Path) -> None:
    path = project / "manifests" / "m.yaml"
    text = "# Owner: team-crm\n---\n" + CANONICAL + "--- # second\n" + SECOND_CANONICAL
    path.write_text(text)
    assert _fmt("--check") == (0, "", "")
    assert _fmt() == (0, "", "")
    assert path.read_text() == text


def test_a_symlinked_manifest_is_formatted_through_the_link(project: Path) -> None:
    shared = project.parent / "shared"
    shared.mkdir()
    (shared / "ds.yaml").write_text(DATASET)
    os.chmod(shared / "ds.yaml", 0o640)
    link = project / "manifests" / "ds.yaml"
    link.symlink_to(Path("..", "..", "shared", "ds.yaml"))
    assert _fmt("--check") == (
        1,
        "manifests/ds.yaml\n",
        "1 file not in the canonical layout: run `aepflow fmt`.\n",
    )
    assert _fmt() == (0, "manifests/ds.yaml\n", "")
    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("..", "..", "shared", "ds.yaml")
    assert (shared / "ds.yaml").read_text() == CANONICAL
    assert (shared / "ds.yaml").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in shared.iterdir()) == ["ds.yaml"]  # no temporary file left
    assert _fmt("--check") == (0, "", "")


LOSES = {
    "after a %YAML directive": ("%YAML 1.2\n# Owner: team-crm\n---\n" + DATASET, 2),
    "after a document end": (DATASET + "...\n# second: team-x\n---\n" + SECOND, 6),
    "trailing after a document end": (DATASET + "...\n# trailing\n", 6),
}


@pytest.mark.parametrize("case", sorted(LOSES))
def test_a_comment_fmt_cannot_keep_leaves_the_file_alone(project: Path, case: str) -> None:
    """fmt keeps every comment, or refuses to touch the file (positioned at the comment)."""
    written, line = LOSES[case]
    path = project / "manifests" / "m.yaml"
    path.write_text(written)
    comment = written.splitlines()[line - 1]
    code, out, err = _fmt()
    assert (code, out) == (1, "")
    assert err == (
        f"manifests/m.yaml:{line}:1: fmt cannot keep the comment {comment!r} where it stands "
        "(after a %YAML directive or a '...' document end, or inside [ ] or { } over several "
        "lines); the file is left as is: move the comment next to a key\n"
    )
    assert path.read_text() == written

"""The CI workflow's variables between marked lines: rewritten in place, byte for byte."""

from __future__ import annotations

from pathlib import Path

import yaml

from aepflow.scaffold import workflow
from aepflow.workflow import WORKFLOW, missing_variables, passed_variables, sync_variables


def _project(tmp_path: Path, text: str) -> Path:
    (tmp_path / WORKFLOW).parent.mkdir(parents=True)
    (tmp_path / WORKFLOW).write_bytes(text.encode())
    return tmp_path


def test_sync_rewrites_only_the_marked_lines_and_is_idempotent(tmp_path: Path) -> None:
    original = workflow("prod", [], "git+https://example.invalid/x@1")
    assert "  # aepflow: variables begin\n  # (none yet)\n  # aepflow: variables end\n" in original
    root = _project(tmp_path, original)
    assert sync_variables(root, ["SF_TOKEN", "SF_USER", "SF_TOKEN"]) is True
    synced = (root / WORKFLOW).read_text()
    assert synced == original.replace(
        "  # (none yet)\n",
        "  SF_TOKEN: ${{ secrets.SF_TOKEN }}\n  SF_USER: ${{ secrets.SF_USER }}\n",
    )
    assert sync_variables(root, ["SF_USER", "SF_TOKEN"]) is False  # already in sync
    assert (root / WORKFLOW).read_text() == synced
    assert {"SF_TOKEN", "SF_USER"} <= (passed_variables(synced) or set())
    assert yaml.safe_load(synced)["env"]["SF_USER"] == "${{ secrets.SF_USER }}"
    assert sync_variables(root, []) is True
    assert (root / WORKFLOW).read_text() == original
    assert workflow("prod", ["SF_TOKEN", "SF_USER"], "git+https://example.invalid/x@1") == synced


def test_sync_keeps_user_edits_crlf_and_indentation_and_leaves_unmarked_files(
    tmp_path: Path,
) -> None:
    text = (
        "# mine\r\nenv:\r\n    KEEP: 1   # a comment\r\n    # aepflow: variables begin\r\n"
        "    OLD: ${{ secrets.OLD }}\r\n    # aepflow: variables end\r\n    AFTER: x\r\njobs: {}\r\n"
    )
    root = _project(tmp_path, text)
    assert sync_variables(root, ["NEW"]) is True
    assert (root / WORKFLOW).read_bytes() == text.replace(
        "OLD: ${{ secrets.OLD }}", "NEW: ${{ secrets.NEW }}"
    ).encode()
    unmarked = tmp_path / "u"
    _project(unmarked, "env:\n  A: 1\n")
    assert sync_variables(unmarked, ["B"]) is False
    assert (unmarked / WORKFLOW).read_text() == "env:\n  A: 1\n"
    assert sync_variables(tmp_path / "none", ["B"]) is False
    assert not (tmp_path / "none" / WORKFLOW).exists()


def test_missing_variables_counts_workflow_job_and_step_env(tmp_path: Path) -> None:
    text = (
        "env:\n  # aepflow: variables begin\n  A: x\n  # aepflow: variables end\n"
        "jobs:\n  plan:\n    env: {B: y}\n    steps:\n      - env: {C: z}\n        run: echo\n"
    )
    root = _project(tmp_path, text)
    assert missing_variables(root, ["A", "B", "C", "D", "E"]) == (["D", "E"], 2, 3)
    (root / WORKFLOW).write_text("env: [unclosed\n")
    assert missing_variables(root, ["D"]) == ([], 1, 1)  # not a workflow it can read

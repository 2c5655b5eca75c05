"""The layering the README describes, checked on the imports themselves.

Most rules are ruff bans (the ``ruff.toml`` of each layer folder); these are the ones a
folder-wide ban cannot say.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "aepflow"


def imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_the_planner_imports_no_io_module() -> None:
    """Pure: the plan model, the diff, the graph and the kinds; no lock file, no reads."""
    found = {m for m in imports(ROOT / "engine" / "planner.py") if m.startswith("aepflow")}
    assert found == {
        "aepflow.api",
        "aepflow.engine.diff",
        "aepflow.engine.plan",
        "aepflow.errors",
        "aepflow.graph",
        "aepflow.hints",
        "aepflow.kinds",
        "aepflow.kinds.base",
        "aepflow.kinds.connection",
    }


def test_no_module_imports_aepflow_inside_a_function_except_the_command_line() -> None:
    """The command line defers imports so that ``aepflow --help`` stays fast; nothing else
    may import inside a function (it would hide a cycle between layers)."""
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if "cli" in path.relative_to(ROOT).parts:
            continue
        tree = ast.parse(path.read_text())
        top = imports(path, top_level_only=True)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = {
                    n.module
                    for n in ast.walk(node)
                    if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("aepflow")
                }
                if inner - top:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_no_module_is_over_500_lines() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in ROOT.rglob("*.py")}
    assert {p: n for p, n in sizes.items() if n > 500} == {}


def test_every_kind_is_one_module_in_the_registry() -> None:
    from aepflow.kinds import KINDS

    modules = {p.stem for p in (ROOT / "kinds").glob("*.py")} - {
        "__init__",
        "base",
        "flowservice",
        "schemaregistry",
    }
    owners = {type(k).__module__.rsplit(".", 1)[1] for k in KINDS.values()}
    assert owners == modules
    assert list(KINDS) == [
        "connection",
        "sourceConnection",
        "fieldGroup",
        "schema",
        "descriptor",
        "profile",
        "dataset",
        "targetConnection",
        "mappingSet",
        "flow",
    ]


def test_the_data_prep_evaluator_is_pure_and_shared() -> None:
    """One evaluator for validate, preview and the emulator: it imports nothing of aepflow but
    itself and does no I/O, so the emulator may use it without reaching the client side."""
    found: set[str] = set()
    for path in sorted((ROOT / "dataprep").glob("*.py")):
        found |= imports(path)
    assert {m for m in found if m.startswith("aepflow")} <= {
        f"aepflow.dataprep{suffix}"
        for suffix in (
            "",
            ".dates",
            ".datefuncs",
            ".evaluate",
            ".parser",
            ".records",
            ".registry",
            ".strings",
            ".structures",
        )
    }
    assert not found & {"httpx", "os", "pathlib", "socket", "subprocess", "io"}
    users = {
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        if p.relative_to(ROOT).parts[0] != "dataprep"
        and ("aepflow.dataprep" in imports(p) or "from aepflow import dataprep" in p.read_text())
    }
    assert {"emulator/dataprep.py", "manifest/expressions.py", "preview.py"} <= users

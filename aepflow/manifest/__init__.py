"""Manifests: find, read, check and turn into the typed ProjectModel.

``validate`` reports every problem at once; ``load_model`` raises ManifestError with all of
them, or VariableError for a variable a plan or apply needs but the environment lacks.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aepflow.errors import Diagnostic, ManifestError, SourceLocation, VariableError
from aepflow.manifest import xdm
from aepflow.manifest.build import Builder
from aepflow.manifest.cache import ManifestCache
from aepflow.manifest.files import display, manifest_files
from aepflow.manifest.yamlload import load_bytes, read_file
from aepflow.model import ProjectModel

if TYPE_CHECKING:
    from aepflow.project import Environment, Project

__all__ = ["load_model", "manifest_files", "required_env", "summary", "validate"]


# The last build's key and builder, for ``required_env`` right after it (validate, plan):
# what ${env:...} the manifests read does not depend on the values, so a command reads its
# thousand manifests once, not twice. Used once, and only for the very same inputs.
_last: tuple[tuple[object, ...], Builder] | None = None


def _key(
    project: Project, env: Environment, paths: Sequence[Path], digest: bytes
) -> tuple[object, ...]:
    return (
        os.getcwd(),
        str(project.root),
        tuple(sorted((k, repr(v)) for k, v in env.variables.items())),
        tuple(str(p) for p in paths),
        digest,
        id(xdm.catalog()),
        xdm.generation,
    )


def _build(
    project: Project,
    environment: Environment | None,
    paths: Sequence[Path] | None,
    environ: Mapping[str, str] | None,
    *,
    reuse: bool = False,
) -> tuple[Builder, int]:
    global _last
    env = environment or project.environment(None)
    chosen = list(paths) if paths else [project.manifests_dir]
    files, problems = manifest_files(chosen)
    digest = hashlib.blake2b(digest_size=32)
    contents: list[tuple[str, bytes | None, list[Diagnostic]]] = []
    for path in files:
        shown = display(path)
        raw, unread = read_file(path, shown)
        digest.update(b"%d:%s\0%d:" % (len(shown), shown.encode(), -1 if raw is None else len(raw)))
        digest.update(raw or b"")
        contents.append((shown, raw, unread))
    key = _key(project, env, chosen, digest.digest() + repr(problems).encode())
    # Offline (no environment values): a value read from the environment can change what
    # the checks find, so only an offline build stands in for another.
    offline = environ is None or (type(environ) is dict and not environ)
    last, _last = _last, None
    if reuse and offline and last is not None and last[0] == key:
        return last[1], 0
    builder = Builder(env.variables, environ)
    builder.problems.extend(problems)
    count = 0
    cache = ManifestCache.open(project.root)
    for shown, raw, unread in contents:
        if raw is None:
            docs, problems = [], unread
        else:
            cached = cache.get(shown, raw)
            if cached is not None:
                docs, problems = cached, []
            else:
                docs, problems = load_bytes(raw, shown)
                if not problems:
                    cache.put(shown, raw, docs)
        builder.problems.extend(problems)
        for doc in docs:
            count += 1
            builder.add(doc)
    cache.save(prune=not paths)
    if not builder.problems:
        builder.check()
    if offline:
        _last = (key, builder)
    return builder, count


def validate(
    project: Project, paths: Sequence[Path] | None = None, environment: Environment | None = None
) -> list[Diagnostic]:
    """Every problem in the manifests, sorted by position. Needs no secrets."""
    builder, _ = _build(project, environment, paths, None)
    return sorted(builder.problems)


def summary(
    project: Project, paths: Sequence[Path] | None = None, environment: Environment | None = None
) -> tuple[list[Diagnostic], list[Diagnostic], ProjectModel, int]:
    """(problems, warnings, model, documents read)."""
    builder, count = _build(project, environment, paths, None)
    return sorted(builder.problems), sorted(builder.warnings), builder.model, count


def required_env(
    project: Project, environment: Environment | None = None
) -> list[tuple[str, SourceLocation]]:
    """Every environment variable the manifests read (``${env:NAME}``), first use each.

    Raises ManifestError when a manifest cannot be read or checked: its variables would be
    missing from the list, which would then look complete and be wrong. A project with no
    manifest yet (just made by ``init --no-example``, before ``import``) needs none."""
    if no_manifests_yet(project):
        return []
    builder, _ = _build(project, environment, None, None, reuse=True)
    if builder.problems:
        raise ManifestError(builder.problems)
    first: dict[str, SourceLocation] = {}
    for name, at, _owner in sorted(builder.env_used, key=lambda t: (t[1], t[0])):
        first.setdefault(name, at)
    return sorted(first.items())


def no_manifests_yet(project: Project) -> bool:
    """The manifests folder exists and holds no manifest (*.yaml, *.yml) at all."""
    folder = project.manifests_dir
    return folder.is_dir() and not any(p.suffix in (".yaml", ".yml") for p in folder.rglob("*"))


def load_model(
    project: Project,
    environment: Environment | None = None,
    *,
    paths: Sequence[Path] | None = None,
    secrets: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ProjectModel:
    source = (os.environ if environ is None else environ) if secrets else None
    builder, _ = _build(project, environment, paths, source)
    if builder.problems:
        raise ManifestError(builder.problems)
    if builder.missing_env:
        lines = [
            f"{at}: environment variable {name} is not set (used by {owner})"
            for name, at, owner in sorted(builder.missing_env, key=lambda t: (t[1], t[0]))
        ]
        raise VariableError("\n".join(lines))
    return builder.model

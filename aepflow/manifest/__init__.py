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

from aepflow.catalog.xdm import catalog as shipped_catalog
from aepflow.errors import Diagnostic, ManifestError, SourceLocation, VariableError
from aepflow.manifest import buildcache, xdm
from aepflow.manifest.build import Builder
from aepflow.manifest.buildcache import Built
from aepflow.manifest.cache import ManifestCache
from aepflow.manifest.files import display, manifest_files
from aepflow.manifest.variables import bind_secrets
from aepflow.manifest.yamlload import load_bytes, read_file
from aepflow.model import ProjectModel

if TYPE_CHECKING:
    from aepflow.project import Environment, Project

__all__ = ["load_model", "manifest_files", "required_env", "summary", "validate"]


# The last build's key and result, for ``required_env`` right after it (validate, plan): what
# ${env:...} the manifests read does not depend on the values, so a command reads its
# thousand manifests once, not twice. Used once, and only for the very same inputs.
_last: tuple[tuple[bytes, tuple[int, int]], Built] | None = None


def _build(
    project: Project,
    environment: Environment | None,
    paths: Sequence[Path] | None,
    *,
    reuse: bool = False,
) -> Built:
    """The offline build of the manifests (no value from the environment): from this
    process's last build, else from the project's build cache, else built."""
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
    inputs = buildcache.inputs_of(
        {
            "cwd": os.getcwd(),
            "root": str(project.root),
            "variables": sorted((k, repr(v)) for k, v in env.variables.items()),
            "paths": [str(p) for p in chosen],
            "files": digest.hexdigest(),
            "problems": repr(problems),
        }
    )
    # What this process knows of XDM: the shipped catalog, or a stand-in (a test), plus what
    # a run read from a sandbox (``xdm.learn``), which lives in this process only. A build
    # made with more than the shipped catalog is neither taken from the disk nor stored there.
    knowledge = (id(xdm.catalog()), xdm.generation)
    shipped = xdm.pristine() and xdm.catalog() is shipped_catalog()
    last, _last = _last, None
    if reuse and last is not None and last[0] == (inputs, knowledge):
        return last[1]
    built = buildcache.get(project.root, inputs) if shipped else None
    if built is None:
        built = _build_now(project, env, contents, problems, prune=not paths)
        if shipped and not built.problems:  # as the per-file cache: a problem is found anew
            buildcache.put(project.root, inputs, built)
    _last = ((inputs, knowledge), built)
    return built


def _build_now(
    project: Project,
    env: Environment,
    contents: list[tuple[str, bytes | None, list[Diagnostic]]],
    problems: list[Diagnostic],
    *,
    prune: bool,
) -> Built:
    builder = Builder(env.variables, None)
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
    cache.save(prune=prune)
    if not builder.problems:
        builder.check()
    return Built(
        builder.problems,
        builder.warnings,
        builder.model,
        builder.env_used,
        builder.raw_auth,
        count,
    )


def validate(
    project: Project, paths: Sequence[Path] | None = None, environment: Environment | None = None
) -> list[Diagnostic]:
    """Every problem in the manifests, sorted by position. Needs no secrets."""
    return sorted(_build(project, environment, paths).problems)


def summary(
    project: Project, paths: Sequence[Path] | None = None, environment: Environment | None = None
) -> tuple[list[Diagnostic], list[Diagnostic], ProjectModel, int]:
    """(problems, warnings, model, documents read)."""
    built = _build(project, environment, paths)
    return sorted(built.problems), sorted(built.warnings), built.model, built.documents


def required_env(
    project: Project, environment: Environment | None = None
) -> list[tuple[str, SourceLocation]]:
    """Every environment variable the manifests read (``${env:NAME}``), first use each.

    Raises ManifestError when a manifest cannot be read or checked: its variables would be
    missing from the list, which would then look complete and be wrong. A project with no
    manifest yet (just made by ``init --no-example``, before ``import``) needs none."""
    if no_manifests_yet(project):
        return []
    built = _build(project, environment, None, reuse=True)
    if built.problems:
        raise ManifestError(built.problems)
    first: dict[str, SourceLocation] = {}
    for name, at, _owner in sorted(built.env_used, key=lambda t: (t[1], t[0])):
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
    env = environment or project.environment(None)
    built = _build(project, env, paths)
    if built.problems:
        raise ManifestError(built.problems)
    if not secrets:
        return built.model
    source = os.environ if environ is None else environ
    model, missing = bind_secrets(built.model, built.raw_auth, env.variables, source)
    if missing:
        lines = [
            f"{at}: environment variable {name} is not set (used by {owner})"
            for name, at, owner in sorted(missing, key=lambda t: (t[1], t[0]))
        ]
        raise VariableError("\n".join(lines))
    return model

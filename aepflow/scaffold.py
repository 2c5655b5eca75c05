"""``aepflow init`` and ``aepflow schemas``: a new project's files, never overwriting one.

``init`` writes the project file (the embedded ``local`` environment plus one real sandbox),
one example manifest, a ``.gitignore``, editor settings that map the JSON Schemas onto every
manifest (so each document of a multi-document file validates in yaml-language-server, not
only the first one a ``$schema`` comment reaches), the JSON Schemas themselves and the CI
workflow.
"""

from __future__ import annotations

import contextlib
import json
import os
from importlib import metadata, resources
from pathlib import Path

from aepflow.errors import UsageError
from aepflow.manifest.schema import schema_dir
from aepflow.workflow import variable_lines

PLACEHOLDER_INSTALL = "git+https://github.com/YOUR-ORG/aepflow@PINNED-COMMIT"

PROJECT = """\
# yaml-language-server: $schema=schemas/project.schema.json
version: 1
manifests: manifests
defaultEnvironment: local
variables: {scheduleStart: "2030-01-01T00:00:00Z"}
environments:
  local: {type: embedded, sandbox: prod}     # the embedded emulator: no Adobe account needed
  prod:
    type: aep
    sandbox: prod
    orgId: YOUR-ORG-ID@AdobeOrg               # or AEP_ORG_ID in the environment
"""

EXAMPLE = """\
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: servicenow}
spec:
  connector: servicenow
  auth:
    type: basic
    params:
      endpoint: https://example.service-now.com
      username: ${env:SERVICENOW_USERNAME}
      password: ${env:SERVICENOW_PASSWORD}
---
apiVersion: aepflow.io/v1
kind: Dataflow
metadata: {name: servicenow-users}
spec:
  connection: servicenow
  source:
    table: sys_user
    columns: [sys_id, first_name, last_name, email, sys_updated_on]
  schema:
    title: ServiceNow Users
    class: profile
    fieldGroups: [profile-person-details, profile-personal-details]
    customFields:
      servicenowId: {type: string, title: ServiceNow id}
    identities:
      - {field: personalEmail.address, namespace: Email, primary: true}
  dataset: {name: ServiceNow Users}
  mappings:
    - {source: sys_id, destination: "_${tenant}.servicenowId"}
    - {source: first_name, destination: person.name.firstName}
    - {source: last_name, destination: person.name.lastName}
    - {source: email, destination: personalEmail.address}
  deltaColumn: {name: sys_updated_on}
  schedule: {frequency: hour, interval: 1, start: "${var.scheduleStart}"}
"""

GITIGNORE = """\
# aepflow: the embedded emulator's state and its locks stay local; locks/ is committed.
.aepflow/
"""

ENV_VARIABLES = ("SERVICENOW_USERNAME", "SERVICENOW_PASSWORD")


def install_spec() -> str:
    """How CI installs this very aepflow: its VCS origin when it was installed from one
    (PEP 610), else a placeholder the user pins."""
    try:
        raw = metadata.distribution("aepflow").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return PLACEHOLDER_INSTALL
    data = json.loads(raw) if raw else {}
    vcs = data.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and vcs.get("commit_id") and data.get("url"):
        return f"git+{data['url']}@{vcs['commit_id']}"
    return PLACEHOLDER_INSTALL


def workflow(environment: str, variables: list[str], install: str) -> str:
    """The CI workflow: plan on pull requests, apply the reviewed plan on merge; the
    variables between its markers are kept in sync later by ``aepflow.workflow``."""
    text = resources.files("aepflow").joinpath("templates/aepflow.yml").read_text("utf-8")
    return (
        text.replace("__INSTALL__", install)
        .replace("__ENV__\n", variable_lines(variables))
        .replace("__ENVIRONMENT__", environment)
    )


def editor_settings() -> str:
    """VS Code's yaml-language-server: every manifest document against the manifest schema."""
    settings = {
        "yaml.schemas": {
            "./schemas/manifest.schema.json": ["manifests/**/*.yaml", "manifests/**/*.yml"],
            "./schemas/project.schema.json": ["aepflow.yaml"],
        }
    }
    return json.dumps(settings, indent=2) + "\n"


def write_schemas(folder: Path, *, force: bool = False) -> list[tuple[Path, str]]:
    """The JSON Schemas, for editors and CI outside this repository: (path, what happened).

    Without ``force`` nothing is written when any of them exists; with it, aepflow's own
    schema files are refreshed (after an upgrade) and no other file is touched."""
    files: dict[Path, str] = {
        folder / source.name: source.read_text(encoding="utf-8")
        for source in sorted(schema_dir().glob("*.schema.json"))
    }
    if not force:
        for path in files:
            if path.exists() or path.is_symlink():
                raise UsageError(
                    f"{path} already exists: aepflow schemas never overwrites a file; run "
                    "`aepflow schemas --force` to refresh aepflow's own schema files (after "
                    "an upgrade), or choose another folder"
                )
    return _write_all(files, {}, replace_existing=force)


def init(
    folder: Path, install: str | None = None, *, example: bool = True
) -> list[tuple[Path, str]]:
    """Every file of a new project, as (path, what happened): ``created``, ``merged`` (aepflow's
    lines added to an existing ``.gitignore`` or editor settings) or ``unchanged`` (they were
    there already). Nothing is written when any other file exists, or when any file cannot be
    written: every target is checked first, written to a temporary file, then renamed into
    place, and what was written is rolled back on a failure. Without the example,
    ``manifests/`` starts empty (for ``aepflow import --all``)."""
    manifest = ("servicenow-users.yaml", EXAMPLE) if example else (".gitkeep", "")
    files = {
        folder / "aepflow.yaml": PROJECT,
        folder / "manifests" / manifest[0]: manifest[1],
        folder / ".github" / "workflows" / "aepflow.yml": workflow(
            "prod", list(ENV_VARIABLES) if example else [], install or install_spec()
        ),
    }
    files.update(
        (folder / "schemas" / p.name, p.read_text(encoding="utf-8"))
        for p in sorted(schema_dir().glob("*.schema.json"))
    )
    merged: dict[Path, str] = {}
    for path, text, merge in (
        (folder / ".gitignore", GITIGNORE, _merge_gitignore),
        (folder / ".vscode" / "settings.json", editor_settings(), _merge_settings),
    ):
        if path.is_file() and not path.is_symlink():
            merged[path] = merge(path)
        else:
            files[path] = text
    for path in files:
        _refuse_overwrite(path)
    return _write_all(files, merged, replace_existing=False)


def _merge_gitignore(path: Path) -> str:
    """The existing .gitignore with aepflow's lines appended, once."""
    existing = _read(path)
    lines = {line.strip() for line in existing.splitlines()}
    missing = [
        line
        for line in GITIGNORE.splitlines()
        if line.strip() and not line.startswith("#") and line.strip() not in lines
    ]
    if not missing:
        return existing
    comment = [line for line in GITIGNORE.splitlines() if line.startswith("#")]
    separator = "" if not existing or existing.endswith("\n") else "\n"
    gap = "\n" if existing.strip() else ""
    return existing + separator + gap + "\n".join(comment + missing) + "\n"


def _merge_settings(path: Path) -> str:
    """The existing editor settings with aepflow's yaml.schemas entries added, once."""
    existing = _read(path)
    try:
        data = json.loads(existing) if existing.strip() else {}
    except json.JSONDecodeError as e:
        raise UsageError(
            f"{path}:{e.lineno}:{e.colno}: not plain JSON (comments or trailing commas?), so "
            "aepflow cannot add its yaml.schemas entries safely; add them by hand (aepflow "
            "schemas prints where the schemas are) or make the file plain JSON; nothing was "
            "written"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("yaml.schemas", {}), dict):
        raise UsageError(
            f"{path}: expected a JSON object whose yaml.schemas is an object; nothing was written"
        )
    ours: dict[str, list[str]] = json.loads(editor_settings())["yaml.schemas"]
    schemas = dict(data.get("yaml.schemas", {}))
    for schema, globs in ours.items():
        present = schemas.get(schema, [])
        present = [present] if isinstance(present, str) else list(present)
        schemas[schema] = present + [g for g in globs if g not in present]
    if schemas == data.get("yaml.schemas"):
        return existing
    return json.dumps({**data, "yaml.schemas": schemas}, indent=2) + "\n"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read {path}: {reason}; nothing was written") from None


def _write_all(
    files: dict[Path, str], merged: dict[Path, str], *, replace_existing: bool
) -> list[tuple[Path, str]]:
    """Write every file or none: each to a temporary file beside it, then all renamed into
    place; on any failure, the folders and files made so far are removed and the merged
    files put back as they were."""
    outcome: list[tuple[Path, str]] = []
    made_dirs: list[Path] = []
    temps: dict[Path, Path] = {}
    done: list[tuple[Path, str | None]] = []  # (path, its previous text or None if new)
    try:
        for path, text in [*merged.items(), *files.items()]:
            before = _previous(path) if (path in merged or replace_existing) else None
            if path in merged and text == before:
                outcome.append((path, "unchanged"))
                continue
            if replace_existing and text == before:
                outcome.append((path, "unchanged"))
                continue
            for parent in reversed([path.parent, *path.parent.parents]):
                if not parent.exists():
                    parent.mkdir()
                    made_dirs.append(parent)
            temp = path.with_name(f".{path.name}.aepflow-new")
            temp.write_text(text, encoding="utf-8")
            temps[path] = temp
            if path in merged:
                action = "merged"
            elif before is not None:
                action = "updated"
            else:
                action = "created"
            outcome.append((path, action))
        for path, temp in temps.items():
            previous = _previous(path) if (path in merged or replace_existing) else None
            os.replace(temp, path)
            done.append((path, previous))
    except OSError as e:
        for temp in temps.values():
            with contextlib.suppress(OSError):
                temp.unlink()
        for path, previous in reversed(done):
            with contextlib.suppress(OSError):
                if previous is None:
                    path.unlink()
                else:
                    path.write_text(previous, encoding="utf-8")
        for folder in reversed(made_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()
        where = e.filename or next(iter(files), "")
        raise UsageError(f"cannot write {where}: {e.strerror}; nothing was written") from None
    return outcome


def _previous(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


def _refuse_overwrite(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        raise UsageError(
            f"{path} is a folder where aepflow init writes a file: move it away; nothing was "
            "written"
        )
    if path.exists() or path.is_symlink():
        raise UsageError(
            f"{path} already exists: aepflow init never overwrites a file; move it away or "
            "run init in an empty folder"
        )
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise UsageError(
                f"cannot write {path}: {parent} is a file, not a folder; nothing was written"
            )
        if parent.exists():
            break

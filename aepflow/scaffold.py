"""``aepflow init`` and ``aepflow schemas``: a new project's files, never overwriting one.

``init`` writes the project file (the embedded ``local`` environment plus one real sandbox),
one example manifest, a ``.gitignore``, editor settings that map the JSON Schemas onto every
manifest (so each document of a multi-document file validates in yaml-language-server, not
only the first one a ``$schema`` comment reaches), the JSON Schemas themselves and the CI
workflow.
"""

from __future__ import annotations

import json
import shutil
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


def write_schemas(folder: Path) -> list[Path]:
    """The JSON Schemas, for editors and CI outside this repository."""
    written = []
    for source in sorted(schema_dir().glob("*.schema.json")):
        target = folder / source.name
        _refuse_overwrite(target)
        written.append(target)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for source, target in zip(sorted(schema_dir().glob("*.schema.json")), written, strict=True):
            shutil.copyfile(source, target)
    except OSError as e:
        raise UsageError(f"cannot write {e.filename or folder}: {e.strerror}") from None
    return written


def init(folder: Path, install: str | None = None, *, example: bool = True) -> list[Path]:
    """Every file of a new project; nothing is written when any of them exists. Without the
    example, ``manifests/`` starts empty (for ``aepflow import --all``)."""
    manifest = ("servicenow-users.yaml", EXAMPLE) if example else (".gitkeep", "")
    files = {
        folder / "aepflow.yaml": PROJECT,
        folder / "manifests" / manifest[0]: manifest[1],
        folder / ".gitignore": GITIGNORE,
        folder / ".vscode" / "settings.json": editor_settings(),
        folder / ".github" / "workflows" / "aepflow.yml": workflow(
            "prod", list(ENV_VARIABLES) if example else [], install or install_spec()
        ),
    }
    schemas = [folder / "schemas" / p.name for p in sorted(schema_dir().glob("*.schema.json"))]
    for path in [*files, *schemas]:
        _refuse_overwrite(path)
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return [*files, *write_schemas(folder / "schemas")]
    except OSError as e:
        raise UsageError(f"cannot write {e.filename or folder}: {e.strerror}") from None


def _refuse_overwrite(path: Path) -> None:
    if path.exists() or path.is_symlink():
        raise UsageError(
            f"{path} already exists: aepflow init never overwrites a file; move it away or "
            "run init in an empty folder"
        )

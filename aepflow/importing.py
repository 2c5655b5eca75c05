"""Bringing objects made outside aepflow under management: ``aepflow import --flow ID`` /
``--all`` (whole pipelines, manifests written) and ``aepflow import ADDRESS ID`` (one object
under a manifest's address). Use cases on top of the composition root (``workspace``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from aepflow.engine.lockfile import LockWriter
from aepflow.engine.moves import KINDS_OF
from aepflow.engine.plan import LockEntry
from aepflow.errors import LockfileError, UsageError
from aepflow.import_run import ImportResult, import_pipelines
from aepflow.kinds import KINDS, desired_resources
from aepflow.kinds.base import Resource
from aepflow.manifest import load_model, manifest_files, required_env
from aepflow.model import ProjectModel
from aepflow.platform.client import ENV_VARS
from aepflow.project import load_project
from aepflow.state import holding
from aepflow.workflow import WORKFLOW, sync_variables
from aepflow.workspace import Workspace, platform_client


def import_flows(
    environment: str | None,
    flow_ids: Sequence[str],
    everything: bool,
    timeout: float,
    on_takeover: Callable[[str], None],
) -> ImportResult:
    """``aepflow import --flow ID`` / ``--all``, under the apply lock."""
    project = load_project()
    env = project.environment(environment)
    # The names already taken (secrets not needed); a project may have no manifests yet.
    files, _ = manifest_files([project.manifests_dir])
    model = load_model(project, env) if files else ProjectModel()
    taken = {
        "Connection": set(model.connections),
        "Schema": set(model.schemas),
        "Dataset": set(model.datasets),
        "Dataflow": set(model.dataflows),
    }
    client = platform_client(env, os.environ)
    manifest_kind = {k: m for m, kinds in KINDS_OF.items() for k in kinds}
    try:
        with holding(env, timeout, on_takeover) as lock:
            for address in lock.resources:  # a name the lock records is taken too
                kind, _, rest = address.partition(".")
                taken.setdefault(manifest_kind.get(kind, kind), set()).add(rest.split(".")[0])
            writer = LockWriter(lock, env.lock_path)

            def baseline() -> Mapping[str, Resource]:
                """What the manifests now describe: the imported objects' last-applied hashes."""
                return desired_resources(load_model(project, env), client.tenant_id())

            try:
                result = import_pipelines(
                    client,
                    lock,
                    writer,
                    project.manifests_dir,
                    taken,
                    list(flow_ids),
                    everything,
                    baseline,
                )
            finally:
                writer.close()
    finally:
        client.close()
    if result.files:  # the CI workflow passes every variable the manifests now read
        names = [n for n, _ in required_env(project, env)]
        if sync_variables(project.root, names):
            result.notes.append(f"{WORKFLOW} now passes the variables the manifests read")
    return result


def env_names(environment: str | None) -> list[str]:
    """The environment variables a CI job needs for this environment, in order: the AEP
    credentials (not for the embedded emulator), then every ``${env:...}`` the manifests
    read, sorted. The list `doctor --env-list` prints; call it after an import to sync a
    workflow."""
    project = load_project()
    env = project.environment(environment)
    names = [] if env.type == "embedded" else list(ENV_VARS)
    return list(dict.fromkeys([*names, *(n for n, _ in required_env(project, env))]))


def import_resource(ws: Workspace, address: str, id: str) -> LockEntry:
    """Record an existing platform object as the resource at ``address``."""
    kind = address.split(".", 1)[0]
    if kind not in KINDS:
        raise UsageError(
            f"{address!r} is not a resource address: use KIND.NAME with KIND one of "
            + ", ".join(KINDS)
        )
    r = ws.desired.get(address)
    if r is None:
        known = ", ".join(sorted(a for a in ws.desired if a.startswith(kind + "."))) or "none"
        raise UsageError(
            f"{address} is not in the manifests: write its manifest first, then import "
            f"(addresses of kind {kind}: {known})"
        )
    if address in ws.lock.resources:
        raise LockfileError(
            f"{address} is already in the lock as {ws.lock.resources[address].id}; "
            "remove it from the lock file first to import another object"
        )
    owner = next(
        (
            a
            for a, e in ws.lock.resources.items()
            if e.id == id and KINDS[kind].facet_of != e.kind and KINDS[e.kind].facet_of != kind
        ),
        None,
    )  # a schema and its place in the Profile union share one id: not two owners
    if owner is not None:
        raise LockfileError(
            f"{id} is already in the lock as {owner}; one object cannot be two resources "
            f"(`{ws.hint('state rm', owner)}` first if the lock is wrong)"
        )
    obj = KINDS[kind].read(ws.client, id)
    if obj is None:
        raise UsageError(f"no {kind} with id {id} exists in sandbox {ws.env.sandbox}")
    entry = LockEntry(
        id=obj.id,
        kind=kind,
        hash=None,
        depends_on=r.depends_on,
        version=obj.version,
        protect=r.protect,
    )
    writer = LockWriter(ws.lock, ws.env.lock_path)
    writer.put(address, entry)
    writer.close()
    return entry

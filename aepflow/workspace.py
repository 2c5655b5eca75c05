"""The composition root: one command run's project, environment, manifests, lock and client.

The only module that wires the layers together: it loads the manifests, reads the lock,
builds the Platform client with the right transport (the embedded emulator or the network)
and hands them to the engine. Commands call these functions in order; every piece below
stays independent of the others.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aepflow import emulator
from aepflow.engine import lockfile
from aepflow.engine.applylock import apply_lock
from aepflow.engine.executor import ApplyResult, Executor, Reporter
from aepflow.engine.live import read_live
from aepflow.engine.lockfile import LockWriter
from aepflow.engine.plan import Lock, LockEntry, Plan
from aepflow.engine.planner import build_plan
from aepflow.errors import LockfileError, StalePlanError, UsageError
from aepflow.kinds import KINDS, desired_resources
from aepflow.kinds.base import Resource
from aepflow.manifest import load_model
from aepflow.platform import Credentials, PlatformClient
from aepflow.platform.client import DEFAULT_IMS_URL, DEFAULT_PLATFORM_URL
from aepflow.project import Environment, Project, load_project

PLAN_FILE_VERSION = 1


class EmbeddedEnviron(Mapping[str, str]):
    """The process environment, with a placeholder for any unset variable.

    Only for the embedded emulator: a fresh project applies its examples with no real
    credentials. Never used for a real sandbox.
    """

    def __init__(self, base: Mapping[str, str]) -> None:
        self.base = base

    def __getitem__(self, key: str) -> str:
        return self.base.get(key, f"emulator-placeholder-{key.lower()}")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)


@dataclass
class Workspace:
    project: Project
    env: Environment
    paths: list[Path]
    desired: dict[str, Resource]
    lock: Lock
    client: PlatformClient
    tenant: str
    parallelism: int = 10

    def close(self) -> None:
        self.client.close()


def open_workspace(
    environment: str | None,
    paths: Sequence[Path] = (),
    *,
    project_dir: Path | None = None,
    parallelism: int = 10,
    environ: Mapping[str, str] | None = None,
) -> Workspace:
    """Load and validate the manifests (with secrets), then connect to the environment."""
    base_environ = os.environ if environ is None else environ
    project = load_project(project_dir)
    env = project.environment(environment)
    model_environ = EmbeddedEnviron(base_environ) if env.type == "embedded" else base_environ
    chosen = list(paths) or [project.manifests_dir]
    # Invalid manifests stop here, before any request reaches the platform.
    model = load_model(project, env, paths=chosen, secrets=True, environ=model_environ)
    lock = lockfile.load(env.lock_path, env.name, env.sandbox)
    client = platform_client(env, base_environ)
    try:
        tenant = client.tenant_id()
    except BaseException:
        client.close()
        raise
    desired = desired_resources(model, tenant)
    return Workspace(project, env, chosen, desired, lock, client, tenant, parallelism)


@contextlib.contextmanager
def locked(
    ws: Workspace, timeout: float, on_takeover: Callable[[str], None]
) -> Iterator[None]:
    """Hold the environment's apply lock; the lock file is read again once it is held, so
    what another apply recorded while this one waited is planned from, never overwritten."""
    path = ws.project.root / ".aepflow" / "locks" / f"{ws.env.name}.apply-lock"
    with apply_lock(path, ws.env.name, timeout=timeout, on_takeover=on_takeover):
        ws.lock = lockfile.load(ws.env.lock_path, ws.env.name, ws.env.sandbox)
        yield


def embedded(state_dir: Path) -> emulator.Emulator:
    """The embedded emulator; a bad AEPFLOW_EMULATOR_* knob is a usage error."""
    try:
        return emulator.Emulator(state_dir)
    except emulator.SettingsError as e:
        raise UsageError(str(e)) from None


def platform_client(env: Environment, environ: Mapping[str, str]) -> PlatformClient:
    """The client for an environment: the embedded emulator as its transport, or the network
    with the AEP_* credentials from the environment."""
    if env.type == "embedded":
        return PlatformClient(
            credentials=Credentials(
                emulator.DEFAULT_CLIENT_ID,
                emulator.DEFAULT_CLIENT_SECRET,
                emulator.DEFAULT_ORG_ID,
                "openid,AdobeID,read_organizations",
            ),
            sandbox=env.sandbox,
            platform_url=emulator.EMBEDDED_BASE_URL,
            ims_url=emulator.EMBEDDED_IMS_URL,
            transport=embedded(env.state_dir).transport(),
        )
    return PlatformClient(
        credentials=Credentials.from_env(environ, org_id=env.org_id),
        sandbox=env.sandbox,
        platform_url=environ.get("AEPFLOW_PLATFORM_URL")
        or env.platform_url
        or DEFAULT_PLATFORM_URL,
        ims_url=environ.get("AEPFLOW_IMS_URL") or env.ims_url or DEFAULT_IMS_URL,
    )


def make_plan(ws: Workspace, *, allow_data_loss: bool = False, destroy: bool = False) -> Plan:
    live = read_live(ws.client, ws.desired, ws.lock, parallelism=ws.parallelism)
    return build_plan(
        ws.desired,
        ws.lock,
        live,
        now=time.time(),
        tenant=ws.tenant,
        allow_data_loss=allow_data_loss,
        destroy=destroy,
    )


def apply_plan(ws: Workspace, plan: Plan, reporter: Reporter | None = None) -> ApplyResult:
    writer = LockWriter(ws.lock, ws.env.lock_path)
    executor = Executor(
        ws.client, writer, ws.desired, parallelism=ws.parallelism, reporter=reporter
    )
    try:
        return executor.apply(plan)
    finally:
        writer.close()


# -- saved plans -----------------------------------------------------------------------


def save_plan(ws: Workspace, plan: Plan, path: Path) -> None:
    data = {
        "aepflow_plan": PLAN_FILE_VERSION,
        "environment": ws.env.name,
        "paths": [str(p) for p in ws.paths],
        "plan": plan.to_data(),
        "checksum": plan.checksum(),
    }
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_plan_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("aepflow_plan") != PLAN_FILE_VERSION:
            raise ValueError("not an aepflow plan file")
        plan = Plan.from_data(data["plan"])
        if plan.checksum() != data["checksum"]:
            raise ValueError("its checksum does not match its content (edited by hand?)")
    except FileNotFoundError:
        raise UsageError(f"plan file {path} does not exist") from None
    except (ValueError, KeyError, TypeError) as e:
        raise UsageError(f"{path} is not a valid aepflow plan file: {e}") from None
    data["plan_object"] = plan
    return dict(data)


def check_saved_plan(ws: Workspace, plan: Plan) -> None:
    """Refuse a saved plan whose world has moved: lock, live state or manifests."""
    rerun = "run `aepflow plan --out` again and review the new plan"
    if plan.environment != ws.env.name:
        raise StalePlanError(
            f'the plan was made for environment "{plan.environment}", not "{ws.env.name}"'
        )
    # A lock that does not exist yet gets a fresh lineage at every load: only its content counts.
    moved_lineage = ws.lock.serial > 0 and plan.lineage != ws.lock.lineage
    if moved_lineage or plan.lock_checksum != ws.lock.checksum():
        raise StalePlanError(
            f"saved plan is stale: the lock file changed since it was made; {rerun}"
        )
    for change in plan.actionable:
        # Only the objects the plan writes are read again: each must still be as planned.
        if change.id is None:
            continue
        obj = KINDS[change.kind].read(ws.client, change.id)
        before = None if obj is None else obj.spec
        if before != change.before:
            raise StalePlanError(
                f"saved plan is stale: {change.address} changed in the sandbox since the plan "
                f"was made; {rerun}"
            )
    for change in plan.changes:
        if change.action == "delete":
            if change.address in ws.desired and not plan.destroy:
                raise StalePlanError(f"saved plan is stale: the manifests changed; {rerun}")
            continue
        r = ws.desired.get(change.address)
        if r is None or r.hash != change.hash:
            raise StalePlanError(
                f"saved plan is stale: the manifests changed ({change.address}); {rerun}"
            )
    extra = set(ws.desired) - {c.address for c in plan.changes}
    if extra and not plan.destroy:
        raise StalePlanError(f"saved plan is stale: the manifests changed; {rerun}")


# -- import ----------------------------------------------------------------------------


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

"""The composition root: one command run's project, environment, manifests, lock and client.

The only module that wires the layers together: it loads the manifests, reads the lock,
builds the Platform client with the right transport (the embedded emulator or the network)
and hands them to the engine. Commands call these functions in order; every piece below
stays independent of the others.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from aepflow import emulator, xdmfetch
from aepflow.background import in_background
from aepflow.embedded_catalog import embedded_catalog
from aepflow.engine import checkfirst, lockfile
from aepflow.engine.executor import ApplyResult, Executor, NullReporter, Reporter
from aepflow.engine.live import Early, Prefetch, read_live
from aepflow.engine.lockfile import LockWriter
from aepflow.engine.moves import KINDS_OF, aliases, moved_lock, moves
from aepflow.engine.plan import LiveState, Lock, Plan
from aepflow.engine.planner import build_plan
from aepflow.engine.sourcecheck import (
    CheckingReporter,
    Locator,
    check_generic_connections,
    check_sources,
)
from aepflow.errors import SourceLocation, UsageError
from aepflow.hints import command
from aepflow.kinds import desired_resources
from aepflow.kinds.base import Resource
from aepflow.manifest import load_model
from aepflow.model import Definition, ProjectModel
from aepflow.platform import Credentials, PlatformClient
from aepflow.platform.client import DEFAULT_IMS_URL, DEFAULT_PLATFORM_URL
from aepflow.platform.redact import ReadEnviron
from aepflow.project import Environment, Project, load_project, url_fix, url_problem
from aepflow.state import holding


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
    scope: frozenset[str] | None = None  # a partial plan: these addresses only
    # (resource kinds, old name, new name) from metadata.movedFrom
    renames: tuple[tuple[frozenset[str], str, str], ...] = ()
    # Where a path of a resource's manifest is, for the checks that ask the source itself.
    locate: Locator | None = None
    hint_env: str | None = None  # the -e given: the commands hints suggest carry it
    # connection address -> its manifest's connector key (two entries may share a spec)
    keys: Mapping[str, str] = field(default_factory=dict)

    def hint(self, name: str, *args: str) -> str:
        """An aepflow command to suggest, with the -e this run was given."""
        return command(name, *args, environment=self.hint_env)

    # List reads started while the manifests were read, for the next plan to take.
    prefetch: Prefetch | None = None

    def close(self) -> None:
        self.client.close()


def open_workspace(
    environment: str | None,
    paths: Sequence[Path] = (),
    *,
    targets: Sequence[str] = (),
    project_dir: Path | None = None,
    parallelism: int = 10,
    environ: Mapping[str, str] | None = None,
    prefetch: bool = False,
) -> Workspace:
    """Load and validate the manifests (with secrets), then connect to the environment.

    Every manifest of the project is always read, so that nothing outside a partial plan
    looks removed; ``paths`` and ``targets`` only narrow what is planned (``scope``).
    ``prefetch`` (a whole plan follows, against AEP): the lists the plan is sure to read are
    read while the manifests load (``Early``); every error is raised where it was.
    """
    base_environ = os.environ if environ is None else environ
    project = load_project(project_dir)
    env = project.environment(environment)
    model_environ = ReadEnviron(
        EmbeddedEnviron(base_environ) if env.type == "embedded" else base_environ
    )
    chosen = [project.manifests_dir] + [p for p in paths if not _under(p, project.manifests_dir)]
    early = (
        Early(
            lambda: platform_client(env, base_environ),
            lambda: lockfile.load(env.lock_path, env.name, env.sandbox),
        )
        if prefetch and env.type != "embedded" and not paths and not targets
        else None
    )
    try:
        # Invalid manifests stop here, before any write reaches the platform.
        model = load_model(project, env, paths=chosen, secrets=True, environ=model_environ)
        lock = lockfile.load(env.lock_path, env.name, env.sandbox)
        client = early.client() if early is not None else platform_client(env, base_environ)
    except BaseException:
        if early is not None:
            early.abandon()
        raise
    client.add_secrets(model_environ.read)  # never shown in an error
    try:
        tenant = client.tenant_id()
        # Standard XDM groups the shipped catalog lacks: read once, then checked like the rest.
        if xdmfetch.learn_missing(client, model, env.sandbox):
            model = load_model(project, env, paths=chosen, secrets=True, environ=model_environ)
    except BaseException:
        client.close()
        raise
    desired = desired_resources(model, tenant)
    ws = Workspace(project, env, list(paths), desired, lock, client, tenant, parallelism)
    ws.hint_env = environment
    ws.prefetch = early.prefetch if early is not None else None
    renames: list[tuple[frozenset[str], str, str]] = []
    for manifest_kind, store in (
        ("Connection", model.connections),
        ("Schema", model.schemas),
        ("Dataset", model.datasets),
    ):
        renames += [
            (KINDS_OF[manifest_kind], o, d.name) for d in store.values() for o in d.moved_from
        ]
    for f in model.dataflows.values():
        kinds = KINDS_OF["Dataflow"]
        if f.schema == f.name:  # an inline schema, hoisted under the dataflow's name
            kinds |= KINDS_OF["Schema"]
        if f.dataset == f.name:  # an inline dataset
            kinds |= KINDS_OF["Dataset"]
        renames += [(kinds, o, f.name) for o in f.moved_from]
    ws.renames = tuple(renames)
    ws.locate = _locator(model)
    ws.keys = {f"connection.{n}": c.connector for n, c in model.connections.items()}
    if paths or targets:
        try:
            ws.scope = _scope(ws, paths, targets)
        except BaseException:
            client.close()
            raise
    return ws


def _locator(model: ProjectModel) -> Locator:
    """(address, path inside spec) -> its manifest position, for connections and the source
    connections of dataflows."""
    defs: dict[str, Definition] = {f"connection.{n}": c for n, c in model.connections.items()}
    defs |= {f"sourceConnection.{n}": f for n, f in model.dataflows.items()}

    def locate(address: str, path: str) -> SourceLocation | None:
        found = defs.get(address)
        return found.locations.get(path) if found is not None else None

    return locate


def _under(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _scope(ws: Workspace, paths: Sequence[Path], targets: Sequence[str]) -> frozenset[str]:
    """The addresses the given files declare and the given targets name, with everything they
    depend on."""
    chosen = {
        a for a, r in ws.desired.items() if any(_under(Path(r.location.file), p) for p in paths)
    }
    known = set(ws.desired) | set(ws.lock.resources)
    for target in targets:
        if target not in known:
            near = sorted(a for a in known if a.split(".", 1)[0] == target.split(".", 1)[0])
            raise UsageError(
                f"--target {target}: no such resource in the manifests or the lock"
                + (f" (of that kind: {', '.join(near[:10])})" if near else "")
            )
        chosen.add(target)
    if not chosen:
        raise UsageError(
            "the given paths declare no resource: nothing to plan (give manifest files or "
            "folders of this project, or --target ADDRESS)"
        )
    todo = list(chosen)
    while todo:
        r = ws.desired.get(todo.pop())
        for dep in r.depends_on if r is not None else ():
            if dep not in chosen:
                chosen.add(dep)
                todo.append(dep)
    return frozenset(chosen)


@contextlib.contextmanager
def locked(ws: Workspace, timeout: float, on_takeover: Callable[[str], None]) -> Iterator[None]:
    """Hold the environment's apply lock; the lock file is read again once it is held, so
    what another apply recorded while this one waited is planned from, never overwritten."""
    with holding(ws.env, timeout, on_takeover) as lock:
        ws.lock = lock
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
    env.check_org_id(environ)
    platform_url = _url(environ, "AEPFLOW_PLATFORM_URL", env.platform_url, "platformUrl")
    ims_url = _url(environ, "AEPFLOW_IMS_URL", env.ims_url, "imsUrl")
    return PlatformClient(
        credentials=Credentials.from_env(environ, org_id=env.org_id),
        sandbox=env.sandbox,
        platform_url=platform_url or DEFAULT_PLATFORM_URL,
        ims_url=ims_url or DEFAULT_IMS_URL,
    )


def _url(environ: Mapping[str, str], variable: str, configured: str | None, key: str) -> str:
    """A platform or IMS URL that can be used (``url_problem``): the variable's, else the
    one in aepflow.yaml (checked, at its position, when the project was read)."""
    value = environ.get(variable) or configured or ""
    where, unset = (variable, f"unset {variable}") if environ.get(variable) else (key, "")
    problem = url_problem(value) if value else None
    if problem is not None:
        fix = url_fix(problem, unset) if unset else problem
        raise UsageError(f"{where}: {fix}")
    return value


def read_scoped(
    ws: Workspace, prefetch: Prefetch | None = None
) -> tuple[list[tuple[str, str]], Lock, Mapping[str, Resource], LiveState]:
    """The live state of what this run plans: the lock with its ``movedFrom`` renames applied
    (``pairs``, and the whole moved lock), narrowed to the run's scope, read by list (with
    former addresses' markers adopted). Shared by a plan and by a saved plan's last check."""
    pairs = moves(ws.renames, ws.desired, ws.lock)
    whole = moved_lock(ws.lock, pairs)
    desired, lock = ws.desired, whole
    if ws.scope is not None:
        desired = {a: r for a, r in desired.items() if a in ws.scope}
        lock = replace(lock, resources={a: e for a, e in lock.resources.items() if a in ws.scope})
    live = read_live(
        ws.client,
        desired,
        lock,
        parallelism=ws.parallelism,
        aliases=aliases(ws.renames, desired),
        environment=ws.hint_env,
        prefetch=prefetch,
    )
    return pairs, whole, desired, live


def make_plan(
    ws: Workspace,
    *,
    allow_data_loss: bool = False,
    destroy: bool = False,
    replace_addresses: frozenset[str] = frozenset(),
) -> Plan:
    early, ws.prefetch = ws.prefetch, None  # read once: a later plan reads afresh
    # The connection specs are read while the live objects are (a round trip per connector,
    # not on the plan's own chain); its errors come after the reads'.
    specs = None if destroy else in_background(functools.partial(_check_connections, ws))
    plan, pairs = _plan_live(ws, early, allow_data_loss, destroy, replace_addresses)
    if specs is not None:
        specs.result()
    later: tuple[str, ...] = ()
    if not destroy:
        catalog = embedded_catalog if ws.env.type == "embedded" else None
        later = check_sources(ws.client, plan, ws.desired, catalog, ws.locate, ws.keys)
    notes = tuple(f"{a} is now {b} (movedFrom): re-addressed, not re-created." for a, b in pairs)
    notes += tuple(checkfirst.checked_once_connected(plan, ws.desired, later))
    return replace(plan, notes=notes + plan.notes) if notes else plan


def _check_connections(ws: Workspace) -> None:
    scoped = {a: r for a, r in ws.desired.items() if ws.scope is None or a in ws.scope}
    check_generic_connections(ws.client, scoped, ws.locate)


def _plan_live(
    ws: Workspace,
    early: Prefetch | None,
    allow_data_loss: bool,
    destroy: bool,
    replace_addresses: frozenset[str],
) -> tuple[Plan, list[tuple[str, str]]]:
    pairs, whole, _, live = read_scoped(ws, early)
    plan = build_plan(
        ws.desired,
        whole,
        live,
        now=time.time(),
        tenant=ws.tenant,
        allow_data_loss=allow_data_loss,
        destroy=destroy,
        scope=ws.scope,
        replace=replace_addresses,
        environment=ws.hint_env,
    )
    return plan, pairs


def apply_plan(ws: Workspace, plan: Plan, reporter: Reporter | None = None) -> ApplyResult:
    writer = LockWriter(ws.lock, ws.env.lock_path)
    pairs = moves(ws.renames, ws.desired, ws.lock)
    if pairs:  # recorded first: the steps below are planned under the new addresses
        moved = moved_lock(ws.lock, pairs)
        for old, _ in pairs:
            writer.remove(old)
        for address, entry in moved.resources.items():
            if ws.lock.resources.get(address) != entry:
                writer.put(address, entry)

    def base_id(address: str) -> str | None:
        entry = writer.lock.resources.get(address)
        return entry.id if entry is not None else None

    later = checkfirst.unchecked(plan)
    first: dict[str, str] = {}
    if later and ws.env.type != "embedded":  # the embedded catalog checked them at plan time
        # Their connections are created first and the sources checked before anything else.
        first = checkfirst.deferred(plan, ws.desired)
        if later - set(first):  # a replaced connection: checked right before each is created
            reporter = CheckingReporter(
                reporter or NullReporter(),
                ws.client,
                ws.desired,
                later - set(first),
                base_id,
                ws.locate,
                ws.keys,
            )

    def run(part: Plan, shown: Reporter) -> ApplyResult:
        return Executor(
            ws.client,
            writer,
            ws.desired,
            parallelism=ws.parallelism,
            reporter=shown,
            environment=ws.hint_env,
        ).apply(part)

    def check() -> dict[str, BaseException]:
        return checkfirst.check_now(ws.client, ws.desired, first, base_id, ws.locate, ws.keys)

    try:
        if first:
            connections = frozenset(first.values())
            return checkfirst.apply_checked(
                plan, connections, check, run, reporter or NullReporter()
            )
        return run(plan, reporter or NullReporter())
    finally:
        writer.close()

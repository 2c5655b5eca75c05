"""The composition root: one command run's project, environment, manifests, lock and client.

The only module that wires the layers together: it loads the manifests, reads the lock,
builds the Platform client with the right transport (the embedded emulator or the network)
and hands them to the engine. Commands call these functions in order; every piece below
stays independent of the others.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from aepflow import emulator, xdmfetch
from aepflow.emulator import specs
from aepflow.engine import lockfile
from aepflow.engine.executor import ApplyResult, Executor, NullReporter, Reporter
from aepflow.engine.live import read_live
from aepflow.engine.lockfile import LockWriter
from aepflow.engine.moves import KINDS_OF, aliases, moved_lock, moves
from aepflow.engine.plan import Lock, LockEntry, Plan
from aepflow.engine.planner import build_plan
from aepflow.engine.sourcecheck import (
    CheckingReporter,
    Column,
    Locator,
    Table,
    check_generic_connections,
    check_sources,
    pending_sources,
)
from aepflow.errors import LockfileError, SourceLocation, UsageError
from aepflow.hints import command
from aepflow.import_run import ImportResult, import_pipelines
from aepflow.kinds import KINDS, desired_resources
from aepflow.kinds.base import Resource
from aepflow.manifest import load_model, manifest_files, required_env
from aepflow.model import Definition, ProjectModel
from aepflow.platform import Credentials, PlatformClient
from aepflow.platform.client import DEFAULT_IMS_URL, DEFAULT_PLATFORM_URL, ENV_VARS
from aepflow.project import Environment, Project, load_project, url_fix, url_problem
from aepflow.state import holding
from aepflow.workflow import WORKFLOW, sync_variables


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

    def hint(self, name: str, *args: str) -> str:
        """An aepflow command to suggest, with the -e this run was given."""
        return command(name, *args, environment=self.hint_env)

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
) -> Workspace:
    """Load and validate the manifests (with secrets), then connect to the environment.

    Every manifest of the project is always read, so that nothing outside a partial plan
    looks removed; ``paths`` and ``targets`` only narrow what is planned (``scope``).
    """
    base_environ = os.environ if environ is None else environ
    project = load_project(project_dir)
    env = project.environment(environment)
    model_environ = EmbeddedEnviron(base_environ) if env.type == "embedded" else base_environ
    chosen = [project.manifests_dir] + [p for p in paths if not _under(p, project.manifests_dir)]
    # Invalid manifests stop here, before any request reaches the platform.
    model = load_model(project, env, paths=chosen, secrets=True, environ=model_environ)
    lock = lockfile.load(env.lock_path, env.name, env.sandbox)
    client = platform_client(env, base_environ)
    try:
        tenant = client.tenant_id()
        # Standard XDM groups the shipped catalog lacks: read once, then checked like the rest.
        if xdmfetch.learn_missing(client, model):
            model = load_model(project, env, paths=chosen, secrets=True, environ=model_environ)
    except BaseException:
        client.close()
        raise
    desired = desired_resources(model, tenant)
    ws = Workspace(project, env, list(paths), desired, lock, client, tenant, parallelism)
    ws.hint_env = environment
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


def make_plan(
    ws: Workspace,
    *,
    allow_data_loss: bool = False,
    destroy: bool = False,
    replace_addresses: frozenset[str] = frozenset(),
) -> Plan:
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
    )
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
    if not destroy:
        check_generic_connections(ws.client, desired, ws.locate)
        catalog = embedded_catalog if ws.env.type == "embedded" else None
        check_sources(ws.client, plan, ws.desired, catalog, ws.locate)
    notes = tuple(f"{a} is now {b} (movedFrom): re-addressed, not re-created." for a, b in pairs)
    return replace(plan, notes=notes + plan.notes) if notes else plan


def embedded_catalog(spec_id: str) -> dict[Table, list[Column]] | None:
    """What the embedded emulator's source of a connection spec serves: its catalog does not
    depend on the credentials, so a source is checked before its connection exists."""
    spec = specs.connection_specs().get(spec_id)
    if spec is None:
        return None
    name = str(spec["name"])
    out: dict[Table, list[Column]] = {}
    for kind, found in (("table", specs.base_tables(name)), ("view", specs.views(name))):
        for table, columns in found.items():
            out[Table(table, table, kind)] = [_catalog_column(c) for c in columns]
    for obj in specs.rest_objects(name):
        out[Table(obj or "json", obj or "json", "rest")] = []
    return out


def _catalog_column(c: Mapping[str, str]) -> Column:
    kind = c["type"]
    return Column(c["name"], "string" if kind in ("date", "date-time") else kind, kind)


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
    later = frozenset(
        c.address
        for c in pending_sources(plan)
        if not isinstance((c.requests[-1].body or {}).get("baseConnectionId"), str)
    )
    if later and ws.env.type != "embedded":  # the embedded catalog checked them at plan time

        def base_id(address: str) -> str | None:
            entry = writer.lock.resources.get(address)
            return entry.id if entry is not None else None

        reporter = CheckingReporter(
            reporter or NullReporter(), ws.client, ws.desired, later, base_id, ws.locate
        )
    executor = Executor(
        ws.client,
        writer,
        ws.desired,
        parallelism=ws.parallelism,
        reporter=reporter,
        environment=ws.hint_env,
    )
    try:
        return executor.apply(plan)
    finally:
        writer.close()


# -- import ----------------------------------------------------------------------------


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

"""``aepflow import --flow ID`` / ``--all`` as one run: which flows to import, every manifest
written only once every flow was read, then the lock (the reading itself is ``importer``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aepflow import fmt
from aepflow.api import FLOW, ListRequest
from aepflow.engine.lockfile import LockWriter
from aepflow.engine.plan import Lock
from aepflow.errors import UsageError
from aepflow.importer import FLOW_SPECS, Importer, Skipped, unknown_flow_spec
from aepflow.kinds.base import Resource
from aepflow.manifest_form import CannotImport
from aepflow.platform import PlatformClient


def write(path: Path, docs: list[dict[str, Any]]) -> None:
    """The manifests of one flow, in ``aepflow fmt``'s canonical layout."""
    header = "# Imported from the sandbox by `aepflow import`; review, then commit.\n"
    text = fmt.dump(docs, path, header)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def all_flows(client: PlatformClient) -> list[dict[str, Any]]:
    """Every flow of the sandbox (also of flow specs no connector uses: listed as skipped)."""
    query = ListRequest(f"{FLOW}/flows", "flowservice")
    found = [f for f in client.list(query) if f.get("state") != "delete-finalizing"]
    return sorted(found, key=lambda f: str(f.get("id")))


@dataclass
class ImportResult:
    files: list[Path]
    flows: list[str]
    env_vars: list[str]
    notes: list[str]
    skipped: list[Skipped] = field(default_factory=list)


Baseline = Callable[[], Mapping[str, Resource]]


def import_pipelines(
    client: PlatformClient,
    lock: Lock,
    writer: LockWriter,
    manifests: Path,
    taken: dict[str, set[str]],
    flow_ids: list[str],
    everything: bool,
    baseline: Baseline = dict,
) -> ImportResult:
    """Import the flows (or, with ``everything``, every flow not managed yet): manifests,
    then the lock. With ``everything`` a flow aepflow cannot express is skipped and named
    with its reason; a flow given by id is imported or the command fails.

    ``baseline()`` is called once the manifests are written: the desired resources they
    describe, whose hashes the lock records as last applied.
    """
    imp = Importer(client, lock, client.tenant_id(), taken)
    managed = {e.id for e in lock.resources.values()}
    skipped: list[Skipped] = []
    if everything:
        live = [f for f in all_flows(client) if str(f.get("id")) not in managed]
        names = {str(f["id"]): str(f.get("name") or "") for f in live}
        ids = []
        for f in live:  # other flow specs are told apart from the listing, with no read
            spec_id = str((f.get("flowSpec") or {}).get("id", ""))
            if spec_id in FLOW_SPECS:
                ids.append(str(f["id"]))
            else:
                reason = unknown_flow_spec(spec_id)
                skipped.append(Skipped(str(f["id"]), names[str(f["id"])], reason))
    else:
        if not flow_ids:
            raise UsageError("give --flow ID (repeatable) or --all")
        ids, names = list(dict.fromkeys(flow_ids)), {}  # one flow given twice is one flow
    planned: list[tuple[Path, list[dict[str, Any]]]] = []
    imported = []
    for id in ids:
        state = imp.snapshot()
        try:
            name = imp.flow(id)
        except UsageError as e:
            if not everything:
                if isinstance(e, CannotImport) and not str(e).startswith("flow "):
                    raise UsageError(f"flow {id} cannot be imported: {e}") from None
                raise
            imp.restore(state)
            skipped.append(Skipped(id, names.get(id, ""), _reason(str(e), id)))
            continue
        path = manifests / "imported" / f"{name}.yaml"
        if path.exists():
            raise UsageError(f"{path} already exists: aepflow import never overwrites a file")
        planned.append((path, imp.take()))
        imported.append(f"flow.{name}")
    for path, docs in planned:  # nothing is written before every flow was read
        write(path, docs)
    try:
        desired = baseline() if planned else {}
    except BaseException:
        for path, _ in planned:  # manifests that do not load are not left behind
            path.unlink(missing_ok=True)
        raise
    imp.record(writer, desired)
    return ImportResult(
        [p for p, _ in planned], imported, sorted(set(imp.env_vars)), imp.notes, skipped
    )


def _reason(message: str, id: str) -> str:
    """A skip's reason without the flow's id, which the listing shows already."""
    for prefix in (f"flow {id} is ", f"flow {id} "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message

"""The last offline build of a project's manifests, kept under ``.aepflow/cache/build``.

A build (every definition, problem, warning and ``${env:...}`` use of the manifests) depends
on the manifests' bytes and the names they are shown by, the environment's variables from
``aepflow.yaml``, the XDM catalog and aepflow's own code, and on nothing else: the build
never reads the environment's values (``manifest.variables.bind_secrets`` adds them after).
The entry is keyed on a sha256 of all of these, with the code taken as the bytes of every
file of the installed package (and its JSON Schemas), plus the versions of the interpreter
and of the libraries that parse and check manifests. A key that differs in anything is a
miss, so an entry is never served for other inputs; the file also holds a sha256 of its
payload, so a torn or altered file is a miss too. Nothing is unpickled but aepflow's own
model, position and diagnostic classes.

One entry per project: the build of the last command that read the manifests. It is a
speed-up only: a missing, unreadable or unwritable cache changes nothing but the time, and
``AEPFLOW_MANIFEST_CACHE=off`` turns it off with the per-file cache.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aepflow
from aepflow import errors, model
from aepflow.errors import Diagnostic, SourceLocation
from aepflow.manifest import cache as manifest_cache
from aepflow.manifest.schema import schema_dir
from aepflow.manifest.yamlload import LocDict
from aepflow.model import ProjectModel

FORMAT = 1  # bump when what an entry holds, or how, changes
MAGIC = b"aepflow build cache\n"


@dataclass
class Built:
    """What one offline build found: everything a command needs from the manifests."""

    problems: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    model: ProjectModel = field(default_factory=ProjectModel)
    env_used: list[tuple[str, SourceLocation, str]] = field(default_factory=list)
    raw_auth: dict[str, LocDict] = field(default_factory=dict)
    documents: int = 0


def location(root: Path) -> Path:
    return root / ".aepflow" / "cache" / "build"


_stamp: bytes | None = None


def _libraries() -> str:
    from importlib.metadata import version

    parts = []
    for name in ("pyyaml", "jsonschema", "fastjsonschema"):
        try:
            parts.append(f"{name} {version(name)}")
        except Exception:
            parts.append(f"{name} ?")
    return ", ".join(parts)


def stamp() -> bytes:
    """What every entry's meaning depends on besides the project: aepflow's code and data
    (every file of the package, and the manifests' JSON Schemas), the interpreter and the
    libraries. Read once per process (about 2 MB)."""
    global _stamp
    if _stamp is None:
        digest = hashlib.sha256(MAGIC + b"%d\n" % FORMAT)
        digest.update(f"{aepflow.__version__}\n{sys.version}\n{_libraries()}\n".encode())
        package = Path(aepflow.__file__).resolve().parent
        files = [p for p in package.rglob("*") if "__pycache__" not in p.parts]
        files += list(schema_dir().glob("*.json"))
        for path in sorted(files):
            if path.is_file():
                data = path.read_bytes()
                digest.update(b"%d:%s\0%d:" % (len(str(path)), str(path).encode(), len(data)))
                digest.update(data)
        _stamp = digest.digest()
    return _stamp


def key(inputs: bytes) -> bytes:
    """The entry's key: the code's stamp and the project's inputs."""
    return hashlib.sha256(stamp() + inputs).digest()


# -- the pickle -----------------------------------------------------------------------------

# The classes an entry may hold: the model's definitions, diagnostics, positions and the
# positioned mappings and lists of auth.params (stored as calls to the per-file cache's makers).
_CLASSES: dict[tuple[str, str], Any] = {
    **{
        (model.__name__, n): c
        for n, c in vars(model).items()
        if isinstance(c, type) and c.__module__ == model.__name__
    },
    (model.__name__, "packed_positions"): model.packed_positions,
    (errors.__name__, "Diagnostic"): Diagnostic,
    (__name__, "Built"): Built,
    **{(manifest_cache.__name__, n): f for n, f in manifest_cache.MAKERS.items()},
}


class _Reader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _CLASSES.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not a build cache object")
        return found


def dumps(built: Built) -> bytes:
    out = io.BytesIO()
    manifest_cache.Writer(out, protocol=pickle.HIGHEST_PROTOCOL).dump(built)
    return out.getvalue()


def loads(blob: bytes) -> Built | None:
    # Hundreds of thousands of objects, none of them garbage: the cycle collector would
    # walk them over and over while they are made (three times the time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        built = _Reader(io.BytesIO(blob)).load()
    except Exception:
        return None
    finally:
        if enabled:
            gc.enable()
    return built if type(built) is Built else None


def enabled() -> bool:
    return os.environ.get(manifest_cache.SWITCH, "").strip().lower() != "off"


def get(root: Path, inputs: bytes) -> Built | None:
    """The build stored for exactly these inputs, or None."""
    if not enabled():
        return None
    try:
        data = location(root).read_bytes()
        wanted = key(inputs)
    except Exception:  # no cache yet, unreadable, or no package files to stamp it by
        return None
    head = len(MAGIC) + 64
    if (
        not data.startswith(MAGIC)
        or len(data) < head
        or data[len(MAGIC) : len(MAGIC) + 32] != wanted
    ):
        return None
    payload = data[head:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC) + 32 : head]:
        return None
    return loads(payload)


def put(root: Path, inputs: bytes, built: Built) -> None:
    """Store ``built`` as the project's entry, replacing the file atomically. Any error is
    ignored: the cache only saves time."""
    if not enabled():
        return
    with contextlib.suppress(Exception):
        payload = dumps(built)
        path = location(root)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".build-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(MAGIC + key(inputs) + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def inputs_of(parts: Mapping[str, object]) -> bytes:
    """The project's inputs as bytes, in a fixed order."""
    return repr(sorted(parts.items())).encode("utf-8", "surrogateescape")

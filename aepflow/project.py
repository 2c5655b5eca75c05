"""The project file ``aepflow.yaml``: environments, per-environment variables, where things live."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from aepflow.errors import Diagnostic, ManifestError, SourceLocation, UsageError
from aepflow.manifest.schema import validate_project
from aepflow.manifest.yamlload import load_file

PROJECT_FILE = "aepflow.yaml"
# What ``aepflow init`` writes for a real sandbox's orgId, for the user to replace.
PLACEHOLDER_ORG_ID = "YOUR-ORG-ID@AdobeOrg"


@dataclass(frozen=True)
class Environment:
    name: str
    type: Literal["embedded", "aep"]
    sandbox: str
    org_id: str | None
    platform_url: str | None
    ims_url: str | None
    variables: dict[str, str]
    lock_path: Path
    state_dir: Path
    apply_lock_path: Path  # held while an apply or a state command writes the lock
    variable_at: dict[str, SourceLocation] = field(default_factory=dict, compare=False, repr=False)
    org_id_at: SourceLocation | None = field(default=None, compare=False, repr=False)

    def check_org_id(self, environ: Mapping[str, str]) -> None:
        """Refuse init's placeholder orgId before any request: AEP would answer each request
        with a 403 whose hint is about permissions, not about the id."""
        if self.type != "aep" or environ.get("AEP_ORG_ID", "").strip():
            return  # AEP_ORG_ID wins over orgId
        if (self.org_id or "").strip() != PLACEHOLDER_ORG_ID:
            return
        where = f"{self.org_id_at}: " if self.org_id_at else ""
        raise UsageError(
            f"{where}orgId of environment {self.name!r} is still the placeholder "
            f"{PLACEHOLDER_ORG_ID}: set it to your IMS organization id (…@AdobeOrg; the Admin "
            "Console or the Developer Console project shows it), or set AEP_ORG_ID"
        )


@dataclass(frozen=True)
class Project:
    root: Path
    file: Path | None
    manifests_dir: Path
    default_environment: str
    environments: dict[str, Environment]

    def environment(self, name: str | None) -> Environment:
        chosen = name or self.default_environment
        if chosen not in self.environments:
            known = ", ".join(sorted(self.environments))
            where = f" in {self.file.name}" if self.file else ""
            raise UsageError(f"unknown environment {chosen!r}{where}; known environments: {known}")
        return self.environments[chosen]


def _default_lock(root: Path, name: str, kind: str) -> Path:
    if kind == "embedded":
        return root / ".aepflow" / "locks" / f"{name}.lock.json"
    return root / "locks" / f"{name}.lock.json"


def _apply_lock(root: Path, name: str) -> Path:
    return root / ".aepflow" / "locks" / f"{name}.apply-lock"


def find_project_file(start: Path) -> Path | None:
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def load_project(start: Path | None = None) -> Project:
    """The project whose aepflow.yaml is in ``start`` (default: cwd) or a parent folder.

    With no project file, the defaults: one embedded environment ``local``, sandbox ``prod``.
    """
    base = (start or Path.cwd()).resolve()
    if base.is_file():
        base = base.parent
    path = find_project_file(base)
    if path is None:
        root = base
        env = Environment(
            "local",
            "embedded",
            "prod",
            None,
            None,
            None,
            {},
            _default_lock(root, "local", "embedded"),
            root / ".aepflow" / "emulator",
            _apply_lock(root, "local"),
        )
        return Project(root, None, root / "manifests", "local", {"local": env})
    root = path.parent
    display = _display(path)
    docs, problems = load_file(path, display)
    if problems:
        raise ManifestError(problems)
    body: Any = docs[0].body
    problems = validate_project(body, display, docs[0].at)
    if problems:
        raise ManifestError(problems)
    problems = _variable_problems(body, path)
    if problems:
        raise ManifestError(problems)
    defaults = {k: str(v) for k, v in (body.get("variables") or {}).items()}
    environments: dict[str, Environment] = {}
    for name, spec in body["environments"].items():
        kind = spec["type"]
        variables = {**defaults, **{k: str(v) for k, v in (spec.get("variables") or {}).items()}}
        lock = spec.get("lockFile")
        environments[name] = Environment(
            name=name,
            type=kind,
            sandbox=spec.get("sandbox", "prod"),
            org_id=spec.get("orgId"),
            platform_url=spec.get("platformUrl"),
            ims_url=spec.get("imsUrl"),
            variables=variables,
            lock_path=(root / lock) if lock else _default_lock(root, name, kind),
            state_dir=root / ".aepflow" / "emulator",
            apply_lock_path=_apply_lock(root, name),
            org_id_at=spec.value_at.get("orgId") if hasattr(spec, "value_at") else None,
        )
    problems = url_problems(body["environments"], docs[0].at)
    if problems:
        raise ManifestError(problems)
    default = body.get("defaultEnvironment", "local")
    if default not in environments:
        at = body.value_at.get("defaultEnvironment", docs[0].at)
        raise ManifestError(
            [
                Diagnostic(
                    at,
                    f"defaultEnvironment {default!r} is not one of the environments "
                    f"({', '.join(environments)})",
                )
            ]
        )
    return Project(root, path, root / body.get("manifests", "manifests"), default, environments)


def _variable_problems(body: Mapping[str, Any], path: Path) -> list[Diagnostic]:
    """A variable's value is text put into manifests: an unquoted value that YAML reads as
    something else (true, NO, ~, 1e3, 0123 as octal, 1_000) would be put in as Python wrote
    it back ("True", "None", "1000.0", "83"), silently. Those must be quoted."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = [body.get("variables")] + [
        spec.get("variables") for spec in (body.get("environments") or {}).values()
    ]
    problems = []
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        for name, value in block.items():
            if isinstance(value, str):
                continue
            at = getattr(block, "value_at", {}).get(name)
            if at is None:
                continue
            text = lines[at.line - 1][at.col - 1 :] if at.line <= len(lines) else ""
            written = re.match(r"[^,}\]#\s]*", text)
            token = written.group(0) if written else ""
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if number and token == str(value):
                continue  # a plain number (15, 1.5) reads back as written
            problems.append(
                Diagnostic(
                    at,
                    f"variables.{name}: YAML reads the unquoted {token!r} as "
                    f"{_yaml_kind(value)}, which would become {str(value)!r} in the manifests: "
                    f'write it in quotes ("{token}")',
                )
            )
    return problems


def _yaml_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list or a mapping"


def url_problem(value: str) -> str | None:
    """What is wrong with a platform or IMS URL, or None: it must be https (http only to a
    loopback address, the served emulator, so the client secret and tokens never travel in
    clear text), with a host and a port in range."""
    if "@" in value.split("//", 1)[-1].split("/", 1)[0]:
        # Never quoted: the user name or password would be printed with it.
        return (
            "the URL holds a user name or password (USER:PASSWORD@HOST): credentials do not "
            "belong in it (aepflow signs in with AEP_CLIENT_ID and AEP_CLIENT_SECRET)"
        )
    if value != value.strip() or any(c.isspace() for c in value):
        return f"{value!r} is not a valid URL: it contains a space or a line break"
    try:
        parts = urlsplit(value)
    except ValueError:
        return (
            f"{value!r} is not a valid URL: its host is malformed (an IPv6 address goes in "
            "square brackets, as in http://[::1]:8080)"
        )
    if parts.scheme not in ("http", "https"):
        return f"{value!r} is not an http(s) URL (https://HOST[:PORT])"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return (
            f"{value!r} is not a base URL: remove the query or fragment (?..., #...); "
            "aepflow adds each request's path and query itself"
        )
    if not parts.hostname:
        return f"{value!r} is not a valid URL: it has no host"
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return f"{value!r} is not a valid URL: its port must be a number from 1 to 65535"
    if parts.scheme == "http" and not _loopback(parts.hostname):
        return (
            f"{value} would send the client secret and tokens in clear text; use https:// "
            "(http:// is allowed only for a loopback address, such as `aepflow emulator serve`)"
        )
    return None


def url_fix(problem: str, unset: str) -> str:
    """The problem and what to do about it (the clear-text one says so already)."""
    if "clear text" in problem:
        return problem
    return f"{problem}; correct it, or {unset} to use the default"


def url_problems(environments: Mapping[str, Any], at: SourceLocation) -> list[Diagnostic]:
    """Each environment's platformUrl and imsUrl that cannot be used, at its position."""
    problems = []
    for spec in environments.values():
        for key in ("platformUrl", "imsUrl"):
            value = spec.get(key)
            problem = url_problem(value) if isinstance(value, str) and value else None
            if problem is not None:
                where = getattr(spec, "value_at", {}).get(key, at)
                problems.append(Diagnostic(where, f"{key}: {url_fix(problem, f'remove {key}')}"))
    return problems


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return bool(ipaddress.ip_address(host).is_loopback)
    except ValueError:
        return False


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

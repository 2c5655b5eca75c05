"""``${var.name}``, ``${env:NAME}``, ``_${tenant}`` and ``$${`` in manifest values.

Variables resolve late (per environment); environment values only when a plan or apply needs
them (``validate`` needs no secrets), and a missing one is recorded for one clear error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from aepflow.errors import SourceLocation
from aepflow.manifest.yamlload import LocDict, LocList
from aepflow.model import ProjectModel

VARIABLE = re.compile(r"\$(\$?)\{([^}]*)\}")
# A shell's variable names (POSIX): what ${env:NAME} can name. ${var.name} follows the same rule.
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
UNCLOSED = re.compile(r"(?<!\$)\$\{(?![^}]*\})")  # '${' with no '}' after it


class Context(Protocol):
    variables: Mapping[str, str]
    environ: Mapping[str, str] | None  # None: leave ${env:X} as written
    missing_env: list[tuple[str, SourceLocation, str]]
    env_used: list[tuple[str, SourceLocation, str]]  # every ${env:NAME}, set or not

    def problem(self, at: SourceLocation, message: str) -> None: ...


def _bad_name(opening: str, name: str, what: str) -> str:
    return (
        f"{opening}{name}}}: {name!r} is not a valid {what} name: use letters, digits and "
        "'_', not starting with a digit"
    )


def resolve(value: Any, at: SourceLocation, owner: str, ctx: Context) -> Any:
    """``value`` with every variable resolved, each problem reported at ``at``."""
    if isinstance(value, str):
        return _resolve_text(value, at, owner, ctx) if "${" in value else value
    if isinstance(value, LocDict):
        value_at = value.value_at
        out = LocDict((k, resolve(v, value_at[k], owner, ctx)) for k, v in value.items())
        out.key_at, out.value_at, out.at = value.key_at, value_at, value.at
        return out
    if isinstance(value, LocList):
        item_at = value.item_at
        items = LocList(resolve(v, item_at[i], owner, ctx) for i, v in enumerate(value))
        items.item_at, items.at = item_at, value.at
        return items
    return value


def _resolve_text(value: str, at: SourceLocation, owner: str, ctx: Context) -> str:

    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return "${" + m.group(2) + "}"  # $${...} escapes
        ref = m.group(2)
        if ref == "tenant":
            return m.group(0)
        if ref.startswith("var."):
            name = ref[4:]
            if not NAME.fullmatch(name):
                ctx.problem(at, _bad_name("${var.", name, "variable"))
                return m.group(0)
            if name not in ctx.variables:
                known = ", ".join(sorted(ctx.variables)) or "none"
                ctx.problem(
                    at,
                    f"unknown variable ${{var.{name}}} (variables of this environment: {known})",
                )
                return m.group(0)
            return str(ctx.variables[name])
        if ref.startswith("env:"):
            name = ref[4:]
            if not NAME.fullmatch(name):
                ctx.problem(at, _bad_name("${env:", name, "environment variable"))
                return m.group(0)
            ctx.env_used.append((name, at, owner))
            if ctx.environ is None:
                return m.group(0)
            if name not in ctx.environ:
                ctx.missing_env.append((name, at, owner))
                return m.group(0)
            return str(ctx.environ[name])
        ctx.problem(
            at,
            f"unknown reference ${{{ref}}}: use ${{env:NAME}}, ${{var.name}} or _${{tenant}}",
        )
        return m.group(0)

    unclosed = UNCLOSED.search(value)
    if unclosed:
        ctx.problem(at, f"{value!r}: '${{' without a closing '}}' (write $${{ for a literal)")
    return VARIABLE.sub(sub, value)


class _Binding:
    """A context that resolves again what the offline build resolved: its problems were
    reported then, so only what the environment lacks is recorded."""

    def __init__(self, variables: Mapping[str, str], environ: Mapping[str, str]) -> None:
        self.variables = variables
        self.environ: Mapping[str, str] | None = environ
        self.missing_env: list[tuple[str, SourceLocation, str]] = []
        self.env_used: list[tuple[str, SourceLocation, str]] = []

    def problem(self, at: SourceLocation, message: str) -> None:
        pass


def bind_secrets(
    model: ProjectModel,
    raw_auth: Mapping[str, LocDict],
    variables: Mapping[str, str],
    environ: Mapping[str, str],
) -> tuple[ProjectModel, list[tuple[str, SourceLocation, str]]]:
    """The model with each connection's ``auth.params`` resolved again, this time with the
    environment's values; and every ``${env:NAME}`` the environment lacks.

    The build itself never reads the environment (``${env:...}`` is allowed only in a
    Connection's ``auth.params``, and no check looks at those values), so one offline build,
    cached or not, serves validate, plan and apply alike, and no value from the environment
    is ever stored with it."""
    ctx = _Binding(variables, environ)
    connections = dict(model.connections)
    for name, raw in raw_auth.items():
        connection = connections.get(name)
        if connection is not None:
            params = resolve(raw, raw.at, f"connection {name!r}", ctx)
            connections[name] = replace(connection, params=dict(params))
    return replace(model, connections=connections), ctx.missing_env

"""`aepflow doctor`: the first command against a real sandbox. Checks, line by line, with fixes."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from aepflow.cli import env_option, handle_errors


@click.command()
@env_option
@click.option(
    "--env-list",
    is_flag=True,
    help="Print only the environment variables the manifests and AEP need, one per line.",
)
@handle_errors
def doctor(environment: str | None, env_list: bool) -> None:
    """Check credentials, token, connection specs, the CRMToAEP flow spec, the variables the
    manifests need and each managed connection."""
    from aepflow.api import Request
    from aepflow.connectors import FLOW_SPEC_ID, FLOW_SPEC_NAME
    from aepflow.engine import lockfile
    from aepflow.errors import AepflowError, ManifestError
    from aepflow.kinds import KINDS
    from aepflow.manifest import no_manifests_yet, required_env
    from aepflow.project import load_project
    from aepflow.workspace import platform_client

    if env_list:  # a manifest it cannot read is an error: the list would be incomplete
        from aepflow.importing import env_names

        for name in env_names(environment):
            click.echo(name)
        return
    project = load_project()
    env = project.environment(environment)
    where = "embedded emulator" if env.type == "embedded" else f"sandbox {env.sandbox}"
    click.echo(f'Environment "{env.name}" ({where})')
    failures = 0
    unreadable: ManifestError | None = None
    try:
        needed = required_env(project, env)
    except ManifestError as e:
        needed, unreadable = [], e

    def report(ok: bool, what: str, fix: str = "") -> None:
        nonlocal failures
        failures += 0 if ok else 1
        click.echo(
            f"  {'ok  ' if ok else 'FAIL'}  {what}" + (f"\n        fix: {fix}" if fix else "")
        )

    if unreadable is not None:
        failures += 1
        click.echo("  FAIL  manifests: the variables they need are unknown until they validate")
        for diagnostic in unreadable.diagnostics:
            click.echo(f"        {diagnostic}")
    if unreadable is None and not needed and no_manifests_yet(project):
        report(True, "manifests: none yet (write one, or `aepflow import --all`), no variables")
    for name, at in needed:
        if env.type == "embedded":
            report(True, f"{name} (used at {at}): a placeholder on the embedded emulator")
        else:
            ok = bool(os.environ.get(name))
            fix = "" if ok else f"set {name} in the environment (CI: a secret)"
            report(ok, f"{name} (used at {at}) {'is set' if ok else 'is not set'}", fix)
    try:
        client = platform_client(env, os.environ)
    except AepflowError as e:
        report(False, "credentials", str(e).replace("\n", "\n        "))
        sys.exit(1)
    report(True, "credentials are set" if env.type == "aep" else "emulator credentials")
    # A connection test's answer may echo a value the manifests read from the environment.
    client.add_secrets(os.environ[name] for name, _ in needed if os.environ.get(name))
    with client:
        try:
            client.authenticate()
            report(True, "obtained an access token from IMS")
        except AepflowError as e:
            report(False, f"token: {e}", "check AEP_CLIENT_ID, AEP_CLIENT_SECRET and AEP_SCOPES")
            sys.exit(1)
        try:
            report(True, f"Schema Registry answers; tenant id {client.tenant_id()}")
        except AepflowError as e:
            report(False, f"Schema Registry: {e}", _forbidden_fix(e, env.name))
        for connector in _used_connectors(project, env):
            try:
                spec = client.connection_spec(connector.spec_id)
                ok = spec is not None
                report(
                    ok,
                    f"connection spec {connector.title} ({connector.spec_id})",
                    "" if ok else "this connector is not available in the sandbox; check licensing",
                )
            except AepflowError as e:
                report(
                    False, f"connection spec {connector.title}: {e}", _forbidden_fix(e, env.name)
                )
        try:
            flow_spec = client.flow_spec_by_name(FLOW_SPEC_NAME)
            ok = flow_spec is not None and flow_spec.get("id") == FLOW_SPEC_ID
            report(
                ok,
                f"flow spec {FLOW_SPEC_NAME} ({FLOW_SPEC_ID})",
                "" if ok else "the CRMToAEP flow spec is missing in this sandbox",
            )
        except AepflowError as e:
            report(False, f"flow spec {FLOW_SPEC_NAME}: {e}")
        lock = lockfile.load(env.lock_path, env.name, env.sandbox)
        for address, entry in sorted(lock.resources.items()):
            if entry.kind != "connection":
                continue
            try:  # help/sources/tutorials/api/create/crm/salesforce.md: test a connection
                path = KINDS["connection"].get(entry.id).path + "/test"
                result = client.send(Request("GET", path))
                ok = bool((result or {}).get("result", True))
                fix = "" if ok else "check the connection's credentials in the manifest and env"
                report(ok, f"{address} ({entry.id}) connects to its source", fix)
            except AepflowError as e:
                report(False, f"{address}: {e}")
    if failures:
        click.echo(f"{failures} check(s) failed.")
        sys.exit(1)
    click.echo("All checks passed.")


def _forbidden_fix(error: Exception, environment: str) -> str:
    """A 403 from the gateway: most often the org id is not the project's (a typo, another
    org), less often the project lacks this sandbox (help/landing/troubleshooting.md)."""
    from aepflow.errors import PlatformError

    if isinstance(error, PlatformError) and error.status == 403:
        return (
            "check the org id (AEP_ORG_ID, or orgId of environment "
            f"{environment!r} in aepflow.yaml) is the org of the Developer Console project, and "
            "that the project's product profile grants this sandbox"
        )
    return "grant the project access to this sandbox"


COMMANDS = [doctor]


def _used_connectors(project: Any, env: Any) -> list[Any]:
    """The connectors the manifests use (every known one when they cannot be read): a sandbox
    need not license the others."""
    from aepflow.connectors import CONNECTORS
    from aepflow.errors import AepflowError
    from aepflow.manifest import load_model

    try:
        used = {c.connector for c in load_model(project, env).connections.values()}
    except AepflowError:
        return list(CONNECTORS.values())
    return [c for c in CONNECTORS.values() if c.key in used]

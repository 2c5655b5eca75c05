"""`aepflow emulator serve|stats|reset`: the embedded AEP emulator, also on a loopback port."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from aepflow.cli import handle_errors

state_option = click.option(
    "--state",
    "state",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="State folder (default: .aepflow/emulator under the current folder).",
)


def _state(state: Path | None) -> Path:
    return state or Path.cwd() / ".aepflow" / "emulator"


@click.group()
def emulator() -> None:
    """The embedded AEP emulator (the default platform of a fresh project)."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0: any free port).",
)
@state_option
@click.option("--org-id", default=None, help="IMS org the emulator serves.")
@click.option("--client-id", default=None, help="OAuth client id (x-api-key) it accepts.")
@click.option("--client-secret", default=None, help="OAuth client secret it accepts.")
@handle_errors
def serve(
    host: str,
    port: int,
    state: Path | None,
    org_id: str | None,
    client_id: str | None,
    client_secret: str | None,
) -> None:
    """Serve the emulator over HTTP for curl, Postman, aepp or an `aep` environment."""
    import ipaddress

    from aepflow import emulator as emu
    from aepflow.errors import UsageError

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UsageError(
            f"--host {host}: the emulator serves only a loopback address (127.0.0.1, ::1 or "
            "localhost); it is a test stand-in with default credentials, not a server"
        )

    org = org_id or emu.DEFAULT_ORG_ID
    cid = client_id or emu.DEFAULT_CLIENT_ID
    secret = client_secret or emu.DEFAULT_CLIENT_SECRET

    def ready(url: str) -> None:
        # The emulator's own throwaway credentials: printing them is the point.
        click.echo(f"AEP emulator listening on {url}")
        click.echo(f"  platform URL: {url}   (AEPFLOW_PLATFORM_URL)")
        click.echo(f"  IMS URL:      {url}   (AEPFLOW_IMS_URL; token: POST {url}/ims/token/v3)")
        click.echo(f"  AEP_ORG_ID={org}")
        click.echo(f"  AEP_CLIENT_ID={cid}")
        click.echo(f"  AEP_CLIENT_SECRET={secret}")
        click.echo("  AEP_SCOPES=openid,AdobeID,read_organizations")
        click.echo(f"  tenant: {emu.DEFAULT_TENANT_ID}; sandboxes: prod, dev")
        click.echo(f"  state: {_state(state)}")
        click.echo("Ctrl-C stops.")

    try:
        emu.serve(
            host,
            port,
            state_dir=_state(state),
            org_id=org,
            client_id=cid,
            client_secret=secret,
            ready=ready,
        )
    except emu.SettingsError as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise UsageError(
            f"cannot serve on {host}:{port}: {e.strerror or e}; choose another --port "
            "(or stop what listens there)"
        ) from None


@emulator.command()
@state_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def stats(state: Path | None, as_json: bool) -> None:
    """Requests per method and path since the state was created."""
    from aepflow.workspace import embedded

    data = embedded(_state(state)).stats()
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(data["since"] / 1000))
    click.echo(f"Requests since {since}:")
    for endpoint, count in data["by_endpoint"].items():
        click.echo(f"{count:>8}  {endpoint}")
    click.echo(f"{data['requests']:>8}  in all")


@emulator.command()
@state_option
@handle_errors
def reset(state: Path | None) -> None:
    """Forget every resource, token and counter the emulator holds."""
    from aepflow.workspace import embedded

    embedded(_state(state)).reset()
    click.echo(f"Emulator state cleared ({_state(state)}).")


COMMANDS = [emulator]

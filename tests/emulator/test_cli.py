"""`aepflow emulator serve|stats|reset`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import aepflow.emulator
from aepflow.cli import cli
from aepflow.emulator import Emulator
from tests.emulator.conftest import FLOW, Api

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_stats_as_text_and_json(state_dir: Path, clock: Any) -> None:
    emulator = Emulator(state_dir, clock=clock)
    api = Api(emulator)
    api.connection()
    api.get(f"{FLOW}/connections")
    api.http.close()
    text = run("emulator", "stats", "--state", str(state_dir))
    assert text.exit_code == 0
    assert text.output == (
        "Requests since 2027-01-15 08:00:00 UTC:\n"
        "       1  GET /data/foundation/flowservice/connections\n"
        "       1  POST /data/foundation/flowservice/connections\n"
        "       1  POST /ims/token/v3\n"
        "       3  in all\n"
    )
    as_json = json.loads(run("emulator", "stats", "--state", str(state_dir), "--json").output)
    assert as_json == {
        "since": 1_800_000_000_000,
        "requests": 3,
        "by_endpoint": {
            "GET /data/foundation/flowservice/connections": 1,
            "POST /data/foundation/flowservice/connections": 1,
            "POST /ims/token/v3": 1,
        },
    }
    assert "s3cret" not in text.output


def test_stats_default_to_the_project_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Api(Emulator(tmp_path / ".aepflow" / "emulator")).http.close()
    data = json.loads(run("emulator", "stats", "--json").output)
    assert data["by_endpoint"] == {"POST /ims/token/v3": 1}


def test_reset(state_dir: Path) -> None:
    api = Api(Emulator(state_dir))
    api.connection()
    result = run("emulator", "reset", "--state", str(state_dir))
    assert (result.exit_code, result.output) == (0, f"Emulator state cleared ({state_dir}).\n")
    assert not (state_dir / "state.json").exists()


def test_a_bad_knob_is_a_one_line_error(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEPFLOW_EMULATOR_FAULTS", "boom=1")
    result = CliRunner().invoke(cli, ["emulator", "stats", "--state", str(state_dir)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: AEPFLOW_EMULATOR_FAULTS: 'boom=1' is not a fault")


def test_serve_prints_its_urls_and_credentials(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_serve(host: str, port: int, **kwargs: Any) -> None:
        seen.update(host=host, port=port, **{k: v for k, v in kwargs.items() if k != "ready"})
        kwargs["ready"](f"http://{host}:{port}")

    monkeypatch.setattr(aepflow.emulator, "serve", fake_serve)
    result = run(
        "emulator",
        "serve",
        "--port",
        "9001",
        "--state",
        str(state_dir),
        "--client-id",
        "acme",
        "--client-secret",
        "throwaway-secret",
    )
    assert result.exit_code == 0
    assert seen == {
        "host": "127.0.0.1",
        "port": 9001,
        "state_dir": state_dir,
        "org_id": "AEPFLOW0EMULATOR000000000@AdobeOrg",
        "client_id": "acme",
        "client_secret": "throwaway-secret",
    }
    assert result.output == (
        "AEP emulator listening on http://127.0.0.1:9001\n"
        "  platform URL: http://127.0.0.1:9001   (AEPFLOW_PLATFORM_URL)\n"
        "  IMS URL:      http://127.0.0.1:9001   (AEPFLOW_IMS_URL; token: POST http://127.0.0.1:9001/ims/token/v3)\n"
        "  AEP_ORG_ID=AEPFLOW0EMULATOR000000000@AdobeOrg\n"
        "  AEP_CLIENT_ID=acme\n"
        "  AEP_CLIENT_SECRET=throwaway-secret\n"
        "  AEP_SCOPES=openid,AdobeID,read_organizations\n"
        "  tenant: aepflowlocal; sandboxes: prod, dev\n"
        f"  state: {state_dir}\n"
        "Ctrl-C stops.\n"
    )


def test_serve_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        aepflow.emulator, "serve", lambda host, port, **kw: seen.update(host=host, port=port, **kw)
    )
    run("emulator", "serve")
    assert (seen["host"], seen["port"], seen["state_dir"]) == (
        "127.0.0.1",
        8765,
        tmp_path / ".aepflow" / "emulator",
    )
    assert (seen["client_id"], seen["client_secret"]) == (
        "aepflow-emulator",
        "aepflow-emulator-secret",
    )


def test_serve_stops_on_sigterm_and_keeps_its_counts(state_dir: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aepflow",
            "emulator",
            "serve",
            "--port",
            "0",
            "--state",
            str(state_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        token = httpx.post(
            url + "/ims/token/v3",
            data={
                "grant_type": "client_credentials",
                "client_id": "aepflow-emulator",
                "client_secret": "aepflow-emulator-secret",
                "scope": "openid",
            },
        )
        headers = {
            "Authorization": f"Bearer {token.json()['access_token']}",
            "x-api-key": "aepflow-emulator",
            "x-gw-ims-org-id": "AEPFLOW0EMULATOR000000000@AdobeOrg",
        }
        assert (
            httpx.get(url + "/data/foundation/schemaregistry/stats", headers=headers).status_code
            == 200
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert Emulator(state_dir).stats()["by_endpoint"] == {
        "GET /data/foundation/schemaregistry/stats": 1,
        "POST /ims/token/v3": 1,
    }

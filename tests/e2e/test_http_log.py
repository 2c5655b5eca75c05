"""`--log-http FILE`: every request as a JSON line, and never a secret or a token."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import respx

from aepflow import emulator
from aepflow.platform import Credentials, PlatformClient, RetryPolicy, httplog
from aepflow.platform.client import log_http
from aepflow.platform.httplog import HttpLog
from tests.e2e.conftest import Project, apply_ok
from tests.served import aim_at

SECRETS = {"SF_USERNAME": "user-Zq81x", "SF_PASSWORD": "pw-Vb73kQ", "SF_TOKEN": "tok-Mm42pL"}


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_request_is_logged_without_any_secret(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    result = project.run("apply", "--auto-approve", "--log-http", "http.jsonl")
    assert result.exit_code == 0, result.output
    assert project.run("plan", "--log-http", "http.jsonl").exit_code == 0
    text = Path("http.jsonl").read_text()
    lines = _lines(Path("http.jsonl"))
    assert len(lines) > 20
    first = lines[0]
    assert (first["method"], first["path"], first["status"]) == ("POST", "/ims/token/v3", 200)
    assert set(first) == {"time", "method", "host", "path", "status", "duration_ms", "request_id"}
    creates = [x for x in lines if x["method"] == "POST" and x["path"].endswith("/connections")]
    assert len(creates) == 1 and creates[0]["status"] == 201
    assert all(isinstance(x["request_id"], str) and x["request_id"] for x in lines[1:])
    assert all(isinstance(x["duration_ms"], float) and x["duration_ms"] >= 0 for x in lines)
    assert any("query" in x for x in lines)  # list requests keep their (harmless) parameters
    for secret in [*SECRETS.values(), emulator.DEFAULT_CLIENT_SECRET, "Bearer"]:
        assert secret not in text
    # A command that fails on the platform still leaves its lines; offline ones have no flag.
    assert "--log-http" not in project.run("validate", "--help").output
    bad = project.run("plan", "--log-http", str(Path("missing-dir") / "x.jsonl"))
    assert bad.exit_code != 0
    assert "cannot write missing-dir/x.jsonl: No such file or directory" in bad.output


@respx.mock
def test_query_secrets_tokens_and_registered_values_are_redacted(tmp_path: Path) -> None:
    log = HttpLog(tmp_path / "log.jsonl", secrets=["env-value-123"])
    log_http(log)
    try:
        client = PlatformClient(
            credentials=Credentials("id", "client-secret-XYZ", "org@AdobeOrg", "openid"),
            sandbox="prod",
            platform_url="https://platform.example",
            ims_url="https://ims.example",
            retry=RetryPolicy(max_attempts=2),
            sleep=lambda _: None,
        )
    finally:
        log_http(None)
    respx.post("https://ims.example/ims/token/v3").respond(
        json={"access_token": "token-ABCDEFG", "expires_in": 86399}
    )
    respx.get("https://platform.example/data/x").respond(
        json={"ok": 1}, headers={"x-request-id": "req-1"}
    )
    respx.get("https://platform.example/data/env-value-123").mock(
        side_effect=httpx.ConnectError("down")
    )
    client.request(
        "GET", "/data/x", params=[("client_secret", "client-secret-XYZ"), ("limit", "5")]
    )
    client.request("GET", "/data/x", params=[("access_token", "abc"), ("apiKey", "k")])
    with pytest.raises(Exception, match="cannot connect"):
        client.request("GET", "/data/env-value-123")
    client.close()
    log.close()
    text = (tmp_path / "log.jsonl").read_text()
    for secret in ("client-secret-XYZ", "token-ABCDEFG", "env-value-123", "abc", "=k"):
        assert secret not in text
    lines = _lines(tmp_path / "log.jsonl")
    assert [(x["path"], x.get("query"), x["status"], x["request_id"]) for x in lines[:3]] == [
        ("/ims/token/v3", None, 200, None),
        ("/data/x", "client_secret=(redacted)&limit=5", 200, "req-1"),
        ("/data/x", "access_token=(redacted)&apiKey=(redacted)", 200, "req-1"),
    ]
    assert [(x["path"], x["status"], x["error"]) for x in lines[3:]] == [
        ("/data/(redacted)", None, "ConnectError"),
        ("/data/(redacted)", None, "ConnectError"),  # the retry: one line per attempt
    ]


def test_the_log_over_the_network_path_names_adobes_request_ids_and_hides_secrets(
    project: Project,
    served: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (project.root / "aepflow.yaml").write_text(
        "version: 1\nmanifests: manifests\ndefaultEnvironment: staging\n"
        "environments:\n  staging: {type: aep, sandbox: dev}\n"
    )
    aim_at(monkeypatch, served, **SECRETS)
    for command in (["apply", "--auto-approve"], ["doctor"], ["status"], ["explore", "crm"]):
        result = project.run(*command, "--log-http", "net.jsonl")
        assert result.exit_code == 0, (command, result.output)
    text = Path("net.jsonl").read_text()
    lines = _lines(Path("net.jsonl"))
    assert {x["host"] for x in lines} == {"127.0.0.1"}
    assert sum(x["path"] == "/ims/token/v3" for x in lines) == 4  # one token per command
    assert all(x["request_id"] for x in lines if x["path"] != "/ims/token/v3")
    for secret in [*SECRETS.values(), emulator.DEFAULT_CLIENT_SECRET, "Bearer"]:
        assert secret not in text


class _FillingDisk:
    """A log file on a disk that fills up at the line ``full_at`` matches: that flush and every
    later write or close raise ENOSPC, as a real full disk does."""

    def __init__(self, full_at: str) -> None:
        self.full_at = full_at
        self.written: list[str] = []
        self.pending = ""
        self.full = False

    def write(self, text: str) -> int:
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.pending += text
        return len(text)

    def flush(self) -> None:
        if self.full or self.full_at in self.pending:
            self.full = True
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written.append(self.pending)
        self.pending = ""

    def close(self) -> None:
        if self.pending:
            raise OSError(errno.ENOSPC, "No space left on device")


FULL = (
    "Warning: --log-http stopped: cannot write http.jsonl: the disk is full: free some space "
    "and run the command again. The command carries on; its requests from here on are not "
    "logged.\n"
)


def test_a_full_disk_stops_the_log_once_and_the_apply_keeps_every_answer(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The disk fills on the line of the connection's create: AEP made it, so the apply must
    # record it and go on, not lose the answer because the support log could not be written.
    disk = _FillingDisk('"path": "/data/foundation/flowservice/connections", "status": 201')
    monkeypatch.setattr(httplog, "open", lambda *_a, **_k: disk, raising=False)
    result = project.run("apply", "--auto-approve", "--log-http", "http.jsonl")
    assert result.exit_code == 0, result.output
    assert result.stderr == FULL
    assert "connection.crm: done" in result.stdout
    assert len(project.lock()["resources"]) == 9
    assert len(disk.written) > 1 and all('"status": 201' not in x for x in disk.written)
    again = project.run("plan", "--log-http", "http.jsonl")
    assert again.exit_code == 0 and "No changes." in again.stdout


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_log_http_to_dev_full_warns_once_and_the_command_succeeds(project: Project) -> None:
    for command in (["apply", "--auto-approve"], ["plan"]):
        result = project.run(*command, "--log-http", "/dev/full")
        assert result.exit_code == 0, result.output
        assert result.stderr == FULL.replace("http.jsonl", "/dev/full")


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        (".aepflow/locks/local.lock.json", True),
        (".aepflow/locks/local.lock.json.journal", True),
        ("aepflow.yaml", True),
        ("manifests/flow.yaml", True),
        ("manifests/new.jsonl", True),
        ("reviewed.json", False),
        ("notes.txt", False),
    ],
)
def test_the_log_never_appends_to_a_file_that_is_not_a_log(
    project: Project, target: str, kept: bool
) -> None:
    """A slip of the tab key (`--log-http .aepflow/locks/<TAB>`) must not corrupt the lock."""
    apply_ok(project)
    assert project.run("plan", "--out", "reviewed.json").exit_code == 0
    Path("notes.txt").write_text("not a log\n")
    before = {p: p.read_bytes() for p in project.root.rglob("*") if p.is_file()}
    result = project.run("apply", "--auto-approve", "--log-http", target)
    why = (
        "is a file aepflow keeps (the project file, a manifest, a lock, the CI workflow or "
        "aepflow's own state): write the log to a new file, such as http.jsonl"
        if kept
        else "exists and is not an HTTP log of aepflow's: write the log to a new file"
    )
    # A usage error: click's 2 in-process; `aepflow` itself exits 1 (checked below).
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for '--log-http': {target} {why}"
    ), result.output
    after = {p: p.read_bytes() for p in project.root.rglob("*") if p.is_file()}
    assert after == before
    if target == "aepflow.yaml":
        done = subprocess.run(
            [sys.executable, "-m", "aepflow", "plan", "--log-http", target],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1, done.stderr

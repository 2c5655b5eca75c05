"""Machine output on every path, colour conventions, the progress line's width, doctor's
list, the init placeholder org id, and file-system faults as one line."""

from __future__ import annotations

import errno
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from aepflow.render.progress import LiveReporter
from tests.e2e.conftest import Project, apply_ok

BROKEN_FLOW = ("schedule: {frequency: hour", "schedule: {frequency: hourly")
BROKEN_MESSAGE = (
    "spec.schedule.frequency: 'hourly' is not one of once, minute, hour, day, week; did you "
    "mean 'hour'?"
)


def _one_document(out: str) -> Any:
    return json.loads(out)


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--json"],
        ["plan", "--format", "json"],
        ["import", "--all", "--json"],
    ],
)
def test_json_failures_print_one_document_with_a_code(project: Project, args: list[str]) -> None:
    project.edit("flow.yaml", *BROKEN_FLOW)
    result = project.run(*args)
    assert result.exit_code == 1
    document = _one_document(result.stdout)
    if args[0] == "validate":  # validate's own report: the diagnostics are its output
        assert document["valid"] is False
        assert document["diagnostics"][0]["message"] == BROKEN_MESSAGE
        return
    assert document == {
        "error": {
            "code": "manifest_invalid",
            "message": "1 problem found.",
            "diagnostics": [
                {"file": "manifests/flow.yaml", "line": 17, "col": 25, "message": BROKEN_MESSAGE}
            ],
        }
    }
    assert result.stderr.startswith("Error: manifests/flow.yaml:17:25: ")


@pytest.mark.parametrize("command", ["apply", "destroy"])
def test_apply_and_destroy_failures_end_their_json_lines_with_an_error(
    project: Project, command: str
) -> None:
    project.edit("flow.yaml", *BROKEN_FLOW)
    result = project.run(command, "--auto-approve", "--json")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1]["event"] == "error"
    assert lines[-1]["error"]["code"] == "manifest_invalid"


def test_validate_json_prints_a_document_when_the_project_file_is_broken(
    project: Project,
) -> None:
    (project.root / "aepflow.yaml").write_text("version: 1\nenvironments: [\n")
    for args in (["status", "--json"], ["plan", "--format", "json"], ["doctor", "--env-list"]):
        other = project.run(*args)
        assert other.exit_code == 1
        if "--env-list" not in args:
            assert _one_document(other.stdout)["error"]["code"] == "manifest_invalid"
    result = project.run("validate", "--json")
    assert result.exit_code == 1
    assert _one_document(result.stdout) == {
        "error": {
            "code": "manifest_invalid",
            "message": "1 problem found.",
            "diagnostics": [
                {
                    "file": "aepflow.yaml",
                    "line": 2,
                    "col": 15,
                    "message": "this [ is never closed: add ']'",
                }
            ],
        }
    }


def test_a_platform_failure_under_json_has_its_code_and_request_details(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AEPFLOW_EMULATOR_FAULTS", "500=1")
    # Retried as always, without the backoff's waits.
    monkeypatch.setattr("aepflow.platform.client.PlatformClient._backoff", lambda *a: None)
    result = project.run("plan", "--format", "json")
    assert result.exit_code == 1
    error = _one_document(result.stdout)["error"]
    assert error["code"] == "server_error"
    assert error["status"] == 500
    assert set(error) == {"code", "message", "status", "platform_code", "request_id"}


def test_a_usage_error_under_json_is_a_document_too() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "aepflow", "validate", "--json", "--bogus"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["code"] == "usage"
    assert "Traceback" not in done.stderr


def test_doctor_env_list_fails_and_names_a_manifest_it_cannot_read(project: Project) -> None:
    (project.root / "manifests" / "more.yaml").write_text("kind: [\n")
    result = project.run("doctor", "--env-list")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: manifests/more.yaml:1:7: this [ is never closed")
    doctor = project.run("doctor")
    assert doctor.exit_code == 1
    assert "        manifests/more.yaml:1:7: this [ is never closed: add ']'" in doctor.stdout


PLACEHOLDER_PROJECT = """\
version: 1
manifests: manifests
defaultEnvironment: local
environments:
  local: {type: embedded, sandbox: prod}
  prod:
    type: aep
    sandbox: prod
    orgId: YOUR-ORG-ID@AdobeOrg
"""


def test_the_init_placeholder_org_id_is_refused_before_any_request(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aepflow.project import PLACEHOLDER_ORG_ID
    from aepflow.scaffold import PROJECT

    assert f"orgId: {PLACEHOLDER_ORG_ID}" in PROJECT
    (project.root / "aepflow.yaml").write_text(PLACEHOLDER_PROJECT)
    for name, value in {
        "AEP_CLIENT_ID": "id",
        "AEP_CLIENT_SECRET": "secret",
        "AEP_SCOPES": "openid",
        "AEPFLOW_PLATFORM_URL": "http://127.0.0.1:9",  # nothing listens: no request may go
        "AEPFLOW_IMS_URL": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AEP_ORG_ID", raising=False)
    for var in ("SF_USERNAME", "SF_PASSWORD", "SF_TOKEN"):
        monkeypatch.setenv(var, "x")
    message = (
        "aepflow.yaml:9:12: orgId of environment 'prod' is still the placeholder "
        "YOUR-ORG-ID@AdobeOrg: set it to your IMS organization id (…@AdobeOrg; the Admin "
        "Console or the Developer Console project shows it), or set AEP_ORG_ID"
    )
    for args in (["plan", "-e", "prod"], ["apply", "-e", "prod", "--auto-approve"]):
        result = project.run(*args)
        assert result.exit_code == 1
        assert result.stderr == f"Error: {message}\n"
    doctor = project.run("doctor", "-e", "prod")
    assert doctor.exit_code == 1
    assert f"  FAIL  credentials\n        fix: {message}" in doctor.stdout
    monkeypatch.setenv("AEP_ORG_ID", "0123456789ABCDEF01234567@AdobeOrg")  # the variable wins
    assert "placeholder" not in project.run("plan", "-e", "prod").output


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        (errno.ENOSPC, "the disk is full: free some space and run the command again"),
        (
            errno.EROFS,
            "the file system is read-only: run aepflow from a writable copy of the project",
        ),
        (
            errno.EACCES,
            "permission denied: make the folder writable for this user (or run from a writable "
            "copy of the project)",
        ),
    ],
)
@pytest.mark.parametrize("where", ["lock file", "emulator state", "apply lock"])
def test_a_full_disk_or_read_only_folder_is_one_error_line(
    project: Project, monkeypatch: pytest.MonkeyPatch, code: int, hint: str, where: str
) -> None:
    apply_ok(project)
    project.edit("flow.yaml", "interval: 1", "interval: 2")
    real_open = os.open
    targets = {
        "lock file": ".lock.json",
        "emulator state": "emulator",
        "apply lock": "apply-lock",
    }

    def failing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if targets[where] in str(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *args, **kwargs)

    real_builtin_open = open

    def failing_builtin_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if targets[where] in str(path) and any(m in mode for m in "wa+x"):
            raise OSError(code, os.strerror(code), str(path))
        return real_builtin_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", failing_open)
    monkeypatch.setattr("builtins.open", failing_builtin_open)
    commands = [["apply", "--auto-approve"]]
    if where != "emulator state":  # state mv reads and writes only the lock
        commands.append(["state", "mv", "flow.contacts", "flow.people"])
    for args in commands:
        result = project.run(*args)
        assert result.exit_code == 1, result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) >= 1, result.output
        assert "Traceback" not in result.output
        if where == "lock file":  # the lock's writer says what is done and not recorded
            assert result.stderr.startswith("Error: ")
            assert "cannot write the lock file .aepflow/locks/local.lock.json.journal: " in (
                result.stderr
            )
        else:
            path = {
                "emulator state": ".aepflow/emulator/.lock",
                "apply lock": ".aepflow/locks/local.apply-lock",
            }[where]
            verb = "access" if code == errno.EACCES else "write"
            assert result.stderr == f"Error: cannot {verb} {path}: {hint}\n"


@pytest.mark.parametrize(
    ("environ", "tty", "wanted"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": ""}, True, True),  # no-color.org: only a non-empty value counts
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": "0"}, True, False),  # any non-empty value, even "0"
        ({"TERM": "dumb"}, True, False),
        ({"TERM": "xterm-256color"}, True, True),
    ],
)
def test_color_follows_no_color_org_and_term_dumb(
    environ: dict[str, str], tty: bool, wanted: bool
) -> None:
    from aepflow.render.terminal import color_wanted

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert color_wanted(Stream(), False, environ) is wanted
    assert color_wanted(Stream(), True, environ) is False  # --no-color always wins


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_the_live_progress_line_fits_the_terminal(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    stream = io.StringIO()
    reporter = LiveReporter(stream)
    reporter.begin(3)
    for i in range(3):
        reporter.started(f"apply:flow.a-very-long-pipeline-name-number-{i}-{'x' * 40}")
    status = stream.getvalue().rsplit("\r\033[K", 1)[-1]
    assert len(status) == columns - 1


@pytest.mark.parametrize(
    "args", [["apply", "--auto-approve", "--json"], ["import", "--all", "--json"]]
)
def test_takeover_notes_go_to_stderr(project: Project, args: list[str]) -> None:
    import socket

    apply_ok(project)
    lock = project.root / ".aepflow" / "locks" / "local.apply-lock"
    lock.write_text(json.dumps({"pid": 999999999, "host": socket.gethostname(), "started_at": 0}))
    result = project.run(*args)
    # import --all: nothing new to import here, which is not a failure
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Note: took over the apply lock left by pid 999999999")
    if args[0] == "apply":  # JSON Lines
        for line in result.stdout.splitlines():
            json.loads(line)
    else:
        assert json.loads(result.stdout) == {
            "env_vars": [],
            "imported": [],
            "notes": [],
            "skipped": [],
        }


def test_every_error_class_has_its_own_documented_code() -> None:
    import aepflow.errors as errors

    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.AepflowError)
    ]
    codes = [c.error_code for c in classes]
    assert len(set(codes)) == len(codes), codes
    documented = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text()
    for code in [*codes, "emulator_state", "interrupted"]:
        assert f"| `{code}` |" in documented, code


def test_a_failed_step_under_json_carries_its_error_code(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aepflow.errors import ServerError
    from aepflow.platform.client import PlatformClient

    apply_ok(project)
    project.edit("flow.yaml", "interval: 1", "interval: 2")
    real_send = PlatformClient.send

    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method == "PATCH":  # every write fails as AEP's 5xx would
            raise ServerError(request.method, request.path, 500, None, "boom")
        return real_send(self, request, *args, **kwargs)

    monkeypatch.setattr(PlatformClient, "send", send)
    result = project.run("apply", "--auto-approve", "--json")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    failed = [e for e in events if e["event"] == "failed"]
    assert result.exit_code == 1
    assert [(e["address"], e["code"]) for e in failed] == [("flow.contacts", "server_error")]


def test_doctor_names_the_org_id_when_the_gateway_answers_403(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.served import aim_at, serving

    with serving(tmp_path / "s") as url:
        (project.root / "aepflow.yaml").write_text(
            "version: 1\nmanifests: manifests\ndefaultEnvironment: staging\n"
            "environments:\n  staging: {type: aep, sandbox: dev}\n"
        )
        aim_at(
            monkeypatch,
            url,
            org_id="0000000000000000000000AA@AdobeOrg",  # not the project's org
            scopes="openid",
            SF_USERNAME="u",
            SF_PASSWORD="p",
            SF_TOKEN="t",
        )
        doctor = project.run("doctor")
    assert doctor.exit_code == 1
    assert (
        "        fix: check the org id (AEP_ORG_ID, or orgId of environment 'staging' in "
        "aepflow.yaml) is the org of the Developer Console project, and that the project's "
        "product profile grants this sandbox"
    ) in doctor.stdout
    assert "grant the project access to this sandbox" not in doctor.stdout


def test_a_reader_that_went_away_is_no_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(*args: Any, **kwargs: Any) -> Any:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("aepflow.manifest.summary", gone)
    result = project.run("validate", "--json")
    assert result.exit_code == 1
    assert result.output == ""

"""The edges a real team hits: every wrong YAML type, Unicode digits, anchors on any node,
bad variable names, YAML layout mistakes, enum typos — one positioned line each, exit 1, no
traceback, nothing sent to the platform."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from aepflow.cli import cli
from aepflow.scaffold import EXAMPLE

REPO = Path(__file__).resolve().parents[2]
POSITIONED = re.compile(r"^manifests/[\w.-]+\.yaml:\d+:\d+: \S")
OTHER_TYPES: dict[str, Any] = {
    "string": "x",
    "list": ["a"],
    "mapping": {"a": 1},
    "number": 7,
    "boolean": True,
    "null": None,
}


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["init", "p", "--install", "x"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "p")
    return tmp_path / "p" / "manifests" / "servicenow-users.yaml"


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _type_of(value: Any) -> str:
    for name, sample in OTHER_TYPES.items():
        if type(value) is type(sample) or (value is None and sample is None):
            return name
    return "other"


# The shapes a value can be mistaken for: a scalar for a collection and back (the other
# manifests' mutants; the init example gets every other type, scalars included).
SHAPES = {
    "string": ("list", "mapping"),
    "number": ("list", "mapping"),
    "boolean": ("list", "mapping"),
    "null": ("list", "mapping"),
    "list": ("string", "mapping"),
    "mapping": ("string", "list", "null"),
}


def _mutants(text: str, every_type: bool = True) -> Iterator[tuple[str, str]]:
    """Every document with one value (at any depth) replaced by a value of each other type
    (or, without ``every_type``, of each other shape)."""
    docs = list(yaml.safe_load_all(text))
    for d, doc in enumerate(docs):
        for path in _paths(doc):
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            current = parent[path[-1]]
            kind = _type_of(current)
            for name, value in OTHER_TYPES.items():
                if name == kind or not (every_type or name in SHAPES.get(kind, ())):
                    continue
                changed = copy.deepcopy(docs)
                target = changed[d]
                for part in path[:-1]:
                    target = target[part]
                target[path[-1]] = copy.deepcopy(value)
                yield f"doc {d} {'.'.join(map(str, path))} -> {name}", yaml.safe_dump_all(changed)


MANIFESTS = sorted((REPO / "manifests").glob("*.yaml"))


@pytest.mark.parametrize("source", ["init example", *(p.name for p in MANIFESTS)])
def test_any_value_of_the_wrong_yaml_type_is_a_positioned_error(example: Path, source: str) -> None:
    """Each scalar, list or mapping replaced by each other type: validate answers exit 0
    (the value was acceptable) or exit 1 with positioned lines, never a traceback."""
    text = EXAMPLE if source == "init example" else (REPO / "manifests" / source).read_text()
    runner = CliRunner()
    failures = []
    refused = 0
    for what, mutant in _mutants(text, every_type=source == "init example"):
        example.write_text(mutant)
        result = runner.invoke(cli, ["validate"])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            failures.append(f"{what}: {type(result.exception).__name__}: {result.exception}")
            continue
        if result.exit_code == 0:
            continue
        refused += 1
        lines = result.output.splitlines()
        if result.exit_code != 1 or not all(POSITIONED.match(line) for line in lines[:-1]):
            failures.append(f"{what}: exit {result.exit_code}: {result.output!r}")
        if source == "init example":  # plan reads the manifests the same way: same answer
            planned = runner.invoke(cli, ["plan"])
            if planned.exit_code != 1 or planned.stderr.removeprefix("Error: ") != result.output:
                failures.append(f"{what}: plan said {planned.output!r}")
    assert not failures, "\n".join(failures[:20])
    assert refused > 50  # the mutations reached the checks


@pytest.mark.parametrize(
    ("value", "where"),
    [("[Dataflow, Schema]", "list"), ("{a: Dataflow}", "mapping"), ("7", "number")],
)
def test_kind_of_the_wrong_type_is_one_line_for_validate_and_plan(
    example: Path, value: str, where: str
) -> None:
    example.write_text(EXAMPLE.replace("kind: Dataflow", f"kind: {value}"))
    shown = {"list": "a list", "mapping": "a mapping", "number": "a number"}[where]
    for command in ("validate", "plan"):
        result = CliRunner().invoke(cli, [command])
        assert result.exit_code == 1
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.output.splitlines()[0].removeprefix("Error: ") == (
            f"manifests/servicenow-users.yaml:14:7: kind must be a name, not {shown}: use one "
            "of Connection, Schema, Dataset, Dataflow"
        )
    assert not (example.parent.parent / ".aepflow" / "emulator").exists()  # nothing was sent


LINE_CASES = {
    # Digits of other scripts: isdigit() says yes, int() and the platform say no.
    "superscript start": (
        ('start: "${var.scheduleStart}"', 'start: "²"'),
        "manifests/servicenow-users.yaml:36:51: schedule.start: '²' is not an ISO-8601 "
        "date-time or epoch seconds",
    ),
    "arabic-indic start": (
        (
            'start: "${var.scheduleStart}"',
            'start: "\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660"',
        ),
        "manifests/servicenow-users.yaml:36:51: schedule.start: '\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660' is not an "
        "ISO-8601 date-time or epoch seconds",
    ),
    "full-width date": (
        ('start: "${var.scheduleStart}"', 'start: "\uff12\uff10\uff13\uff10-01-01T00:00:00Z"'),
        "manifests/servicenow-users.yaml:36:51: schedule.start: '\uff12\uff10\uff13\uff10-01-01T00:00:00Z' is "
        "not an ISO-8601 date-time or epoch seconds",
    ),
    # The README refuses anchors and aliases: on a scalar too, and an anchor no alias uses.
    "anchor and alias on a scalar": (
        ("table: sys_user", "table: &t sys_user\n    tableAgain: *t"),
        "manifests/servicenow-users.yaml:19:12: YAML anchors and aliases (&name, *name) are not "
        "allowed in manifests: write the value out",
    ),
    "an anchor alone": (
        ("table: sys_user", "table: &t sys_user"),
        "manifests/servicenow-users.yaml:19:12: YAML anchors and aliases (&name, *name) are not "
        "allowed in manifests: write the value out",
    ),
    "an alias to nothing": (
        ("table: sys_user", "table: *t"),
        "manifests/servicenow-users.yaml:19:12: YAML anchors and aliases (&name, *name) are not "
        "allowed in manifests: write the value out",
    ),
    # Variable names: a shell's rules, for ${env:...} and ${var....} alike.
    "env name with a space": (
        ("${env:SERVICENOW_PASSWORD}", "${env:BAD NAME}"),
        "manifests/servicenow-users.yaml:11:17: ${env:BAD NAME}: 'BAD NAME' is not a valid "
        "environment variable name: use letters, digits and '_', not starting with a digit",
    ),
    "env name starting with a digit": (
        ("${env:SERVICENOW_PASSWORD}", "${env:1PASS}"),
        "manifests/servicenow-users.yaml:11:17: ${env:1PASS}: '1PASS' is not a valid "
        "environment variable name: use letters, digits and '_', not starting with a digit",
    ),
    "empty env name": (
        ("${env:SERVICENOW_PASSWORD}", "${env:}"),
        "manifests/servicenow-users.yaml:11:17: ${env:}: '' is not a valid environment "
        "variable name: use letters, digits and '_', not starting with a digit",
    ),
    "var name with a dash": (
        ("${var.scheduleStart}", "${var.schedule-start}"),
        "manifests/servicenow-users.yaml:36:51: ${var.schedule-start}: 'schedule-start' is not "
        "a valid variable name: use letters, digits and '_', not starting with a digit",
    ),
    # YAML layout: aepflow's words, at the line to change.
    "a tab in the indentation": (
        ("    table: sys_user", "\ttable: sys_user"),
        "manifests/servicenow-users.yaml:19:1: a tab character: YAML indents with spaces "
        "only; replace the tab with spaces",
    ),
    "a tab after spaces": (
        ("    table: sys_user", "  \t  table: sys_user"),
        "manifests/servicenow-users.yaml:19:3: a tab character: YAML indents with spaces "
        "only; replace the tab with spaces",
    ),
    "a key indented too far": (
        ("    columns: [", "     columns: ["),
        "manifests/servicenow-users.yaml:20:6: this line is indented more than line 19, which "
        "already has a value: align it with the keys above it",
    ),
    "a key indented too little": (
        ("    columns: [", "   columns: ["),
        "manifests/servicenow-users.yaml:20:4: this line's indentation does not match the "
        "lines above it: indent it like the other keys (or list items) of its level",
    ),
    "a key without its colon": (
        ("    table: sys_user", "    table sys_user"),
        "manifests/servicenow-users.yaml:19:5: a key without ':' after it: write 'key: value'",
    ),
    "a list never closed": (
        ("sys_updated_on]", "sys_updated_on"),
        "manifests/servicenow-users.yaml:20:14: this [ is never closed: add ']'",
    ),
    "a quote never closed": (
        ('start: "${var.scheduleStart}"', 'start: "${var.scheduleStart}'),
        "manifests/servicenow-users.yaml:36:51: this quoted value is never closed: add the "
        "closing quote",
    ),
    "a value starting with @": (
        ("table: sys_user", "table: @sys_user"),
        "manifests/servicenow-users.yaml:19:12: '@' cannot start a value: put the value in quotes",
    ),
    "a YAML tag": (
        ("table: sys_user", "table: !sys_user"),
        "manifests/servicenow-users.yaml:19:12: '!' starts a YAML tag, which manifests do not "
        "use: put the value in quotes",
    ),
    "a list item after a key": (
        ("table: sys_user", "table: - sys_user"),
        "manifests/servicenow-users.yaml:19:12: a list item ('- ') cannot start here: start the "
        "list on its own line, indented under its key",
    ),
    # Every enum of the JSON Schemas suggests the closest value.
    "frequency typo": (
        ("frequency: hour", "frequency: hours"),
        "manifests/servicenow-users.yaml:36:25: spec.schedule.frequency: 'hours' is not one of "
        "once, minute, hour, day, week; did you mean 'hour'?",
    ),
    "connector typo": (
        ("connector: servicenow", "connector: servicenw"),
        "did you mean 'servicenow'?",
    ),
    "key typo": (
        ("  deltaColumn: {name: sys_updated_on}", "  deltaColum: {name: sys_updated_on}"),
        "did you mean 'deltaColumn'?",
    ),
    "reference typo": (
        ("  connection: servicenow", "  connection: servicenw"),
        "did you mean 'servicenow'?",
    ),
    "a name with capitals": (
        ("  connection: servicenow", "  connection: Service_Now"),
        "manifests/servicenow-users.yaml:17:15: spec.connection: 'Service_Now' is not allowed "
        "here: lower-case letters, digits and '-'; unique per kind. Other manifests refer to it "
        "by this name.",
    ),
    "auth type typo": (("type: basic", "type: basik"), "did you mean 'basic'?"),
    "class typo": (
        ("class: profile", "class: profiel"),
        "unknown XDM class 'profiel' (did you mean 'profile'?): use a short name such as "
        "profile or a full $id (https://ns.adobe.com/...)",
    ),
}


@pytest.mark.parametrize("case", sorted(LINE_CASES))
def test_each_edge_is_one_positioned_line(example: Path, case: str) -> None:
    (old, new), message = LINE_CASES[case]
    assert old in EXAMPLE, old
    example.write_text(EXAMPLE.replace(old, new, 1))
    for command in ("validate", "plan"):
        result = CliRunner().invoke(cli, [command])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        first = result.output.splitlines()[0].removeprefix("Error: ")
        if message.startswith("manifests/"):
            assert first == message, result.output
        else:
            assert POSITIONED.match(first) and first.endswith(message), result.output
    assert not (example.parent.parent / ".aepflow" / "emulator").exists()  # nothing was sent


def test_a_url_with_an_ampersand_is_no_anchor(example: Path) -> None:
    example.write_text(
        EXAMPLE.replace("https://example.service-now.com", "https://example.service-now.com?a&b")
    )
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output

"""`aepflow validate` on the examples and on broken copies of them: exact file:line:col messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from aepflow.manifest.schema import validator
from tests.manifest.helpers import REPO, copy_example, validate


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy_example(tmp_path, monkeypatch)
    return tmp_path


def edit(project: Path, name: str, old: str, new: str) -> None:
    path = project / "manifests" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    files = sorted((REPO / "schemas").glob("*.schema.json"))
    assert [f.name for f in files] == [
        "connection.schema.json",
        "dataflow.schema.json",
        "dataset.schema.json",
        "manifest.schema.json",
        "project.schema.json",
        "schema.schema.json",
    ]
    for f in files:
        Draft202012Validator.check_schema(json.loads(f.read_text()))


def test_every_example_starts_with_the_schema_line_and_validates_against_it() -> None:
    files = sorted((REPO / "manifests").glob("*.yaml"))
    assert len(files) == 4
    for f in files:
        assert f.read_text().startswith(
            "# yaml-language-server: $schema=../schemas/manifest.schema.json\n"
        )
        for doc in yaml.safe_load_all(f.read_text()):
            assert list(validator("manifest.schema.json").iter_errors(doc)) == []
    project = yaml.safe_load((REPO / "aepflow.yaml").read_text())
    assert list(validator("project.schema.json").iter_errors(project)) == []
    assert project["environments"]["prod"] == {
        "type": "aep",
        "sandbox": "prod",
        "orgId": "1234567890ABCDEF12345678@AdobeOrg",
        "variables": {"scheduleStart": "2027-01-04T06:00:00Z"},
    }
    assert project["defaultEnvironment"] == "local"
    assert project["environments"]["local"]["type"] == "embedded"


def test_the_examples_are_valid(project: Path) -> None:
    assert validate() == (
        0,
        "OK: 10 manifest document(s): 4 connection(s), 3 schema(s), 3 dataset(s), 4 dataflow(s).\n",
    )


CASES = [
    pytest.param(
        "salesforce-crm.yaml",
        "kind: Dataset\n",
        "kind: Datasett\n",
        "manifests/salesforce-crm.yaml:35:7: unknown kind 'Datasett': use one of Connection, Schema, Dataset, Dataflow; did you mean 'Dataset'?",
        id="unknown-kind",
    ),
    pytest.param(
        "salesforce-crm.yaml",
        "frequency: minute",
        "frequency: monthly",
        "manifests/salesforce-crm.yaml:61:25: spec.schedule.frequency: 'monthly' is not one of once, minute, hour, day, week",
        id="schema-violation",
    ),
    pytest.param(
        "salesforce-crm.yaml",
        "interval: 15,",
        "interval: 5,",
        "manifests/salesforce-crm.yaml:61:43: schedule.interval must be at least 15 when frequency is minute (got 5)",
        id="minute-interval",
    ),
    pytest.param(
        "dynamics-contacts.yaml",
        "frequency: hour, interval: 1",
        "frequency: once, interval: 1",
        "manifests/dynamics-contacts.yaml:36:31: schedule.interval is not allowed when frequency is once",
        id="once-with-interval",
    ),
    pytest.param(
        "servicenow-users.yaml",
        "password: ${env:SERVICENOW_PASSWORD}",
        "password: hunter2",
        "manifests/servicenow-users.yaml:14:17: auth.params.password is a secret: do not write it, or any part of it, in a manifest; write exactly ${env:NAME} and set NAME in the environment",
        id="literal-secret",
    ),
    pytest.param(
        "servicenow-users.yaml",
        "      endpoint: https://acme.service-now.com\n",
        "",
        "manifests/servicenow-users.yaml:11:5: auth.params: missing 'endpoint' (required by servicenow basic auth)",
        id="missing-auth-param",
    ),
    pytest.param(
        "servicenow-users.yaml",
        "      endpoint: https://acme.service-now.com\n",
        "      endpoint: https://acme.service-now.com\n      region: eu\n",
        "manifests/servicenow-users.yaml:13:7: auth.params.region: unknown param for servicenow basic auth (known: endpoint, username, password)",
        id="unknown-auth-param",
    ),
    pytest.param(
        "servicenow-users.yaml",
        "type: basic",
        "type: oauth2-client-credentials",
        "manifests/servicenow-users.yaml:10:11: spec.auth.type: 'oauth2-client-credentials' is not one of basic",
        id="auth-type-of-another-connector",
    ),
    pytest.param(
        "dynamics-contacts.yaml",
        "connection: dynamics\n",
        "connection: dynamix\n",
        "manifests/dynamics-contacts.yaml:22:15: dataflow 'dynamics-contacts': no Connection named 'dynamix' (defined: dynamics, salesforce-crm, service-cloud, servicenow); did you mean 'dynamics'?",
        id="unresolved-reference",
    ),
    pytest.param(
        "dynamics-contacts.yaml",
        "name: dynamics-contacts",
        "name: salesforce-contacts",
        "manifests/salesforce-crm.yaml:45:9: duplicate Dataflow name 'salesforce-contacts' (first defined at manifests/dynamics-contacts.yaml:19:9)",
        id="duplicate-name",
    ),
    pytest.param(
        "dynamics-contacts.yaml",
        "{source: telephone1,",
        "{source: mobilephone,",
        "manifests/dynamics-contacts.yaml:33:16: mapping source 'mobilephone' is not among the declared columns (contactid, firstname, lastname, emailaddress1, telephone1, modifiedon)",
        id="mapping-source-not-a-column",
    ),
    pytest.param(
        "dynamics-contacts.yaml",
        "destination: mobilePhone.number}",
        "destination: mobilePhone.numbr}",
        "manifests/dynamics-contacts.yaml:33:41: mapping destination 'mobilePhone.numbr' does not exist in schema 'crm-contacts'",
        id="mapping-destination-not-in-schema",
    ),
    pytest.param(
        "salesforce-crm.yaml",
        "field: personalEmail.address",
        "field: personalEmail.adress",
        "manifests/salesforce-crm.yaml:31:15: identity field 'personalEmail.adress' does not exist in schema 'crm-contacts' (class and field groups)",
        id="identity-not-in-schema",
    ),
    pytest.param(
        "dynamics-contacts.yaml",
        "  connection: dynamics\n",
        "  connection: dynamics\n  connection: dynamics\n",
        "manifests/dynamics-contacts.yaml:23:3: duplicate key 'connection' (first defined at line 22)",
        id="duplicate-key",
    ),
    pytest.param(
        "dynamics-contacts.yaml",
        "  source:\n",
        "  source: [\n",
        "manifests/dynamics-contacts.yaml:23:11: this [ is never closed: add ']'",
        id="yaml-syntax",
    ),
    pytest.param(
        "dynamics-contacts.yaml",
        "deltaColumn: {name: modifiedon",
        "deltaColumn: {name: modified_on",
        "manifests/dynamics-contacts.yaml:35:23: deltaColumn 'modified_on' is not among the declared columns",
        id="delta-column-not-a-column",
    ),
    pytest.param(
        "dynamics-contacts.yaml",
        "${var.namePrefix}Dynamics",
        "${var.prefix}Dynamics",
        "manifests/dynamics-contacts.yaml:21:9: unknown variable ${var.prefix} (variables of this environment: namePrefix, scheduleStart)",
        id="unknown-variable",
    ),
    pytest.param(
        "salesforce-crm.yaml",
        "namespace: CRMID}",
        "namespace: CRMID, primary: true}",
        "manifests/salesforce-crm.yaml:32:62: schema 'crm-contacts' has more than one primary identity",
        id="two-primary-identities",
    ),
    pytest.param(
        "dynamics-contacts.yaml",
        "  deltaColumn:",
        "  deltaColum:",
        "manifests/dynamics-contacts.yaml:35:3: spec.deltaColum: unknown key (allowed here: connection, dataset, deltaColumn, description, enabled, errorHandling, lifecycle, mappings, name, schedule, schema, source); did you mean 'deltaColumn'?",
        id="unknown-key",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), CASES)
def test_a_broken_example_is_reported_at_the_offending_key(
    project: Path, file: str, old: str, new: str, expected: str
) -> None:
    edit(project, file, old, new)
    code, output = validate()
    assert code == 1
    assert output.splitlines()[:-1] == expected.split("\n")


def test_all_problems_are_reported_in_one_run(project: Path) -> None:
    edit(project, "salesforce-crm.yaml", "interval: 15,", "interval: 5,")
    edit(
        project,
        "servicenow-users.yaml",
        "password: ${env:SERVICENOW_PASSWORD}",
        "password: hunter2",
    )
    code, output = validate()
    assert code == 1
    assert output.splitlines() == [
        "manifests/salesforce-crm.yaml:61:43: schedule.interval must be at least 15 when frequency is minute (got 5)",
        "manifests/servicenow-users.yaml:14:17: auth.params.password is a secret: do not write it, or any part of it, in a manifest; write exactly ${env:NAME} and set NAME in the environment",
        "2 problems found.",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            b"",
            "manifests/bad.yaml:1:1: the file is empty: add a manifest (apiVersion, kind, metadata, spec) or delete the file",
            id="empty",
        ),
        pytest.param(
            b"kind: Connection\nname: caf\xe9\n",
            "manifests/bad.yaml:2:10: the file is not valid UTF-8 (byte 0xe9): save it as UTF-8",
            id="not-utf8",
        ),
        pytest.param(
            b"a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n",
            "manifests/bad.yaml:1:4: YAML anchors and aliases (&name, *name) are not allowed in manifests: write the value out",
            id="alias-bomb",
        ),
        pytest.param(
            b"- just\n- a list\n",
            "manifests/bad.yaml:1:1: a manifest must be a mapping with apiVersion, kind, metadata and spec",
            id="not-a-mapping",
        ),
    ],
)
def test_unreadable_files_get_one_clear_message(
    project: Path, content: bytes, expected: str
) -> None:
    (project / "manifests" / "bad.yaml").write_bytes(content)
    code, output = validate()
    assert (code, output.splitlines()[0]) == (1, expected)


def test_a_huge_file_is_refused_without_being_parsed(project: Path) -> None:
    (project / "manifests" / "big.yaml").write_text("# " + "x" * (10 * 1024 * 1024) + "\n")
    code, output = validate()
    assert code == 1
    assert output.splitlines()[0] == (
        "manifests/big.yaml:1:1: file is too large (10,485,763 bytes; the limit is 5,242,880): "
        "split it into several manifests"
    )


def test_an_empty_folder_and_a_missing_path(project: Path) -> None:
    (project / "empty").mkdir()
    assert validate("empty") == (
        1,
        "empty:1:1: no manifests here (*.yaml or *.yml files)\n1 problem found.\n",
    )
    assert validate("nowhere") == (1, "nowhere:1:1: no such file or directory\n1 problem found.\n")

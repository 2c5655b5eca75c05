"""From manifests to the typed model: hoisting, defaults, variables, secrets, project file."""

from __future__ import annotations

from pathlib import Path

import pytest

from aepflow.errors import ManifestError, UsageError, VariableError
from aepflow.manifest import load_model
from aepflow.model import ScheduleDef
from aepflow.project import load_project
from tests.manifest.helpers import copy_example


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy_example(tmp_path, monkeypatch)
    return tmp_path


def test_inline_schema_and_dataset_are_hoisted_under_the_dataflows_name(project: Path) -> None:
    model = load_model(load_project(project))
    flow = model.dataflows["service-cloud-accounts"]
    assert (flow.schema, flow.dataset) == ("service-cloud-accounts", "service-cloud-accounts")
    schema = model.schemas["service-cloud-accounts"]
    assert schema.title == "Service Cloud Accounts"
    assert schema.class_id == "https://ns.adobe.com/xdm/context/profile"
    assert schema.field_group_ids == ("https://ns.adobe.com/xdm/context/profile-work-details",)
    assert model.datasets["service-cloud-accounts"].schema == "service-cloud-accounts"
    assert (
        str(schema.at("customFields.accountId")) == "manifests/salesforce-service-cloud.yaml:32:18"
    )


def test_defaults_and_schedule_conversion(project: Path) -> None:
    model = load_model(load_project(project))
    flow = model.dataflows["service-cloud-accounts"]
    assert flow.delta_column is not None
    assert (flow.delta_column.date_format, flow.delta_column.timezone) == (
        "yyyy-MM-dd HH:mm:ss",
        "UTC",
    )
    assert flow.schedule == ScheduleDef("day", 1893456000, 1, True)
    dynamics = model.dataflows["dynamics-contacts"]
    assert dynamics.schedule == ScheduleDef("hour", 1893456000, 1, None)
    assert dynamics.flow_name == "Dynamics contacts"


def test_variables_differ_per_environment(project: Path) -> None:
    prod = load_project(project).environment("prod")
    model = load_model(load_project(project), prod)
    assert model.dataflows["dynamics-contacts"].schedule.start_time == 1799042400  # type: ignore[union-attr]


def test_secrets_stay_placeholders_for_validate_and_are_read_for_plan(project: Path) -> None:
    p = load_project(project)
    plain = load_model(p)
    assert plain.connections["servicenow"].params["password"] == "${env:SERVICENOW_PASSWORD}"
    environ = {
        "SERVICENOW_USERNAME": "u",
        "SERVICENOW_PASSWORD": "s3cret",
        "SALESFORCE_CLIENT_ID": "a",
        "SALESFORCE_CLIENT_SECRET": "b",
        "DYNAMICS_CLIENT_ID": "d",
        "DYNAMICS_CLIENT_KEY": "e",
        "SFSC_CLIENT_ID": "f",
        "SFSC_CLIENT_SECRET": "g",
    }
    model = load_model(p, secrets=True, environ=environ)
    assert model.connections["servicenow"].params["password"] == "s3cret"
    # password is secret by the connector's spec; username because it is read from the environment
    assert model.connections["servicenow"].secret_params == frozenset({"password", "username"})


def test_an_unset_secret_names_the_variable_and_the_line(project: Path) -> None:
    with pytest.raises(VariableError) as e:
        load_model(load_project(project), secrets=True, environ={})
    lines = str(e.value).splitlines()
    assert (
        "manifests/servicenow-users.yaml:14:17: environment variable SERVICENOW_PASSWORD is not set (used by connection 'servicenow')"
        in lines
    )
    assert len(lines) == 8  # one per ${env:...} the four examples use


def test_invalid_manifests_raise_every_problem(project: Path) -> None:
    (project / "manifests" / "bad.yaml").write_text("apiVersion: aepflow.io/v1\nkind: Nope\n")
    with pytest.raises(ManifestError) as e:
        load_model(load_project(project))
    assert str(e.value) == (
        "manifests/bad.yaml:2:7: unknown kind 'Nope': use one of Connection, Schema, Dataset, Dataflow\n"
        "1 problem found."
    )


def test_without_a_project_file_the_default_is_the_embedded_local_environment(
    tmp_path: Path,
) -> None:
    p = load_project(tmp_path)
    env = p.environment(None)
    assert (env.name, env.type, env.sandbox) == ("local", "embedded", "prod")
    assert env.lock_path == tmp_path.resolve() / ".aepflow" / "locks" / "local.lock.json"
    with pytest.raises(UsageError, match="unknown environment 'stage'; known environments: local"):
        p.environment("stage")


def test_project_file_locations(project: Path) -> None:
    p = load_project(project)
    assert p.environment("prod").lock_path == project.resolve() / "locks" / "prod.lock.json"
    assert p.environment("prod").org_id == "1234567890ABCDEF12345678@AdobeOrg"
    (project / "aepflow.yaml").write_text("version: 1\nenvironments:\n  local: {type: cloud}\n")
    with pytest.raises(ManifestError) as e:
        load_project(project)
    assert str(e.value).splitlines()[0] == (
        "aepflow.yaml:3:17: environments.local.type: 'cloud' is not one of embedded, aep"
    )

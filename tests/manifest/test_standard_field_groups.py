"""Any standard class or field group of the XDM catalog, by short name or $id, in manifests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aepflow.catalog.xdm import Field, catalog
from aepflow.manifest import summary
from aepflow.project import load_project

PROJECT = """\
version: 1
manifests: manifests
defaultEnvironment: local
environments:
  local: {type: embedded, sandbox: prod}
"""
EVENT = "https://ns.adobe.com/xdm/context/experienceevent"
CONNECTION = """\
apiVersion: aepflow.io/v1
kind: Connection
metadata: {name: crm}
spec:
  connector: salesforce
  auth:
    type: oauth2-client-credentials
    params:
      environmentUrl: https://acme.my.salesforce.com
      clientId: ${env:SF_CLIENT_ID}
      clientSecret: ${env:SF_CLIENT_SECRET}
      apiVersion: "60.0"
"""


def destination(f: Field) -> str:
    """A concrete mapping destination for a catalog leaf."""
    path = f.path.replace("{namespace}", "Email").replace("{key}", "k")
    return path.replace("[]", "[0]")


def pipeline(n: int, klass: str, group: str, leaf: str | None) -> str:
    mappings = [f'{{source: Id, destination: "{leaf}"}}'] if leaf else []
    if klass in (EVENT, "experienceevent"):
        mappings += ["{source: Id, destination: _id}", "{source: At, destination: timestamp}"]
    mappings.append('{source: Id, destination: "_${tenant}.crmId"}')
    return textwrap.dedent(
        f"""\
        ---
        apiVersion: aepflow.io/v1
        kind: Schema
        metadata: {{name: s{n}}}
        spec:
          class: {klass}
          fieldGroups: [{group}]
          customFields:
            crmId: {{type: string}}
        ---
        apiVersion: aepflow.io/v1
        kind: Dataflow
        metadata: {{name: f{n}}}
        spec:
          connection: crm
          source: {{table: Contact, columns: [Id, At]}}
          schema: s{n}
          dataset:
            name: D{n}
          mappings: [{", ".join(mappings)}]
          deltaColumn: {{name: At}}
          schedule: {{frequency: once, start: "2030-01-01T00:00:00Z"}}
        """
    )


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def validate(tmp_path: Path, text: str) -> tuple[list[str], list[str]]:
    (tmp_path / "aepflow.yaml").write_text(PROJECT)
    (tmp_path / "manifests").mkdir(exist_ok=True)
    (tmp_path / "manifests" / "m.yaml").write_text(CONNECTION + text)
    problems, warnings, _, _ = summary(load_project(tmp_path))
    return [str(p) for p in problems], [str(w) for w in warnings]


def stable_groups() -> list[str]:
    out = []
    for ref in catalog().ids("fieldgroup"):
        r = catalog().get(ref)
        if r is not None and r.status == "stable":
            out.append(ref)
    return out


def test_every_stable_field_group_validates_with_a_class_it_extends(tmp_path: Path) -> None:
    docs = []
    for n, ref in enumerate(stable_groups()):
        r = catalog().get(ref)
        assert r is not None
        klass = r.intended_to_extend[0] if r.intended_to_extend else "profile"
        short = catalog().short_names("fieldgroup").get(r.short_name) == ref
        leaf = next((f for f in r.fields if f.xdm_type == "string" and not f.deprecated), None)
        docs.append(pipeline(n, klass, r.short_name if short else ref, leaf and destination(leaf)))
    problems, warnings = validate(tmp_path, "".join(docs))
    assert (problems, warnings) == ([], [])
    assert len(docs) == 162


def test_a_mapping_to_a_leaf_the_group_does_not_define_is_a_positioned_error(
    tmp_path: Path,
) -> None:
    text = pipeline(1, "profile", "profile-loyalty-details", "loyalty.pointz")
    problems, _ = validate(tmp_path, text)
    assert problems == [
        "manifests/m.yaml:32:40: mapping destination 'loyalty.pointz' does not exist in schema 's1'"
    ]


def test_a_field_group_that_does_not_fit_the_class_is_a_positioned_error(tmp_path: Path) -> None:
    text = pipeline(1, "experienceevent", "profile-loyalty-details", None)
    problems, _ = validate(tmp_path, text)
    assert problems == [
        "manifests/m.yaml:19:17: field group 'profile-loyalty-details' extends profile; schema "
        "'s1' is of class 'experienceevent': use a field group of that class or custom fields"
    ]


def test_a_deprecated_group_warns_and_an_unknown_name_fails_with_a_did_you_mean(
    tmp_path: Path,
) -> None:
    problems, warnings = validate(tmp_path, pipeline(1, "profile", "profile-consent", None))
    assert (problems, warnings) == (
        [],
        [
            "manifests/m.yaml:19:17: warning: standard field group 'profile-consent' is "
            "deprecated: Adobe no longer recommends it: prefer a stable one"
        ],
    )
    problems, _ = validate(tmp_path, pipeline(1, "profile", "profile-loyalty-detail", None))
    assert problems == [
        "manifests/m.yaml:19:17: unknown standard field group 'profile-loyalty-detail' (did you "
        "mean 'profile-loyalty-details' or 'profile-personal-details' or "
        "'profile-work-details'?): use a short name such as profile-loyalty-details or a full "
        "$id (https://ns.adobe.com/...)"
    ]


def test_an_unknown_well_formed_id_is_a_warning_and_its_mappings_are_not_checked(
    tmp_path: Path,
) -> None:
    group = "https://ns.adobe.com/xdm/mixins/profile/profile-brand-new"
    problems, warnings = validate(tmp_path, pipeline(1, "profile", group, "anything.at.all"))
    assert problems == []
    assert warnings == [
        f"manifests/m.yaml:19:17: warning: standard field group '{group}' is not in aepflow's "
        f"XDM catalog (adobe/xdm {catalog().commit[:12]}): its fields cannot be checked "
        "offline; a plan on a sandbox reads it from the Schema Registry",
    ]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            "{value: lots, destination: loyalty.points}",
            "manifests/m.yaml:32:22: static value 'lots' does not fit 'loyalty.points', a number "
            "field: write a number",
        ),
        (
            "{value: 2024-13-45, destination: loyalty.joinDate}",
            "manifests/m.yaml:32:22: static value '2024-13-45' does not fit 'loyalty.joinDate', a "
            "date-time field: write a date-time such as 2024-01-31T12:00:00Z",
        ),
        (
            "{source: Flag, destination: loyalty.points}",
            "manifests/m.yaml:32:23: column 'Flag' is a boolean; 'loyalty.points' is a number "
            "field: map a column of a matching type, or convert it with an expression",
        ),
    ],
)
def test_a_static_value_or_typed_column_must_fit_the_destination_type(
    tmp_path: Path, mapping: str, message: str
) -> None:
    text = pipeline(1, "profile", "profile-loyalty-details", None)
    text = text.replace("columns: [Id, At]", "columns: [Id, At, {name: Flag, type: boolean}]")
    text = text.replace("mappings: [", f"mappings: [{mapping}, ")
    problems, _ = validate(tmp_path, text)
    assert problems == [message]
    ok = text.replace("lots", "12.5").replace("2024-13-45", "2024-01-31T00:00:00Z")
    ok = ok.replace(
        "{source: Flag, destination: loyalty.points}", "{value: 3, destination: loyalty.points}"
    )
    assert validate(tmp_path, ok)[0] == []


def test_a_custom_field_type_is_checked_too(tmp_path: Path) -> None:
    text = pipeline(1, "profile", "profile-loyalty-details", None)
    text = text.replace(
        "crmId: {type: string}", "crmId: {type: string}\n    visits: {type: integer}"
    )
    text = text.replace(
        "mappings: [", 'mappings: [{value: "many", destination: "_${tenant}.visits"}, '
    )
    problems, _ = validate(tmp_path, text)
    assert problems == [
        "manifests/m.yaml:33:22: static value 'many' does not fit '_${tenant}.visits', an int "
        "field: write a whole number"
    ]


def test_a_mapping_to_a_field_adobe_deprecated_is_a_warning(tmp_path: Path) -> None:
    text = pipeline(
        1,
        "experienceevent",
        "experienceevent-consumer",
        "placeContext.POIinteraction.POIDetail.name",
    )
    problems, warnings = validate(tmp_path, text)
    assert (problems, warnings) == (
        [],
        [
            "manifests/m.yaml:32:40: warning: field "
            "'placeContext.POIinteraction.POIDetail.name' is deprecated in XDM: Adobe no longer "
            "recommends it; map a stable field if there is one"
        ],
    )

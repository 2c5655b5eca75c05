"""What the Schema Registry and Data Prep would refuse at apply time is found offline."""

from __future__ import annotations

from aepflow.catalog.xdm import Field, catalog
from aepflow.errors import SourceLocation
from aepflow.manifest.xdm import exists
from aepflow.manifest.xdmchecks import check_event_mappings, check_mapping_types, check_schema_refs
from aepflow.model import DataflowDef, MappingDef, SchemaDef

LOC = SourceLocation("m.yaml", 3, 5)
NS = "https://ns.adobe.com/xdm/context/"


def problems_of(check, *args):  # type: ignore[no-untyped-def]
    found: list[str] = []
    check(*args, lambda at, message: found.append(f"{at}: {message}"))
    return found


def both_of(s: SchemaDef) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    warnings: list[str] = []
    check_schema_refs(
        s,
        lambda at, m: problems.append(f"{at}: {m}"),
        lambda at, m, code: warnings.append(f"{at}: {m}"),
    )
    return problems, warnings


def test_a_field_group_of_another_class_is_an_error() -> None:
    s = SchemaDef(
        "events",
        LOC,
        class_id=NS + "experienceevent",
        field_group_ids=(
            NS + "profile-personal-details",  # intended for profile and experienceevent
            "https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details",  # profile only
            NS + "identitymap",  # intended for none in particular: any class
        ),
    )
    assert both_of(s) == (
        [
            "m.yaml:3:5: field group 'profile-loyalty-details' extends profile; schema 'events' "
            "is of class 'experienceevent': use a field group of that class or custom fields"
        ],
        [],
    )


def test_an_unknown_short_name_is_an_error_with_a_did_you_mean() -> None:
    s = SchemaDef("p", LOC, class_id="profiles")
    assert both_of(s) == (
        [
            "m.yaml:3:5: unknown XDM class 'profiles' (did you mean 'profile'?): use a short "
            "name such as profile or a full $id (https://ns.adobe.com/...)",
        ],
        [],
    )
    s = SchemaDef(
        "p", LOC, class_id=NS + "profile", field_group_ids=("profile-loyalty-detail", "zzzz")
    )
    assert both_of(s)[0] == [
        "m.yaml:3:5: unknown standard field group 'profile-loyalty-detail' (did you mean "
        "'profile-loyalty-details' or 'profile-personal-details' or 'profile-work-details'?): "
        "use a short name such as profile-loyalty-details or a full $id (https://ns.adobe.com/...)",
        "m.yaml:3:5: unknown standard field group 'zzzz': use a short name such as "
        "profile-loyalty-details or a full $id (https://ns.adobe.com/...)",
    ]


def test_an_unknown_well_formed_id_is_a_warning_that_its_fields_are_unchecked() -> None:
    s = SchemaDef(
        "p",
        LOC,
        class_id=NS + "profile",
        field_group_ids=(NS + "profile-newer-details", "https://ns.adobe.com/acme/mixins/abc"),
    )
    commit = catalog().commit[:12]
    assert both_of(s) == (
        [],
        [
            "m.yaml:3:5: warning: standard field group "
            "'https://ns.adobe.com/xdm/context/profile-newer-details' is not in aepflow's XDM "
            f"catalog (adobe/xdm {commit}): its fields cannot be checked offline; a plan on a "
            "sandbox reads it from the Schema Registry (did you mean "
            "'https://ns.adobe.com/xdm/context/profile-work-details' or "
            "'https://ns.adobe.com/xdm/context/profile-person-details' or "
            "'https://ns.adobe.com/xdm/context/profile-personal-details'?)",
            "m.yaml:3:5: warning: standard field group 'https://ns.adobe.com/acme/mixins/abc' is "
            f"not in aepflow's XDM catalog (adobe/xdm {commit}): its fields cannot be checked "
            "offline",
        ],
    )


def test_a_deprecated_field_group_is_a_warning_and_a_data_type_is_no_field_group() -> None:
    s = SchemaDef(
        "p",
        LOC,
        class_id=NS + "profile",
        field_group_ids=(
            "https://ns.adobe.com/xdm/mixins/profile-consent",
            "https://ns.adobe.com/xdm/context/person-name",
        ),
    )
    assert both_of(s) == (
        [
            "m.yaml:3:5: 'https://ns.adobe.com/xdm/context/person-name' is a datatype, not a "
            "standard field group"
        ],
        [
            "m.yaml:3:5: warning: standard field group 'profile-consent' is deprecated: "
            "Adobe no longer recommends it: prefer a stable one"
        ],
    )


def test_an_event_dataflow_maps_id_and_timestamp() -> None:
    events = SchemaDef("events", LOC, class_id=NS + "experienceevent")
    f = DataflowDef("f", LOC, mappings=(MappingDef("attribute", "Id", "_id"),))
    assert problems_of(check_event_mappings, f, events) == [
        "m.yaml:3:5: dataflow 'f' writes ExperienceEvents, which need timestamp mapped (a unique "
        "id and the event time of each record)"
    ]
    both = DataflowDef(
        "f",
        LOC,
        mappings=(MappingDef("attribute", "Id", "_id"), MappingDef("attribute", "At", "timestamp")),
    )
    assert problems_of(check_event_mappings, both, events) == []
    profile = SchemaDef("p", LOC, class_id=NS + "profile")
    assert problems_of(check_event_mappings, f, profile) == []


def test_a_path_exists_as_a_leaf_or_above_one_never_as_part_of_a_name() -> None:
    fields = frozenset({"person.name.firstName", "homeAddress.street1", "items[].sku"})
    found = {
        p: exists(p, fields)
        for p in (
            "person.name.firstName",
            "person.name",
            "person",
            "items",
            "items[0].sku",
            "person.na",
            "person.name.first",
            "homeAddress.street",
            "items[].skuX",
        )
    }
    assert found == {
        "person.name.firstName": True,
        "person.name": True,
        "person": True,
        "items": True,
        "items[0].sku": True,
        "person.na": False,
        "person.name.first": False,
        "homeAddress.street": False,
        "items[].skuX": False,
    }


def test_static_values_are_read_as_data_prep_reads_them() -> None:
    leaves = {
        "ok": Field("ok", "boolean"),
        "on": Field("on", "date"),
        "at": Field("at", "date-time"),
        "n": Field("n", "short"),
        "m": Field("m", "map"),
    }
    values = [
        ("yes", "ok"),  # help/data-prep/data-handling.md: y, yes, on, true... are true
        ("maybe", "ok"),
        ("12/31/2020", "on"),  # M/dd/yyyy, tried when no format is given
        ("31-Dec-2020", "on"),
        ("2020-02-30", "on"),
        ("2024-01-31T12:00:00Z", "at"),
        ("40000", "n"),
        ("{}", "m"),
    ]
    f = DataflowDef("f", LOC, mappings=tuple(MappingDef("static", v, d) for v, d in values))
    assert problems_of(check_mapping_types, f, leaves) == [
        "m.yaml:3:5: static value 'maybe' does not fit 'ok', a boolean field: write true or false "
        "(Data Prep also reads y, yes, on and n, no, off)",
        "m.yaml:3:5: static value '2020-02-30' does not fit 'on', a date field: write a date "
        "such as 2024-01-31",
        "m.yaml:3:5: static value '40000' does not fit 'n', a short field: a short is from "
        "-32768 to 32767",
        "m.yaml:3:5: static value '{}' does not fit 'm', a map field: it is a map: map its "
        "fields instead",
    ]

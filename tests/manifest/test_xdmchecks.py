"""What the Schema Registry and Data Prep would refuse at apply time is found offline."""

from __future__ import annotations

from aepflow.errors import SourceLocation
from aepflow.manifest.xdm import exists
from aepflow.manifest.xdmchecks import check_event_mappings, check_schema_refs
from aepflow.model import DataflowDef, MappingDef, SchemaDef

LOC = SourceLocation("m.yaml", 3, 5)
NS = "https://ns.adobe.com/xdm/context/"


def problems_of(check, *args):  # type: ignore[no-untyped-def]
    found: list[str] = []
    check(*args, lambda at, message: found.append(f"{at}: {message}"))
    return found


def test_unknown_standard_ids_and_field_groups_of_another_class() -> None:
    s = SchemaDef(
        "events",
        LOC,
        class_id=NS + "experienceevent",
        field_group_ids=(NS + "profile-personal-details", NS + "no-such-group", NS + "identitymap"),
    )
    assert problems_of(check_schema_refs, s) == [
        "m.yaml:3:5: field group 'profile-personal-details' extends the Profile class; schema "
        "'events' is of class 'experienceevent': use a field group of that class or custom fields",
        "m.yaml:3:5: unknown standard field group 'https://ns.adobe.com/xdm/context/no-such-group' "
        "(known here: identitymap, profile-person-details, profile-personal-details, "
        "profile-work-details)",
    ]
    unknown_class = SchemaDef("x", LOC, class_id=NS + "nope")
    assert problems_of(check_schema_refs, unknown_class) == [
        "m.yaml:3:5: unknown XDM class 'https://ns.adobe.com/xdm/context/nope' (known here: "
        "experienceevent, profile)"
    ]
    tenant = SchemaDef("t", LOC, class_id="https://ns.adobe.com/acme/classes/abc")
    assert problems_of(check_schema_refs, tenant) == []  # cannot be checked offline


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

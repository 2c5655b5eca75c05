"""explore's mapping proposals read the XDM catalog: any standard field group's leaves."""

from __future__ import annotations

from aepflow.explore import Column, Proposal, propose_mappings
from aepflow.manifest import xdm


def test_columns_map_to_the_leaves_of_any_standard_field_group() -> None:
    fields = xdm.schema_fields(
        xdm.class_id("profile"),
        [xdm.field_group_id("profile-loyalty-details"), xdm.field_group_id("identitymap")],
        {"crmId": {"type": "string"}},
    )
    assert fields is not None
    columns = [
        Column("Id", "string", "string"),
        Column("Points", "number", "number"),
        Column("Tier", "string", "string"),
        Column("LoyaltyID", "string", "string"),  # an array: no column fills it alone
        Column("PointsExpiring", "number", "number"),  # inside an array of objects
    ]
    proposals, unmatched = propose_mappings(columns, fields, "Member")
    assert proposals == [
        Proposal("Id", "_${tenant}.crmId", "id column"),
        Proposal("Points", "loyalty.points", "field name"),
        Proposal("Tier", "loyalty.tier", "field name"),
    ]
    assert unmatched == ["LoyaltyID", "PointsExpiring"]

"""Dynamics views and primary keys, row filters and flow error handling: manifest to request."""

from __future__ import annotations

from aepflow.errors import SourceLocation
from aepflow.kinds.flow import KIND as FLOW
from aepflow.kinds.source_connection import KIND as SOURCE
from aepflow.model import (
    ColumnDef,
    ConnectionDef,
    DataflowDef,
    DeltaColumnDef,
    ProjectModel,
    ScheduleDef,
)

LOC = SourceLocation("m.yaml", 1, 1)
DYNAMICS = "38ad80fe-8b06-4938-94f4-d4ee80266b07"


def model(**flow: object) -> ProjectModel:
    conn = ConnectionDef("dyn", LOC, connector="dynamics", connection_spec_id=DYNAMICS)
    f = DataflowDef(
        "contacts",
        LOC,
        flow_name="Contacts",
        connection="dyn",
        table="Active contacts",
        columns=(ColumnDef("contactid"),),
        schema="s",
        dataset="d",
        delta_column=DeltaColumnDef("modifiedon"),
        schedule=ScheduleDef("hour", 1_900_000_000, 1),
        **flow,  # type: ignore[arg-type]
    )
    return ProjectModel(connections={"dyn": conn}, dataflows={"contacts": f})


def test_a_dynamics_view_with_a_primary_key_and_a_row_filter() -> None:
    """help/sources/tutorials/api/create/crm/ms-dynamics.md (entityType view, primaryKey) and
    help/sources/tutorials/api/filter.md (params.filters as PQL JSON)."""
    row_filter = {
        "and": [
            {"column": "statecode", "op": "=", "value": 0},
            {"not": {"column": "emailaddress1", "op": "isNull"}},
        ]
    }
    (r,) = SOURCE.desired(
        model(entity_type="view", primary_key="contactid", row_filter=row_filter), "acme"
    )
    (create,) = SOURCE.create(r, {**r.spec, "baseConnection": "c1"}, "acme")
    assert create.body["params"] == {
        "tableName": "Active contacts",
        "columns": [
            {
                "name": "contactid",
                "type": "string",
                "meta:xdmType": "string",
                "xdm": {"type": "string"},
            }
        ],
        "entityType": "view",
        "primaryKey": "contactid",
        "filters": {
            "type": "PQL",
            "format": "pql/json",
            "value": {
                "nodeType": "fnApply",
                "fnName": "and",
                "params": [
                    {
                        "nodeType": "fnApply",
                        "fnName": "=",
                        "params": [
                            {"nodeType": "fieldLookup", "fieldName": "statecode"},
                            {"nodeType": "literal", "value": 0},
                        ],
                    },
                    {
                        "nodeType": "fnApply",
                        "fnName": "NOT",
                        "params": [
                            {
                                "nodeType": "fnApply",
                                "fnName": "isNull",
                                "params": [
                                    {"nodeType": "fieldLookup", "fieldName": "emailaddress1"}
                                ],
                            }
                        ],
                    },
                ],
            },
        },
    }
    # What AEP answers normalises back to the same spec: no change on the next plan.
    live = SOURCE.normalize({**create.body, "connectionSpec": {"id": DYNAMICS}})
    assert live == {**r.spec, "baseConnection": "c1"}


def test_without_options_the_source_spec_is_unchanged() -> None:
    (r,) = SOURCE.desired(model(), "acme")
    assert "entityType" not in r.spec and "primaryKey" not in r.spec and "filter" not in r.spec


def test_flow_error_handling_goes_to_the_top_level_options() -> None:
    """help/ingestion/batch-ingestion/partial.md and the flow spec's optionSpec."""
    options = {"partialIngestionPercent": 5, "errorDiagnosticsEnabled": True}
    (r,) = FLOW.desired(model(options=options), "acme")
    assert r.spec["options"] == options
    ids = {
        "sourceConnection": "s1",
        "targetConnection": "t1",
        "mappingId": "m1",
        "mappingVersion": 0,
    }
    (create,) = FLOW.create(r, {**r.spec, **ids}, "acme")
    assert create.body["options"] == options
    # Flow Service shows the percent as a string: it normalises to the number.
    raw = {
        **create.body,
        "options": {
            "partialIngestionPercent": "5",
            "errorDiagnosticsEnabled": "true",
            "isSampleDataflow": False,
        },
    }
    assert FLOW.normalize(raw)["options"] == options

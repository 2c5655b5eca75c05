"""Import's pieces that need no platform: names within the rules, row filters read back."""

from __future__ import annotations

import re
from typing import Any

import pytest

from aepflow.connectors import CONNECTORS
from aepflow.engine.plan import Lock
from aepflow.importer import Importer, slug
from aepflow.kinds.source_connection import pql, row_filter
from aepflow.manifest_form import CannotImport

NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def importer() -> Importer:
    return Importer(client=None, lock=Lock("dev", "dev"), tenant="acme", taken={})  # type: ignore[arg-type]


def test_names_sharing_their_first_63_characters_stay_within_the_rules_and_are_stable() -> None:
    long = "Salesforce contacts from the EMEA production org, every region " * 2
    imp = importer()
    first = imp._name("Dataflow", long)
    second = imp._name("Dataflow", long)
    third = imp._name("Dataflow", long + " again")
    assert [len(n) for n in (first, second, third)] == [63, 63, 63]
    assert all(NAME.match(n) for n in (first, second, third))
    assert second.endswith("-2") and third.endswith("-3")
    assert len({first, second, third}) == 3
    again = importer()
    assert [again._name("Dataflow", long) for _ in range(2)] == [first, second]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param("Loyalty members (EMEA)", "loyalty-members-emea", id="punctuation"),
        pytest.param("---", "imported", id="nothing-left"),
        pytest.param("a" * 62 + "-b", "a" * 62, id="no-trailing-dash"),
    ],
)
def test_slug(text: str, name: str) -> None:
    assert slug(text) == name


FILTERS: list[dict[str, Any]] = [
    {"column": "Country", "op": "=", "value": "FR"},
    {"column": "Email", "op": "isNull"},
    {"column": "Score", "op": "in", "value": [1, 2]},
    {
        "or": [
            {"and": [{"column": "A", "op": "like", "value": "x%"}, {"column": "B", "op": ">", "value": 3}]},
            {"not": {"column": "C", "op": "!=", "value": True}},
        ]
    },
]  # fmt: skip


@pytest.mark.parametrize("manifest", FILTERS)
def test_a_row_filter_reads_back_as_the_manifest_wrote_it(manifest: dict[str, Any]) -> None:
    assert row_filter(pql(manifest)) == manifest


@pytest.mark.parametrize(
    ("live", "message"),
    [
        pytest.param(
            {"nodeType": "fnApply", "fnName": "contains", "params": []},
            "its row filter 'contains' has a shape aepflow cannot express",
            id="unknown-function",
        ),
        pytest.param(
            {"nodeType": "literal", "value": 1},
            "its row filter {'nodeType': 'literal', 'value': 1} has a shape aepflow cannot express",
            id="not-a-function",
        ),
    ],
)
def test_a_row_filter_aepflow_cannot_express_is_a_reason_to_skip(
    live: dict[str, Any], message: str
) -> None:
    with pytest.raises(CannotImport) as e:
        row_filter(live)
    assert str(e.value) == message


class ListOnly:
    """A platform with flows to list and nothing else to read."""

    def __init__(self, flows: list[dict[str, Any]]) -> None:
        self.flows = flows

    def tenant_id(self) -> str:
        return "acme"

    def list(self, query: Any) -> list[dict[str, Any]]:
        assert query.path == "/data/foundation/flowservice/flows" and query.params == ()
        return self.flows


def test_import_all_skips_a_flow_of_another_flow_spec_naming_why(tmp_path: Any) -> None:
    from aepflow.import_run import import_pipelines
    from aepflow.importer import Skipped

    other = {"id": "f-1", "name": "Export to S3", "flowSpec": {"id": "71ad2f4e-..."}}
    gone = {"id": "f-2", "name": "Old", "flowSpec": {"id": "x"}, "state": "delete-finalizing"}
    result = import_pipelines(
        ListOnly([other, gone]),  # type: ignore[arg-type]
        Lock("dev", "dev"),
        None,  # type: ignore[arg-type]  # nothing to record
        tmp_path,
        {},
        [],
        True,
    )
    assert result.files == [] and result.flows == []
    assert result.skipped == [
        Skipped(
            "f-1",
            "Export to S3",
            "its flow spec 71ad2f4e-... is not one aepflow's sources use (CRMToAEP for tables, "
            "6499120c-0b15-42dc-936e-847ea3c24d72 for REST sources)",
        )
    ]


def test_a_flow_that_cannot_be_imported_leaves_no_trace_in_the_import() -> None:
    imp = importer()
    imp._name("Connection", "crm")
    imp._record("connection.crm", "connection", "c1")
    state = imp.snapshot()
    imp._name("Connection", "crm")  # crm-2, by the flow that turns out not importable
    imp._record("connection.crm-2", "connection", "c2")
    imp.by_id["c2"] = "crm-2"
    imp.env_vars.append("CRM_2_PASSWORD")
    imp.docs.append({"kind": "Connection"})
    imp.restore(state)
    assert (imp.records, imp.by_id, imp.env_vars, imp.docs) == (
        {"connection.crm": ("connection", "c1", None)},
        {},
        [],
        [],
    )
    assert imp._name("Connection", "crm") == "crm-2"  # free again
    imp._record("connection.other", "connection", "c2")  # c2 is free again too
    with pytest.raises(CannotImport) as e:
        imp._record("connection.again", "connection", "c1")
    assert str(e.value) == "its connection c1 is also used by connection.crm"


class Reads:
    """A sandbox of Flow Service objects by path: GET answers ``{"items": [obj]}``."""

    def __init__(self, objects: dict[str, dict[str, Any]]) -> None:
        self.objects = objects

    def send(self, request: Any, allow_404: bool = False) -> Any:
        found = self.objects.get(
            request.path.rsplit("/", 2)[-2] + "/" + request.path.rsplit("/", 1)[-1]
        )
        return {"items": [found]} if found else {"items": []}


def _reader(base_spec: str) -> Importer:
    connection = {"id": "c", "name": "C", "connectionSpec": {"id": base_spec}, "auth": {}}
    return Importer(Reads({"connections/c": connection}), Lock("dev", "dev"), "acme", {})  # type: ignore[arg-type]


def _source(format: str, spec: str, **more: Any) -> dict[str, Any]:
    return {"baseConnection": "c", "format": format, "connectionSpec": spec, **more}


SUGAR, SAP = "59a4b493-a615-40f9-bd38-f823d0909a2b", "d8ee38de-7ae9-4058-9610-c79ce75f8e92"
GENERIC_REST = "63d2b27b-69a5-45c9-a7fe-78148a25de3c"


@pytest.mark.parametrize(
    ("base", "source", "key"),
    [
        pytest.param(SUGAR, _source("json", GENERIC_REST, object="contacts"), "sugarcrm", id="sugarcrm"),
        pytest.param(SUGAR, _source("json", GENERIC_REST), "sugarcrm-events", id="sugarcrm-events"),
        pytest.param(SAP, _source("json", GENERIC_REST, object="contacts"), "sap-subscription-billing", id="sap"),
        pytest.param("0a27232b-2c6e-4396-b8c6-c9fc24e37ba4", _source("json", "0a27232b-2c6e-4396-b8c6-c9fc24e37ba4"), "zendesk", id="zendesk"),
        pytest.param("38ad80fe-8b06-4938-94f4-d4ee80266b07", _source("tabular", "x", table="t"), "dynamics", id="table"),
    ],
)  # fmt: skip
def test_a_source_is_read_as_the_entry_its_connection_and_shape_name(
    base: str, source: dict[str, Any], key: str
) -> None:
    """Entries share specs (SugarCRM's two sources one base spec; SugarCRM and SAP one REST
    source spec and a ``contacts`` object): the base spec and the shape tell them apart."""
    found = _reader(base).source_connector("c", source)
    assert found is not None and found.key == key


@pytest.mark.parametrize(
    ("base", "source", "reason"),
    [
        pytest.param(
            "d771e9c1-4f26-40dc-8617-ce58c4b53702",
            _source("json", "d771e9c1-4f26-40dc-8617-ce58c4b53702"),
            "it reads JSON through connection spec d771e9c1-4f26-40dc-8617-ce58c4b53702, which "
            "aepflow has no entry for (the generic connector form reads tables)",
            id="json-with-no-entry",
        ),
        pytest.param(
            SUGAR,
            _source("json", GENERIC_REST, object="leads"),
            "its source connection (object 'leads', connection spec "
            f"{GENERIC_REST}) fits no source of SugarCRM Accounts & Contacts or SugarCRM Events",
            id="unknown-object",
        ),
    ],
)
def test_a_source_no_entry_can_express_is_a_reason_to_skip(
    base: str, source: dict[str, Any], reason: str
) -> None:
    with pytest.raises(CannotImport) as e:
        _reader(base).source_connector("c", source)
    assert str(e.value) == reason


def test_a_generic_connection_reads_tables_as_table_sources() -> None:
    adwords = "d771e9c1-4f26-40dc-8617-ce58c4b53702"
    assert _reader(adwords).source_connector("c", _source("tabular", adwords, table="T")) is None


def test_a_rest_source_flow_of_the_table_flow_spec_is_a_reason_to_skip() -> None:
    zendesk = "0a27232b-2c6e-4396-b8c6-c9fc24e37ba4"
    flow = {
        "id": "f",
        "name": "Zendesk",
        "flowSpec": {"id": "14518937-270c-4525-bdec-c2ba7cce3860"},
        "sourceConnectionIds": ["s"],
        "targetConnectionIds": ["t"],
    }
    source = {
        "id": "s",
        "baseConnectionId": "c",
        "data": {"format": "json"},
        "connectionSpec": {"id": zendesk},
    }
    target = {"id": "t", "params": {"dataSetId": "d"}, "data": {"schema": {"id": "x"}}}
    connection = {"id": "c", "name": "C", "connectionSpec": {"id": zendesk}, "auth": {}}
    imp = Importer(
        Reads({"flows/f": flow, "sourceConnections/s": source, "targetConnections/t": target, "connections/c": connection}),  # type: ignore[arg-type]
        Lock("dev", "dev"),
        "acme",
        {},
    )  # fmt: skip
    with pytest.raises(CannotImport) as e:
        imp.flow("f")
    assert str(e.value) == (
        "its flow spec 14518937-270c-4525-bdec-c2ba7cce3860 is not the one Zendesk dataflows "
        "use (6499120c-0b15-42dc-936e-847ea3c24d72)"
    )


def test_a_rest_connection_of_an_auth_type_its_entry_lacks_is_a_reason_to_skip() -> None:
    """The generic form reads tables only: a REST source's connection cannot fall back to it."""
    zendesk = "0a27232b-2c6e-4396-b8c6-c9fc24e37ba4"
    connection = {
        "id": "c",
        "name": "Zendesk",
        "connectionSpec": {"id": zendesk},
        "auth": {"specName": "Basic Authentication", "params": {}},
    }
    imp = Importer(Reads({"connections/c": connection}), Lock("dev", "dev"), "acme", {})  # type: ignore[arg-type]
    with pytest.raises(CannotImport) as e:
        imp.connection("c", CONNECTORS["zendesk"])
    assert str(e.value) == (
        "its connection c authenticates with 'Basic Authentication', which the Zendesk entry "
        "lacks, and the generic form reads tables only"
    )
